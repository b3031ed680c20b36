using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EncryptedStore.Tests.Engine;

/// <summary>The save journal on its own, over a real store file's storage, with records that need no keys.</summary>
public sealed class JournaledWriterTests
{
    private static readonly byte[] StoreId = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];

    private TempDirectory _dir = null!;
    private LiteDbStorage _storage = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _storage = OpenStorage();
    }

    [TearDown]
    public void TearDown()
    {
        _storage.Dispose();
        _dir.Dispose();
    }

    [Test]
    public void TrySave_FreeValue_IsPendingUntilAppliedThenInTheStorage()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1)]);
        using var journal = NewJournal();
        journal.Paused = true;

        var saved = journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);

        Assert.Multiple(() =>
        {
            Assert.That(saved, Is.True);
            Assert.That(journal.PendingSaveCount, Is.EqualTo(1));
            Assert.That(journal.FindPending("a")?.Get(TokenFields.AccessToken), Is.EqualTo("2"));
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.AccessToken]![0], Is.EqualTo(1), "not applied yet");
            Assert.That(File.Exists(JournalPath), Is.True);
        });

        journal.ApplyPendingOrThrow();

        Assert.Multiple(() =>
        {
            Assert.That(journal.PendingSaveCount, Is.Zero);
            Assert.That(journal.FindPending("a"), Is.Null);
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.AccessToken]![0], Is.EqualTo(2));
        });
    }

    [Test]
    public void TrySave_ValueAnotherStoredRecordHolds_IsRefusedAndNothingIsJournaled()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1), Record("b", access: 2)]);
        using var journal = NewJournal();

        var saved = journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);

        Assert.Multiple(() =>
        {
            Assert.That(saved, Is.False);
            Assert.That(journal.PendingSaveCount, Is.Zero);
            Assert.That(journal.JournaledSaveCount, Is.Zero);
            Assert.That(journal.UniqueValueProbeCount, Is.EqualTo(1), "the storage was asked who holds the value");
        });
    }

    [Test]
    public void TrySave_ValueAnotherPendingRecordHolds_IsRefused()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1), Record("b", access: 2)]);
        using var journal = NewJournal();
        journal.Paused = true;
        Assert.That(journal.TrySave(Record("b", access: 3), Cached("b", "3"), [BlindIndex.AccessToken]), Is.True);

        Assert.That(journal.TrySave(Record("a", access: 3), Cached("a", "3"), [BlindIndex.AccessToken]), Is.False);
    }

    [Test]
    public void TrySave_ValueAPendingSaveMovedOffItsHolder_IsFree()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1), Record("b", access: 2)]);
        using var journal = NewJournal();
        journal.Paused = true;
        Assert.That(journal.TrySave(Record("b", access: 3), Cached("b", "3"), [BlindIndex.AccessToken]), Is.True);

        Assert.That(journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]), Is.True, "b no longer holds 2");
        journal.ApplyPendingOrThrow();
        Assert.That(_storage.FindRecord(BlindIndex.AccessToken, Hash(2))?.Id, Is.EqualTo("a"));
    }

    [Test]
    public void TrySave_WithACache_PutsTheNewStateInTheCache()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1)]);
        var cache = new TokenCache(10);
        using var journal = new JournaledWriter(_storage, cache, StoreId, flushToDisk: false, NullLogger.Instance);

        journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);

        Assert.That(cache.Get("a")?.Get(TokenFields.AccessToken), Is.EqualTo("2"));
    }

    [Test]
    public void Dispose_WithPendingSaves_AppliesThemAndDeletesTheJournal()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1)]);
        var journal = NewJournal();
        journal.Paused = true;
        journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);

        journal.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.AccessToken]![0], Is.EqualTo(2));
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    [Test]
    public void ReplayJournal_LeftByAWriterThatNeverApplied_AppliesEverySaveInOrder()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1)]);
        var journal = NewJournal();
        journal.Paused = true;
        journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);
        journal.TrySave(Record("a", access: 3), Cached("a", "3"), [BlindIndex.AccessToken]);

        // The process "dies": the storage closes without the journal being applied.
        _storage.Dispose();
        _storage = OpenStorage();

        Assert.Multiple(() =>
        {
            Assert.That(_storage.ReplayJournal(StoreId), Is.EqualTo(2));
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.AccessToken]![0], Is.EqualTo(3));
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    [Test]
    public void ReplayJournal_OfAnotherStore_DeletesItUnapplied()
    {
        _storage.UpsertRecordsDurably([Record("a", access: 1)]);
        var journal = NewJournal();
        journal.Paused = true;
        journal.TrySave(Record("a", access: 2), Cached("a", "2"), [BlindIndex.AccessToken]);
        _storage.Dispose();
        _storage = OpenStorage();

        Assert.Multiple(() =>
        {
            Assert.That(_storage.ReplayJournal(new byte[16]), Is.Zero);
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.AccessToken]![0], Is.EqualTo(1));
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    private string JournalPath => StorePaths.JournalPathFor(_storage.Path);

    private static byte[] Hash(byte value) => [.. Enumerable.Repeat(value, 32)];

    private static StoredRecord Record(string id, byte access) =>
        new(id, 1, 2, [1, 2, 3], new IndexHashes { [BlindIndex.AccessToken] = Hash(access) });

    private static CachedToken Cached(string id, string access) => new(new OAuthToken { Id = id, AccessToken = access });

    private JournaledWriter NewJournal() => new(_storage, cache: null, StoreId, flushToDisk: false, NullLogger.Instance);

    private LiteDbStorage OpenStorage()
    {
        var storage = LiteDbFiles.Open(_dir.File("store.db"), flushToDisk: false, TimeSpan.Zero, shared: false);
        using var transaction = storage.BeginTransaction();
        storage.CreateSchema();
        transaction.Commit();
        return storage;
    }
}
