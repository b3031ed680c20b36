using System.Data.Common;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// Where the fleet benchmarks find their servers: the database <c>encryptedstore_bench</c> on the local MariaDB/MySQL
/// and PostgreSQL. <c>ENCRYPTEDSTORE_BENCH_MYSQL</c> and <c>ENCRYPTEDSTORE_BENCH_POSTGRES</c> give the connection
/// strings; without them, the test servers' (<c>ENCRYPTEDSTORE_TEST_MYSQL</c>, <c>ENCRYPTEDSTORE_TEST_POSTGRES</c>, or
/// the repository's <c>.ci/mysql.env</c> and <c>.ci/postgres.env</c> that the CI setup scripts write) with the database
/// changed to <see cref="Database"/>. <c>benchmarks/fleet-setup.sh</c> creates that database on both servers.
/// </summary>
internal static class FleetConnections
{
    /// <summary>The benchmarks' own database on each server, so that they never touch the tests' tables.</summary>
    public const string Database = "encryptedstore_bench";

    /// <summary>The connection string for <paramref name="server"/>, naming <see cref="Database"/> unless the bench variable names another.</summary>
    /// <exception cref="InvalidOperationException">No variable and no env file gives one.</exception>
    public static string ConnectionString(TokenDatabaseKind server)
    {
        var (bench, test, envFile) = server == TokenDatabaseKind.MySql
            ? ("ENCRYPTEDSTORE_BENCH_MYSQL", "ENCRYPTEDSTORE_TEST_MYSQL", "mysql.env")
            : ("ENCRYPTEDSTORE_BENCH_POSTGRES", "ENCRYPTEDSTORE_TEST_POSTGRES", "postgres.env");
        if (Environment.GetEnvironmentVariable(bench) is { Length: > 0 } given)
        {
            return given;
        }

        var fromTests = Environment.GetEnvironmentVariable(test) is { Length: > 0 } variable ? variable : FromEnvFile(envFile, test);
        if (fromTests is null)
        {
            throw new InvalidOperationException(
                $"No {server} server for the fleet benchmarks: set {bench} (or {test}, or run .ci/{(server == TokenDatabaseKind.MySql ? "mysql" : "postgres")}-setup.sh), then benchmarks/fleet-setup.sh.");
        }

        DbConnectionStringBuilder builder = server == TokenDatabaseKind.MySql
            ? new MySqlConnectionStringBuilder(fromTests) { Database = Database }
            : new NpgsqlConnectionStringBuilder(fromTests) { Database = Database };
        return builder.ConnectionString;
    }

    /// <summary>A pooled data source on <paramref name="connectionString"/>, the way an application holds one.</summary>
    public static DbDataSource DataSource(TokenDatabaseKind server, string connectionString) =>
        server == TokenDatabaseKind.MySql ? new MySqlDataSource(connectionString) : NpgsqlDataSource.Create(connectionString);

    /// <summary>
    /// <see cref="DataSource"/> with the driver tuned as the encrypted store tunes its own pools, so that baseline B
    /// differs from it only in what the store does: on MariaDB/MySQL no connection reset when a connection leaves the pool
    /// (baseline B runs single autocommit statements, which leave nothing behind), on PostgreSQL automatic preparation
    /// of up to 32 statements per connection. (On MariaDB/MySQL both also prepare their hot statements explicitly.)
    /// </summary>
    public static DbDataSource TunedDataSource(TokenDatabaseKind server, string connectionString) =>
        server == TokenDatabaseKind.MySql
            ? new MySqlDataSource(new MySqlConnectionStringBuilder(connectionString) { ConnectionReset = false }.ConnectionString)
            : NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 32 }.ConnectionString);

    /// <summary>The store's <see cref="TokenDatabase"/> for <paramref name="server"/> with its tables under <paramref name="tablePrefix"/>.</summary>
    public static TokenDatabase TokenDatabase(TokenDatabaseKind server, string connectionString, string tablePrefix) =>
        server == TokenDatabaseKind.MySql
            ? EncryptedStore.TokenDatabase.MySql(connectionString, tablePrefix)
            : EncryptedStore.TokenDatabase.PostgreSql(connectionString, tablePrefix);

    /// <summary>The server and port of a connection string, and the same string pointed at another endpoint.</summary>
    public static (string Host, int Port) Endpoint(TokenDatabaseKind server, string connectionString)
    {
        if (server == TokenDatabaseKind.MySql)
        {
            var mysql = new MySqlConnectionStringBuilder(connectionString);
            return (mysql.Server, (int)mysql.Port);
        }

        var postgres = new NpgsqlConnectionStringBuilder(connectionString);
        return (postgres.Host ?? "localhost", postgres.Port);
    }

    /// <summary><paramref name="connectionString"/> pointed at <paramref name="host"/>:<paramref name="port"/>, in a pool of its own.</summary>
    public static string WithEndpoint(TokenDatabaseKind server, string connectionString, string host, int port)
    {
        DbConnectionStringBuilder builder = server == TokenDatabaseKind.MySql
            ? new MySqlConnectionStringBuilder(connectionString) { Server = host, Port = checked((uint)port) }
            : new NpgsqlConnectionStringBuilder(connectionString) { Host = host, Port = port };
        return builder.ConnectionString;
    }

    /// <summary>The value of <c>export NAME='value'</c> in the repository's <c>.ci/</c><paramref name="file"/>, or null.</summary>
    private static string? FromEnvFile(string file, string name)
    {
        if (Infrastructure.StoreCache.RepositoryRoot(AppContext.BaseDirectory) is not { } root
            || Path.Combine(root, ".ci", file) is not { } path
            || !File.Exists(path))
        {
            return null;
        }

        var prefix = $"export {name}=";
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line?[prefix.Length..].Trim().Trim('\'', '"');
    }
}
