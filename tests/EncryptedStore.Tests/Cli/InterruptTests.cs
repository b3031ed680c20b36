using System.Globalization;
using System.Text;

namespace EncryptedStore.Tests.Cli;

/// <summary>Ctrl-C (SIGINT) and SIGTERM: a real child process is signalled mid-work; it says what state the store is in and exits 130.</summary>
[Category("Slow")]
public class InterruptTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A Zoho FileStore CSV of <paramref name="count"/> distinct tokens (checking them takes some seconds).</summary>
    internal static string WriteCsv(CliSandbox sandbox, int count)
    {
        var csv = new StringBuilder("id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n");
        for (var i = 0; i < count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i + 1},user{i}@example.com,1000.CLIENT{i:D6},secret{i:D8},1000.refresh{i:D10},1000.access{i:D10},,{CliTokens.ExpiryTime},{CliTokens.RedirectUrl},{CliTokens.ApiDomain}\n");
        }

        var path = sandbox.File("tokens.csv");
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    [Test]
    public void Import_InterruptedWhileChecking_SavesNothingAndExits130()
    {
        using var sandbox = CliSandbox.Create();
        var csv = WriteCsv(sandbox, 5_000);
        using var import = BackgroundCli.Start(["--store", sandbox.StorePath, "--key-file", sandbox.KeyPath, "import", "--from", "zoho-csv", csv], sandbox.Path);
        var progress = import.WaitForError("checked ", Patience);

        import.Signal("INT");
        var result = import.WaitForExit(Patience);
        var verify = sandbox.Run("verify");

        Assert.Multiple(() =>
        {
            Assert.That(progress, Does.Match(@"^checked [\d,]+ of 5,000 \(\d+%\), [\d,]+/s, about [\w ]+ left$"));
            Assert.That(result.ExitCode, Is.EqualTo(130), result.ToString());
            Assert.That(result.StdErr, Does.Contain("interrupted: nothing was imported; the store is as it was."));
            Assert.That(result.StdErr, Does.Not.Contain("error:"));
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
            Assert.That(sandbox.Tokens(), Is.Empty);
        });
    }

    [Test]
    public void Rotate_Terminated_StopsBetweenBatchesAndVerifyIsClean()
    {
        using var sandbox = CliSandbox.Create();
        using (var store = sandbox.OpenStore())
        {
            store.SaveTokens(Enumerable.Range(0, 10_000).Select(i => CliTokens.Token($"user{i}@example.com")).ToList());
        }

        // One token per transaction, each flushed to disk: long enough to be signalled midway, after the first progress
        // line (2 s in). 2,000 tokens once finished in under 2 s on a quiet machine, before any progress line.
        using var rotate = BackgroundCli.Start(["--store", sandbox.StorePath, "--key-file", sandbox.KeyPath, "rotate", "--batch-size", "1"], sandbox.Path);
        rotate.WaitForError("re-encrypted ", Patience);

        rotate.Signal("TERM");
        var result = rotate.WaitForExit(Patience);
        var verify = sandbox.Run("verify");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(130), result.ToString());
            Assert.That(result.StdErr, Does.Match(@"interrupted: rotation stopped after \d+ of 10000 token\(s\); it resumes at the next open or 'tokenstore rotate'\."));
            Assert.That(result.StdOut, Does.Not.Contain("Rotated"));
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
            Assert.That(sandbox.Tokens(), Has.Count.EqualTo(10_000));
        });
    }

    [Test]
    public void ChangeMasterKey_InterruptedWhileReEncrypting_NewKeyInForceAndRotateDestroyOldFinishes()
    {
        using var sandbox = CliSandbox.Create();
        using (var store = sandbox.OpenStore())
        {
            store.SaveTokens(Enumerable.Range(0, 20_000).Select(i => CliTokens.Token($"user{i}@example.com")).ToList());
        }

        var newKey = new Dictionary<string, string?> { ["NEW_PASSPHRASE"] = "correct horse battery staple 42" };
        using var change = BackgroundCli.Start(
            ["--store", sandbox.StorePath, "--key-file", sandbox.KeyPath, "change-master-key", "--new-passphrase-env", "NEW_PASSPHRASE"], sandbox.Path, newKey);
        change.WaitForError("re-encrypted ", Patience);

        change.Signal("INT");
        var result = change.WaitForExit(Patience);
        var oldKey = sandbox.Run("stats");
        var finish = sandbox.RunBare(null, newKey, "--store", sandbox.StorePath, "--passphrase-env", "NEW_PASSPHRASE", "rotate", "--destroy-old");
        var verify = sandbox.RunBare(null, newKey, "--store", sandbox.StorePath, "--passphrase-env", "NEW_PASSPHRASE", "verify");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(130), result.ToString());
            Assert.That(result.StdErr, Does.Match(@"interrupted: the master key is changed: the store opens with .* only\. Re-encryption stopped after \d+ of 20000 token\(s\)"));
            Assert.That(oldKey.ExitCode, Is.EqualTo(3), "the old key no longer opens the store: " + oldKey);
            Assert.That(finish.ExitCode, Is.EqualTo(0), finish.ToString());
            Assert.That(finish.StdErr, Does.Contain("Destroyed key version(s)"));
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
        });
    }
}
