using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// LiteDB 5.0.21 writes a commit's pages to its log and never flushes them to the disk (it does only at
/// checkpoints), so a commit it reports survives the process dying but not a power cut. The store flushes
/// (fsync) the log after every commit when <see cref="EncryptedTokenStoreOptions.FlushToDisk"/> is on:
/// these tests check, after each kind of write, that no written byte is left unflushed and that the log
/// was flushed by that very call, and that reads never flush. The save journal is off here, so every save
/// commits to LiteDB; <see cref="SaveJournalTests"/> covers the journaled save's own fsync.
/// </summary>
[TestFixture(StoreSharing.Exclusive)]
[TestFixture(StoreSharing.Shared)]
public class DurableCommitTests(StoreSharing sharing) : StoreFolderTest
{
    private EncryptedTokenStore Open(bool flushToDisk = true) => new(new EncryptedTokenStoreOptions
    {
        FilePath = StorePath,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        Sharing = sharing,
        FlushToDisk = flushToDisk,
        UseSaveJournal = false,
    });

    /// <summary>Each case prepares the store (reads and writes as it needs) and returns the one write under test.</summary>
    private static IEnumerable<TestCaseData> Writes()
    {
        yield return Case("SaveToken insert", s => () => s.SaveToken(StoreFixture.Token("new@example.com")));
        yield return Case("SaveToken update", s =>
        {
            var token = (OAuthToken)s.FindToken(new OAuthToken { UserSignature = new UserSignature("ann@example.com"), ClientId = "1000.CLIENTA" })!;
            token.AccessToken = "1000.access.renewed";
            return () => s.SaveToken(token);
        });
        yield return Case("SaveTokens", s => () => s.SaveTokens([StoreFixture.Token("x@example.com"), StoreFixture.Token("y@example.com")]));
        yield return Case("DeleteToken", s =>
        {
            var id = ((OAuthToken)s.GetTokens()[0]).Id!;
            return () => s.DeleteToken(id);
        });
        yield return Case("DeleteTokens", s => s.DeleteTokens);
        yield return Case("PurgeExpired", s =>
        {
            var expired = StoreFixture.Token("gone@example.com");
            expired.RefreshToken = null;
            s.SaveToken(expired);
            return () => Assert.That(s.PurgeExpired(TimeSpan.Zero), Is.EqualTo(1), "the fixture's tokens expired on 2026-01-01");
        });
        yield return Case("RotateKeys", s => () => s.RotateKeys(new KeyRotationOptions { RotateIndexKey = true }));
        yield return Case("RevokeKey", s =>
        {
            var retired = RotateLeavingOldDataKey(s);
            return () => s.RevokeKey(retired);
        });
        yield return Case("DestroyKey", s =>
        {
            var retired = RotateLeavingOldDataKey(s);
            s.RevokeKey(retired);
            return () => s.DestroyKey(retired);
        });
        yield return Case("ChangeMasterKey", s => () => s.ChangeMasterKey(MasterKey.FromBytes(StoreFixture.OtherKey)));
    }

    private static TestCaseData Case(string name, Func<EncryptedTokenStore, Action> prepare) => new TestCaseData(prepare).SetArgDisplayNames(name);

    /// <summary>Rotates the data key and rewrites every record, leaving the old data key retired; returns its version.</summary>
    private static int RotateLeavingOldDataKey(EncryptedTokenStore store)
    {
        var old = store.GetStatistics().Keys.Single(k => k is { Purpose: StoreKeyPurpose.Data, State: StoreKeyState.Active }).Version;
        store.RotateKeys();
        return old;
    }

    [TestCaseSource(nameof(Writes))]
    public void Write_ReturnsOnlyOnceTheLogIsFlushedToTheDisk(Func<EncryptedTokenStore, Action> prepare)
    {
        using var store = Open();
        store.SaveTokens([StoreFixture.Token("ann@example.com"), StoreFixture.Token("bob@example.com")]);
        var write = prepare(store);
        var file = store.BackingFile;
        var before = file.LogSyncCount;

        write();

        Assert.Multiple(() =>
        {
            Assert.That(file.HasUnsyncedWrites, Is.False, "bytes written but not flushed when the call returned");
            Assert.That(file.LogSyncCount, Is.GreaterThan(before), "the log was flushed by the call");
        });
    }

    [Test]
    public void EachSaveToken_FlushesTheLogAtLeastOnce()
    {
        using var store = Open();
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        var file = store.BackingFile;
        for (var i = 0; i < 20; i++)
        {
            var before = file.LogSyncCount;
            token.AccessToken = $"1000.access.{i}";
            store.SaveToken(token);
            Assert.That(file.HasUnsyncedWrites, Is.False, $"save {i}: bytes left unflushed");
            Assert.That(file.LogSyncCount, Is.GreaterThan(before), $"save {i}: the log was not flushed");
        }
    }

    [Test]
    public void NewStore_IsOnTheDiskWhenTheConstructorReturns()
    {
        using var store = Open();

        Assert.Multiple(() =>
        {
            Assert.That(store.BackingFile.HasUnsyncedWrites, Is.False);
            Assert.That(store.BackingFile.LogSyncCount, Is.GreaterThan(0));
        });
    }

    [Test]
    public void Reads_NeverFlush()
    {
        using (var seed = Open())
        {
            seed.SaveTokens(Enumerable.Range(0, 50).Select(i => StoreFixture.Token($"user{i}@example.com")));
        }

        using var store = Open();
        var file = store.BackingFile;
        var before = file.LogSyncCount;
        var tokens = store.GetTokens().Cast<OAuthToken>().ToList();
        foreach (var token in tokens)
        {
            Assert.That(store.FindTokenById(token.Id!), Is.Not.Null);
            Assert.That(store.FindToken(new OAuthToken { AccessToken = token.AccessToken }), Is.Not.Null);
        }

        Assert.That(store.Verify().IsHealthy, Is.True);
        Assert.That(file.LogSyncCount, Is.EqualTo(before), "a read flushed the log");
    }

    [Test]
    public void FlushToDiskOff_SavesWithoutFlushing()
    {
        using var store = Open(flushToDisk: false);
        var token = StoreFixture.Token("ann@example.com");
        var file = store.BackingFile;
        var before = file.LogSyncCount;
        for (var i = 0; i < 5; i++)
        {
            token.AccessToken = $"1000.access.{i}";
            store.SaveToken(token);
        }

        Assert.Multiple(() =>
        {
            Assert.That(file.LogSyncCount, Is.EqualTo(before), "FlushToDisk = false must not pay for fsync");
            Assert.That(file.HasUnsyncedWrites, Is.True, "the saves are in the operating system's cache only");
            Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
        });
    }
}
