using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>The Compact overload with progress and cancellation.</summary>
public class CompactionProgressTests
{
    [Test]
    public void Compact_WithProgress_ReportsEachBatchUpToTheTotal()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveTokens(Enumerable.Range(0, 6_000).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList());
        }

        var reports = new List<CompactionProgress>();
        EncryptedTokenStore.Compact(path, new SynchronousProgress(reports.Add));

        using var reopened = StoreFixture.Open(path);
        Assert.Multiple(() =>
        {
            // 6,000 records in two batches, then the metadata and key ring documents.
            Assert.That(reports, Has.Count.GreaterThanOrEqualTo(3));
            Assert.That(reports.Select(r => r.RecordsCopied), Is.Ordered.Ascending);
            Assert.That(reports[^1].RecordsCopied, Is.EqualTo(reports[^1].TotalRecords));
            Assert.That(reports[^1].TotalRecords, Is.GreaterThan(6_000));
            Assert.That(reopened.GetTokens(), Has.Count.EqualTo(6_000));
        });
    }

    [Test]
    public void Compact_CancelledAfterTheFirstBatch_LeavesTheStoreAsItWasAndNoCopy()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using (var store = StoreFixture.Open(path))
        {
            store.SaveTokens(Enumerable.Range(0, 6_000).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList());
        }

        var before = File.ReadAllBytes(path);
        using var cancellation = new CancellationTokenSource();

        Assert.Throws<OperationCanceledException>(() =>
            EncryptedTokenStore.Compact(path, new SynchronousProgress(_ => cancellation.Cancel()), cancellationToken: cancellation.Token));

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
            Assert.That(File.Exists(path + ".compact"), Is.False);
        });
    }

    private sealed class SynchronousProgress(Action<CompactionProgress> report) : IProgress<CompactionProgress>
    {
        public void Report(CompactionProgress value) => report(value);
    }
}
