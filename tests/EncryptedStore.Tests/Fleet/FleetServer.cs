using System.Diagnostics;
using System.Globalization;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// What the fleet tests do to a test server (<see cref="Support.TestServers"/>) from outside the store, as an operator
/// would: dump tables with <c>mysqldump</c> or <c>pg_dump</c>, stop and start the server with the CI's
/// <c>.ci/db-control.sh</c>. Passwords go through the environment (MYSQL_PWD, PGPASSWORD), never a command line.
/// </summary>
internal static class FleetServer
{
    /// <summary>The password of the store's connection string, to prove it appears in no message.</summary>
    public static string? Password(TokenDatabase database) => database.Kind == TokenDatabaseKind.MySql
        ? new MySqlConnectionStringBuilder(database.ConnectionString).Password
        : new NpgsqlConnectionStringBuilder(database.ConnectionString).Password;

    /// <summary>The raw bytes of a plain-text dump of <paramref name="tables"/>.</summary>
    public static byte[] Dump(TokenDatabase database, IReadOnlyList<string> tables)
    {
        ProcessStartInfo start;
        if (database.Kind == TokenDatabaseKind.MySql)
        {
            var b = new MySqlConnectionStringBuilder(database.ConnectionString);
            start = new ProcessStartInfo("mysqldump") { ArgumentList = { "--no-defaults", "--protocol=tcp", "-h", b.Server, "-P", Text(b.Port), "-u", b.UserID, "--single-transaction", b.Database } };
            start.Environment["MYSQL_PWD"] = b.Password;
            tables.ToList().ForEach(start.ArgumentList.Add);
        }
        else
        {
            var b = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            start = new ProcessStartInfo("pg_dump") { ArgumentList = { "-h", b.Host!, "-p", Text(b.Port), "-U", b.Username!, "-d", b.Database! } };
            start.Environment["PGPASSWORD"] = b.Password;
            foreach (var table in tables)
            {
                start.ArgumentList.Add("-t");
                start.ArgumentList.Add(table);
            }
        }

        var (exitCode, output, error) = Run(start);
        Assert.That(exitCode, Is.Zero, $"{start.FileName}: {error}");
        return output;
    }

    /// <summary>Stops (returning once the server has exited) or starts (once it answers) the server of <paramref name="kind"/>.</summary>
    public static void Control(TokenDatabaseKind kind, string action)
    {
        var start = new ProcessStartInfo("bash") { ArgumentList = { Path.Combine(RepositoryRoot(), ".ci", "db-control.sh"), kind == TokenDatabaseKind.MySql ? "mysql" : "postgres", action } };
        var (exitCode, _, error) = Run(start);
        Assert.That(exitCode, Is.Zero, $"db-control.sh {action}: {error}");
    }

    private static (int ExitCode, byte[] Output, string Error) Run(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        return (process.ExitCode, output.ToArray(), error.Result);
    }

    private static string Text(uint value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

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
