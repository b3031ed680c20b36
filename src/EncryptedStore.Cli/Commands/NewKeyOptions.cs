using System.CommandLine;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Commands;

/// <summary>The options of <c>change-master-key</c> that name the new master key, one per source.</summary>
internal sealed class NewKeyOptions
{
    public Option<string?> KeyFile { get; } = new("--new-key-file") { Description = "The new master key: an existing key file.", HelpName = "PATH" };

    public Option<string?> CreateKeyFile { get; } = new("--create-new-key-file") { Description = "The new master key: a new key file made at PATH (0600, never overwritten).", HelpName = "PATH" };

    public Option<string?> PassphraseEnv { get; } = new("--new-passphrase-env") { Description = "The new master key: environment variable NAME (a passphrase, or base64: and key bytes).", HelpName = "NAME" };

    public Option<string?> OsKey { get; } = new("--new-os-key") { Description = "The new master key: the OS key store's key NAME, made when missing.", HelpName = "NAME" };

    public Option<string?> Certificate { get; } = new("--new-cert") { Description = "The new master key: a new random key wrapped to the certificate in this PKCS#12 or PEM file (its public key is enough).", HelpName = "PATH" };

    public Option<string?> CertificatePasswordEnv { get; } = new("--new-cert-password-env") { Description = "The password of the --new-cert file, from this environment variable.", HelpName = "NAME" };

    public Option<string?> CertificateThumbprint { get; } = new("--new-cert-thumbprint") { Description = "The new master key: wrapped to the certificate with this thumbprint in the current user's certificate store.", HelpName = "HEX" };

    public Option<string?> SystemdCredential { get; } = new("--new-systemd-credential") { Description = "The new master key: the systemd credential NAME.", HelpName = "NAME" };

    /// <summary>The options that each name a new key; exactly one must be given.</summary>
    public IReadOnlyList<Option<string?>> All => [KeyFile, CreateKeyFile, PassphraseEnv, OsKey, Certificate, CertificateThumbprint, SystemdCredential];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }

        command.Options.Add(CertificatePasswordEnv);
    }

    public List<Option<string?>> Given(ParseResult parseResult) => [.. All.Where(o => parseResult.GetValue(o) is not null)];

    /// <summary>The new key named by <paramref name="option"/>; a key file of <see cref="CreateKeyFile"/> must exist by now.</summary>
    public KeySource Resolve(Option<string?> option, ParseResult parseResult)
    {
        var value = parseResult.GetValue(option)!;
        return option == KeyFile || option == CreateKeyFile ? KeySource.FromKeyFile(value)
            : option == PassphraseEnv ? KeySource.FromEnvironment(value)
            : option == OsKey ? KeySource.FromOsKeyStore(value, create: true)
            : option == Certificate ? KeySource.FromCertificateFile(value, parseResult.GetValue(CertificatePasswordEnv))
            : option == CertificateThumbprint ? KeySource.FromCertificateStore(value)
            : KeySource.FromSystemdCredential(value);
    }
}
