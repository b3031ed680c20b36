using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Storage;
using EncryptedStore.Storage.Server;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The populated tables of the fleet benchmarks, kept in the benchmark database between runs, like the file cache of
/// <see cref="StoreCache"/>: one set per store size, named by the size, the data set's version and, for the encrypted
/// store, the file format and the server schema version. A set that is missing, incomplete or (for the encrypted store) no longer opens with this
/// library is dropped and built again. The SDK's table and the plaintext table are bulk-loaded (a prepared insert per
/// row, 1,000 rows per transaction); the encrypted store goes through <c>SaveTokens</c>, the public API, 1,000 tokens
/// per call. Benchmarks that write restore what they changed or delete what they inserted.
/// </summary>
internal static class FleetTables
{
    private const int BatchSize = 1_000;

    /// <summary>The SDK's <c>oauthtoken</c> table for <paramref name="size"/> tokens (the SDK's table name is configurable).</summary>
    public static string SdkTable(int size) => $"sdk_oauthtoken_{size}_d{TokenGenerator.Version}";

    /// <summary>The plaintext table with the encrypted store's schema for <paramref name="size"/> tokens.</summary>
    public static string PlainTable(int size) => $"plain_tokens_{size}_d{TokenGenerator.Version}_l{PlainLayoutVersion}";

    /// <summary>Bump when the plaintext table's layout changes, so that its cached tables are built again.</summary>
    private const int PlainLayoutVersion = 2;

    /// <summary>The table prefix of the encrypted store of <paramref name="size"/> tokens.</summary>
    public static string EncryptedPrefix(int size) => $"es_{size}_d{TokenGenerator.Version}_f{StoreMetadata.CurrentFormat}_s{ServerStorage.SchemaVersion}_";

