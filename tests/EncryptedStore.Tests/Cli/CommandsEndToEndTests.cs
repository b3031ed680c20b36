using System.Text.Json;

namespace EncryptedStore.Tests.Cli;

/// <summary>The commands end to end, as child processes of the built tool, with their exit codes.</summary>
[Parallelizable(ParallelScope.All)]
public class CommandsEndToEndTests
{
    private static readonly string[] Users = ["ada@example.com", "bob@example.com"];

    private static readonly string[] SdkColumns =
    [
        "id", "user_name", "client_id", "client_secret", "refresh_token", "access_token", "grant_token", "expiry_time", "redirect_url", "api_domain",
    ];

    [Test]
    [Category("Slow")]
    public void InitPutGetListVerifyDeletePurge_OneStore_EachStepWorks()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        System.IO.File.Delete(sandbox.KeyPath);
        var init = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "init", "--create-key-file", sandbox.KeyPath);
        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(System.IO.File.Exists(sandbox.StorePath), Is.True);
            AssertOwnerOnly(sandbox.KeyPath);
        });

        var token = CliTokens.Token("ada@example.com", id: "1");
        var put = sandbox.RunWithInput(TokenJson(token), "put", "--json");
        Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
        Assert.That(JsonDocument.Parse(put.StdOut).RootElement.GetProperty("id").GetString(), Is.EqualTo("1"));

        var redacted = sandbox.Run("get", "--id", "1");
        Assert.Multiple(() =>
        {
            Assert.That(redacted.ExitCode, Is.EqualTo(0), redacted.ToString());
            Assert.That(redacted.StdOut, Does.Contain("ada@example.com").And.Contain(CliTokens.ClientA));
            Assert.That(redacted.StdOut, Does.Contain("1000…(70 chars)"));
            Assert.That(redacted.AllOutput, Does.Not.Contain(token.RefreshToken).And.Not.Contain(token.ClientSecret));
            Assert.That(redacted.StdErr, Is.Empty);
        });

        var revealed = sandbox.Run("get", "--id", "1", "--json", "--reveal");
        Assert.Multiple(() =>
        {
            Assert.That(revealed.ExitCode, Is.EqualTo(0), revealed.ToString());
            var json = JsonDocument.Parse(revealed.StdOut).RootElement;
            Assert.That(json.GetProperty("refresh_token").GetString(), Is.EqualTo(token.RefreshToken));
            Assert.That(json.GetProperty("client_secret").GetString(), Is.EqualTo(token.ClientSecret));
            Assert.That(json.GetProperty("expiry_time").GetString(), Is.EqualTo(CliTokens.ExpiryTime));
            Assert.That(revealed.StdErr, Does.StartWith("warning: --reveal"));
        });

        var second = CliTokens.Token("bob@example.com");
        var putOptions = sandbox.RunWithInput(
            second.RefreshToken + "\n",
            "put", "--user", "bob@example.com", "--client-id", CliTokens.ClientA, "--refresh-token", "-", "--expiry-time", CliTokens.ExpiryTime);
        Assert.That(putOptions.ExitCode, Is.EqualTo(0), putOptions.ToString());

        var list = sandbox.Run("list", "--json");
        Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        var listed = JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(listed, Has.Count.EqualTo(2));
            Assert.That(listed.Select(t => t.GetProperty("user_name").GetString()), Is.EquivalentTo(Users));
            Assert.That(listed[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(SdkColumns));
            Assert.That(listed.Single(t => t.GetProperty("user_name").GetString() == "bob@example.com").GetProperty("access_token").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(list.AllOutput, Does.Not.Contain(second.RefreshToken));
        });

        var rotate = sandbox.Run("rotate", "--index");
        Assert.Multiple(() =>
        {
            Assert.That(rotate.ExitCode, Is.EqualTo(0), rotate.ToString());
            Assert.That(rotate.StdErr, Does.Contain("Rotated: 2 of 2 token(s) re-encrypted"));
            Assert.That(rotate.AllOutput, Does.Not.Contain(second.RefreshToken).And.Not.Contain(token.RefreshToken));
        });

        var verify = sandbox.Run("verify");
        Assert.Multiple(() =>
        {
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
            Assert.That(verify.StdErr, Does.Contain("OK: 2 token(s)"));
        });

        var delete = sandbox.Run("delete", "--id", "1");
        var deleteAgain = sandbox.Run("delete", "--id", "1");
        Assert.Multiple(() =>
        {
            Assert.That(delete.ExitCode, Is.EqualTo(0), delete.ToString());
            Assert.That(deleteAgain.ExitCode, Is.EqualTo(5), deleteAgain.ToString());
            Assert.That(deleteAgain.StdErr, Does.StartWith("error: NOT_FOUND"));
        });

        var purgeUnconfirmed = sandbox.Run("purge");
        var purge = sandbox.Run("purge", "--yes");
        Assert.Multiple(() =>
        {
            Assert.That(purgeUnconfirmed.ExitCode, Is.EqualTo(2), purgeUnconfirmed.ToString());
            Assert.That(purge.ExitCode, Is.EqualTo(0), purge.ToString());
            Assert.That(purge.StdErr, Does.Contain("Deleted 1 token(s)"));
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    [Category("Slow")]
    public void Get_EachLookupOfTheContract_FindsTheStoredToken()
    {
        using var sandbox = CliSandbox.Create();
        var production = CliTokens.Token("ada@example.com", CliTokens.ClientA, id: "p");
        var sandboxClient = CliTokens.Token("ada@example.com", CliTokens.ClientB, id: "s");
        sandbox.Save(production, sandboxClient);

        var byUserAndClient = sandbox.Run("get", "--user", "ada@example.com", "--client", CliTokens.ClientB, "--json");
        var byUserOnly = sandbox.Run("get", "--user", "ada@example.com");
        var byAccess = sandbox.RunWithInput(production.AccessToken + "\n", "get", "--access-token", "-", "--json");
        var byRefresh = sandbox.RunWithInput(sandboxClient.ClientSecret + "\n",
            "get", "--refresh-token", sandboxClient.RefreshToken!, "--client", CliTokens.ClientB, "--client-secret", "-", "--json");
        var byGrantWithoutSecret = sandbox.Run("get", "--grant-token", production.GrantToken!, "--client", CliTokens.ClientA);
        var byRefreshOfOtherClient = sandbox.Run("get", "--refresh-token", production.RefreshToken!, "--client", CliTokens.ClientB, "--client-secret", "x");

        Assert.Multiple(() =>
        {
            Assert.That(Id(byUserAndClient), Is.EqualTo("s"));
            Assert.That(byUserOnly.ExitCode, Is.EqualTo(1), byUserOnly.ToString());
            Assert.That(byUserOnly.StdErr, Does.StartWith("error: AMBIGUOUS_MATCH"));
            Assert.That(Id(byAccess), Is.EqualTo("p"));
            Assert.That(Id(byRefresh), Is.EqualTo("s"));
            Assert.That(byGrantWithoutSecret.ExitCode, Is.EqualTo(2), byGrantWithoutSecret.ToString());
            Assert.That(byGrantWithoutSecret.StdErr, Does.Contain("--client-secret"));
            Assert.That(byRefreshOfOtherClient.ExitCode, Is.EqualTo(5), byRefreshOfOtherClient.ToString());
        });
    }

    [Test]
    [Category("Slow")]
    public void ExitCodes_UserErrors_OneErrorLineAndTheDocumentedCode()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "1"));
        var otherKey = sandbox.File("other.key");
        MasterKey.CreateKeyFile(otherKey);

        var wrongKey = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--key-file", otherKey, "list");
        var noStore = sandbox.RunBare(null, null, "--store", sandbox.File("missing.db"), "--key-file", sandbox.KeyPath, "list");
        var noKey = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "list");
        var unknownOption = sandbox.Run("list", "--no-such-option");
        var missingKeyFile = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--key-file", sandbox.File("nope.key"), "list");
        var notFound = sandbox.Run("get", "--id", "404");
        var initExisting = sandbox.Run("init");
        var badJson = sandbox.RunWithInput("{\"user_name\": \"x\", \"refresh\": \"y\"}", "put", "--json");

        Assert.Multiple(() =>
        {
            AssertError(wrongKey, 3, "error: WRONG_KEY");
            AssertError(noStore, 5, "error: no store at");
            AssertError(noKey, 2, "error: no master key");
            AssertError(unknownOption, 2, "error: Unrecognized command or argument '--no-such-option'");
            AssertError(missingKeyFile, 3, "error: INVALID_MASTER_KEY");
            AssertError(notFound, 5, "error: NOT_FOUND");
            AssertError(initExisting, 1, "error: ");
            AssertError(badJson, 2, "error: stdin: unknown key 'refresh'");
        });
    }

    [Test]
    [Category("Slow")]
    public void Shared_WhileAnAppHasTheStoreOpenShared_CommandsRunAndTheAppSeesTheirWrites()
    {
        using var sandbox = CliSandbox.Create();
        using var app = new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            FilePath = sandbox.StorePath,
            MasterKey = MasterKey.FromKeyFile(sandbox.KeyPath),
            Sharing = StoreSharing.Shared,
        });
        var fromApp = CliTokens.Token("app@example.com", id: "app1");
        app.SaveToken(fromApp);
        Assert.That(app.FindTokenById("app1"), Is.Not.Null, "warms the app's cache");

        var put = sandbox.Run("--shared", "put", "--id", "cli1", "--user", "cli@example.com", "--client-id", "1000.CLI", "--access-token", "1000.cli-access");
        var delete = sandbox.Run("--shared", "delete", "--id", "app1");
        var list = sandbox.Run("--shared", "list", "--json");
        var exclusive = sandbox.Run("--lock-timeout", "0", "list");

        Assert.Multiple(() =>
        {
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(delete.ExitCode, Is.EqualTo(0), delete.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray().Select(t => t.GetProperty("id").GetString()), Is.EqualTo(SharedListIds));
            AssertError(exclusive, 6, "error: STORE_LOCKED");
            Assert.That(app.TryFindTokenById("app1"), Is.Null, "the app still served the token the CLI deleted");
            Assert.That(((OAuthToken?)app.FindToken(new OAuthToken { AccessToken = "1000.cli-access" }))?.Id, Is.EqualTo("cli1"));
        });
    }

    private static readonly string[] SharedListIds = ["cli1"];

    [Test]
    public void AnyCommand_StoreOpenInAnotherProcess_ExitsWithStoreLocked()
    {
        using var sandbox = CliSandbox.Create();
        CliResult result;
        using (sandbox.OpenStore())
        {
            result = sandbox.Run("--lock-timeout", "0", "list");
        }

        AssertError(result, 6, "error: STORE_LOCKED");
    }

    [Test]
    [Category("Slow")]
    public void PassphraseEnv_InitThenUse_OpensOnlyWithTheSamePassphrase()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var store = sandbox.File("pass.db");
        var right = new Dictionary<string, string?> { ["TS_PASS"] = "correct horse battery staple" };
        var wrong = new Dictionary<string, string?> { ["TS_PASS"] = "incorrect horse battery staple" };

        var init = sandbox.RunBare(null, right, "--store", store, "--passphrase-env", "TS_PASS", "init");
        var put = sandbox.RunBare(null, right, "--store", store, "--passphrase-env", "TS_PASS", "put", "--user", "ada@example.com", "--access-token", "1000.abc");
        var list = sandbox.RunBare(null, right, "--store", store, "--passphrase-env", "TS_PASS", "list", "--json");
        var wrongList = sandbox.RunBare(null, wrong, "--store", store, "--passphrase-env", "TS_PASS", "list");
        var both = sandbox.RunBare(null, right, "--store", store, "--passphrase-env", "TS_PASS", "--key-file", sandbox.KeyPath, "list");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(JsonDocument.Parse(list.StdOut).RootElement.GetArrayLength(), Is.EqualTo(1));
            AssertError(wrongList, 3, "error: WRONG_KEY");
            AssertError(both, 2, "error: give one master key option, not --key-file and --passphrase-env");
        });
    }

    [Test]
    public void Stats_StoreWithTokens_CountsPerKeyVersion()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"), CliTokens.Token("bob@example.com"));

        var stats = sandbox.Run("stats", "--json");

        Assert.That(stats.ExitCode, Is.EqualTo(0), stats.ToString());
        var json = JsonDocument.Parse(stats.StdOut).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("token_count").GetInt32(), Is.EqualTo(2));
            Assert.That(json.GetProperty("format_version").GetInt32(), Is.GreaterThanOrEqualTo(1));
            Assert.That(json.GetProperty("file_size_bytes").GetInt64(), Is.GreaterThan(0));
            Assert.That(json.GetProperty("keys").EnumerateArray().Where(k => k.GetProperty("purpose").GetString() == "data").Sum(k => k.GetProperty("token_count").GetInt32()), Is.EqualTo(2));
        });
    }

    [Test]
    public void Help_NoStackTraceAndExitZero()
    {
        var help = CliRunner.Run(["--help"]);

        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.EqualTo(0));
            Assert.That(help.StdOut, Does.Contain("import").And.Contain("export").And.Contain("demo"));
        });
    }

    internal static string TokenJson(OAuthToken token) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["id"] = token.Id,
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

    internal static void AssertError(CliResult result, int exitCode, string stderrStart)
    {
        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.ToString());
        Assert.That(result.StdErr, Does.StartWith(stderrStart), result.ToString());
        Assert.That(result.StdErr, Does.Not.Contain("   at "), "no stack trace");
    }

    internal static void AssertOwnerOnly(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(System.IO.File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), path);
        }
    }

    private static string? Id(CliResult result)
    {
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        return JsonDocument.Parse(result.StdOut).RootElement.GetProperty("id").GetString();
    }
}
