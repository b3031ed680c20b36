using System.Text.RegularExpressions;

namespace EncryptedStore.Tests.Cli;

/// <summary><c>demo</c>: works on a fresh machine with no arguments and leaves a store the other commands open.</summary>
[Parallelizable(ParallelScope.All)]
[Category("Slow")]
public partial class DemoCommandTests
{
    [Test]
    public void Demo_NoArguments_RunsTheSdkFlowAndExitsZero()
    {
        var result = CliRunner.Run(["demo"]);
        var folder = CleanUpFolder().Match(result.StdOut).Groups[1].Value;
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
                Assert.That(result.StdErr, Is.Empty);
                Assert.That(result.StdOut, Does.Contain("SaveToken(token) → inserted"));
                Assert.That(result.StdOut, Does.Contain("FindToken(user_name + client_id)"));
                Assert.That(result.StdOut, Does.Contain("access token expired").And.Contain("→ updated"));
                Assert.That(result.StdOut, Does.Contain("OK: 2 token(s)"));
                Assert.That(result.StdOut, Does.Contain("it noticed the other's write"));
                Assert.That(FullZohoToken().IsMatch(result.StdOut), Is.False, "a token value printed in full");
                Assert.That(Directory.Exists(folder), Is.True, folder);
                Assert.That(File.Exists(Path.Combine(folder, "tokens.db")) && File.Exists(Path.Combine(folder, "master.key")), Is.True);
            });
        }
        finally
        {
            if (folder.Length > 0 && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Test]
    public void Demo_Dir_LeavesAStoreTheOtherCommandsOpen()
    {
        using var sandbox = CliSandbox.Create(withStore: false);
        var folder = sandbox.File("demo");

        var demo = sandbox.RunBare(null, null, "demo", "--dir", folder);
        var again = sandbox.RunBare(null, null, "demo", "--dir", folder);
        var verify = sandbox.RunBare(null, null, "--store", Path.Combine(folder, "tokens.db"), "--key-file", Path.Combine(folder, "master.key"), "verify");

        Assert.Multiple(() =>
        {
            Assert.That(demo.ExitCode, Is.EqualTo(0), demo.ToString());
            CommandsEndToEndTests.AssertError(again, 1, "error: ");
            Assert.That(verify.ExitCode, Is.EqualTo(0), verify.ToString());
        });
    }

    [GeneratedRegex("Clean up +rm -r \"([^\"]+)\"")]
    private static partial Regex CleanUpFolder();

    [GeneratedRegex(@"1000\.[0-9a-f]{32}\.[0-9a-f]{32}")]
    internal static partial Regex FullZohoToken();
}
