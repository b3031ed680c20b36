using System.CommandLine;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary>One command invocation: its parsed arguments plus helpers to get the master key and open the store.</summary>
internal sealed class CommandContext(ParseResult parseResult, CommandEnvironment environment)
{
    private bool _stdinTaken;

    public ParseResult ParseResult { get; } = parseResult;

    public GlobalOptions Options => environment.Options;

    public CliConsole Console => environment.Console;

    public TimeProvider Time => environment.Time;

    public string StorePath => ParseResult.GetValue(environment.Options.Store) is { Length: > 0 } path
        ? path
        : throw CliException.Usage("--store needs a path.");

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    /// <summary>True when the option was given on the command line (not just defaulted).</summary>
    public bool Has(Option option) => ParseResult.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The master key from the one key option given (<c>--key-file</c>, <c>--passphrase-env</c>, <c>--os-key</c>,
    /// <c>--cert</c>, <c>--cert-thumbprint</c>, <c>--systemd-credential</c>), or a no-echo prompt when stdin is a
    /// terminal. With <paramref name="creating"/> (a new store) the prompt asks twice and an OS key is made when missing.
    /// </summary>
    /// <exception cref="CliException">Usage error: two key options, or none and no terminal.</exception>
    public KeySource ResolveKey(bool creating = false)
    {
        var given = environment.Options.KeyOptions.Where(o => Get(o) is not null).ToList();
        if (given.Count > 1)
        {
            throw CliException.Usage($"give one master key option, not {string.Join(" and ", given.Select(o => o.Name))}.");
        }

        if (Get(environment.Options.CertificatePasswordEnv) is not null && Get(environment.Options.Certificate) is null)
        {
            throw CliException.Usage("--cert-password-env is the password of a --cert file; give --cert PATH too.");
        }

        if (given.Count == 1)
        {
            return KeyFrom(given[0], Get(given[0])!, creating);
        }

        if (!Console.InputIsTerminal || _stdinTaken)
        {
            throw CliException.Usage(
                "no master key: give --key-file PATH, --passphrase-env NAME, --os-key NAME, --cert PATH or --systemd-credential NAME "
                + "(stdin is not a terminal, so the passphrase cannot be asked for).");
        }

        return KeySource.FromPassphrase(PromptPassphrase(creating));
    }

    /// <summary>Resolves the key and opens the existing store at <see cref="StorePath"/>.</summary>
    /// <exception cref="CliException">Exit code 5 when there is no store file.</exception>
    public StoreSession OpenStore()
    {
        var path = StorePath;
        if (!File.Exists(path))
        {
            throw CliException.NotFound($"no store at '{path}'; create one with 'tokenstore init' or pass --store PATH.");
        }

        var key = ResolveKey();
        try
        {
            return new StoreSession(key, Open(path, key));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Opens (or, for a missing file, creates) the store at <paramref name="path"/>.</summary>
    public EncryptedTokenStore Open(string path, KeySource key) =>
        new(new EncryptedTokenStoreOptions
        {
            FilePath = path,
            MasterKey = key.MasterKey,
            TimeProvider = Time,
            LockTimeout = LockTimeout,
            Sharing = ParseResult.GetValue(environment.Options.Shared) ? StoreSharing.Shared : StoreSharing.Exclusive,
        });

    /// <summary>How long to wait for another process's lock on the store (<c>--lock-timeout</c>, 0 to 600 seconds).</summary>
    public TimeSpan LockTimeout => ParseResult.GetValue(environment.Options.LockTimeout) is var seconds and >= 0 and <= 600
        ? TimeSpan.FromSeconds(seconds)
        : throw CliException.Usage("--lock-timeout must be between 0 and 600 seconds.");

    /// <summary>
    /// Reads a value given as <c>-</c> from one line of stdin (so a secret stays out of the process list);
    /// returns any other value as it is. Only one value per command can come from stdin.
    /// </summary>
    public string? ValueOrStdin(string? value, string optionName)
    {
        if (value != "-")
        {
            return value;
        }

        TakeStdin(optionName);
        var line = Console.Input.ReadLine() ?? throw CliException.Usage($"{optionName} -: stdin is empty.");
        return line.TrimEnd('\r');
    }

    /// <summary>Reads all of stdin for <paramref name="purpose"/>.</summary>
    public string ReadAllStdin(string purpose)
    {
        TakeStdin(purpose);
        return Console.Input.ReadToEnd();
    }

    /// <summary>The key named by <paramref name="option"/>, one of <see cref="GlobalOptions.KeyOptions"/>.</summary>
    private KeySource KeyFrom(Option<string?> option, string value, bool creating)
    {
        var options = environment.Options;
        return option == options.KeyFile ? KeySource.FromKeyFile(value)
            : option == options.PassphraseEnv ? KeySource.FromEnvironment(value)
            : option == options.OsKey ? KeySource.FromOsKeyStore(value, creating)
            : option == options.Certificate ? KeySource.FromCertificateFile(value, Get(options.CertificatePasswordEnv))
            : option == options.CertificateThumbprint ? KeySource.FromCertificateStore(value)
            : KeySource.FromSystemdCredential(value);
    }

    /// <summary>Asks for a yes/no confirmation on the terminal.</summary>
    public bool Confirm(string question) =>
        Console.InputIsTerminal && !_stdinTaken && Console.Error.Prompt(new ConfirmationPrompt(question) { DefaultValue = false });

    private void TakeStdin(string purpose)
    {
        if (_stdinTaken)
        {
            throw CliException.Usage($"{purpose}: stdin is already used for another value.");
        }

        _stdinTaken = true;
    }

    private string PromptPassphrase(bool confirm)
    {
        // A null mask echoes nothing, not even the passphrase's length.
        var passphrase = Console.Error.Prompt(new TextPrompt<string>("Master passphrase:").Secret(null));
        if (confirm && Console.Error.Prompt(new TextPrompt<string>("Repeat the passphrase:").Secret(null)) != passphrase)
        {
            throw CliException.Usage("the passphrases do not match.");
        }

        return passphrase;
    }
}
