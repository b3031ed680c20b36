using System.Data.Common;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// One test's store on a <see cref="FleetServer"/>: tables under a random prefix of its own, so tests (and helpers on
/// the same server) never see each other's, all dropped when the test ends. Opens store instances on them, names them
/// for a TestHost child, and reads or edits their rows behind the store's back.
/// </summary>
internal sealed partial class FleetTables : IDisposable
{
    public FleetTables(FleetServer server)
    {
        Server = server;
        Prefix = "fleet" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)) + "_";
    }

    public FleetServer Server { get; }

    public string Prefix { get; }

    public TokenDatabase Database => Server.Kind == TokenDatabaseKind.MySql
        ? TokenDatabase.MySql(Server.ConnectionString, Prefix)
        : TokenDatabase.PostgreSql(Server.ConnectionString, Prefix);

    /// <summary>The store as a TestHost fleet command takes it: <c>KIND:VARIABLE:PREFIX</c>.</summary>
    public string Spec => $"{Server.Kind}:{Server.Variable}:{Prefix}";

    /// <summary>A new store instance on these tables, as another machine would open one.</summary>
    public EncryptedTokenStore Open(byte[]? key = null, TimeSpan? maxStaleness = null, TimeSpan? lockTimeout = null) => new(new EncryptedTokenStoreOptions
    {
        Database = Database,
        MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key),
        MaxStaleness = maxStaleness ?? TimeSpan.Zero,
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30),
    });

    /// <summary>The store's tables, as the server's catalogue lists them.</summary>
    public List<string> TableNames()
    {
        using var connection = Server.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = Server.Kind == TokenDatabaseKind.MySql
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()";
        var names = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }

        return names.Where(n => n.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A dump of the store's tables (<c>mysqldump</c> or <c>pg_dump</c>): its raw bytes.</summary>
    public byte[] Dump()
    {
        var tables = TableNames();
        Assert.That(tables, Is.Not.Empty, "the store created its tables");
        return Server.Dump(tables);
    }

    /// <summary>Runs one statement on a connection of the test's own; <paramref name="table"/> replaces <c>{table}</c>, quoted.</summary>
    public int Execute(string sql, string? table = null, params (string Name, object? Value)[] parameters)
    {
        using var connection = Server.OpenConnection();
        using var command = Command(connection, sql, table, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of a query, or null.</summary>
    public object? Scalar(string sql, string? table = null, params (string Name, object? Value)[] parameters)
    {
        using var connection = Server.OpenConnection();
        using var command = Command(connection, sql, table, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    /// <summary>Drops the store's tables.</summary>
    public void Dispose()
    {
        try
        {
            foreach (var table in TableNames())
            {
                Execute(Server.Kind == TokenDatabaseKind.MySql ? "DROP TABLE IF EXISTS {table}" : "DROP TABLE IF EXISTS {table} CASCADE", table);
            }
        }
        catch (DbException e)
        {
            // A server the test stopped and could not restart: say so, the tables stay behind.
            TestContext.Out.WriteLine($"could not drop the tables {Prefix}*: {e.Message}");
        }
    }

    private DbCommand Command(DbConnection connection, string sql, string? table, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        if (table is not null)
        {
            // An identifier cannot be a parameter; the name comes from the catalogue and is checked to be a plain one.
            Assert.That(PlainIdentifier().IsMatch(table), Is.True, table);
            sql = sql.Replace("{table}", Server.Kind == TokenDatabaseKind.MySql ? $"`{table}`" : $"\"{table}\"", StringComparison.Ordinal);
        }

        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex PlainIdentifier();
}
