using System.Diagnostics;
using System.Text;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>import --from zoho-csv</c> with files as the C# and Python SDKs write them.</summary>
[Parallelizable(ParallelScope.All)]
public class ZohoCsvImportTests
{
    private const string CSharpHeader = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain";
    private const string PythonHeader = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain";

    [Test]
    public void Import_CSharpFileStoreAsTheSdkWritesIt_ImportsEveryRowWithItsIdAndEmptyAsNull()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        var adaSandbox = CliTokens.Token("ada@example.com", CliTokens.ClientB, id: "10");
        var csv = CSharpHeader + "\n" + Row(ada) + "\n"
            // The SDK writes a row right after the grant exchange with no access token, grant token or expiry yet.
            + $"2,bob@example.com,{bob.ClientId},{bob.ClientSecret},{bob.RefreshToken},,,,,\n"
            + Row(adaSandbox) + "\n";
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, csv);

        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var tokens = sandbox.Tokens();
        Assert.Multiple(() =>
        {
            Assert.That(result.StdErr, Does.Contain("Imported 3 of 3 token(s)"));
            Assert.That(result.StdErr, Does.Contain("\nwarning: ").And.Contain("plain text"));
            Assert.That(tokens.Keys, Is.EquivalentTo(Ids("1", "2", "10")));
            AssertSame(tokens["1"], ada);
            AssertSame(tokens["10"], adaSandbox);
            Assert.That(tokens["2"].RefreshToken, Is.EqualTo(bob.RefreshToken));
            Assert.That(tokens["2"].AccessToken, Is.Null);
            Assert.That(tokens["2"].ExpiresIn, Is.Null);
            Assert.That(tokens["2"].APIDomain, Is.Null);
            Assert.That(File.Exists(path), Is.True, "kept without --wipe-source");
        });
    }

    [Test]
    public void Import_PythonFileStoreWithQuotingAndCrlf_ReadsQuotedCommasAndRedirectUri()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var path = sandbox.File("python_tokens.csv");
        var csv = PythonHeader + "\r\n"
            + $"1,ada@example.com,{ada.ClientId},{ada.ClientSecret},{ada.RefreshToken},{ada.AccessToken},,{ada.ExpiresIn},\"https://app.example.com/cb?a=1,2\",{ada.APIDomain}\r\n"
            + $"\"2\",\"bob@example.com\",\"{ada.ClientId}\",\"{ada.ClientSecret}\",\"1000.bob\"\"quoted\",\"\",\"\",\"\",\"\",\"\"\r\n";
        File.WriteAllText(path, csv);

        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var tokens = sandbox.Tokens();
        Assert.Multiple(() =>
        {
            Assert.That(tokens["1"].RedirectURL, Is.EqualTo("https://app.example.com/cb?a=1,2"));
            Assert.That(tokens["1"].GrantToken, Is.Null);
            Assert.That(tokens["2"].RefreshToken, Is.EqualTo("1000.bob\"quoted"));
            Assert.That(tokens["2"].AccessToken, Is.Null);
        });
    }

    [TestCase(CSharpHeader + "\n", TestName = "Import_HeaderOnlyWithNewline_ImportsNothingAndSucceeds")]
    [TestCase(CSharpHeader, TestName = "Import_HeaderOnlyWithoutNewline_ImportsNothingAndSucceeds")]
    [TestCase(CSharpHeader + "\n\n\n", TestName = "Import_HeaderAndBlankLines_ImportsNothingAndSucceeds")]
    public void Import_HeaderOnly_ImportsNothingAndSucceeds(string content)
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, content);

        var result = sandbox.Run("import", "--from", "zoho-csv", path, "--json");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StdOut, Does.Contain("\"rows\": 0").And.Contain("\"imported\": 0"));
    }

    [Test]
    [Category("Slow")]
    public void Import_MalformedAndDuplicateRows_ReportsEachByLineAndWritesNothing()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "1");
        var bob = CliTokens.Token("bob@example.com", id: "2");
        var carol = CliTokens.Token("carol@example.com", id: "1");
        var adaAgain = CliTokens.Token("ada@example.com", generation: 1, id: "4");
        var dave = CliTokens.Token("dave@example.com", id: "6");
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, CSharpHeader + "\n"
            + Row(ada) + "\n"                                           // line 2: fine
            + Row(bob).Replace(bob.ClientSecret!, bob.ClientSecret + ",x", StringComparison.Ordinal) + "\n" // line 3: 11 fields
            + Row(carol) + "\n"                                         // line 4: id 1 again
            + Row(adaAgain) + "\n"                                      // line 5: same user and client as line 2
            + "5,,1000.CLIENTA,,,,,,,\n"                                // line 6: nothing to find it by
            + Row(dave).Replace(dave.RedirectURL!, "\"" + dave.RedirectURL, StringComparison.Ordinal) + "\n"); // line 7: open quote

        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.StdErr, Does.Contain("line 3").And.Contain("11 fields"));
            Assert.That(result.StdErr, Does.Contain("line 4").And.Contain("duplicate id: line 2 has the same id"));
            Assert.That(result.StdErr, Does.Contain("line 5").And.Contain("duplicate: line 2 has the same user name and client id"));
            Assert.That(result.StdErr, Does.Contain("line 6").And.Contain("INVALID_TOKEN"));
            Assert.That(result.StdErr, Does.Contain("line 7").And.Contain("quoted field is not closed"));
            Assert.That(result.StdErr, Does.Contain("error: 5 of 6 row(s) have problems; nothing was imported."));
            Assert.That(sandbox.Tokens(), Is.Empty);
            foreach (var token in new[] { ada, bob, carol, adaAgain, dave })
            {
                foreach (var secret in CliTokens.Secrets(token))
                {
                    Assert.That(result.AllOutput, Does.Not.Contain(secret));
                }
            }
        });

        var skipping = sandbox.Run("import", "--from", "zoho-csv", path, "--skip-invalid");

        Assert.Multiple(() =>
        {
            Assert.That(skipping.ExitCode, Is.EqualTo(0), skipping.ToString());
            Assert.That(skipping.StdErr, Does.Contain("Imported 1 of 6"));
            Assert.That(sandbox.Tokens().Keys, Is.EquivalentTo(Ids("1")));
        });
    }

    [Test]
    [Category("Slow")]
    public void Import_RowsClashingWithTheStore_ReportedAndNothingWritten()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com", id: "1"));
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, CSharpHeader + "\n"
            + Row(CliTokens.Token("bob@example.com", id: "1")) + "\n"
            + Row(CliTokens.Token("ada@example.com", generation: 2, id: "7")) + "\n"
            + Row(CliTokens.Token("carol@example.com", id: "8")) + "\n");

        var dryRun = sandbox.Run("import", "--from", "zoho-csv", path, "--dry-run", "--json");
        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        Assert.Multiple(() =>
        {
            Assert.That(dryRun.ExitCode, Is.EqualTo(1), dryRun.ToString());
            Assert.That(dryRun.StdOut, Does.Contain("\"valid\": 1").And.Contain("token '1' already in the store"));
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.StdErr, Does.Contain("line 2").And.Contain("line 3").And.Not.Contain("line 4"));
            Assert.That(sandbox.Tokens().Keys, Is.EquivalentTo(Ids("1")));
        });
    }

    [Test]
    public void Import_DryRun_ReportsAndWritesNothing()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, CSharpHeader + "\n" + Row(CliTokens.Token("ada@example.com", id: "1")) + "\n");

        var result = sandbox.Run("import", "--from", "zoho-csv", path, "--dry-run");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(result.StdErr, Does.Contain("Dry run: 1 of 1"));
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    public void Import_WipeSource_OverwritesTheFileWithZerosAndDeletesIt()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("sdk_tokens.txt");
        var content = CSharpHeader + "\n" + Row(CliTokens.Token("ada@example.com", id: "1")) + "\n";
        File.WriteAllText(path, content);
        var observer = sandbox.File("observer");
        var canObserve = HardLink(path, observer);

        var result = sandbox.Run("import", "--from", "zoho-csv", path, "--wipe-source");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(result.StdErr, Does.Contain("Wiped the source"));
            Assert.That(File.Exists(path), Is.False);
            Assert.That(sandbox.Tokens().Keys, Is.EquivalentTo(Ids("1")));
            if (canObserve)
            {
                // A hard link still sees the blocks the file had: all zeros now.
                var bytes = File.ReadAllBytes(observer);
                Assert.That(bytes, Has.Length.EqualTo(Encoding.UTF8.GetByteCount(content)));
                Assert.That(bytes, Is.All.EqualTo((byte)0));
            }
        });
    }

    [TestCase("--dry-run")]
    [TestCase("--skip-invalid")]
    public void Import_WipeSourceWithPartialImport_UsageError(string option)
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("sdk_tokens.txt");
        File.WriteAllText(path, CSharpHeader + "\n");

        var result = sandbox.Run("import", "--from", "zoho-csv", path, "--wipe-source", option);

        CommandsEndToEndTests.AssertError(result, 2, "error: --wipe-source needs a complete import");
        Assert.That(File.Exists(path), Is.True);
    }

    [Test]
    public void Import_NotATokenFile_FailsNamingNoValue()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("sdk_tokens.txt");
        var ada = CliTokens.Token("ada@example.com", id: "1");
        File.WriteAllText(path, Row(ada) + "\n");

        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        CommandsEndToEndTests.AssertError(result, 1, "error: Zoho FileStore CSV");
        Assert.That(result.AllOutput, Does.Not.Contain(ada.ClientSecret));
    }

    internal static string Row(OAuthToken t) =>
        string.Join(',', t.Id, t.UserSignature?.Name, t.ClientId, t.ClientSecret, t.RefreshToken, t.AccessToken, t.GrantToken, t.ExpiresIn, t.RedirectURL, t.APIDomain);

    internal static void AssertSame(OAuthToken actual, OAuthToken expected)
    {
        Assert.That(actual.UserSignature?.Name, Is.EqualTo(expected.UserSignature?.Name));
        Assert.That(actual.ClientId, Is.EqualTo(expected.ClientId));
        Assert.That(actual.ClientSecret, Is.EqualTo(expected.ClientSecret));
        Assert.That(actual.RefreshToken, Is.EqualTo(expected.RefreshToken));
        Assert.That(actual.AccessToken, Is.EqualTo(expected.AccessToken));
        Assert.That(actual.GrantToken, Is.EqualTo(expected.GrantToken));
        Assert.That(actual.ExpiresIn, Is.EqualTo(expected.ExpiresIn));
        Assert.That(actual.RedirectURL, Is.EqualTo(expected.RedirectURL));
        Assert.That(actual.APIDomain, Is.EqualTo(expected.APIDomain));
    }

    internal static string[] Ids(params string[] ids) => ids;

    private static bool HardLink(string path, string link)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        using var ln = Process.Start("ln", [path, link]);
        ln.WaitForExit();
        return ln.ExitCode == 0;
    }
}
