namespace EncryptedStore.Tests.Cli;

/// <summary><c>rotate</c>, <c>change-master-key</c> and <c>compact</c>, as child processes of the built tool.</summary>
[Parallelizable(ParallelScope.All)]
public class KeyCommandsTests
{
    [Test]
    [Category("Slow")]
    public void Rotate_WithIndexAndDestroyOld_TokensIntactUnderNewKeysAndOldKeysDestroyed()
    {
        using var sandbox = CliSandbox.Create();
        var tokens = Enumerable.Range(0, 30).Select(i => CliTokens.Token($"u{i}@example.com")).ToArray();
        sandbox.Save(tokens);

        var rotate = sandbox.Run("rotate", "--index", "--batch-size", "7", "--destroy-old");
        Assert.That(rotate.ExitCode, Is.EqualTo(0), rotate.ToString());
        Assert.That(rotate.StdErr, Does.Contain("Rotated: 30 of 30 token(s) re-encrypted").And.Contain("Destroyed key version(s)"));

        using var store = sandbox.OpenStore();
        var statistics = store.GetStatistics();
        Assert.Multiple(() =>
        {
            Assert.That(statistics.Keys.Where(k => k.State == StoreKeyState.Active).Select(k => k.RecordCount).ToList(), Has.Count.EqualTo(2).And.All.EqualTo(30));
            Assert.That(statistics.Keys.Where(k => k.State != StoreKeyState.Active).Select(k => k.State), Is.All.EqualTo(StoreKeyState.Destroyed));
            Assert.That(store.GetTokens().Cast<OAuthToken>().Select(t => t.RefreshToken), Is.EquivalentTo(tokens.Select(t => t.RefreshToken)));
            Assert.That(rotate.AllOutput, Does.Not.Contain(tokens[0].RefreshToken));
        });
    }

    [Test]
    public void Rotate_BadBatchSize_IsAUsageError()
    {
        using var sandbox = CliSandbox.Create();
        var rotate = sandbox.Run("rotate", "--batch-size", "0");
        Assert.That(rotate.ExitCode, Is.EqualTo(2), rotate.ToString());
    }

    [Test]
    [Category("Slow")]
    public void ChangeMasterKey_ToANewKeyFile_OldKeyRefusedNewKeyOpens()
    {
        using var sandbox = CliSandbox.Create();
        var token = CliTokens.Token("ada@example.com");
        sandbox.Save(token);
        var newKey = sandbox.File("new.key");

        var change = sandbox.Run("change-master-key", "--create-new-key-file", newKey);
        Assert.That(change.ExitCode, Is.EqualTo(0), change.ToString());

        var withOld = sandbox.Run("list");
        var withNew = sandbox.RunBare(null, null, "--store", sandbox.StorePath, "--key-file", newKey, "get", "--id", token.Id!, "--json", "--reveal");
        Assert.Multiple(() =>
        {
            Assert.That(withOld.ExitCode, Is.EqualTo(3), withOld.ToString());
            Assert.That(withNew.ExitCode, Is.EqualTo(0), withNew.ToString());
            Assert.That(withNew.StdOut, Does.Contain(token.RefreshToken!));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(System.IO.File.GetUnixFileMode(newKey), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        });
    }

    [Test]
    public void ChangeMasterKey_NoNewKey_IsAUsageErrorAndNothingChanges()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(CliTokens.Token("ada@example.com"));
        var change = sandbox.Run("change-master-key");
        var list = sandbox.Run("list");
        Assert.Multiple(() =>
        {
            Assert.That(change.ExitCode, Is.EqualTo(2), change.ToString());
            Assert.That(list.ExitCode, Is.EqualTo(0), list.ToString());
        });
    }

    [Test]
    [Category("Slow")]
    public void Compact_AfterPurge_ShrinksTheFileAndKeepsTheStore()
    {
        using var sandbox = CliSandbox.Create();
        sandbox.Save(Enumerable.Range(0, 300).Select(i => CliTokens.Token($"u{i}@example.com")).ToArray());
        Assert.That(sandbox.Run("purge", "--yes").ExitCode, Is.EqualTo(0));
        var before = new FileInfo(sandbox.StorePath).Length;

        var compact = sandbox.Run("compact");
        var stats = sandbox.Run("stats");
        Assert.Multiple(() =>
        {
            Assert.That(compact.ExitCode, Is.EqualTo(0), compact.ToString());
            Assert.That(new FileInfo(sandbox.StorePath).Length, Is.LessThan(before));
            Assert.That(stats.ExitCode, Is.EqualTo(0), stats.ToString());
        });
    }
}
