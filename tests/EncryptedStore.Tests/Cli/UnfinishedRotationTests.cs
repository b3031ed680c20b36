using System.Text.Json;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// A store whose key rotation was interrupted: opening it resumes the rotation in the background, which a user of
/// <c>stats</c> used to sit through without a word. Now <c>stats</c> says so and points to <c>rotate</c>.
/// </summary>
[Category("Slow")]
public class UnfinishedRotationTests
{
    [Test]
    public void Stats_RotationInterruptedEarlier_SaysItIsUnfinishedAndRotateFinishesIt()
    {
        using var sandbox = CliSandbox.Create();
        using (var store = sandbox.OpenStore())
        {
            store.SaveTokens(Enumerable.Range(0, 3_000).Select(i => CliTokens.Token($"user{i}@example.com")).ToList());
            using var cancel = new CancellationTokenSource();

            // Stopped after its first batch of 100: 2,900 records left, three of the background resumption's batches.
            Assert.Throws<OperationCanceledException>(() =>
                store.RotateKeys(new KeyRotationOptions { BatchSize = 100 }, new InlineProgress<KeyRotationProgress>(_ => cancel.Cancel()), cancel.Token));
        }

        var stats = sandbox.Run("stats", "--json");
        var rotate = sandbox.Run("rotate");
        var after = sandbox.Run("stats", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(stats.ExitCode, Is.EqualTo(0), stats.ToString());
            Assert.That(InProgress(stats), Is.True);
            Assert.That(stats.StdErr, Does.Contain("A key rotation is unfinished").And.Contain("'tokenstore rotate'"));
            Assert.That(rotate.ExitCode, Is.EqualTo(0), rotate.ToString());
            Assert.That(InProgress(after), Is.False);
            Assert.That(after.StdErr, Does.Not.Contain("unfinished"));
        });
    }

    private static bool InProgress(CliResult result)
    {
        using var json = JsonDocument.Parse(result.StdOut);
        return json.RootElement.GetProperty("rotation_in_progress").GetBoolean();
    }
}
