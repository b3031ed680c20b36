using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Faults;

/// <summary>
/// A store whose file system is or turns read-only. Opening one on a read-only mount, and saving once the file
/// system went read-only under an open store, end in <c>IO_ERROR</c> with a message that says read-only; reads keep
/// working; nothing acknowledged is lost; once writable again the store saves.
/// </summary>
/// <remarks>
/// Linux refuses <c>mount -o remount,ro</c> while a file is open for writing (EBUSY), so a read-only remount under an
/// open store is made the way it happens in the field: ext4 (<c>errors=remount-ro</c>) meets an error and turns
/// itself read-only. Its journal is aborted then, so it is writable again only after an unmount and <c>e2fsck</c>;
/// the same instance going from read-only back to writable is therefore shown through the I/O fault seam (EROFS on
/// every write and sync, then none).
/// </remarks>
[Category("Slow")]
[NonParallelizable]
public class ReadOnlyFileSystemTests
{
    private const string IoError = "IO_ERROR";
    private const int Erofs = 30;

    [Test]
    public void Open_OnAReadOnlyMount_FailsWithIoErrorSayingReadOnly()
    {
        using var disk = TmpfsMount.MountOrSkip("8m");
        var path = disk.File("tokens.db");
        var ledger = Seed(path, count: 10);
        var before = StoreFiles.Names(disk.Path);

        disk.RemountReadOnly();
        var failure = Assert.Throws<TokenStoreException>(() => StoreFixture.Open(path).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(failure!.Code, Is.EqualTo(IoError), failure.ToString());
            Assert.That(failure.Message, Does.Contain("read-only").IgnoreCase);
            Assert.That(failure.Message, Does.Contain(path), "the message names the file");
        });

        disk.RemountReadWrite();
        Assert.That(StoreFiles.Names(disk.Path), Is.EqualTo(before), "the failed open left nothing behind");
        using var store = StoreFixture.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(ledger.Check(store).Problems, Is.Empty);
            Assert.That(store.Verify().Problems, Is.Empty);
        });
        store.SaveToken(StoreFixture.Token("after-rw@example.com"));
    }

    [Test]
    public void Save_FileSystemTurnsReadOnlyUnderAnOpenStore_FailsWithIoErrorAndReadsStillWork()
    {
        using var disk = Ext4LoopMount.MountOrSkip(megabytes: 32);
        var path = disk.File("tokens.db");
        var ledger = new TokenLedger();
        using (var store = StoreFixture.Open(path))
        {
            var tokens = SeedInto(store, ledger, count: 10);
            store.Journal!.WaitForUniqueValues();
            var before = store.Journal.JournaledSaveCount;
            var journaled = Updated(tokens[0], "before-ro");
            store.SaveToken(journaled);
            ledger.Saved(journaled);
            Assert.That(store.Journal.JournaledSaveCount - before, Is.EqualTo(1), "one update went through the journal");

            disk.FailAndTurnReadOnly();

            var update = Updated(tokens[1], "while-ro");
            var insert = StoreFixture.Token("while-ro@example.com");
            insert.Id = "while-ro";
            var failures = new List<TokenStoreException>();
            foreach (var (token, what) in new[] { (update, "update"), (insert, "insert") })
            {
                try
                {
                    store.SaveToken(token);
                    ledger.Saved(token);
                    TestContext.Out.WriteLine($"{what} on the read-only file system was acknowledged");
                }
                catch (TokenStoreException e)
                {
                    ledger.SaveFailed(token);
                    failures.Add(e);
                }
            }

            // An update may still be acknowledged: it goes into the journal's preallocated space... unless the
            // kernel refuses that write too, which ext4 does once read-only. The insert needs the storage.
            Assert.That(failures, Is.Not.Empty, "no save failed on a read-only file system");
            Assert.Multiple(() =>
            {
                foreach (var failure in failures)
                {
                    Assert.That(failure.Code, Is.EqualTo(IoError), failure.ToString());
                    Assert.That(failure.Message, Does.Contain("read-only").IgnoreCase, failure.Message);
                }

                Assert.That(ledger.Check(store).Problems, Is.Empty, "reads on the read-only file system");
            });
        }

        disk.RepairAndRemount();
        using var reopened = StoreFixture.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(ledger.Check(reopened).Problems, Is.Empty, "reads after the repair");
            Assert.That(reopened.Verify().Problems, Is.Empty, "Verify after the repair");
        });
        reopened.SaveToken(StoreFixture.Token("after-repair@example.com"));
    }

    [Test]
    public void Save_ReadOnlyThenWritableAgain_SameInstanceSavesWithoutReopening()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var ledger = new TokenLedger();
        using var store = StoreFixture.Open(path);
        var tokens = SeedInto(store, ledger, count: 5);
        store.Journal!.WaitForUniqueValues();

        var update = Updated(tokens[0], "while-ro");
        var insert = StoreFixture.Token("while-ro@example.com");
        insert.Id = "while-ro";
        using (IoFaults.Arm(new IoFaultPlan(dir.Path + "/", IoFaultKind.Write | IoFaultKind.Sync, FailAt: 1, Erofs, Sticky: true)))
        {
            foreach (var token in new[] { update, insert })
            {
                var failure = Assert.Throws<TokenStoreException>(() => store.SaveToken(token));
                ledger.SaveFailed(token);
                Assert.Multiple(() =>
                {
                    Assert.That(failure!.Code, Is.EqualTo(IoError), failure.ToString());
                    Assert.That(failure.Message, Does.Contain("read-only").IgnoreCase, failure.Message);
                });
            }

            Assert.That(ledger.Check(store).Problems, Is.Empty, "reads while read-only");
        }

        var after = StoreFixture.Token("after-rw@example.com");
        store.SaveToken(after);
        ledger.Saved(after);
        var again = Updated(tokens[1], "after-rw");
        store.SaveToken(again);
        ledger.Saved(again);
        Assert.Multiple(() =>
        {
            Assert.That(ledger.Check(store).Problems, Is.Empty, "reads once writable again");
            Assert.That(store.Verify().Problems, Is.Empty);
        });
    }

    private static TokenLedger Seed(string path, int count)
    {
        var ledger = new TokenLedger();
        using var store = StoreFixture.Open(path);
        SeedInto(store, ledger, count);
        return ledger;
    }

    private static List<OAuthToken> SeedInto(EncryptedTokenStore store, TokenLedger ledger, int count)
    {
        var tokens = new List<OAuthToken>();
        for (var i = 0; i < count; i++)
        {
            var token = StoreFixture.Token($"user{i}@example.com");
            store.SaveToken(token);
            ledger.Saved(token);
            tokens.Add(token);
        }

        return tokens;
    }

    private static OAuthToken Updated(OAuthToken token, string tag)
    {
        var updated = StoreFixture.Copy(token);
        updated.AccessToken = $"1000.access.{tag}.{token.Id}";
        updated.RefreshToken = $"1000.refresh.{tag}.{token.Id}";
        return updated;
    }
}
