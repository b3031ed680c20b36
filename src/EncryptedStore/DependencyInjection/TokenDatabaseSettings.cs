namespace EncryptedStore;

/// <summary>
/// The <c>Database</c> section of <see cref="EncryptedTokenStoreSettings"/>: a store on a database server instead of a
/// file (see <see cref="TokenDatabase"/>). For example
/// <c>"Database": { "Kind": "PostgreSql", "ConnectionString": "Host=db;Database=tokens;Username=app", "TablePrefix": "crm_" }</c>,
/// with the password from the environment (<c>TokenStore__Database__ConnectionString</c>) or the server's own
/// mechanisms (PGPASSFILE, a client certificate) rather than the file.
/// </summary>
public sealed class TokenDatabaseSettings
{
    /// <summary><c>"MySql"</c> (MariaDB or MySQL) or <c>"PostgreSql"</c>; required with a connection string.</summary>
    public TokenDatabaseKind? Kind { get; set; }

    /// <summary>The driver's connection string, naming the server and the database.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The prefix of the store's tables; default <see cref="TokenDatabase.DefaultTablePrefix"/>.</summary>
    public string TablePrefix { get; set; } = TokenDatabase.DefaultTablePrefix;

    /// <summary>True when any part of the section is set (so the store is meant to be on a server).</summary>
    internal bool IsSet => Kind is not null || !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>The database these settings name; the validator has checked them.</summary>
    internal TokenDatabase ToDatabase() => Kind == TokenDatabaseKind.PostgreSql
        ? TokenDatabase.PostgreSql(ConnectionString!, TablePrefix)
        : TokenDatabase.MySql(ConnectionString!, TablePrefix);
}
