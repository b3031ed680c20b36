using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using EncryptedStore.Storage.Server;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// The database servers the server-backed tests run against: MariaDB/MySQL from <c>ENCRYPTEDSTORE_TEST_MYSQL_STORE</c>
/// (<c>.ci/mysql-setup.sh</c>) and PostgreSQL from <c>ENCRYPTEDSTORE_TEST_POSTGRES</c> (<c>.ci/postgres-setup.sh</c>),
/// connection strings naming the test database. Each test gets tables of its own under a fresh random prefix, and
/// drops them afterwards, so tests share the database without seeing each other. <see cref="StoreHost"/> instead
/// rents a table set from a pool (<see cref="Rent"/>, <see cref="Return"/>): creating five tables costs the server
/// far more than emptying them, and a set reset to the state of freshly created tables cannot be told from one.
/// </summary>
internal static partial class TestServers
{
    public const string MySqlVariable = "ENCRYPTEDSTORE_TEST_MYSQL_STORE";
    public const string PostgreSqlVariable = "ENCRYPTEDSTORE_TEST_POSTGRES";

    /// <summary>Set to 1 by <c>.ci/run</c>: a missing server variable fails the test instead of skipping it.</summary>
    public const string RequireVariable = "ENCRYPTEDSTORE_REQUIRE_SERVERS";

    /// <summary>The objects under the prefix (<c>@like</c>): tables and views, columns, indexes, constraints, triggers on them, routines.</summary>
    private const string MySqlLayoutSql = """
        SELECT CONCAT_WS(' ', 'table', table_name, table_type, engine, table_collation, create_options) FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_name LIKE @like
        UNION ALL SELECT CONCAT_WS(' ', 'column', table_name, ordinal_position, column_name, column_type, is_nullable, COALESCE(column_default, '-'), collation_name, extra)
            FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name LIKE @like
        UNION ALL SELECT CONCAT_WS(' ', 'index', table_name, index_name, non_unique, seq_in_index, column_name, sub_part, index_type)
            FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name LIKE @like
        UNION ALL SELECT CONCAT_WS(' ', 'constraint', table_name, constraint_name, constraint_type)
            FROM information_schema.table_constraints WHERE constraint_schema = DATABASE() AND table_name LIKE @like
        UNION ALL SELECT CONCAT_WS(' ', 'trigger', event_object_table, trigger_name) FROM information_schema.triggers
            WHERE trigger_schema = DATABASE() AND (event_object_table LIKE @like OR trigger_name LIKE @like)
        UNION ALL SELECT CONCAT_WS(' ', 'routine', routine_type, routine_name) FROM information_schema.routines
            WHERE routine_schema = DATABASE() AND routine_name LIKE @like
        """;

    /// <summary>
    /// The objects under the prefix (<c>@like</c>) in the current schema: relations (with owner, grants, row security),
    /// columns, indexes, constraints (also those of other tables referring to them), triggers, rules, policies,
    /// sequences, routines and types.
    /// </summary>
    private const string PostgreSqlLayoutSql = """
        WITH rel AS (
            SELECT c.* FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname LIKE @like)
        SELECT concat_ws(' ', 'relation', relname, relkind, relpersistence, relrowsecurity, relacl, reloptions, pg_get_userbyid(relowner)) FROM rel
        UNION ALL SELECT concat_ws(' ', 'column', c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                a.attgenerated, co.collname, pg_get_expr(d.adbin, d.adrelid))
            FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attnum > 0 AND NOT a.attisdropped
        UNION ALL SELECT concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN rel c ON c.oid = i.indrelid
        UNION ALL SELECT concat_ws(' ', 'constraint', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid)) FROM pg_constraint k
            WHERE k.conrelid IN (SELECT oid FROM rel) OR k.confrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 'trigger', c.relname, t.tgname, t.tgenabled) FROM pg_trigger t JOIN rel c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
        UNION ALL SELECT concat_ws(' ', 'rule', c.relname, r.rulename) FROM pg_rewrite r JOIN rel c ON c.oid = r.ev_class
        UNION ALL SELECT concat_ws(' ', 'policy', c.relname, p.polname) FROM pg_policy p JOIN rel c ON c.oid = p.polrelid
        UNION ALL SELECT concat_ws(' ', 'sequence', c.relname, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
            FROM pg_sequence s JOIN rel c ON c.oid = s.seqrelid
        UNION ALL SELECT concat_ws(' ', 'routine', p.oid::regprocedure) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.proname LIKE @like
        UNION ALL SELECT concat_ws(' ', 'type', t.typname, t.typtype) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = current_schema() AND t.typname LIKE @like
        """;

    private static readonly ConcurrentDictionary<TokenDatabaseKind, ConcurrentBag<TokenDatabase>> Pools = new();
    private static readonly ConcurrentDictionary<TokenDatabaseKind, Lazy<string>> FreshLayouts = new();

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
    public static TokenDatabase NewDatabase(StoreKind kind) =>
        NewDatabase(kind == StoreKind.MySql ? TokenDatabaseKind.MySql : TokenDatabaseKind.PostgreSql, Require(kind));

    /// <summary>Drops every table, view and routine (and, on PostgreSQL, sequence) whose name starts with the database's prefix.</summary>
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

            const string views = "SELECT table_name FROM information_schema.views WHERE table_schema = DATABASE()";
            foreach (var view in Query(connection, views, r => r.GetString(0)).Where(name => Owned(database, name)))
            {
                Execute(connection, $"DROP VIEW IF EXISTS `{view}`");
            }

