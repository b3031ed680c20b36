using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// When saves outrun the journal's applier and fill the active region, the next save waits for the applier's next
/// batch to free the other region; it never takes the ordinary path, which would apply the whole backlog on the
/// caller's thread (issue 15: no save applies the backlog itself). The applier's batch is held inside its LiteDB
/// commit through the I/O fault seam, so the region fills for certain, not by timing.
/// </summary>
public class JournalRoomTests : StoreFolderTest
{
    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(20);

    [Test]
    public void FullRegion_TheSaveWaitsForTheApplier_AndEverySaveIsJournaled()
    {
        var token = StoreFixture.Token("ann@example.com");
        using (var seed = StoreFixture.Open(StorePath))
        {
            seed.SaveToken(token);
        }

        using var store = StoreFixture.Open(StorePath);
        token.AccessToken = "1000.access.journal-made";
        store.SaveToken(token); // makes the journal (its epoch is a LiteDB commit) before the seam is armed
        store.Journal!.ApplyPendingOrThrow();

        using var applierHeld = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var log = Path.Combine(Path.GetFullPath(Dir.Path), "tokens-log");
        var plan = new IoFaultPlan(log, IoFaultKind.Write, FailAt: 0, Errno: 5, BeforeCall: call =>
        {
            if (call == 1)
            {
                applierHeld.Set();
                release.Wait(HoldLimit);
            }
        });

        var before = store.Journal.JournaledSaveCount;
        var saved = 0;
        var stop = false;
        TokenStoreException? failure = null;
        using var scope = IoFaults.Arm(plan);
        var saver = new Thread(() =>
        {
            try
            {
                for (var i = 0; !Volatile.Read(ref stop); i++)
                {
                    var update = StoreFixture.Copy(token);
                    update.AccessToken = $"1000.access.saved.{i}";
                    store.SaveToken(update);
                    Interlocked.Increment(ref saved);
                }
            }
            catch (TokenStoreException e)
            {
                failure = e;
            }
        });
        saver.Start();
        Assert.That(applierHeld.Wait(HoldLimit), Is.True, "the applier's batch reached its LiteDB commit");

        // The saver fills the active region, then stops: it waits for room.
        var stalledAt = WaitUntilStalled(() => Volatile.Read(ref saved));
        Assert.That(saver.IsAlive, Is.True);
        release.Set();
        SpinWait.SpinUntil(() => Volatile.Read(ref saved) > stalledAt + 10, HoldLimit);
        Volatile.Write(ref stop, true);
        Assert.That(saver.Join(HoldLimit), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(failure, Is.Null);
            Assert.That(stalledAt, Is.GreaterThan(500), "the region held this many saves before it was full");
            Assert.That(store.Journal.JournaledSaveCount - before, Is.EqualTo(saved), "every save took the journal; none applied the backlog itself");
            Assert.That(((OAuthToken)store.FindTokenById(token.Id!)).AccessToken, Is.EqualTo($"1000.access.saved.{saved - 1}"));
        });
    }

    /// <summary>Polls <paramref name="progress"/> until it has not moved for half a second; returns where it stopped.</summary>
    private static int WaitUntilStalled(Func<int> progress)
    {
        var last = progress();
        var deadline = DateTime.UtcNow + HoldLimit;
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(500);
            var now = progress();
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        Assert.Fail("the saver never stopped: the region did not fill");
        return last;
    }
}
