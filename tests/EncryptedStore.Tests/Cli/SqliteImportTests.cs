using System.Text;
using Microsoft.Data.Sqlite;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>import --from sqlite</c> with the Kaizen article's <c>oauthtoken</c> table in <c>zohooauth.db</c>.</summary>
[Parallelizable(ParallelScope.All)]
public class SqliteImportTests
{
    /// <summary>The article's CREATE TABLE, verbatim.</summary>
    private const string ArticleSchema =
        "CREATE TABLE oauthtoken (id varchar(10) NOT NULL,user_name varchar(255), client_id varchar(255), client_secret varchar(255), "
        + "refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), "
        + "api_domain varchar(255), primary key (id))";

    [Test]
    public void Import_ArticleTable_ImportsRowsWithNullsEmptyStringsAndQuotes()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("zohooauth.db");
        var ada = CliTokens.Token("o'brien@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        Create(path, ada);
        using (var connection = Open(path))
        {
            // The sample writes empty strings as well as NULLs, and SQLite may hold the expiry as an integer.
            Execute(connection, "INSERT INTO oauthtoken VALUES ($id, $user, $client, $secret, $refresh, '', NULL, $expiry, '', NULL)",
                ("$id", bob.Id), ("$user", bob.UserSignature!.Name), ("$client", bob.ClientId), ("$secret", bob.ClientSecret),
                ("$refresh", bob.RefreshToken), ("$expiry", 1767225600000L));
        }

        var result = sandbox.Run("import", "--from", "sqlite", path);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var tokens = sandbox.Tokens();
        Assert.Multiple(() =>
        {
            ZohoCsvImportTests.AssertSame(tokens["1"], ada);
            Assert.That(tokens["2"].RefreshToken, Is.EqualTo(bob.RefreshToken));
            Assert.That(tokens["2"].AccessToken, Is.Null);
            Assert.That(tokens["2"].GrantToken, Is.Null);
            Assert.That(tokens["2"].RedirectURL, Is.Null);
            Assert.That(tokens["2"].ExpiresIn, Is.EqualTo("1767225600000"));
        });
    }

    [Test]
    public void Import_EmptyTable_ImportsNothingAndSucceeds()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("zohooauth.db");
        Create(path);

        var result = sandbox.Run("import", "--from", "sqlite", path);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdErr, Does.Contain("Imported 0 of 0"));
    }

    [Test]
    public void Import_DuplicateUserAndClient_ReportedByRow()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("zohooauth.db");
        Create(path, CliTokens.Token("ada@example.com", id: "1"), CliTokens.Token("ada@example.com", generation: 1, id: "2"));

        var result = sandbox.Run("import", "--from", "sqlite", path);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.StdErr, Does.Contain("row 2").And.Contain("duplicate: row 1 has the same user name and client id"));
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    public void Import_MissingTableOrFile_ExitsNotFound()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("other.db");
        using (var connection = Open(path))
        {
            Execute(connection, "CREATE TABLE settings (name text)");
        }

        var noTable = sandbox.Run("import", "--from", "sqlite", path);
        var noFile = sandbox.Run("import", "--from", "sqlite", sandbox.File("missing.db"));
        var badTable = sandbox.Run("import", "--from", "sqlite", path, "--table", "x; DROP TABLE settings");

        CommandsEndToEndTests.AssertError(noTable, 5, "error: ");
        CommandsEndToEndTests.AssertError(noFile, 5, "error: no SQLite database");
        CommandsEndToEndTests.AssertError(badTable, 2, "error: --table must be a plain name");
    }

    [Test]
    public void Import_WipeSource_RemovesEveryTokenByteAndKeepsOtherTables()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("zohooauth.db");
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        Create(path, ada, bob);
        using (var connection = Open(path))
        {
            Execute(connection, "CREATE TABLE settings (name text)");
            Execute(connection, "INSERT INTO settings VALUES ('kept')");
        }

        Assert.That(Contains(path, ada.RefreshToken!), Is.True, "the test can see plaintext before the wipe");

        var result = sandbox.Run("import", "--from", "sqlite", path, "--wipe-source");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using (var connection = Open(path))
        {
            Assert.Multiple(() =>
            {
                Assert.That(Scalar(connection, "SELECT count(*) FROM oauthtoken"), Is.EqualTo(0));
                Assert.That(Scalar(connection, "SELECT count(*) FROM settings"), Is.EqualTo(1));
            });
        }

        Assert.Multiple(() =>
        {
            Assert.That(sandbox.Tokens().Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("1", "2")));
            foreach (var secret in CliTokens.Secrets(ada).Concat(CliTokens.Secrets(bob)))
            {
                Assert.That(Contains(path, secret), Is.False, "secret bytes left in the SQLite file");
            }

            Assert.That(File.Exists(path + "-journal"), Is.False);
        });
    }

    internal static void Create(string path, params OAuthToken[] tokens)
    {
        using var connection = Open(path);
        Execute(connection, ArticleSchema);
        foreach (var t in tokens)
        {
            Execute(connection, "INSERT INTO oauthtoken (id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain) "
                + "VALUES ($id,$user,$client,$secret,$refresh,$access,$grant,$expiry,$redirect,$domain)",
                ("$id", t.Id), ("$user", t.UserSignature?.Name), ("$client", t.ClientId), ("$secret", t.ClientSecret), ("$refresh", t.RefreshToken),
                ("$access", t.AccessToken), ("$grant", t.GrantToken), ("$expiry", t.ExpiresIn), ("$redirect", t.RedirectURL), ("$domain", t.APIDomain));
        }
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static bool Contains(string path, string value) =>
        File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)) >= 0;
}
