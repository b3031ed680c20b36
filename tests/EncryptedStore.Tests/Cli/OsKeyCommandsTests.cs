using System.Runtime.Versioning;
using EncryptedStore.Tests.Keys.Sources;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>--os-key</c> end to end: the built tool as child processes on a private D-Bus session with a real, unlocked
/// gnome-keyring (<see cref="SecretServiceSession"/>), which the children reach through <c>DBUS_SESSION_BUS_ADDRESS</c>.
/// </summary>
[Platform("Linux")]
[SupportedOSPlatform("linux")]
[Parallelizable(ParallelScope.All)]
public sealed class OsKeyCommandsTests : SecretServiceFixture
{
    [Test]
    [Category("Slow")]
    public void OsKey_InitPutGetThenChangeToAKeyFileAndBack_EachKeyWorksOnlyWhenInForce()
    {
        var session = Session;
        using var sandbox = CliSandbox.Create(withStore: false);
        var environment = session.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        var first = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var second = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var token = CliTokens.Token("a@example.com");
        CliResult Run(params string[] args) => sandbox.RunBare(null, environment, ["--store", sandbox.StorePath, .. args]);

        var init = Run("--os-key", first, "init");
        var put = Run("--os-key", first, "put", "--user", token.UserSignature!.Name, "--client-id", token.ClientId!, "--refresh-token", token.RefreshToken!);
        var toKeyFile = Run("--os-key", first, "change-master-key", "--new-key-file", sandbox.KeyPath);
        var oldOsKey = Run("--os-key", first, "list");
        var keyFile = Run("--key-file", sandbox.KeyPath, "list");
        var toOsKey = Run("--key-file", sandbox.KeyPath, "change-master-key", "--new-os-key", second, "--key-ring-only");
        var oldKeyFile = Run("--key-file", sandbox.KeyPath, "list");
        var list = Run("--os-key", second, "list");
        var typo = Run("--os-key", second + "x", "list");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(init.StdErr, Does.Contain($"OS key store key '{first}'"));
            Assert.That(session.ReadWithSecretTool(first), Has.Length.EqualTo(MasterKey.GeneratedKeyLength), "init made the key in the keyring");
            Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
            Assert.That(toKeyFile.ExitCode, Is.EqualTo(0), toKeyFile.ToString());
            Assert.That(oldOsKey.ExitCode, Is.EqualTo(3), oldOsKey.ToString());
            Assert.That(oldOsKey.StdErr, Does.Contain("WRONG_KEY"));
            Assert.That(keyFile.ExitCode, Is.EqualTo(0), keyFile.ToString());
            Assert.That(toOsKey.ExitCode, Is.EqualTo(0), toOsKey.ToString());
            Assert.That(oldKeyFile.ExitCode, Is.EqualTo(3), oldKeyFile.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
            Assert.That(list.StdOut, Does.Contain("a@example.com"));
            Assert.That(typo.ExitCode, Is.EqualTo(3), typo.ToString());
            Assert.That(typo.StdErr, Does.Contain("MASTER_KEY_NOT_FOUND"));
            Assert.That(session.CountItems(second + "x"), Is.Zero, "a command other than init never makes a key");
            Assert.That(sandbox.Runs.Select(r => r.AllOutput), Has.None.Contain(token.RefreshToken!));
        });
    }

    [Test]
    [Category("Slow")]
    public void ChangeMasterKey_FromAKeyFileToTheOsKeyStoreAndBack_FullProcedureKeepsEveryToken()
    {
        var session = Session;
        using var sandbox = CliSandbox.Create();
        var environment = session.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var tokens = Enumerable.Range(0, 3).Select(i => CliTokens.Token($"u{i}@example.com")).ToArray();
        sandbox.Save(tokens);
        var backKey = sandbox.File("back.key");
        CliResult Run(params string[] args) => sandbox.RunBare(null, environment, ["--store", sandbox.StorePath, .. args]);

        var toOsKey = Run("--key-file", sandbox.KeyPath, "change-master-key", "--new-os-key", name);
        var oldKeyFile = Run("--key-file", sandbox.KeyPath, "list");
        var withOsKey = Run("--os-key", name, "list");
        var back = Run("--os-key", name, "change-master-key", "--create-new-key-file", backKey);
        var oldOsKey = Run("--os-key", name, "list");
        var withKeyFile = Run("--key-file", backKey, "list");

        Assert.Multiple(() =>
        {
            Assert.That(toOsKey.ExitCode, Is.EqualTo(0), toOsKey.ToString());
            Assert.That(toOsKey.StdErr, Does.Contain("3 token(s) re-encrypted"));
            Assert.That(oldKeyFile.ExitCode, Is.EqualTo(3), oldKeyFile.ToString());
            Assert.That(withOsKey.ExitCode, Is.EqualTo(0), withOsKey.ToString());
            Assert.That(back.ExitCode, Is.EqualTo(0), back.ToString());
            Assert.That(oldOsKey.ExitCode, Is.EqualTo(3), oldOsKey.ToString());
            Assert.That(withKeyFile.ExitCode, Is.EqualTo(0), withKeyFile.ToString());
            Assert.That(tokens.Select(t => t.UserSignature!.Name), Is.All.Matches<string>(mail => withKeyFile.StdOut.Contains(mail, StringComparison.Ordinal)));
        });
    }

    [Test]
    public void OsKey_KeyringLocked_ExitsThreeWithMasterKeyLocked()
    {
        using var session = SecretServiceSession.Start();
        using var sandbox = CliSandbox.Create(withStore: false);
        var environment = session.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var init = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--os-key", name, "init");
        session.Lock();

        var list = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--os-key", name, "list");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(0), init.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(3), list.ToString());
            Assert.That(list.StdErr, Does.Contain("MASTER_KEY_LOCKED").And.Contain("unlock"));
        });
    }

    [Test]
    public void OsKey_NoSessionBus_ExitsThreeWithMasterKeyUnavailableAndCreatesNoStore()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var environment = new Dictionary<string, string?> { ["DBUS_SESSION_BUS_ADDRESS"] = null };

        var init = sandbox.RunBare(null, environment, "--store", sandbox.StorePath, "--os-key", "app", "init");

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.EqualTo(3), init.ToString());
            Assert.That(init.StdErr, Does.Contain("MASTER_KEY_UNAVAILABLE"));
            Assert.That(File.Exists(sandbox.StorePath), Is.False);
        });
    }
}
