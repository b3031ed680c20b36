namespace EncryptedStore.Tests.Cli;

/// <summary>No command prints a secret unless <c>--reveal</c> was given: every command's stdout and stderr is scanned.</summary>
[Parallelizable(ParallelScope.All)]
[Category("Slow")]
public class SecretLeakTests
{
    [Test]
    public void EveryCommand_WithoutReveal_PrintsNoSecret()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        File.Delete(sandbox.KeyPath);
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", CliTokens.ClientB, id: "2");
        var carol = CliTokens.Token("carol@example.com", id: "3");
        var dave = CliTokens.Token("dave@example.com", id: "4");
        var csv = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(csv, "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n"
            + ZohoCsvImportTests.Row(dave) + "\n"
            + ZohoCsvImportTests.Row(ada) + "\n"                    // clashes with the store
            + ZohoCsvImportTests.Row(dave).Replace(",", ",,", StringComparison.Ordinal) + "\n"); // malformed
        var sqlite = sandbox.File("zohooauth.db");
        SqliteImportTests.Create(sqlite, carol);

        var runs = new List<CliResult>
        {
            sandbox.RunBare(null, null, "--store", sandbox.StorePath, "init", "--create-key-file", sandbox.KeyPath),
            sandbox.Run("put", "--id", "1", "--user", "ada@example.com", "--client-id", ada.ClientId!, "--client-secret", ada.ClientSecret!,
                "--refresh-token", ada.RefreshToken!, "--access-token", ada.AccessToken!, "--grant-token", ada.GrantToken!, "--expiry-time", ada.ExpiresIn!),
            sandbox.RunWithInput(CommandsEndToEndTests.TokenJson(bob), "put", "--json"),
            sandbox.Run("put", "--user", "eve@example.com", "--refresh-token", bob.RefreshToken!),
            sandbox.Run("get", "--id", "1"),
            sandbox.Run("get", "--id", "1", "--json"),
            sandbox.Run("get", "--user", "ada@example.com", "--client", ada.ClientId!),
            sandbox.RunWithInput(ada.AccessToken + "\n", "get", "--access-token", "-"),
            sandbox.Run("get", "--refresh-token", bob.RefreshToken!, "--client", bob.ClientId!, "--client-secret", bob.ClientSecret!, "--json"),
            sandbox.Run("get", "--refresh-token", carol.RefreshToken!, "--client", carol.ClientId!, "--client-secret", carol.ClientSecret!),
            sandbox.Run("get", "--grant-token", ada.GrantToken!),
            sandbox.Run("list"),
            sandbox.Run("list", "--json"),
            sandbox.Run("verify"),
            sandbox.Run("verify", "--json"),
            sandbox.Run("stats"),
            sandbox.Run("stats", "--json"),
            sandbox.Run("import", "--from", "zoho-csv", csv),
            sandbox.Run("import", "--from", "zoho-csv", csv, "--dry-run", "--json"),
            sandbox.Run("import", "--from", "zoho-csv", csv, "--skip-invalid"),
            sandbox.Run("import", "--from", "sqlite", sqlite),
            sandbox.Run("export", "--to", "backup", sandbox.File("tokens.backup")),
            sandbox.Run("export", "--to", "zoho-csv", sandbox.File("plain.csv")),
            sandbox.Run("delete", "--id", "2"),
            sandbox.Run("purge", "--yes"),

            // Parse errors: a mistyped option and a stray argument must not be echoed with their values.
            sandbox.Run("put", "--acess-token", ada.AccessToken!, "--user", "ada@example.com"),
            sandbox.Run("get", "--id", "1", ada.RefreshToken!),
            sandbox.Run("put", "--user", "ada@example.com", "--client-secret", ada.ClientSecret!, "--client-secret", bob.ClientSecret!),
        };

        Assert.That(runs.Count(r => r.ExitCode == 0), Is.GreaterThanOrEqualTo(18), "most commands succeed, so their output is real");
        var secrets = new[] { ada, bob, carol, dave }.SelectMany(CliTokens.Secrets).ToList();
        Assert.Multiple(() =>
        {
            foreach (var run in runs)
            {
                foreach (var secret in secrets)
                {
                    Assert.That(run.AllOutput, Does.Not.Contain(secret), run.ToString());
                }

                Assert.That(DemoCommandTests.FullZohoToken().IsMatch(run.AllOutput), Is.False, run.ToString());
            }
        });

        // The scan can see a secret when one is printed.
        sandbox.Save(ada);
        var revealed = sandbox.Run("get", "--id", "1", "--reveal");
        Assert.That(revealed.StdOut, Does.Contain(ada.RefreshToken).And.Contain(ada.ClientSecret));
    }
}
