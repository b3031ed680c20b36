using System.Runtime.Versioning;
using EncryptedStore.Cli;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>tokenstore copy</c> with database stores on real servers: file → MySQL → PostgreSQL → file with every token
/// identical after, each target under its own key; a database target that holds tokens refused; a merge that one token
/// breaks writes nothing to the database.
/// </summary>
[Category("Slow")]
[Parallelizable(ParallelScope.None)]
[UnsupportedOSPlatform("windows")]
public class DatabaseCopyTests
{
    [Test]
    public void Copy_FileToMySqlToPostgreSqlToFile_EveryTokenIdentical()
    {
        using var mysql = CliDatabase.Create(TokenDatabaseKind.MySql);
        using var postgres = CliDatabase.Create(TokenDatabaseKind.PostgreSql);
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 30).Select(i => CliTokens.Token($"user{i}@example.com", i % 3 == 0 ? CliTokens.ClientB : CliTokens.ClientA)).ToList();

        // Tokens as the SDK leaves them before the first refresh: no access token, no expiry.
        tokens.Add(new OAuthToken { UserSignature = new UserSignature("new@example.com"), ClientId = CliTokens.ClientA, ClientSecret = "s1", GrantToken = "1000.grant-only" });
        sandbox.Save([.. tokens]);
        var postgresKey = sandbox.File("postgres.key");
        MasterKey.CreateKeyFile(postgresKey);
        var environment = new Dictionary<string, string?>(mysql.Environment);
        foreach (var (name, value) in postgres.Environment)
        {
            environment[name] = value;
        }

        var toMySql = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--key-file", sandbox.KeyPath, "--db-password-env", mysql.PasswordVariable,
            "copy", "--to", mysql.Uri);
        var toPostgres = sandbox.RunBare(null, environment, "--key-file", sandbox.KeyPath, "--db-password-env", mysql.PasswordVariable,
            "copy", "--from", mysql.Uri, "--to", postgres.Uri, "--to-db-password-env", postgres.PasswordVariable, "--to-key-file", postgresKey);
        var back = sandbox.File("back.db");
        var toFile = sandbox.RunBare(null, environment, "--key-file", postgresKey, "--db-password-env", postgres.PasswordVariable,
            "copy", "--from", postgres.Uri, "--to", back);

        var original = sandbox.Tokens();
        Assert.Multiple(() =>
        {
            foreach (var result in new[] { toMySql, toPostgres, toFile })
            {
                Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
                Assert.That(result.StdErr, Does.Contain("Copied 31 token(s)").And.Contain("(created)"));
            }

            Assert.That(toPostgres.StdErr, Does.Contain($"from {mysql.Uri} to {postgres.Uri}"));
            CopyCommandTests.AssertIdentical(mysql.Tokens(sandbox.KeyPath), original);
            CopyCommandTests.AssertIdentical(postgres.Tokens(postgresKey), original);
            CopyCommandTests.AssertIdentical(CopyCommandTests.Tokens(back, postgresKey), original);
            DatabaseStoreCommandsTests.AssertNoSecret(sandbox, mysql, [.. tokens]);
            DatabaseStoreCommandsTests.AssertNoSecret(sandbox, postgres);
        });
    }

    [TestCase(TokenDatabaseKind.MySql)]
    [TestCase(TokenDatabaseKind.PostgreSql)]
    public void Copy_IntoADatabaseThatHoldsTokens_IsRefused_AndAMergeOneTokenBreaksWritesNothing(TokenDatabaseKind kind)
    {
        using var database = CliDatabase.Create(kind);
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 8).Select(i => CliTokens.Token($"user{i}@example.com")).ToArray();
        sandbox.Save(tokens);

        // In the target: another user's token holding a source token's access token.
        var conflicting = CliTokens.Token("someone@example.com", id: "theirs1");
        conflicting.AccessToken = tokens[5].AccessToken;
        using (var target = database.Open(sandbox.KeyPath))
        {
            target.SaveToken(conflicting);
        }

        var before = database.Snapshot();
        string[] global = ["--key-file", sandbox.KeyPath, "--db-password-env", database.PasswordVariable];
        var refused = sandbox.RunBare(null, database.Environment, [.. global, "copy", "--from", sandbox.StorePath, "--to", database.Uri]);
        var merged = sandbox.RunBare(null, database.Environment, [.. global, "copy", "--from", sandbox.StorePath, "--to", database.Uri, "--merge"]);

        var after = database.Tokens(sandbox.KeyPath);
        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Error), refused.ToString());
            Assert.That(refused.StdErr, Does.Contain(database.Uri + " already holds 1 token(s)"));
            Assert.That(merged.ExitCode, Is.EqualTo(ExitCodes.Error), merged.ToString());
            Assert.That(merged.StdErr, Does.Contain("DUPLICATE_TOKEN").And.Contain("Nothing was copied: " + database.Uri + " is as it was"));
            Assert.That(after.Keys, Is.EquivalentTo(ZohoCsvImportTests.Ids("theirs1")));
            ZohoCsvImportTests.AssertSame(after["theirs1"], conflicting);
            Assert.That(database.Snapshot(), Is.EqualTo(before));
            DatabaseStoreCommandsTests.AssertNoSecret(sandbox, database, [.. tokens, conflicting]);
        });
    }
}
