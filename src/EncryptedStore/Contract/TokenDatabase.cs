using System.Data.Common;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EncryptedStore;

/// <summary>
/// A store on a database server (fleet mode): the same sealed records, blind indexes and key ring as a store file,
/// in tables of a MariaDB/MySQL or PostgreSQL database that any number of processes on any number of machines open
/// at once. Set it as <see cref="EncryptedTokenStoreOptions.Database"/> instead of a file path.
/// </summary>
/// <remarks>
/// The master key never reaches the server: the tables hold ciphertext, keyed hashes and the wrapped key ring only.
/// Several stores share one database under different <see cref="TablePrefix"/>es. <see cref="ToString"/> and every
/// message name the server, port, database and prefix, never the user's password.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed partial class TokenDatabase
{
    /// <summary>The prefix of the store's tables unless another is given: <c>encryptedstore_</c>.</summary>
    public const string DefaultTablePrefix = "encryptedstore_";

    private TokenDatabase(TokenDatabaseKind kind, string connectionString, string tablePrefix, string server)
    {
        Kind = kind;
        ConnectionString = connectionString;
        TablePrefix = tablePrefix;
        Server = server;
    }

    /// <summary>Which server the store lives on.</summary>
    public TokenDatabaseKind Kind { get; }

    /// <summary>The prefix of the store's table names (letters, digits and underscores; it starts with a letter).</summary>
    public string TablePrefix { get; }

    /// <summary>Where the store lives, for messages and logs: <c>host:port/database</c>, without user or password.</summary>
    public string Server { get; }

    /// <summary>The connection string as given (it may hold a password: never logged, never shown).</summary>
    internal string ConnectionString { get; }

    /// <summary>A store in a MariaDB or MySQL database (InnoDB).</summary>
    /// <param name="connectionString">A MySqlConnector connection string naming the server and the database, e.g.
    /// <c>Server=db.example.com;Database=tokens;User ID=app;Password=...;SslMode=Required</c>.</param>
    /// <param name="tablePrefix">The prefix of the store's tables, so that several stores share one database.</param>
    /// <exception cref="ArgumentException">The connection string is malformed or names no database, or the prefix is not a plain identifier.</exception>
    public static TokenDatabase MySql(string connectionString, string tablePrefix = DefaultTablePrefix) =>
        Create(TokenDatabaseKind.MySql, connectionString, tablePrefix, ["Server", "Host", "Data Source", "DataSource", "Address", "Addr", "Network Address"], "3306");

    /// <summary>A store in a PostgreSQL database.</summary>
    /// <param name="connectionString">An Npgsql connection string naming the server and the database, e.g.
    /// <c>Host=db.example.com;Database=tokens;Username=app;Password=...;SSL Mode=Require</c>.</param>
    /// <param name="tablePrefix">The prefix of the store's tables, so that several stores share one database.</param>
    /// <exception cref="ArgumentException">The connection string is malformed or names no database, or the prefix is not a plain identifier.</exception>
    public static TokenDatabase PostgreSql(string connectionString, string tablePrefix = DefaultTablePrefix) =>
        Create(TokenDatabaseKind.PostgreSql, connectionString, tablePrefix, ["Host", "Server"], "5432");

    /// <inheritdoc />
    public override string ToString() => $"{Kind}({Server}, tables {TablePrefix}*)";

    private static TokenDatabase Create(TokenDatabaseKind kind, string connectionString, string tablePrefix, string[] hostKeys, string defaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(tablePrefix);
        if (!PrefixPattern().IsMatch(tablePrefix))
        {
            throw new ArgumentException("The table prefix must start with a letter and hold only letters, digits and underscores (at most 40).", nameof(tablePrefix));
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            // The builder's own message may quote the string, and so a password: say what is wrong without it.
            throw new ArgumentException($"The {kind} connection string is malformed.", nameof(connectionString));
        }

        var host = Value(builder, hostKeys) ?? "localhost";
        var port = Value(builder, ["Port"]) ?? defaultPort;
        var database = Value(builder, ["Database", "Initial Catalog"])
            ?? throw new ArgumentException($"The {kind} connection string names no database (Database=...).", nameof(connectionString));
        return new TokenDatabase(kind, connectionString, tablePrefix, $"{host}:{port}/{database}");
    }

    private static string? Value(DbConnectionStringBuilder builder, string[] keys) =>
        keys.Select(key => builder.TryGetValue(key, out var value) ? value?.ToString() : null).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixPattern();
}
