using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// A database store for CLI tests on a real server: a <c>mysql://</c> or <c>postgresql://</c> URI under a fresh random
/// table prefix (<c>?prefix=</c>), the password in an environment variable for the child process only, and every table
/// of that prefix dropped on <see cref="Dispose"/>. MariaDB/MySQL from <c>ENCRYPTEDSTORE_TEST_MYSQL_STORE</c> (else
/// <c>ENCRYPTEDSTORE_TEST_MYSQL</c> with the database <c>encryptedstore_test</c>), PostgreSQL from
/// <c>ENCRYPTEDSTORE_TEST_POSTGRES</c>. Without the variable the test is skipped, and fails with
/// <c>ENCRYPTEDSTORE_REQUIRE_SERVERS=1</c>.
/// </summary>
internal sealed class CliDatabase : IDisposable
{
    public const string MySqlStoreVariable = "ENCRYPTEDSTORE_TEST_MYSQL_STORE";
    public const string MySqlVariable = "ENCRYPTEDSTORE_TEST_MYSQL";
    public const string PostgreSqlVariable = "ENCRYPTEDSTORE_TEST_POSTGRES";
    public const string RequireVariable = "ENCRYPTEDSTORE_REQUIRE_SERVERS";
    public const string TestDatabase = "encryptedstore_test";

    private readonly string _connectionString;

    private CliDatabase(TokenDatabaseKind kind, string connectionString, string user, string host, int port, string database, string? password)
    {
        Kind = kind;
        _connectionString = connectionString;
        Prefix = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "_";
        Password = password ?? string.Empty;
        PasswordVariable = "TS_TEST_DB_PASSWORD_" + Prefix.ToUpperInvariant().TrimEnd('_');
        var scheme = kind == TokenDatabaseKind.MySql ? "mysql" : "postgresql";
        ServerUri = string.Create(CultureInfo.InvariantCulture, $"{scheme}://{System.Uri.EscapeDataString(user)}@{host}:{port}/{database}");
        Uri = $"{ServerUri}?prefix={Prefix}";
    }

    public TokenDatabaseKind Kind { get; }

    /// <summary>The store's URI for <c>--store</c>: <c>mysql://user@host:port/db?prefix=t…_</c>.</summary>
    public string Uri { get; }

    /// <summary>The URI without a prefix (the database itself).</summary>
    public string ServerUri { get; }

    public string Prefix { get; }

    /// <summary>The server password: a secret no output may show.</summary>
    public string Password { get; }

    /// <summary>The variable the child gets the password in (<c>--db-password-env</c>).</summary>
    public string PasswordVariable { get; }

    /// <summary>The child's environment: the password under <see cref="PasswordVariable"/>.</summary>
    public Dictionary<string, string?> Environment => new(StringComparer.Ordinal) { [PasswordVariable] = Password };

    /// <summary>The password under the kind's default variable, <c>MYSQL_PWD</c> or <c>PGPASSWORD</c>.</summary>
    public Dictionary<string, string?> DefaultEnvironment => new(StringComparer.Ordinal) { [Kind == TokenDatabaseKind.MySql ? "MYSQL_PWD" : "PGPASSWORD"] = Password };

    /// <summary>The server of <paramref name="kind"/>, or the test is skipped (or failed where servers are required).</summary>
    public static CliDatabase Create(TokenDatabaseKind kind)
    {
        if (kind == TokenDatabaseKind.MySql)
        {
            var value = Variable(MySqlStoreVariable) ?? Variable(MySqlVariable) ?? Skip(MySqlVariable, "bash .ci/mysql-setup.sh && source .ci/mysql.env");
            var mysql = new MySqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(mysql.Database))
            {
                mysql.Database = TestDatabase;
            }

            return new CliDatabase(kind, mysql.ConnectionString, mysql.UserID, mysql.Server, (int)mysql.Port, mysql.Database, mysql.Password);
        }

        var postgres = new NpgsqlConnectionStringBuilder(Variable(PostgreSqlVariable) ?? Skip(PostgreSqlVariable, "bash .ci/postgres-setup.sh && source .ci/postgres.env"));
        return new CliDatabase(kind, postgres.ConnectionString, postgres.Username!, postgres.Host!, postgres.Port, postgres.Database!, postgres.Password);
    }

    /// <summary>The store in this process, opened with the key file at <paramref name="keyPath"/> (close it before running the CLI against it).</summary>
    public EncryptedTokenStore Open(string keyPath) => new(new EncryptedTokenStoreOptions
    {
        Database = Kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(_connectionString, Prefix) : TokenDatabase.PostgreSql(_connectionString, Prefix),
        MasterKey = MasterKey.FromKeyFile(keyPath),
    });

    /// <summary>Every token of the store, by id.</summary>
    public Dictionary<string, OAuthToken> Tokens(string keyPath)
    {
        using var store = Open(keyPath);
        return store.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!);
    }

    /// <summary>The names of the tables under this test's prefix.</summary>
    public List<string> Tables()
    {
        using var connection = Connect();
        return Query(connection, TablesSql, r => r.GetString(0)).Where(t => t.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every row of every table under the prefix, as text: equal snapshots mean nothing was written.</summary>
    public string Snapshot()
    {
        using var connection = Connect();
        var text = new StringBuilder();
        foreach (var table in Tables())
        {
            text.Append(table).Append('\n');
            foreach (var row in Query(connection, $"SELECT * FROM {Quote(table)}", Row).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(row).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Runs one statement (test set-up: the SDK's table for an import).</summary>
    public void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Test set-up statements with names from this class; values are parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        command.ExecuteNonQuery();
    }

    public string Quote(string identifier) => Kind == TokenDatabaseKind.MySql ? $"`{identifier}`" : $"\"{identifier}\"";

    public void Dispose()
    {
        try
        {
            foreach (var table in Tables())
            {
                Execute($"DROP TABLE IF EXISTS {Quote(table)}" + (Kind == TokenDatabaseKind.PostgreSql ? " CASCADE" : string.Empty));
            }
        }
        catch (DbException e)
        {
            TestContext.Out.WriteLine($"could not drop the tables of prefix {Prefix}: {e.Message}");
        }
    }

    private string TablesSql => Kind == TokenDatabaseKind.MySql
        ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()";

    private DbConnection Connect()
    {
        DbConnection connection = Kind == TokenDatabaseKind.MySql
            ? new MySqlConnection(new MySqlConnectionStringBuilder(_connectionString) { Pooling = false }.ConnectionString)
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    private static List<T> Query<T>(DbConnection connection, string sql, Func<DbDataReader, T> read)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Table names from the catalogue under this test's prefix; no values.
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

    private static string Row(DbDataReader reader) => string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
    {
        DBNull => "NULL",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        var value => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    }));

    private static string? Variable(string name) => System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static string Skip(string variable, string setup)
    {
        var reason = $"{variable} is not set: no database server for the CLI's database-store tests. Run {setup}.";
        if (System.Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"{reason} ({RequireVariable}=1: they must run.)");
        }

        Assert.Ignore(reason);
        return string.Empty;
    }
}
