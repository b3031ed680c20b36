using System.Data.Common;
using System.Text.RegularExpressions;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// One test's database store (<see cref="TestServers.NewDatabase"/>: tables under a fresh prefix, dropped when the test
/// ends). Opens store instances on it as other machines would, names it for a TestHost child, and reads or edits its
/// rows behind the store's back.
/// </summary>
internal sealed partial class FleetTables : IDisposable
{
    public FleetTables(StoreKind kind)
    {
        Database = TestServers.NewDatabase(kind);
        Variable = kind == StoreKind.MySql ? TestServers.MySqlVariable : TestServers.PostgreSqlVariable;
    }

    public TokenDatabase Database { get; }

    public TokenDatabaseKind Kind => Database.Kind;

    /// <summary>The environment variable holding the connection string (a child process inherits it).</summary>
    public string Variable { get; }

    /// <summary>The store as a TestHost fleet command takes it: <c>KIND:VARIABLE:PREFIX</c>.</summary>
    public string Spec => $"{Kind}:{Variable}:{Database.TablePrefix}";

    /// <summary>A new store instance on these tables, as another machine would open one.</summary>
    public EncryptedTokenStore Open(byte[]? key = null, TimeSpan? maxStaleness = null, TimeSpan? lockTimeout = null, int cacheSize = 10_000) => new(new EncryptedTokenStoreOptions
    {
        Database = Database,
        MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key),
        MaxStaleness = maxStaleness ?? TimeSpan.Zero,
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30),
        CacheSize = cacheSize,
    });

    /// <summary>The store's tables, as the server's catalogue lists them.</summary>
    public List<string> TableNames()
    {
        using var connection = TestServers.Connect(Database);
        using var command = connection.CreateCommand();
        command.CommandText = Kind == TokenDatabaseKind.MySql
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

        return names.Where(n => n.StartsWith(Database.TablePrefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The one table whose name is the prefix followed by <paramref name="suffix"/>.</summary>
    public string Table(string suffix) => TableNames().Single(n => n.Equals(Database.TablePrefix + suffix, StringComparison.OrdinalIgnoreCase));

    /// <summary>A dump of the store's tables (<c>mysqldump</c> or <c>pg_dump</c>): its raw bytes.</summary>
    public byte[] Dump()
    {
        var tables = TableNames();
        Assert.That(tables, Is.Not.Empty, "the store created its tables");
        return FleetServer.Dump(Database, tables);
    }

    /// <summary>Runs one statement on a connection of the test's own; <c>{table}</c> in it becomes <paramref name="table"/>, quoted.</summary>
    public int Execute(string sql, string? table = null, params (string Name, object? Value)[] parameters)
    {
        using var connection = TestServers.Connect(Database);
        using var command = Command(connection, sql, table, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of a query, or null.</summary>
    public object? Scalar(string sql, string? table = null, params (string Name, object? Value)[] parameters)
    {
        using var connection = TestServers.Connect(Database);
        using var command = Command(connection, sql, table, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public void Dispose()
    {
        try
        {
            TestServers.DropTables(Database);
        }
        catch (DbException e)
        {
            // A server the test stopped and could not start again: say so, the tables stay behind.
            TestContext.Out.WriteLine($"could not drop the tables {Database.TablePrefix}*: {e.Message}");
        }
    }

    private DbCommand Command(DbConnection connection, string sql, string? table, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        if (table is not null)
        {
            // An identifier cannot be a parameter; the name comes from the catalogue and is checked to be a plain one.
            Assert.That(PlainIdentifier().IsMatch(table), Is.True, table);
            sql = sql.Replace("{table}", Kind == TokenDatabaseKind.MySql ? $"`{table}`" : $"\"{table}\"", StringComparison.Ordinal);
        }

#pragma warning disable CA2100 // The statement is the test's own text; the only identifier in it is checked above.
        command.CommandText = sql;
#pragma warning restore CA2100
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
