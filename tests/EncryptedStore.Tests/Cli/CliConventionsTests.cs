using System.Runtime.Versioning;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// What a daily user of gh and dotnet expects of a command line, each found missing by trying the tool (issue 17):
/// run as child processes of the built tool.
/// </summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class CliConventionsTests
{
    [Test]
    public void Bare_NoArguments_PrintsHelpAndExitsZero()
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var bare = sandbox.RunBare(null, null);

        Assert.Multiple(() =>
        {
            Assert.That(bare.ExitCode, Is.EqualTo(0), bare.ToString());
            Assert.That(bare.StdOut, Does.Contain("Usage:").And.Contain("Commands:"));
            Assert.That(bare.StdErr, Does.Not.Contain("error"));
        });
    }

    [TestCase("lst", "'list'")]
    [TestCase("delet", "'delete'")]
    [TestCase("verfy", "'verify'")]
    public void MistypedCommand_SuggestsTheCommand(string typed, string suggestion)
    {
        using var sandbox = CliSandbox.Create();

        var result = sandbox.Run(typed);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.StdErr, Does.StartWith($"error: unknown command '{typed}'.\nDid you mean {suggestion}?\n"));
            Assert.That(result.StdErr, Does.Not.Contain("Required command").And.Not.Contain("argument 1"));
        });
    }

    [Test]
    public void MistypedOption_SuggestsTheOption()
    {
        using var sandbox = CliSandbox.Create();

        var result = sandbox.Run("list", "--jsn");

        Assert.That(result.StdErr, Does.StartWith("error: unknown option '--jsn'.\nDid you mean '--json'?"), result.ToString());
    }

    [Test]
    public void MistypedValue_SuggestsNothingAndEchoesNothing()
    {
        using var sandbox = CliSandbox.Create();

        var result = sandbox.Run("put", "1000.secretvaluethatisnotacommand");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.StdErr, Does.Not.Contain("Did you mean").And.Not.Contain("secretvalue"));
        });
    }

    [Test]
    public void Delete_IdAsArgumentOrOption_BothWorkAndOneIsRequired()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "ada1");
        var bob = CliTokens.Token("bob@example.com", id: "bob1");
        sandbox.Save(ada, bob);

        var positional = sandbox.Run("delete", "ada1");
        var option = sandbox.Run("delete", "--id", "bob1");
        var neither = sandbox.Run("delete");
        var both = sandbox.Run("delete", "x1", "--id", "x2");

        Assert.Multiple(() =>
        {
            Assert.That(positional.ExitCode, Is.EqualTo(0), positional.ToString());
            Assert.That(option.ExitCode, Is.EqualTo(0), option.ToString());
            Assert.That(neither.ExitCode, Is.EqualTo(2), neither.ToString());
            Assert.That(both.ExitCode, Is.EqualTo(2), both.ToString());
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [TestCase("tomorrow")]
    [TestCase("2026-12-31")]
    [TestCase("-5")]
    [TestCase("1.5")]
    public void Put_ExpiryTimeNotEpochMilliseconds_IsAUsageErrorAndSavesNothing(string expiry)
    {
        using var sandbox = CliSandbox.Create();

        var put = sandbox.Run("put", "--user", "ada@example.com", "--refresh-token", "1000.abc", "--expiry-time", expiry);

        Assert.Multiple(() =>
        {
            Assert.That(put.ExitCode, Is.EqualTo(2), put.ToString());
            Assert.That(put.StdErr, Does.Contain("epoch milliseconds"));
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    public void Put_IdAndOneField_UpdatesThatFieldAndKeepsTheRest()
    {
        using var sandbox = CliSandbox.Create();
        var ada = CliTokens.Token("ada@example.com", id: "ada1");
        sandbox.Save(ada);

        var put = sandbox.Run("put", "--id", "ada1", "--expiry-time", "1767225600000");

        var stored = sandbox.Tokens()["ada1"];
        Assert.Multiple(() =>
        {
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(stored.ExpiresIn, Is.EqualTo("1767225600000"));
            Assert.That(stored.RefreshToken, Is.EqualTo(ada.RefreshToken));
            Assert.That(stored.UserSignature?.Name, Is.EqualTo("ada@example.com"));
        });
    }

    [Test]
    public void Import_CsvRowWithExpiryNotANumber_IsReportedAndNothingImported()
    {
        using var sandbox = CliSandbox.Create();
        var path = sandbox.File("tokens.csv");
        File.WriteAllText(path, "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n"
            + "1,ada@example.com,1000.A,,1000.r,,,notanumber,,\n");

        var result = sandbox.Run("import", "--from", "zoho-csv", path);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.StdErr, Does.Contain("line 2").And.Contain("epoch milliseconds"));
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    public void Init_KeyFileAndStoreInFoldersThatDoNotExist_MakesThemOwnerOnly()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var key = sandbox.File("config/myapp/master.key");
        var store = sandbox.File("data/myapp/tokens.db");

        var init = sandbox.RunBare(null, null, "--store", store, "init", "--create-key-file", key);

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(File.Exists(key) && File.Exists(store), Is.True);
            Assert.That(File.GetUnixFileMode(sandbox.File("config/myapp")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(File.GetUnixFileMode(sandbox.File("data/myapp")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        });
    }

    [Test]
    public void Init_StoreIsAFolder_SaysSoAndCreatesNothing()
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var init = sandbox.RunBare(null, null, "--store", sandbox.Path, "init", "--create-key-file", sandbox.File("new.key"));

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(1), init.ToString());
            Assert.That(init.StdErr, Does.Contain("is a folder").And.Not.Contain("Exception"));
            Assert.That(File.Exists(sandbox.File("new.key")), Is.False);
        });
    }

    [Test]
    public void List_EmptyStoreFileOpenToOthers_IsRefusedAndLeftAsItWas()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        File.WriteAllBytes(sandbox.StorePath, []);
        File.SetUnixFileMode(sandbox.StorePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var list = sandbox.Run("list");

        Assert.Multiple(() =>
        {
            Assert.That(list.ExitCode, Is.Not.EqualTo(0), list.ToString());
            Assert.That(list.StdErr, Does.Contain("UNSAFE_FILE"));
            Assert.That(new FileInfo(sandbox.StorePath).Length, Is.Zero);
        });
    }

    [Test]
    public void Purge_DeclinedAtTheTerminal_ExitsTwoAndDeletesNothing()
    {
        Assume.That(File.Exists("/usr/bin/script"), "needs util-linux 'script' to give the tool a terminal");
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var command = $"dotnet '{CliRunner.DllPath}' --store '{sandbox.StorePath}' --key-file '{sandbox.KeyPath}' purge";

        var result = CliRunner.RunProgram("/usr/bin/script", ["-qec", command, "/dev/null"], "n\n", sandbox.Path);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.AllOutput, Does.Contain("Nothing deleted"));
            Assert.That(sandbox.Tokens(), Has.Count.EqualTo(1));
        });
    }
}
