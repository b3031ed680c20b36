using System.Runtime.Versioning;
using System.Text.Json;
using EncryptedStore.Cli;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// The commands on a database store (<c>--store mysql://…</c>, <c>postgresql://…</c>) against real servers, through the
/// built tool: each test under its own random table prefix, dropped afterwards (<see cref="CliDatabase"/>).
/// </summary>
[Category("Slow")]
[Parallelizable(ParallelScope.None)]
[UnsupportedOSPlatform("windows")]
public class DatabaseStoreCommandsTests
{
    [TestCase(TokenDatabaseKind.MySql)]
    [TestCase(TokenDatabaseKind.PostgreSql)]
    public void Commands_OnADatabaseStore_WorkAndNeverShowThePassword(TokenDatabaseKind kind)
    {
        using var database = CliDatabase.Create(kind);
        using var sandbox = CliSandbox.Create(withStore: false);
        var ada = CliTokens.Token("ada@example.com");
        var bob = CliTokens.Token("bob@example.com", CliTokens.ClientB);
        CliResult Run(string? stdin, params string[] args) =>
            sandbox.RunBare(stdin, database.Environment, ["--store", database.Uri, "--db-password-env", database.PasswordVariable, "--key-file", sandbox.KeyPath, .. args]);

        var init = Run(null, "init", "--json");
        var initAgain = Run(null, "init");
        var putAda = Run(Json(ada), "put", "--from-json", "-");
        var putBob = Run(Json(bob), "put", "--from-json", "-");
        var get = Run(null, "get", "--user", "ada@example.com", "--client-id", CliTokens.ClientA, "--field", "id");
        var list = Run(null, "list", "--field", "user_name");
        var stats = Run(null, "stats", "--json");
        var verify = Run(null, "verify");
        var rotate = Run(null, "rotate", "--destroy-old");
        var delete = Run(null, "delete", "--id", get.StdOut.Trim());

        // The default variable (MYSQL_PWD, PGPASSWORD) when no --db-password-env is given.
        var status = sandbox.RunBare(null, database.DefaultEnvironment, "--store", database.Uri, "--key-file", sandbox.KeyPath, "status");

        var display = database.Uri;
        var tokens = database.Tokens(sandbox.KeyPath);
        using var statsJson = JsonDocument.Parse(stats.StdOut);
        Assert.Multiple(() =>
        {
            foreach (var result in new[] { init, putAda, putBob, get, list, stats, verify, rotate, delete, status })
            {
                Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            }

            Assert.That(init.StdErr, Does.Contain("Created store " + display).And.Contain($"tables {database.Prefix}*"));
            Assert.That(initAgain.ExitCode, Is.EqualTo(ExitCodes.Error), initAgain.ToString());
            Assert.That(initAgain.StdErr, Does.Contain("already holds a store"));
            Assert.That(list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(ZohoCsvImportTests.Ids("ada@example.com", "bob@example.com")));
            Assert.That(statsJson.RootElement.GetProperty("path").GetString(), Is.EqualTo(display));
            Assert.That(statsJson.RootElement.GetProperty("token_count").GetInt32(), Is.EqualTo(2));
            Assert.That(rotate.StdErr, Does.Contain("not compacted (a database store"));
            Assert.That(status.StdOut, Does.Contain("store database").And.Contain("tables " + database.Prefix + "* exist")
                .And.Contain(kind == TokenDatabaseKind.MySql ? "password from $MYSQL_PWD" : "password from $PGPASSWORD"));
            Assert.That(tokens.Values.Select(t => t.UserSignature!.Name), Is.EquivalentTo(ZohoCsvImportTests.Ids("bob@example.com")));
            ZohoCsvImportTests.AssertSame(tokens.Values.Single(), bob);
            AssertNoSecret(sandbox, database, ada, bob);
        });
    }

    [TestCase(TokenDatabaseKind.MySql)]
    [TestCase(TokenDatabaseKind.PostgreSql)]
    public void ChangeMasterKeyThenBackupPurgeRestore_OnADatabaseStore_KeepEveryToken(TokenDatabaseKind kind)
    {
        using var database = CliDatabase.Create(kind);
        using var sandbox = CliSandbox.Create(withStore: false);
        var tokens = Enumerable.Range(0, 6).Select(i => CliTokens.Token($"user{i}@example.com")).ToArray();
        var newKey = sandbox.File("new.key");
        var backup = sandbox.File("tokens.backup");
        CliResult Run(string key, params string[] args) =>
            sandbox.RunBare(null, database.Environment, ["--store", database.Uri, "--db-password-env", database.PasswordVariable, "--key-file", key, .. args]);
        using (var store = database.Open(sandbox.KeyPath))
        {
            store.SaveTokens(tokens);
        }

        var change = Run(sandbox.KeyPath, "change-master-key", "--create-new-key-file", newKey);
        var oldKey = Run(sandbox.KeyPath, "list");
        var export = Run(newKey, "export", "--to", "backup", backup);
        var purge = Run(newKey, "purge", "--yes");
        var empty = Run(newKey, "stats", "--field", "token_count");
        var import = Run(newKey, "import", "--from", "backup", backup);

        var restored = database.Tokens(newKey);
        Assert.Multiple(() =>
        {
            foreach (var result in new[] { change, export, purge, empty, import })
            {
                Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            }

            Assert.That(change.StdErr, Does.Contain("6 token(s) re-encrypted").And.Contain("not compacted (a database store"));
            Assert.That(oldKey.ExitCode, Is.EqualTo(ExitCodes.WrongKey), oldKey.ToString());
            Assert.That(empty.StdOut.Trim(), Is.EqualTo("0"));
            Assert.That(import.StdErr, Does.Contain("Imported 6 of 6"));
            Assert.That(restored, Has.Count.EqualTo(6));
            foreach (var token in tokens)
            {
                ZohoCsvImportTests.AssertSame(restored[token.Id!], token);
            }

            AssertNoSecret(sandbox, database, tokens);
        });
    }

