using System.Globalization;
using EncryptedStore.Cli.Stores;
using MySqlConnector;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// The SDK's DBStore: table <c>oauthtoken</c> in database <c>zohooauth</c> (unless the connection string
/// names another database). <see cref="Wipe"/> deletes exactly the imported rows, by id, in one transaction;
/// rows the application added meanwhile stay. Binary logs and database backups are beyond its reach.
/// </summary>
internal sealed class MySqlSource : ITokenSource
{
    public const string DefaultDatabase = "zohooauth";

    private readonly string _connectionString;
    private readonly string _table;

    /// <param name="connectionString">MySqlConnector's connection string; its password is never printed.</param>
    /// <param name="table">The SDK's token table.</param>
    /// <param name="insecure">Allow a server elsewhere without TLS (<c>--db-insecure</c>).</param>
    /// <exception cref="CliException">A usage error for a malformed string, or one that turns TLS off to a remote server without <paramref name="insecure"/>.</exception>
    public MySqlSource(string connectionString, string table, bool insecure = false)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // The connection string holds a password: do not echo it or the parser's message about it.
            throw CliException.Usage("the MySQL connection string is malformed (expected e.g. 'Server=127.0.0.1;User ID=app;Password=…').");
        }

        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = DefaultDatabase;
        }

        // The rows hold every secret in plaintext: they cross the network only encrypted, unless the user says otherwise.
        if (!insecure && !IsLocal(builder))
        {
            if (builder.SslMode == MySqlSslMode.None)
            {
                throw CliException.Usage($"the connection string turns TLS off (SslMode=None) for {builder.Server}, which is not this machine; give --db-insecure to allow that.");
            }

            if (builder.SslMode == MySqlSslMode.Preferred)
            {
                builder.SslMode = MySqlSslMode.Required;
            }
        }

        SslMode = builder.SslMode;
        _connectionString = builder.ConnectionString;
        _table = table;
        Description = string.Create(CultureInfo.InvariantCulture, $"MySQL table '{builder.Database}.{table}' on {builder.Server}:{builder.Port}");
    }

    public string Description { get; }

    /// <summary>The TLS mode the connection will use (for tests).</summary>
    public MySqlSslMode SslMode { get; }

    public bool CanWipe => true;

    public IReadOnlyList<SourceRow> ReadRows()
    {
        using var connection = Connect();
        using (var exists = connection.CreateCommand())
        {
            exists.CommandText = "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = @table";
            exists.Parameters.AddWithValue("@table", _table);
            if (Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                throw CliException.NotFound($"{Description}: the table does not exist.");
            }
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM `{_table}`";
        using var reader = command.ExecuteReader();
        return DbRows.Read(reader, Description);
    }

    public string Wipe(IReadOnlyCollection<string?> ids)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = $"DELETE FROM `{_table}` WHERE id = @id";
        var parameter = delete.Parameters.Add("@id", MySqlDbType.VarChar);
        var deleted = 0;
        foreach (var id in ids.OfType<string>().Distinct())
        {
            parameter.Value = id;
            deleted += delete.ExecuteNonQuery();
        }

        if (ids.Contains(null))
        {
            // Rows read with an empty id (imported under a new id).
            using var deleteEmpty = connection.CreateCommand();
            deleteEmpty.Transaction = transaction;
            deleteEmpty.CommandText = $"DELETE FROM `{_table}` WHERE id = '' OR id IS NULL";
            deleted += deleteEmpty.ExecuteNonQuery();
        }

        transaction.Commit();
        return string.Create(CultureInfo.InvariantCulture, $"deleted the {deleted} imported row(s) from {Description} (binary logs and backups of the database may still hold them)");
    }

    private MySqlConnection Connect()
    {
        var connection = new MySqlConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>True when every server the string names is this machine, or a Unix socket.</summary>
    private static bool IsLocal(MySqlConnectionStringBuilder builder) =>
        builder.ConnectionProtocol == MySqlConnectionProtocol.UnixSocket
        || builder.Server.Split(',').Select(h => h.Trim()).All(h => h.StartsWith('/') || DatabaseUri.IsLocalHost(h));
}
