using MySqlConnector;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>import --from mysql</c> against a real MariaDB/MySQL server with the SDK's DBStore table. The server
/// comes from <c>ENCRYPTEDSTORE_TEST_MYSQL</c> (a connection string; <c>.ci/mysql-setup.sh</c> starts one
/// and prints it). Without it the test is skipped on a developer machine, and fails in CI (<c>CI=true</c>).
/// </summary>
[NonParallelizable]
[Category("Slow")]
public class MySqlImportTests
{
    private const string ConnectionVariable = "ENCRYPTEDSTORE_TEST_MYSQL";

    /// <summary>Parameter names for the DBStore table's ten columns, in order.</summary>
    private static readonly string[] DbStoreParameters = ["@id", "@user", "@client", "@secret", "@refresh", "@access", "@grant", "@expiry", "@redirect", "@domain"];

    /// <summary>The SDK's DBStore table as its README creates it.</summary>
    private const string SdkSchema =
        "CREATE TABLE oauthtoken (id varchar(10) NOT NULL, user_name varchar(255), client_id varchar(255), client_secret varchar(255), "
        + "refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), "
        + "api_domain varchar(255), primary key (id))";

    [Test]
    public void Import_SdkDbStoreTable_ReportsDuplicatesThenImportsAndWipesTheRows()
    {
        var connectionString = ServerOrSkip();
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("o'brien@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        var adaAgain = CliTokens.Token("o'brien@example.com", generation: 1, id: "10");
        using (var connection = Open(connectionString, database: null))
        {
            Execute(connection, "CREATE DATABASE IF NOT EXISTS zohooauth");
            connection.ChangeDatabase("zohooauth");
            Execute(connection, "DROP TABLE IF EXISTS oauthtoken");
            Execute(connection, SdkSchema);
            Insert(connection, ada);
            Insert(connection, adaAgain);

            // As the SDK writes a token before its first refresh: NULLs where it has nothing yet.
            Execute(connection, "INSERT INTO oauthtoken (id, user_name, client_id, client_secret, refresh_token) VALUES (@id, @user, @client, @secret, @refresh)",
                ("@id", bob.Id), ("@user", bob.UserSignature!.Name), ("@client", bob.ClientId), ("@secret", bob.ClientSecret), ("@refresh", bob.RefreshToken));
        }

        var withDuplicate = sandbox.RunWithInput(connectionString + "\n", "import", "--from", "mysql", "-", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(withDuplicate.ExitCode, Is.EqualTo(1), withDuplicate.ToString());
            Assert.That(withDuplicate.StdOut, Does.Contain("\"rows\": 3").And.Contain("same user name and client id").And.Contain("\"id\": \"10\""));
            Assert.That(sandbox.Tokens(), Is.Empty);
            Assert.That(withDuplicate.AllOutput, Does.Not.Contain(connectionString).And.Not.Contain(adaAgain.RefreshToken));
        });

        using (var connection = Open(connectionString, "zohooauth"))
        {
            Execute(connection, "DELETE FROM oauthtoken WHERE id = @id", ("@id", adaAgain.Id));
        }

        var imported = sandbox.RunWithInput(connectionString + "\n", "import", "--from", "mysql", "-", "--wipe-source");

        Assert.That(imported.ExitCode, Is.EqualTo(0), imported.ToString());
        var tokens = sandbox.Tokens();
        using (var connection = Open(connectionString, "zohooauth"))
        {
            Assert.Multiple(() =>
            {
                Assert.That(imported.StdErr, Does.Contain("Imported 2 of 2").And.Contain("Wiped the source"));
                Assert.That(tokens.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("1", "2")));
                ZohoCsvImportTests.AssertSame(tokens["1"], ada);
                Assert.That(tokens["2"].AccessToken, Is.Null);
                Assert.That(tokens["2"].RefreshToken, Is.EqualTo(bob.RefreshToken));
                Assert.That(Scalar(connection, "SELECT count(*) FROM oauthtoken"), Is.EqualTo(0));
            });
        }
    }

    [Test]
    public void ExportZohoCsv_LoadedIntoTheSdkDbStoreTable_FitsItsColumnsAndTheDbStoreNextIdIsNew()
    {
        var connectionString = ServerOrSkip();
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 12).Select(i => CliTokens.Token($"user{i}@example.com")).ToArray();
        sandbox.Save(tokens);
        var csv = sandbox.File("sdk_tokens.txt");
        var exported = sandbox.Run("export", "--to", "zoho-csv", csv, "--reveal");
        Assert.That(exported.ExitCode, Is.EqualTo(0), exported.ToString());

        using var connection = Open(connectionString, database: null);
        Execute(connection, "CREATE DATABASE IF NOT EXISTS zohooauth");
        connection.ChangeDatabase("zohooauth");
        Execute(connection, "DROP TABLE IF EXISTS oauthtoken");
        Execute(connection, SdkSchema);
        Execute(connection, "SET SESSION sql_mode = 'STRICT_ALL_TABLES'");

        // The store's own 32-hex ids do not fit the DBStore's varchar(10) id: this is why the export renumbers.
        var storeId = sandbox.Tokens().Keys.First();
        Assert.That(() => Execute(connection, "INSERT INTO oauthtoken (id) VALUES (@id)", ("@id", storeId)),
            Throws.InstanceOf<MySqlException>().With.Message.Contains("too long"));

        // Every row loads as the DBStore keeps it (empty field = NULL), 12 tokens so that ids cross no digit boundary
        // the DBStore compares as text.
        foreach (var row in File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')))
        {
            Execute(connection, "INSERT INTO oauthtoken VALUES (@id, @user, @client, @secret, @refresh, @access, @grant, @expiry, @redirect, @domain)",
                [.. DbStoreParameters.Select((name, i) => (name, (object?)(row[i].Length == 0 ? null : row[i])))]);
        }

        // The DBStore's next id: max(id) over the text column, converted to an int, + 1; its insert must succeed.
        var next = Convert.ToInt32(Scalar(connection, "SELECT coalesce(max(id), 0) FROM oauthtoken")) + 1;
        Execute(connection, "INSERT INTO oauthtoken (id, user_name) VALUES (@id, 'new@example.com')", ("@id", next.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(Scalar(connection, "SELECT count(*) FROM oauthtoken"), Is.EqualTo(13));
        Execute(connection, "DROP TABLE oauthtoken");
    }

    /// <summary>The connection string, or the test is ignored (developer machine) or failed (CI).</summary>
    private static string ServerOrSkip()
    {
        var value = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        var reason = $"{ConnectionVariable} is not set: no MySQL/MariaDB server to import from. Run 'bash .ci/mysql-setup.sh' and 'source .ci/mysql.env'.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + " CI must run this test.");
        }

        Assert.Ignore(reason);
        return string.Empty;
    }

    private static MySqlConnection Open(string connectionString, string? database)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString);
        if (database is not null)
        {
            builder.Database = database;
        }

        var connection = new MySqlConnection(builder.ConnectionString);
        connection.Open();
        return connection;
    }

    private static void Insert(MySqlConnection connection, OAuthToken t) =>
        Execute(connection, "INSERT INTO oauthtoken VALUES (@id, @user, @client, @secret, @refresh, @access, @grant, @expiry, @redirect, @domain)",
            ("@id", t.Id), ("@user", t.UserSignature?.Name), ("@client", t.ClientId), ("@secret", t.ClientSecret), ("@refresh", t.RefreshToken),
            ("@access", t.AccessToken), ("@grant", t.GrantToken), ("@expiry", t.ExpiresIn), ("@redirect", t.RedirectURL), ("@domain", t.APIDomain));

    private static void Execute(MySqlConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private static long Scalar(MySqlConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
