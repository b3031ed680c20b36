using System.CommandLine;
using System.Globalization;
using EncryptedStore.Cli.Settings;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// Options every command accepts: where the store is and where its master key comes from. A passphrase is
/// never an argument (it would show in the process list): it comes from an environment variable or a
/// no-echo prompt. Each has a default from the environment (<c>TOKENSTORE_STORE</c>, …) and the config file
/// (see <see cref="Definitions"/> and <see cref="CliSettings"/>).
/// </summary>
internal sealed class GlobalOptions
{
    public const string DefaultStorePath = "tokens.db";

    public const int DefaultLockTimeoutSeconds = 30;

    /// <summary>How a store is named in help: a file path or a database URI.</summary>
    public const string StoreHelpName = "PATH|URI";

    /// <summary>The setting of <see cref="DbPasswordEnv"/>.</summary>
    public const string DbPasswordEnvKey = "db_password_env";

    public Option<string> Store { get; } = new("--store")
    {
        Description = "Path of the store file, or a database store: mysql://USER@HOST[:PORT]/DB or postgresql://USER@HOST[:PORT]/DB "
            + "(?prefix=NAME_ for its tables' prefix; the password from --db-password-env, never in the URI) "
            + "(default: $TOKENSTORE_STORE, else \"store\" in the config file, else tokens.db).",
        HelpName = StoreHelpName,
        DefaultValueFactory = _ => DefaultStorePath,
        Recursive = true,
    };

    public Option<string?> KeyFile { get; } = new("--key-file")
    {
        Description = "Read the master key from this key file (made by 'init --create-key-file').",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<string?> PassphraseEnv { get; } = new("--passphrase-env")
    {
        Description = "Read the master key from this environment variable: a passphrase, or 'base64:' followed by raw key bytes. "
            + "Without a key option (here, in TOKENSTORE_* variables or the config file) the passphrase is asked for on the terminal, with no echo.",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<string?> OsKey { get; } = new("--os-key")
    {
        Description = "The master key kept in the OS key store under NAME (Linux: the Secret Service, e.g. gnome-keyring; macOS: the login "
            + "Keychain; Windows: DPAPI, beside the store). 'init' makes it when missing; other commands never do.",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<string?> Certificate { get; } = new("--cert")
    {
        Description = "The master key wrapped to the certificate in this PKCS#12 (.pfx/.p12) or PEM file, kept beside the store "
            + "(NAME-masterkey.json). 'init' needs only the certificate; opening needs its private key.",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<string?> CertificatePasswordEnv { get; } = new("--cert-password-env")
    {
        Description = "The password of the --cert file, from this environment variable.",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<string?> CertificateThumbprint { get; } = new("--cert-thumbprint")
    {
        Description = "As --cert, with the certificate found by thumbprint (SHA-1 or SHA-256 hex) in the current user's certificate store.",
        HelpName = "HEX",
        Recursive = true,
    };

    public Option<string?> SystemdCredential { get; } = new("--systemd-credential")
    {
        Description = "The master key in the systemd credential NAME ($CREDENTIALS_DIRECTORY/NAME, from LoadCredential= or LoadCredentialEncrypted=).",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<int> LockTimeout { get; } = new("--lock-timeout")
    {
        Description = "Seconds to wait while another process has the store open, before giving up with exit code 6 (0: do not wait).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => DefaultLockTimeoutSeconds,
        CustomParser = OptionParsers.WholeNumber("--lock-timeout must be a whole number of seconds (0 to 600)."),
        Recursive = true,
    };

    public Option<bool> Shared { get; } = new("--shared")
    {
        Description = "Open the store in shared mode, alongside applications that have it open with Sharing = Shared "
            + "(each call then takes the store's lock file). Without it the command waits until no other process has the store open.",
        Recursive = true,
    };

    public Option<string?> DbPasswordEnv { get; } = new("--db-password-env")
    {
        Description = "A database store's password, from this environment variable (default: MYSQL_PWD for mysql://, PGPASSWORD for postgresql://). "
            + "Never on the command line or in the URI.",
        HelpName = "NAME",
        Recursive = true,
    };

    public Option<bool> DbInsecure { get; } = new("--db-insecure")
    {
        Description = "Allow a database connection without TLS to a server that is not this machine (by default TLS is required "
            + "except to localhost, 127.0.0.1, ::1 or a Unix socket).",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "No messages on stderr, only errors and warnings; results still go to stdout.",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(LockTimeout);
        root.Options.Add(Shared);
        root.Options.Add(Store);
        root.Options.Add(KeyFile);
        root.Options.Add(PassphraseEnv);
        root.Options.Add(OsKey);
        root.Options.Add(Certificate);
        root.Options.Add(CertificatePasswordEnv);
        root.Options.Add(CertificateThumbprint);
        root.Options.Add(SystemdCredential);
        root.Options.Add(DbPasswordEnv);
        root.Options.Add(DbInsecure);
        root.Options.Add(Quiet);
    }

    /// <summary>Every setting with a default from the environment and the config file, in the order <c>status</c> shows them.</summary>
    public IReadOnlyList<SettingDefinition> Definitions => field ??=
    [
        new("store", Store, SettingKind.Path, Default: DefaultStorePath),
        new("key_file", KeyFile, SettingKind.Path, IsMasterKey: true),
        new("passphrase_env", PassphraseEnv, SettingKind.Text, IsMasterKey: true),
        new("os_key", OsKey, SettingKind.Text, IsMasterKey: true),
        new("cert", Certificate, SettingKind.Path, IsMasterKey: true),
        new("cert_password_env", CertificatePasswordEnv, SettingKind.Text),
        new("cert_thumbprint", CertificateThumbprint, SettingKind.Text, IsMasterKey: true),
        new("systemd_credential", SystemdCredential, SettingKind.Text, IsMasterKey: true),
        new("lock_timeout", LockTimeout, SettingKind.WholeNumber, Default: DefaultLockTimeoutSeconds.ToString(CultureInfo.InvariantCulture)),
        new("shared", Shared, SettingKind.Flag, Default: "false"),
        new(DbPasswordEnvKey, DbPasswordEnv, SettingKind.Text),
    ];

    /// <summary>The options that each name a master key; at most one may be given.</summary>
    public IEnumerable<Option<string?>> KeyOptions => [KeyFile, PassphraseEnv, OsKey, Certificate, CertificateThumbprint, SystemdCredential];
}
