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
    /// The master key from <c>--key-file</c>, <c>--passphrase-env</c>, or a no-echo prompt when stdin is a
    /// terminal. With <paramref name="confirm"/> the prompt asks twice (for a new store).
    /// </summary>
    /// <exception cref="CliException">Usage error: both options, or neither and no terminal.</exception>
    public KeySource ResolveKey(bool confirm = false)
    {
        var keyFile = Get(environment.Options.KeyFile);
        var passphraseEnv = Get(environment.Options.PassphraseEnv);
        if (keyFile is not null && passphraseEnv is not null)
        {
            throw CliException.Usage("give either --key-file or --passphrase-env, not both.");
        }

        if (keyFile is not null)
        {
            return KeySource.FromKeyFile(keyFile);
        }

        if (passphraseEnv is not null)
        {
            return KeySource.FromEnvironment(passphraseEnv);
        }

        if (!Console.InputIsTerminal || _stdinTaken)
        {
            throw CliException.Usage(
                "no master key: give --key-file PATH or --passphrase-env NAME (stdin is not a terminal, so the passphrase cannot be asked for).");
        }

        return KeySource.FromPassphrase(PromptPassphrase(confirm));
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
