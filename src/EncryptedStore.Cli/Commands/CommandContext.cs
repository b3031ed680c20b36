using System.CommandLine;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Settings;
using EncryptedStore.Cli.Stores;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary>One command invocation: its parsed arguments plus helpers to get the master key and open the store.</summary>
internal sealed class CommandContext(ParseResult parseResult, CommandEnvironment environment)
{
    private bool _stdinTaken;
    private bool _sharedNoted;

    public ParseResult ParseResult { get; } = parseResult;

    public GlobalOptions Options => environment.Options;

    public CliConsole Console => environment.Console;

    public TimeProvider Time => environment.Time;

    /// <summary>The settings in effect: command line, then <c>TOKENSTORE_*</c> variables, then the config file, then defaults.</summary>
    public CliSettings Settings => field ??= new CliSettings(ParseResult, environment.Options.Definitions);

    /// <summary>Where the store is (<c>--store</c> or its defaults): a file, or a database (<c>mysql://…</c>, <c>postgresql://…</c>).</summary>
    /// <exception cref="CliException">Usage error for a bad database URI (a password in it, among others).</exception>
    public StoreLocation Store => field ??= Locate(
        Settings.StorePath, Settings.Store.Origin == SettingOrigin.CommandLine ? "--store" : Settings.Store.Describe(), Settings.DbPasswordVariable);

    /// <summary>The store file's path; only for commands that work on a file (a database store has been refused or handled before).</summary>
    public string StorePath => Store.FilePath ?? throw new InvalidOperationException("The store is a database, not a file.");

    /// <summary>Whether <c>--db-insecure</c> was given: a database elsewhere may be reached without TLS.</summary>
    public bool DbInsecure => Get(environment.Options.DbInsecure);

