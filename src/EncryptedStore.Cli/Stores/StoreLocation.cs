namespace EncryptedStore.Cli.Stores;

/// <summary>
/// Where a store is: a file, or a database named by a <see cref="DatabaseUri"/> (<c>mysql://…</c>, <c>postgresql://…</c>).
/// <see cref="Display"/> names it in every output and error, never with a password.
/// </summary>
internal sealed class StoreLocation
{
    private StoreLocation(string? path, DatabaseUri? uri, TokenDatabase? database, string? connectionString, string? passwordVariable, bool passwordSet, string? tls)
    {
        FilePath = path;
        ConnectionString = connectionString;
        Uri = uri;
        Database = database;
        PasswordVariable = passwordVariable;
        PasswordSet = passwordSet;
        Tls = tls;
    }

    /// <summary>The store file's path as given; null for a database.</summary>
    public string? FilePath { get; }

    /// <summary>The database's URI; null for a file.</summary>
    public DatabaseUri? Uri { get; }

    /// <summary>The library's handle on the database store; null for a file.</summary>
    public TokenDatabase? Database { get; }

    public bool IsDatabase => Database is not null;

    /// <summary>The driver's connection string for the database; it may hold the password: never shown. Null for a file.</summary>
    public string? ConnectionString { get; }

    /// <summary>The variable the database password comes from (whether set or not); null for a file.</summary>
    public string? PasswordVariable { get; }

    /// <summary>Whether <see cref="PasswordVariable"/> is set.</summary>
    public bool PasswordSet { get; }

    /// <summary>What the connection does about TLS, for people; null for a file.</summary>
    public string? Tls { get; }

    /// <summary>The file path, or <c>mysql://user@host:port/db</c> (<see cref="DatabaseUri.Display"/>).</summary>
    public string Display => Uri?.Display ?? FilePath!;

    /// <summary>Where the password comes from, for people: <c>from MYSQL_PWD</c>, or that the variable is not set.</summary>
    public string PasswordSource => PasswordSet ? $"password from ${PasswordVariable}" : $"no password (${PasswordVariable} is not set)";

    /// <summary>A store file.</summary>
    public static StoreLocation File(string path) => new(path, null, null, null, null, passwordSet: false, tls: null);

    /// <summary>
    /// A store file, or for a database URI the database store: its connection string built by
    /// <see cref="DatabaseConnections"/>, the password from <paramref name="passwordVariable"/> (else <c>MYSQL_PWD</c> /
    /// <c>PGPASSWORD</c>, which may be unset), and its tables' prefix from the URI's <c>prefix</c>.
    /// </summary>
    /// <param name="value">The path or URI.</param>
    /// <param name="what">Where it came from, for messages (<c>--store</c>, <c>--to</c>).</param>
    /// <param name="passwordVariable"><c>--db-password-env</c>: the variable that holds the password; it must be set.</param>
    /// <param name="insecure"><c>--db-insecure</c>.</param>
    /// <exception cref="CliException">A usage error for a bad URI, a password in it, an unset password variable, a bad prefix or refused TLS.</exception>
    public static StoreLocation Parse(string value, string what, string? passwordVariable, bool insecure)
    {
        if (!DatabaseUri.IsUri(value))
        {
            return File(value);
        }

        var uri = DatabaseUri.Parse(value, what);
        var variable = passwordVariable ?? DatabaseUri.PasswordVariableFor(uri.Kind);
        var password = Environment.GetEnvironmentVariable(variable);
        if (passwordVariable is not null && password is null)
        {
            throw CliException.Usage($"environment variable '{passwordVariable}' (the database password, --db-password-env) is not set.");
        }

        var (connectionString, tls) = DatabaseConnections.Build(uri, what, password, insecure);
        try
        {
            var prefix = uri.Prefix ?? TokenDatabase.DefaultTablePrefix;
            var database = uri.Kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(connectionString, prefix) : TokenDatabase.PostgreSql(connectionString, prefix);
            return new StoreLocation(null, uri, database, connectionString, variable, password is not null, tls);
        }
        catch (ArgumentException)
        {
            // The library checks the prefix (the rest was built here); its message names the parameter, not the value.
            throw CliException.Usage($"{what}: the URI's prefix must start with a letter and hold only letters, digits and underscores (at most 40), e.g. ?prefix=myapp_.");
        }
    }

    /// <summary>Whether the store is there: the file exists, or the database holds the store's tables (<see cref="DatabaseProbe"/>).</summary>
    /// <exception cref="TokenStoreException"><c>UNAVAILABLE</c> when the server cannot be reached.</exception>
    /// <exception cref="CliException">Not found (exit code 5) when the server has no such database.</exception>
    public bool Exists() => Database is null ? System.IO.File.Exists(FilePath) : DatabaseProbe.StoreExists(this);

    /// <summary>Whether <paramref name="other"/> is the same store: the same file, or the same tables of the same database.</summary>
    public bool IsSameStore(StoreLocation other) =>
        Uri is null && other.Uri is null
            ? string.Equals(Path.GetFullPath(FilePath!), Path.GetFullPath(other.FilePath!), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
            : Uri is { } a && other.Uri is { } b && a.Kind == b.Kind && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
                && a.Port == b.Port && a.Socket == b.Socket && a.Database == b.Database
                && string.Equals(Database!.TablePrefix, other.Database!.TablePrefix, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Display;
}