    [TestCase(TokenDatabaseKind.MySql)]
    [TestCase(TokenDatabaseKind.PostgreSql)]
    public void Commands_WithoutTheStoreInTheDatabase_ExitFiveAndCreateNothing(TokenDatabaseKind kind)
    {
        using var database = CliDatabase.Create(kind);
        using var sandbox = CliSandbox.Create(withStore: false);

        var list = sandbox.RunBare(null, database.Environment, "--store", database.Uri, "--db-password-env", database.PasswordVariable, "--key-file", sandbox.KeyPath, "list");
        var status = sandbox.RunBare(null, database.Environment, "--store", database.Uri, "--db-password-env", database.PasswordVariable, "--key-file", sandbox.KeyPath, "status");

        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.EqualTo(ExitCodes.NotFound), list.ToString());
            Assert.That(list.StdErr, Does.Contain("no store at " + database.Uri).And.Contain("tokenstore init"));
            Assert.That(status.ExitCode, Is.EqualTo(ExitCodes.NotFound), status.ToString());
            Assert.That(database.Tables(), Is.Empty);
        });
    }

    [TestCase(TokenDatabaseKind.MySql)]
    [TestCase(TokenDatabaseKind.PostgreSql)]
    public void WrongPassword_IsUnavailable_NamingTheStoreButNeitherPassword(TokenDatabaseKind kind)
    {
        using var database = CliDatabase.Create(kind);
        using var sandbox = CliSandbox.Create(withStore: false);
        const string Wrong = "wrong-pw-4d1c9e-not-this";

        var result = sandbox.RunBare(null, DefaultsTests.Variables(("TS_TEST_WRONG_PW", Wrong)),
            "--store", database.Uri, "--db-password-env", "TS_TEST_WRONG_PW", "--key-file", sandbox.KeyPath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Error), result.ToString());
            Assert.That(result.StdErr, Does.StartWith("error: UNAVAILABLE: ").And.Contain(database.Uri).And.Contain("password from $TS_TEST_WRONG_PW"));
            Assert.That(result.AllOutput, Does.Not.Contain(Wrong).And.Not.Contain(database.Password));
        });
    }

    [Test]
    public void ImportFromMySql_TheSdkTableOnTheSameServer_GoesIntoTheDatabaseStore()
    {
        using var database = CliDatabase.Create(TokenDatabaseKind.MySql);
        using var sandbox = CliSandbox.Create(withStore: false);
        var table = database.Prefix + "oauthtoken";
        database.Execute($"CREATE TABLE {database.Quote(table)} (id varchar(10) NOT NULL, user_name varchar(255), client_id varchar(255), client_secret varchar(255), "
            + "refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), "
            + "api_domain varchar(255), primary key (id))");
        var sdk = new[] { CliTokens.Token("ada@example.com", id: "1"), CliTokens.Token("bob@example.com", id: "2") };
        foreach (var t in sdk)
        {
            database.Execute($"INSERT INTO {database.Quote(table)} VALUES (@id, @user, @client, @secret, @refresh, @access, @grant, @expiry, @redirect, @domain)",
                ("@id", t.Id), ("@user", t.UserSignature!.Name), ("@client", t.ClientId), ("@secret", t.ClientSecret), ("@refresh", t.RefreshToken),
                ("@access", t.AccessToken), ("@grant", t.GrantToken), ("@expiry", t.ExpiresIn), ("@redirect", t.RedirectURL), ("@domain", t.APIDomain));
        }

        string[] global = ["--store", database.Uri, "--db-password-env", database.PasswordVariable, "--key-file", sandbox.KeyPath];
        var init = sandbox.RunBare(null, database.Environment, [.. global, "init"]);
        var import = sandbox.RunBare(null, database.Environment, [.. global, "import", "--from", "mysql", database.ServerUri, "--table", table, "--wipe-source"]);

        var tokens = database.Tokens(sandbox.KeyPath);
        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(import.ExitCode, Is.EqualTo(0), import.ToString());
            Assert.That(import.StdErr, Does.Contain("Imported 2 of 2").And.Contain("into '" + database.Uri).And.Contain("Wiped the source"));
            Assert.That(tokens.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("1", "2")));
            ZohoCsvImportTests.AssertSame(tokens["1"], sdk[0]);
            ZohoCsvImportTests.AssertSame(tokens["2"], sdk[1]);
            AssertNoSecret(sandbox, database, sdk);
        });
    }

    /// <summary>No run of the sandbox showed the server password or a token secret.</summary>
    internal static void AssertNoSecret(CliSandbox sandbox, CliDatabase database, params OAuthToken[] tokens)
    {
        var secrets = tokens.SelectMany(CliTokens.Secrets).Append(database.Password).ToList();
        foreach (var run in sandbox.Runs)
        {
            foreach (var secret in secrets)
            {
                Assert.That(run.AllOutput, Does.Not.Contain(secret), run.ToString());
            }
        }
    }

    private static string Json(OAuthToken token) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["user_name"] = token.UserSignature?.Name,
        ["client_id"] = token.ClientId,
        ["client_secret"] = token.ClientSecret,
        ["refresh_token"] = token.RefreshToken,
        ["access_token"] = token.AccessToken,
        ["grant_token"] = token.GrantToken,
        ["expiry_time"] = token.ExpiresIn,
        ["redirect_url"] = token.RedirectURL,
        ["api_domain"] = token.APIDomain,
    });
}
