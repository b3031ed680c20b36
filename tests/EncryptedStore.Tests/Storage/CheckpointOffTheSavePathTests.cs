using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// No save waits for a checkpoint: once LiteDB's log passes its 8 MB, the checkpoint (which copies the log into the data
/// file, the only time the data file is written) runs on the save journal's thread, never in the caller's call. Seen
/// through the I/O fault seam, which counts every write to the data file and the thread that made it.
/// </summary>
public class CheckpointOffTheSavePathTests : StoreFolderTest
{
    private const long CheckpointBytes = 1000 * 8192;

    [Test]
    public void InsertsAndDeletesPastTheCheckpointSize_NeverCheckpointOnTheCallersThread()
    {
        using var store = StoreFixture.Open(StorePath);
        var caller = Environment.CurrentManagedThreadId;
        long onCaller = 0, elsewhere = 0;
        var plan = new IoFaultPlan(Path.GetFullPath(StorePath), IoFaultKind.Write, FailAt: 0, Errno: 0, BeforeCall: _ =>
        {
            Interlocked.Increment(ref Environment.CurrentManagedThreadId == caller ? ref onCaller : ref elsewhere);
        });

        var large = new string('a', 12_000);
        var saved = new List<OAuthToken>();
        using (IoFaults.Arm(plan))
        {
            // Past the threshold several times over (each insert commits at least two pages of 8 KiB to the log), then
            // deletes of half of them.
            for (var i = 0; i < 3 * CheckpointBytes / (2 * 8192); i++)
            {
                var token = StoreFixture.Token($"user{i}@example.com");
                token.AccessToken = $"{large}.{i}";
                store.SaveToken(token);
                saved.Add(token);
            }

            foreach (var token in saved.Where((_, i) => i % 2 == 0))
            {
                store.DeleteToken(token.Id!);
            }

            SpinWait.SpinUntil(() => Interlocked.Read(ref elsewhere) > 0, TimeSpan.FromSeconds(10));
        }

        Assert.Multiple(() =>
        {
            Assert.That(Interlocked.Read(ref onCaller), Is.Zero, "data-file writes (a checkpoint) in a SaveToken or DeleteToken call");
            Assert.That(Interlocked.Read(ref elsewhere), Is.GreaterThan(0), "the journal's thread checkpointed");
            Assert.That(store.TryFindTokenById(saved[^1].Id!)?.AccessToken, Is.EqualTo(saved[^1].AccessToken));
            Assert.That(store.TryFindTokenById(saved[0].Id!), Is.Null);
        });
    }
}
