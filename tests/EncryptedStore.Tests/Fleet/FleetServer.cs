using System.Data.Common;
using System.Diagnostics;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// A real database server for the fleet tests: MariaDB/MySQL from <c>ENCRYPTEDSTORE_TEST_MYSQL_STORE</c>, PostgreSQL from
/// <c>ENCRYPTEDSTORE_TEST_POSTGRES</c> (connection strings naming the test database; <c>.ci/run</c> sets both). Unset,
/// the test is skipped with the reason; with <c>ENCRYPTEDSTORE_REQUIRE_SERVERS=1</c> (CI) it fails instead.
/// </summary>
internal sealed class FleetServer
{
    private FleetServer(TokenDatabaseKind kind, string variable, string connectionString)
    {
        Kind = kind;
        Variable = variable;
        ConnectionString = connectionString;
    }

    public TokenDatabaseKind Kind { get; }

    /// <summary>The environment variable holding the connection string (child processes read the same one).</summary>
    public string Variable { get; }

    public string ConnectionString { get; }

    /// <summary>The server of <paramref name="kind"/>; skips (or in CI fails) the test when it is not configured.</summary>
    public static FleetServer Require(TokenDatabaseKind kind)
    {
        var variable = kind == TokenDatabaseKind.MySql ? "ENCRYPTEDSTORE_TEST_MYSQL_STORE" : "ENCRYPTEDSTORE_TEST_POSTGRES";
        var connectionString = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var reason = $"{variable} is not set: no {kind} server for the fleet tests (.ci/run starts one)";
            if (Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_REQUIRE_SERVERS") == "1")
            {
                Assert.Fail(reason + " (ENCRYPTEDSTORE_REQUIRE_SERVERS=1: CI must run them)");
            }

            Assert.Ignore(reason);
        }

        return new FleetServer(kind, variable, connectionString!);
    }

    /// <summary>A connection of the test's own, behind the store's back (as a database administrator's).</summary>
    public DbConnection OpenConnection()
    {
        DbConnection connection = Kind == TokenDatabaseKind.MySql ? new MySqlConnection(ConnectionString) : new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Where the store lives as <see cref="TokenDatabase.Server"/> names it: <c>host:port/database</c>.</summary>
    public string HostPortDatabase
    {
        get
        {
            if (Kind == TokenDatabaseKind.MySql)
            {
                var mysql = new MySqlConnectionStringBuilder(ConnectionString);
                return $"{mysql.Server}:{mysql.Port}/{mysql.Database}";
            }

            var postgres = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"{postgres.Host}:{postgres.Port}/{postgres.Database}";
        }
    }

    /// <summary>The password of the connection string, to prove it appears in no message.</summary>
    public string? Password => Kind == TokenDatabaseKind.MySql
        ? new MySqlConnectionStringBuilder(ConnectionString).Password
        : new NpgsqlConnectionStringBuilder(ConnectionString).Password;

    /// <summary>
    /// <c>mysqldump</c> or <c>pg_dump</c> of <paramref name="tables"/>, as an operator backs the database up: the raw bytes
    /// of its output. The password goes through the environment (MYSQL_PWD, PGPASSWORD), never the command line.
    /// </summary>
    public byte[] Dump(IReadOnlyList<string> tables)
    {
        ProcessStartInfo start;
        if (Kind == TokenDatabaseKind.MySql)
        {
            var b = new MySqlConnectionStringBuilder(ConnectionString);
            start = new ProcessStartInfo("mysqldump") { ArgumentList = { "--no-defaults", "--protocol=tcp", "-h", b.Server, "-P", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", b.UserID, "--single-transaction", b.Database } };
            start.Environment["MYSQL_PWD"] = b.Password;
            tables.ToList().ForEach(start.ArgumentList.Add);
        }
        else
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            start = new ProcessStartInfo("pg_dump") { ArgumentList = { "-h", b.Host!, "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", b.Username!, "-d", b.Database! } };
            start.Environment["PGPASSWORD"] = b.Password;
            foreach (var table in tables)
            {
                start.ArgumentList.Add("-t");
                start.ArgumentList.Add(table);
            }
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        using var bytes = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(bytes);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"{start.FileName}: {error.Result}");
        return bytes.ToArray();
    }

    /// <summary>Stops or starts the server with the CI's <c>.ci/db-control.sh</c> (root), waiting until it is done.</summary>
    public void Control(string action)
    {
        var script = Path.Combine(RepositoryRoot(), ".ci", "db-control.sh");
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, Kind == TokenDatabaseKind.MySql ? "mysql" : "postgres", action },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"db-control.sh {action}: {output.Result}{error}");
    }

    public override string ToString() => Kind.ToString();

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EncryptedStore.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The tests do not run inside the repository.");
    }
}
