using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Group commit of the save journal: a journaled save writes its entry under the write lock and waits for the disk
/// outside it, so saves that arrive while an fdatasync runs share the next one. Each test holds the first fdatasync
/// (through the I/O fault seam) until the other savers have written their entries, so how many fdatasyncs the group
/// takes is exact, not a matter of timing: with the fdatasync made under the write lock, the others cannot write
/// while it is held, and every save takes one of its own.
/// </summary>
public class GroupCommitTests : StoreFolderTest
{
    private const int Savers = 8;
    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(10);

    [Test]
    public void SavesArrivingDuringAnFdatasync_ShareTheNextOne()
    {
        var tokens = Seed();
        using (var store = StoreFixture.Open(StorePath))
        {
            var outcomes = SaveAllWhileTheFirstSyncIsHeld(store, tokens, failFirstSync: false, out var syncs);

            Assert.Multiple(() =>
            {
                Assert.That(outcomes, Has.All.Null, "every save acknowledged");
                Assert.That(syncs, Is.EqualTo(2), "the first save's fdatasync, then one for the seven written while it ran");
                Assert.That(store.Journal!.JournaledSaveCount, Is.EqualTo(Savers + 1), "the warm-up save, then the eight");
                for (var i = 0; i < Savers; i++)
                {
                    Assert.That(store.TryFindTokenById(tokens[i].Id!)?.AccessToken, Is.EqualTo(Renewed(i)));
                }
            });
        }

        using var reopened = StoreFixture.Open(StorePath);
        for (var i = 0; i < Savers; i++)
        {
            Assert.That(reopened.TryFindTokenById(tokens[i].Id!)?.AccessToken, Is.EqualTo(Renewed(i)));
        }

        Assert.That(reopened.Verify().IsHealthy, Is.True);
    }

    [Test]
    public void AFailedGroupFdatasync_FailsOnlyItsSaves_AndWhatIsReadStays()
    {
        var tokens = Seed();
        using (var store = StoreFixture.Open(StorePath))
        {
            var outcomes = SaveAllWhileTheFirstSyncIsHeld(store, tokens, failFirstSync: true, out var syncs);

            Assert.Multiple(() =>
            {
                Assert.That(outcomes[0]?.Code, Is.EqualTo(TokenStoreErrorCodes.IoError), "the save whose fdatasync failed");
                Assert.That(outcomes[0]?.Message, Does.Not.Contain(Renewed(0)));
                Assert.That(outcomes.Skip(1), Has.All.Null, "the group behind it synced again and was acknowledged");
                Assert.That(syncs, Is.EqualTo(2));
            });

            // The failed save's entry was written: it may be on the disk or not, so the store keeps it rather than
            // let a reader see one value now and another after a restart.
            Assert.That(store.TryFindTokenById(tokens[0].Id!)?.AccessToken, Is.EqualTo(Renewed(0)));
            tokens[0].AccessToken = "1000.access.after-the-fault";
            store.SaveToken(tokens[0]);
            Assert.That(store.Verify().IsHealthy, Is.True);
        }

        using var reopened = StoreFixture.Open(StorePath);
        Assert.That(reopened.TryFindTokenById(tokens[0].Id!)?.AccessToken, Is.EqualTo("1000.access.after-the-fault"));
        for (var i = 1; i < Savers; i++)
        {
            Assert.That(reopened.TryFindTokenById(tokens[i].Id!)?.AccessToken, Is.EqualTo(Renewed(i)));
        }
    }

    private static string Renewed(int i) => $"1000.access.renewed.{i}";

    private List<OAuthToken> Seed()
    {
        var tokens = Enumerable.Range(0, Savers).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        using var store = StoreFixture.Open(StorePath);
        store.SaveTokens(tokens);
        return tokens;
    }

    /// <summary>
    /// Saves token 0, holds its fdatasync until tokens 1..7 (saved from seven threads) are all written to the journal,
    /// then lets it go; returns each save's exception (null: acknowledged) and how many fdatasyncs the saves made.
    /// </summary>
    private static TokenStoreException?[] SaveAllWhileTheFirstSyncIsHeld(EncryptedTokenStore store, List<OAuthToken> tokens, bool failFirstSync, out long syncs)
    {
        store.Journal!.Paused = true; // no background apply (its region reset would be an fdatasync too)
        var journal = StorePaths.JournalPathFor(Path.GetFullPath(store.FilePath));
        tokens[0].AccessToken = "1000.access.warm-up";
        store.SaveToken(tokens[0]); // creates the journal: its own writes and fdatasync come before the plan
        var before = store.Journal.JournaledSaveCount;

        using var firstSyncHeld = new ManualResetEventSlim();
        var plan = new IoFaultPlan(journal, IoFaultKind.Sync, FailAt: failFirstSync ? 1 : 0, Errno: 5, BeforeCall: call =>
        {
            if (call == 1)
            {
                firstSyncHeld.Set();
                SpinWait.SpinUntil(() => store.Journal.JournaledSaveCount - before == Savers, HoldLimit);
            }
        });

        var outcomes = new TokenStoreException?[Savers];
        using var scope = IoFaults.Arm(plan);
        var threads = Enumerable.Range(0, Savers).Select(i => new Thread(() =>
        {
            tokens[i].AccessToken = Renewed(i);
            try
            {
                store.SaveToken(tokens[i]);
            }
            catch (TokenStoreException e)
            {
                outcomes[i] = e;
            }
        })).ToList();

        threads[0].Start();
        Assert.That(firstSyncHeld.Wait(HoldLimit), Is.True, "the first save reached its fdatasync");
        foreach (var thread in threads.Skip(1))
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.That(thread.Join(HoldLimit * 2), Is.True);
        }

        syncs = scope.Calls;
        return outcomes;
    }
}