            const string mySqlRoutines = "SELECT routine_type, routine_name FROM information_schema.routines WHERE routine_schema = DATABASE()";
            foreach (var (type, name) in Query(connection, mySqlRoutines, r => (r.GetString(0), r.GetString(1))).Where(o => Owned(database, o.Item2)))
            {
                Execute(connection, $"DROP {(type == "FUNCTION" ? "FUNCTION" : "PROCEDURE")} IF EXISTS `{name}`");
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
    /// A store location for <see cref="StoreHost"/>: a pooled table set when one is free (tables that
    /// <see cref="Return"/> reset to the state of freshly created ones), otherwise a fresh prefix as from
    /// <see cref="NewDatabase(StoreKind)"/>. Give it back with <see cref="Return"/>.
    /// </summary>
    public static TokenDatabase Rent(StoreKind kind)
    {
        var connectionString = Require(kind);
        var server = kind == StoreKind.MySql ? TokenDatabaseKind.MySql : TokenDatabaseKind.PostgreSql;
        return Pool(server).TryTake(out var pooled) ? pooled : NewDatabase(server, connectionString);
    }

    /// <summary>
    /// Takes back a set from <see cref="Rent"/> once every store on it is closed. When <paramref name="sound"/> (the
    /// test has not failed, its store closed cleanly), the tables have exactly the layout freshly created ones have
    /// (the same tables, columns, indexes and constraints, nothing else under the prefix: no trigger, view, sequence
    /// or routine a test added) and the store row is the only row, of schema version 1, the set is emptied and its
    /// counters set back to what creation leaves, and pooled; otherwise, or when any of that fails, it is dropped.
    /// </summary>
    public static void Return(TokenDatabase database, bool sound)
    {
        if (sound && TryReset(database))
        {
            Pool(database.Kind).Add(database);
            return;
        }

        DropTables(database);
    }

    /// <summary>Drops every pooled set (the end of the test run, <see cref="ServerPoolCleanup"/>), so that no table is left behind.</summary>
    public static void DropPooled()
    {
        foreach (var pool in Pools.Values)
        {
            while (pool.TryTake(out var database))
            {
                DropTables(database);
            }
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

    private static TokenDatabase NewDatabase(TokenDatabaseKind kind, string connectionString)
    {
        var prefix = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "_";
        return kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(connectionString, prefix) : TokenDatabase.PostgreSql(connectionString, prefix);
    }

    private static ConcurrentBag<TokenDatabase> Pool(TokenDatabaseKind kind) => Pools.GetOrAdd(kind, _ => []);

    /// <summary>
    /// Empties the set and sets its store row and identity counter back to what creation leaves (the store row of
    /// <see cref="ServerStorage"/>'s schema: version 1, generations 0, no metadata; the key ring's next id 1), after
    /// checking that nothing a test may have changed stays behind. False, with nothing reset, when a check fails.
    /// </summary>
    private static bool TryReset(TokenDatabase database)
    {
        var fresh = FreshLayout(database);
        var mySql = database.Kind == TokenDatabaseKind.MySql;
        string Table(string name) => mySql ? $"`{database.TablePrefix}{name}`" : $"\"{database.TablePrefix}{name}\"";
        try
        {
            using var connection = Connect(database);
            if (Layout(connection, database) != fresh)
            {
                return false;
            }

            var rows = Query(connection, $"SELECT id, schema_version FROM {Table("store")}", r => (Number(r, 0), Number(r, 1)));
            if (rows is not [(1, ServerStorage.SchemaVersion)])
            {
                return false;
            }

            var empty = $"DELETE FROM {Table("records")}; DELETE FROM {Table("keys")}; DELETE FROM {Table("keyring")}; DELETE FROM {Table("leases")}; "
                + $"UPDATE {Table("store")} SET metadata = NULL, data_generation = 0, state_generation = 0 WHERE id = 1";
            Execute(
                connection,
                mySql
                    ? $"START TRANSACTION; {empty}; COMMIT; ALTER TABLE {Table("keyring")} AUTO_INCREMENT = 1"
                    : $"BEGIN; {empty}; SELECT setval(pg_get_serial_sequence('{Table("keyring")}', 'id'), 1, false); COMMIT");
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <summary>
    /// The layout of a set freshly created by <see cref="ServerStorage.Open"/>, learnt once per server from a set of its
    /// own, which then joins the pool.
    /// </summary>
    private static string FreshLayout(TokenDatabase like) =>
        FreshLayouts.GetOrAdd(like.Kind, kind => new Lazy<string>(() =>
        {
            var database = NewDatabase(kind, like.ConnectionString);
            try
            {
                ServerStorage.Open(database, TimeSpan.FromSeconds(30), TimeSpan.Zero, TimeProvider.System, NullLogger.Instance).Dispose();
                using var connection = Connect(database);
                var layout = Layout(connection, database);
                Pool(kind).Add(database);
                return layout;
            }
            catch
            {
                DropTables(database);
                throw;
            }
        })).Value;

    /// <summary>
    /// Everything the server's catalogue says about the objects under the prefix and the tables' shape (not their rows
    /// or statistics), one line each, sorted, with the prefix replaced: equal for two sets with the same schema.
    /// </summary>
    private static string Layout(DbConnection connection, TokenDatabase database)
    {
        using var command = connection.CreateCommand();
        command.CommandText = database.Kind == TokenDatabaseKind.MySql ? MySqlLayoutSql : PostgreSqlLayoutSql;
        var like = command.CreateParameter();
        like.ParameterName = "like";
        like.Value = database.TablePrefix.Replace("_", "\\_", StringComparison.Ordinal) + "%";
        command.Parameters.Add(like);
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0).Replace(database.TablePrefix, "<prefix>", StringComparison.OrdinalIgnoreCase));
        }

        return string.Join('\n', lines.Order(StringComparer.Ordinal));
    }

    private static long Number(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

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
