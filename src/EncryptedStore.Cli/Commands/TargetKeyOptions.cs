using System.CommandLine;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// The options of <c>copy</c> that name the target store's master key when it differs from the source's, one per source
/// of a key, as the global key options (<c>--key-file</c> → <c>--to-key-file</c>, …). None: the target opens with the
/// source's key.
/// </summary>
internal sealed class TargetKeyOptions
{
    public Option<string?> KeyFile { get; } = new("--to-key-file") { Description = "The target's master key: this key file.", HelpName = "PATH" };

    public Option<string?> PassphraseEnv { get; } = new("--to-passphrase-env")
    {
        Description = "The target's master key: environment variable NAME (a passphrase, or base64: and key bytes).",
        HelpName = "NAME",
    };

    public Option<string?> OsKey { get; } = new("--to-os-key")
    {
        Description = "The target's master key: the OS key store's key NAME (made when missing, only for a new target).",
        HelpName = "NAME",
    };

    public Option<string?> Certificate { get; } = new("--to-cert")
    {
        Description = "The target's master key: wrapped to the certificate in this PKCS#12 or PEM file.",
        HelpName = "PATH",
    };

    public Option<string?> CertificatePasswordEnv { get; } = new("--to-cert-password-env") { Description = "The password of the --to-cert file, from this environment variable.", HelpName = "NAME" };

    public Option<string?> CertificateThumbprint { get; } = new("--to-cert-thumbprint")
    {
        Description = "The target's master key: wrapped to the certificate with this thumbprint in the current user's certificate store.",
        HelpName = "HEX",
    };

    public Option<string?> SystemdCredential { get; } = new("--to-systemd-credential") { Description = "The target's master key: the systemd credential NAME.", HelpName = "NAME" };

    /// <summary>The options that each name the target's key; at most one may be given.</summary>
    public IReadOnlyList<Option<string?>> All => [KeyFile, PassphraseEnv, OsKey, Certificate, CertificateThumbprint, SystemdCredential];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }

        command.Options.Add(CertificatePasswordEnv);
    }

    /// <summary>The target's key, or null when none is named (the source's key opens the target too).</summary>
    /// <param name="parseResult">The command line.</param>
    /// <param name="creating">The target is new: an OS key is made when missing.</param>
    /// <exception cref="CliException">Usage error for two target keys, or <c>--to-cert-password-env</c> without <c>--to-cert</c>.</exception>
    public KeySource? Resolve(ParseResult parseResult, bool creating)
    {
        var given = All.Where(o => parseResult.GetValue(o) is not null).ToList();
        if (given.Count > 1)
        {
            throw CliException.Usage($"give at most one key for the target, not {string.Join(" and ", given.Select(o => o.Name))}.");
        }

        var certificatePassword = parseResult.GetValue(CertificatePasswordEnv);
        if (certificatePassword is not null && parseResult.GetValue(Certificate) is null)
        {
            throw CliException.Usage("--to-cert-password-env is the password of a --to-cert file; give --to-cert PATH too.");
        }

        if (given.Count == 0)
        {
            return null;
        }

        var option = given[0];
        var value = parseResult.GetValue(option)!;
        return option == KeyFile ? KeySource.FromKeyFile(value)
            : option == PassphraseEnv ? KeySource.FromEnvironment(value)
            : option == OsKey ? KeySource.FromOsKeyStore(value, creating)
            : option == Certificate ? KeySource.FromCertificateFile(value, certificatePassword)
            : option == CertificateThumbprint ? KeySource.FromCertificateStore(value)
            : KeySource.FromSystemdCredential(value);
    }
}