    /// <summary>The SDK's id of the data set's token at <paramref name="index"/>: the SDK numbers its rows from 1.</summary>
    public static string SdkId(int index) => (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Builds whatever of the three sets of <paramref name="size"/> tokens on <paramref name="server"/> is missing; prints what it did; false when one failed.</summary>
    public static bool Prepare(TokenDatabaseKind server, int size)
    {
        var connectionString = FleetConnections.ConnectionString(server);
        using var dataSource = FleetConnections.DataSource(server, connectionString);
        return Report("SDK DBStore", () => EnsureSdk(server, dataSource, size))
            & Report("plain schema", () => EnsurePlain(server, dataSource, size))
            & Report("encrypted", () => EnsureEncrypted(server, connectionString, dataSource, size));

        bool Report(string what, Func<bool> ensure)
        {
            var stopwatch = Stopwatch.StartNew();
            try
            {
                var built = ensure();
                Console.WriteLine($"// {server,-10} {what,-12} {size,8:N0} tokens  {(built ? $"built in {stopwatch.Elapsed.TotalSeconds:F1} s" : "cached")}");
                return true;
            }
            catch (TokenStoreException e)
            {
                Console.WriteLine($"// {server,-10} {what,-12} {size,8:N0} tokens  failed: {e.Code}: {e.Message}");
                return false;
            }
        }
    }

    /// <summary>Makes sure the SDK's table holds the data set; true when it had to be built.</summary>
    public static bool EnsureSdk(TokenDatabaseKind server, DbDataSource dataSource, int size)
    {
        var table = SdkTable(size);
        if (RowCount(server, dataSource, table) == size)
        {
            return false;
        }

        Drop(dataSource, [table]);
        Execute(dataSource, SdkDbStoreTokenStore.CreateTableSql(table));
        var tokens = DataSets.Tokens(size);
        Load(dataSource, SdkDbStoreTokenStore.InsertSql(table), tokens.Count, (command, i) =>
        {
            var row = TokenCopy.Clone(tokens[i]);
            row.Id = SdkId(i);
            ServerRows.AddColumns(command, row, row.UserSignature?.Name);
        });
        return true;
    }

    /// <summary>Makes sure the plaintext same-schema table holds the data set; true when it had to be built.</summary>
    public static bool EnsurePlain(TokenDatabaseKind server, DbDataSource dataSource, int size)
    {
        var table = PlainTable(size);
        if (RowCount(server, dataSource, table) == size)
        {
            return false;
        }

        Drop(dataSource, [table]);
        foreach (var sql in PlainServerTokenStore.CreateTableSql(server, table))
        {
            Execute(dataSource, sql);
        }

        var tokens = DataSets.Tokens(size);
        var insert = new PlainServerTokenStore(dataSource, server, table).InsertSql;
        Load(dataSource, insert, tokens.Count, (command, i) => PlainServerTokenStore.AddAll(command, tokens[i]));
        return true;
    }

    /// <summary>Makes sure the encrypted store of <paramref name="size"/> tokens opens and holds the data set; true when it had to be built.</summary>
    public static bool EnsureEncrypted(TokenDatabaseKind server, string connectionString, DbDataSource dataSource, int size)
    {
        var prefix = EncryptedPrefix(size);
        var tokens = DataSets.Tokens(size);
        if (IsComplete(server, connectionString, prefix, tokens))
        {
            return false;
        }

        // This size's tables of any version: a set of an older data set, format or schema is of no further use.
        Drop(dataSource, [.. Tables(server, dataSource).Where(t => t.StartsWith($"es_{size}_", StringComparison.Ordinal))]);
        using var store = new EncryptedTokenStore(FleetStores.Options(server, connectionString, prefix));
        foreach (var batch in tokens.Chunk(BatchSize))
        {
            store.SaveTokens(batch.Select(TokenCopy.Clone));
        }

        return true;
    }

    /// <summary>True when the store under <paramref name="prefix"/> opens and answers for the first and the last token saved.</summary>
    private static bool IsComplete(TokenDatabaseKind server, string connectionString, string prefix, List<OAuthToken> tokens)
    {
        try
        {
            using var store = new EncryptedTokenStore(FleetStores.Options(server, connectionString, prefix));
            var first = tokens[0];
            var last = tokens[^1];
            return store.TryFindTokenById(first.Id!)?.RefreshToken == first.RefreshToken
                && store.TryFindTokenById(last.Id!)?.RefreshToken == last.RefreshToken
                && (store.FindToken(new OAuthToken { AccessToken = last.AccessToken }) as OAuthToken)?.Id == last.Id;
        }
        catch (TokenStoreException)
        {
            return false;
        }
    }

    /// <summary>The rows of <paramref name="table"/>, or -1 when there is no such table.</summary>
    private static long RowCount(TokenDatabaseKind server, DbDataSource dataSource, string table)
    {
        if (!Tables(server, dataSource).Contains(table))
        {
            return -1;
        }

        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>The tables of the connection's database (MySQL) or schema (PostgreSQL).</summary>
    private static HashSet<string> Tables(TokenDatabaseKind server, DbDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = server == TokenDatabaseKind.MySql
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()";
        using var reader = command.ExecuteReader();
        var tables = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static void Drop(DbDataSource dataSource, string[] tables)
    {
        // Table names come from this class or the catalogue, never from input.
        foreach (var table in tables)
        {
            Execute(dataSource, $"DROP TABLE IF EXISTS {table} CASCADE");
        }
    }

    private static void Execute(DbDataSource dataSource, string sql)
    {
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs <paramref name="insert"/> once per row, prepared, <see cref="BatchSize"/> rows per transaction.</summary>
    private static void Load(DbDataSource dataSource, string insert, int count, Action<DbCommand, int> bind)
    {
        using var connection = dataSource.OpenConnection();
        for (var start = 0; start < count; start += BatchSize)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = insert;
            for (var i = start; i < Math.Min(count, start + BatchSize); i++)
            {
                command.Parameters.Clear();
                bind(command, i);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }
}