    /// <summary>The store file or database named by <paramref name="value"/> (see <see cref="StoreLocation.Parse"/>).</summary>
    /// <param name="value">A path or a database URI.</param>
    /// <param name="what">Where it came from, for messages (<c>--to</c>).</param>
    /// <param name="passwordVariable">The variable holding a database's password; null for the default (<c>MYSQL_PWD</c>, <c>PGPASSWORD</c>).</param>
    public StoreLocation Locate(string value, string what, string? passwordVariable) => StoreLocation.Parse(value, what, passwordVariable, DbInsecure);

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    /// <summary>True when the option was given on the command line (not just defaulted).</summary>
    public bool Has(Option option) => ParseResult.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The master key named by the settings (<see cref="CliSettings.MasterKey"/>: <c>--key-file</c>, <c>--passphrase-env</c>,
    /// <c>--os-key</c>, <c>--cert</c>, <c>--cert-thumbprint</c>, <c>--systemd-credential</c>, or their <c>TOKENSTORE_*</c> and
    /// config file defaults), or else a no-echo passphrase prompt on the terminal. With <paramref name="creating"/> (a new
    /// store) the prompt asks twice and an OS key is made when missing.
    /// </summary>
    /// <exception cref="CliException">Usage error: two key options on one layer, or none and no terminal.</exception>
    public KeySource ResolveKey(bool creating = false)
    {
        var key = Settings.MasterKey();
        var certificatePassword = Settings.CertificatePasswordVariable(key);
        if (key is not null)
        {
            return KeyFrom(key.Definition.Option, key.Value!, certificatePassword, creating);
        }

        return KeySource.FromPassphrase(PromptPassphrase("Master passphrase:", creating)
            ?? throw CliException.Usage(
                "no master key: give --key-file PATH, --passphrase-env NAME, --os-key NAME, --cert PATH or --systemd-credential NAME, "
                + "set TOKENSTORE_KEY_FILE (or another TOKENSTORE_* key variable) or put one in the config file ('tokenstore status' shows what is in effect); "
                + "there is no terminal to ask for the passphrase on."));
    }

    /// <summary>Whether a passphrase can be asked for: stdin is a terminal, or the process has a controlling terminal.</summary>
    public bool CanPrompt => (Console.InputIsTerminal && !_stdinTaken) || TerminalPassphrase.IsAvailable();

    /// <summary>Resolves the key and opens the existing store at <see cref="Store"/>.</summary>
    /// <exception cref="CliException">Exit code 5 when there is no store file, or no store in the database.</exception>
    public StoreSession OpenStore() => OpenStore(Store);

    /// <summary>Resolves the key and opens the existing store at <paramref name="location"/>.</summary>
    /// <exception cref="CliException">Exit code 5 when there is no store file, or no store in the database.</exception>
    public StoreSession OpenStore(StoreLocation location)
    {
        EnsureExists(location);
        var key = ResolveKey();
        try
        {
            return new StoreSession(key, Open(location, key), location);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Stops with "no store" (exit code 5) unless the store file exists, or the database holds the store's tables.</summary>
    /// <exception cref="CliException">Exit code 5; for a database also when the server has no such database.</exception>
    /// <exception cref="TokenStoreException"><c>UNAVAILABLE</c> when the database server cannot be reached.</exception>
    public static void EnsureExists(StoreLocation location)
    {
        if (!location.Exists())
        {
            throw CliException.NotFound(location.Database is { } database
                ? $"no store at {location.Display}: the database has no tables of prefix '{database.TablePrefix}'; create the store with 'tokenstore init' (or check the URI's ?prefix=)."
                : $"no store at '{location.FilePath}'; create one with 'tokenstore init' or pass --store PATH.");
        }
    }

    /// <summary>
    /// Opens (or, when missing, creates) the store at <paramref name="location"/>: a file as <see cref="Open(string, KeySource)"/>
    /// does, a database store with the library's <see cref="EncryptedTokenStoreOptions.Database"/>.
    /// </summary>
    public EncryptedTokenStore Open(StoreLocation location, KeySource key)
    {
        if (location.Database is not { } database)
        {
            return Open(location.FilePath!, key);
        }

        if (Settings.IsShared && !_sharedNoted)
        {
            _sharedNoted = true;
            Console.WriteNote("--shared does nothing for a database store: it is always open to any number of processes at once.");
        }

        return new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            Database = database,
            MasterKey = key.MasterKey,
            TimeProvider = Time,
            LockTimeout = LockTimeout,
        });
    }

    /// <summary>
    /// Opens (or, for a missing file, creates) the store at <paramref name="path"/>. While another process holds it
    /// (exclusive mode), says so once on stderr, naming the holder, and waits up to <see cref="LockTimeout"/> (<see cref="LockWait"/>).
    /// </summary>
    public EncryptedTokenStore Open(string path, KeySource key)
    {
        var shared = Settings.IsShared;
        EncryptedTokenStore OpenWith(TimeSpan lockTimeout) => new(new EncryptedTokenStoreOptions
        {
            FilePath = path,
            MasterKey = key.MasterKey,
            TimeProvider = Time,
            LockTimeout = lockTimeout,
            Sharing = shared ? StoreSharing.Shared : StoreSharing.Exclusive,

            // One command, then the store closes: a warm-up would only compete with it.
            WarmCache = false,
        });

        // Shared mode waits per call, with the whole timeout each time; the note is for the exclusive open.
        return shared ? OpenWith(LockTimeout) : LockWait.Open(path, LockTimeout, Console.WriteNote, OpenWith);
    }

    /// <summary>Ctrl-C and SIGTERM: long commands run their work through <see cref="Interruption.Cooperating"/>.</summary>
    public Interruption Interruption => environment.Interruption;

    /// <summary>How long to wait for another process's lock on the store (<c>--lock-timeout</c>, 0 to 600 seconds).</summary>
    public TimeSpan LockTimeout => Settings.LockTimeoutSeconds is var seconds and >= 0 and <= 600
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
    private KeySource KeyFrom(Option option, string value, string? certificatePassword, bool creating)
    {
        var options = environment.Options;
        return option == options.KeyFile ? KeySource.FromKeyFile(value)
            : option == options.PassphraseEnv ? KeySource.FromEnvironment(value)
            : option == options.OsKey ? KeySource.FromOsKeyStore(value, creating)
            : option == options.Certificate ? KeySource.FromCertificateFile(value, certificatePassword)
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

    /// <summary>
    /// Asks for a passphrase with no echo (twice with <paramref name="confirm"/>): through stdin when it is a terminal
    /// and free, else on the controlling terminal (<c>/dev/tty</c>), so stdin can carry data. Null when neither exists.
    /// </summary>
    /// <exception cref="CliException">Usage error when the two entries differ.</exception>
    public string? PromptPassphrase(string prompt, bool confirm)
    {
        IReadOnlyList<string>? answers;
        var prompts = confirm ? new[] { prompt, "Repeat the passphrase:" } : [prompt];
        if (Console.InputIsTerminal && !_stdinTaken)
        {
            // A null mask echoes nothing, not even the passphrase's length.
            answers = [.. prompts.Select(p => Console.Error.Prompt(new TextPrompt<string>(p).Secret(null)))];
        }
        else
        {
            answers = TerminalPassphrase.Ask(prompts);
        }

        if (answers is null)
        {
            return null;
        }

        return answers.Distinct(StringComparer.Ordinal).Count() == 1 ? answers[0] : throw CliException.Usage("the passphrases do not match.");
    }
}
