using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// The database servers the server-backed tests run against: MariaDB/MySQL from <c>ENCRYPTEDSTORE_TEST_MYSQL_STORE</c>
/// (<c>.ci/mysql-setup.sh</c>) and PostgreSQL from <c>ENCRYPTEDSTORE_TEST_POSTGRES</c> (<c>.ci/postgres-setup.sh</c>),
/// connection strings naming the test database. Each test gets tables of its own under a fresh random prefix, and
/// drops them afterwards, so tests share the database without seeing each other.
/// </summary>
internal static partial class TestServers
{
    public const string MySqlVariable = "ENCRYPTEDSTORE_TEST_MYSQL_STORE";
    public const string PostgreSqlVariable = "ENCRYPTEDSTORE_TEST_POSTGRES";

    /// <summary>Set to 1 by <c>.ci/run</c>: a missing server variable fails the test instead of skipping it.</summary>
    public const string RequireVariable = "ENCRYPTEDSTORE_REQUIRE_SERVERS";

    public static bool IsServer(StoreKind kind) => kind is StoreKind.MySql or StoreKind.PostgreSql;

    /// <summary>
    /// The connection string for <paramref name="kind"/>'s server (empty for a file or in-memory store). Without it
    /// the test is skipped on a developer machine, and fails where <c>ENCRYPTEDSTORE_REQUIRE_SERVERS=1</c> (CI must
    /// run it). Call it before code that would catch NUnit's skip (an FsCheck property, a worker thread).
    /// </summary>
    public static string Require(StoreKind kind)
    {
        if (!IsServer(kind))
        {
            return string.Empty;
        }

        var (variable, setup) = kind == StoreKind.MySql
            ? (MySqlVariable, "bash .ci/mysql-setup.sh && source .ci/mysql.env")
            : (PostgreSqlVariable, "bash .ci/postgres-setup.sh && source .ci/postgres.env");
        var connectionString = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }

        var reason = $"{variable} is not set: run {setup}";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"{reason} ({RequireVariable}=1: CI must run the {kind} tests)");
        }

        Assert.Ignore(reason);
        return connectionString!;
    }

    /// <summary>A store location on <paramref name="kind"/>'s server under a fresh prefix (<c>t</c>, 12 hex digits, <c>_</c>); drop it with <see cref="DropTables"/>.</summary>
    public static TokenDatabase NewDatabase(StoreKind kind)
    {
        var connectionString = Require(kind);
        var prefix = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "_";
        return kind == StoreKind.MySql ? TokenDatabase.MySql(connectionString, prefix) : TokenDatabase.PostgreSql(connectionString, prefix);
    }

    /// <summary>Drops every table (and, on PostgreSQL, sequence, view and function) whose name starts with the database's prefix.</summary>
    public static void DropTables(TokenDatabase database)
    {
        using var connection = Connect(database);
        if (database.Kind == TokenDatabaseKind.MySql)
        {
            Execute(connection, "SET FOREIGN_KEY_CHECKS = 0");
            foreach (var table in Tables(connection, database))
            {
                Execute(connection, $"DROP TABLE IF EXISTS `{table}`");
            }

            return;
        }

        foreach (var table in Tables(connection, database))
        {
            Execute(connection, $"DROP TABLE IF EXISTS \"{table}\" CASCADE");
        }

        const string others = """
            SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('S', 'v', 'm')
            """;
        foreach (var (name, relationKind) in Query(connection, others, r => (r.GetString(0), r.GetString(1))).Where(o => Owned(database, o.Item1)))
        {
            var what = relationKind switch { "S" => "SEQUENCE", "v" => "VIEW", _ => "MATERIALIZED VIEW" };
            Execute(connection, $"DROP {what} IF EXISTS \"{name}\" CASCADE");
        }

        const string routines = """
            SELECT p.proname, p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema()
            """;
        foreach (var (_, signature) in Query(connection, routines, r => (r.GetString(0), r.GetString(1))).Where(o => Owned(database, o.Item1)))
        {
            Execute(connection, $"DROP ROUTINE IF EXISTS {signature} CASCADE");
        }
    }

    /// <summary>
    /// Every row of every table under the database's prefix, as text (tables by name, rows sorted), for "this wrote
    /// nothing" checks: equal snapshots mean the server holds the same data.
    /// </summary>
    public static string Snapshot(TokenDatabase database)
    {
        using var connection = Connect(database);
        var text = new StringBuilder();
        foreach (var table in Tables(connection, database).Order(StringComparer.Ordinal))
        {
            var quoted = database.Kind == TokenDatabaseKind.MySql ? $"`{table}`" : $"\"{table}\"";
            var rows = Query(connection, $"SELECT * FROM {quoted}", Row).Order(StringComparer.Ordinal);
            text.Append(table).Append('\n');
            foreach (var row in rows)
            {
                text.Append("  ").Append(row).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A connection of its own (no pool), so that cleaning up neither uses nor disturbs the store's pooled connections.
    /// </summary>
    public static DbConnection Connect(TokenDatabase database)
    {
        DbConnection connection = database.Kind == TokenDatabaseKind.MySql
            ? new MySqlConnection(new MySqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString)
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>The store's tables; names come from the catalogue and are checked before they are put in a statement.</summary>
    private static List<string> Tables(DbConnection connection, TokenDatabase database)
    {
        var sql = database.Kind == TokenDatabaseKind.MySql
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()";
        return Query(connection, sql, r => r.GetString(0)).Where(name => Owned(database, name)).ToList();
    }

    private static bool Owned(TokenDatabase database, string name)
    {
        if (!name.StartsWith(database.TablePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Assert.That(name, Does.Match(PlainIdentifier()), "a table name under the test prefix that is not a plain identifier");
        return true;
    }

    private static string Row(DbDataReader reader)
    {
        var values = new string[reader.FieldCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.GetValue(i) switch
            {
                DBNull => "NULL",
                byte[] bytes => "0x" + Convert.ToHexString(bytes),
                DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
                var value => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
            };
        }

        return string.Join(" | ", values);
    }

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Identifiers from the catalogue, checked by Owned; no values.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }

    private static List<T> Query<T>(DbConnection connection, string sql, Func<DbDataReader, T> read)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Identifiers from the catalogue, checked by Owned; no values.
        command.CommandText = sql;
#pragma warning restore CA2100
        using var reader = command.ExecuteReader();
        var results = new List<T>();
        while (reader.Read())
        {
            results.Add(read(reader));
        }

        return results;
    }

    [GeneratedRegex("^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();
}
