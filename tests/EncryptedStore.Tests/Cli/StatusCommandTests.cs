using System.Runtime.Versioning;
using System.Text.Json;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>tokenstore status</c>: the settings in effect with their sources, the store file, the key, and the contents.</summary>
[Parallelizable(ParallelScope.All)]
[UnsupportedOSPlatform("windows")]
public class StatusCommandTests
{
    [Test]
    public void Status_AllUsable_ShowsEachSettingsSourceAndTheContents()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"), CliTokens.Token("bob@example.com"));
        var configHome = DefaultsTests.WriteConfig(sandbox, """{ "key_file": "../../master.key" }""");
        var environment = DefaultsTests.Variables(("XDG_CONFIG_HOME", configHome), ("TOKENSTORE_STORE", sandbox.StorePath));

        var status = sandbox.RunBare(null, environment, "--lock-timeout", "7", "status", "--json");

        using var json = JsonDocument.Parse(status.StdOut);
        var root = json.RootElement;
        var settings = root.GetProperty("settings");
        Assert.Multiple(() =>
        {
            Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
            Assert.That(settings.GetProperty("store").GetProperty("source").GetString(), Is.EqualTo("env TOKENSTORE_STORE"));
            Assert.That(settings.GetProperty("key_file").GetProperty("source").GetString(), Does.StartWith("config ").And.EndWith("config.json"));
            Assert.That(settings.GetProperty("key_file").GetProperty("value").GetString(), Is.EqualTo(sandbox.KeyPath));
            Assert.That(settings.GetProperty("lock_timeout").GetProperty("source").GetString(), Is.EqualTo("flag --lock-timeout"));
            Assert.That(settings.GetProperty("shared").GetProperty("source").GetString(), Is.EqualTo("default"));
            Assert.That(root.GetProperty("store").GetProperty("permissions").GetString(), Is.EqualTo("0600"));
            Assert.That(root.GetProperty("master_key").GetProperty("reachable").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("token_count").GetInt32(), Is.EqualTo(2));
            Assert.That(root.GetProperty("key_versions").GetArrayLength(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Status_NoStoreFile_ExitsFive()
    {
        using var sandbox = CliSandbox.Create(withStore: false);

        var status = sandbox.Run("status");

        Assert.Multiple(() =>
        {
            Assert.That(status.ExitCode, Is.EqualTo(5), status.ToString());
            Assert.That(status.StdOut, Does.Contain("not found").And.Contain("flag --store"));
        });
    }

    [Test]
    public void Status_KeyUnavailable_ExitsThreeAndShowsNoSecret()
    {
        using var sandbox = CliSandbox.Create();
        const string Passphrase = "a-passphrase-nobody-should-see";
        var environment = DefaultsTests.Variables(("TOKENSTORE_STORE", sandbox.StorePath), ("TOKENSTORE_PASSPHRASE_ENV", "TS_TEST_PASSPHRASE"), ("TS_TEST_PASSPHRASE", Passphrase));
        File.SetUnixFileMode(sandbox.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var wrongPassphrase = sandbox.RunBare(null, environment, "status");
        var openKeyFile = sandbox.RunBare(null, environment, "--key-file", sandbox.KeyPath, "status", "--no-open");

        Assert.Multiple(() =>
        {
            Assert.That(wrongPassphrase.ExitCode, Is.EqualTo(3), wrongPassphrase.ToString());
            Assert.That(wrongPassphrase.StdOut, Does.Contain("env TOKENSTORE_PASSPHRASE_ENV").And.Contain("WRONG_KEY"));
            Assert.That(openKeyFile.ExitCode, Is.EqualTo(3), openKeyFile.ToString());
            Assert.That(openKeyFile.StdOut, Does.Contain("open to other users").And.Not.Contain("tokens "));
            Assert.That(wrongPassphrase.AllOutput + openKeyFile.AllOutput, Does.Not.Contain(Passphrase));
        });
    }
}
