using System.Globalization;

namespace EncryptedStore.Tests.Cli;

/// <summary>A command that finds the store held by another process says who holds it, once, and how long it waits.</summary>
[Category("Slow")]
public class LockWaitTests
{
    [Test]
    public void Stats_WhileAnotherProcessHoldsTheStore_NamesItsPidThenFailsWithExit6()
    {
        using var sandbox = CliSandbox.Create();

        // This test process holds the store for as long as the command runs: a holder that finishes by itself (an
        // import) could let go before the command starts on a loaded machine.
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        CliResult result;
        using (sandbox.OpenStore())
        {
            result = sandbox.Run("stats", "--lock-timeout", "1");
        }

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(6), result.ToString());
            Assert.That(result.StdErr, Does.Contain($"waiting for the store (held by PID {pid}, "));
            Assert.That(result.StdErr, Does.Contain("… up to 1 s; --lock-timeout to change"));
            Assert.That(result.StdErr.Split('\n').Count(l => l.StartsWith("waiting", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(result.StdErr, Does.Contain($"error: STORE_LOCKED: '{sandbox.StorePath}' is open in another process (PID {pid}, "));
        });
    }

    [Test]
    public void Stats_LockTimeoutZero_FailsAtOnceWithoutWaitingMessage()
    {
        using var sandbox = CliSandbox.Create();
        using var store = sandbox.OpenStore();

        var result = sandbox.Run("stats", "--lock-timeout", "0");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(6), result.ToString());
            Assert.That(result.StdErr, Does.Not.Contain("waiting for the store"));
            Assert.That(result.StdErr, Does.Contain($"STORE_LOCKED: '{sandbox.StorePath}' is open in another process (PID {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}"));
        });
    }

    [Test]
    public void Compact_WhileThisProcessHoldsTheStore_SaysWhoHoldsItAndHonoursLockTimeout()
    {
        using var sandbox = CliSandbox.Create();
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        CliResult result;
        using (sandbox.OpenStore())
        {
            result = sandbox.Run("compact", "--lock-timeout", "1");
        }

        var afterClose = sandbox.Run("compact");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(6), result.ToString());
            Assert.That(result.StdErr, Does.Contain($"waiting for the store (held by PID {pid}, ").And.Contain("… up to 1 s; --lock-timeout to change"));
            Assert.That(afterClose.ExitCode, Is.EqualTo(0), afterClose.ToString());
        });
    }
}
