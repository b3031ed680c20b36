using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EncryptedStore.Tests.Engine;

/// <summary>The save journal on its own, over a real store file's storage and keys, without the store.</summary>
public sealed class JournaledWriterTests
{
    private TempDirectory _dir = null!;
    private LiteDbStorage _storage = null!;
    private StoreKeys _keys = null!;
    private JournalHost _host = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        Open();
    }

    [TearDown]
    public void TearDown()
    {
        Close();
        _dir.Dispose();
    }

    [Test]
    public void TrySave_FreeValue_IsPendingUntilAppliedThenInTheStorage()
    {
        Store(Record("a", "access-1"));
        using var journal = NewJournal();
        journal.Paused = true;

        var saved = journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);

        Assert.Multiple(() =>
        {
            Assert.That(saved, Is.Not.Null);
            Assert.That(journal.PendingSaveCount, Is.EqualTo(1));
            Assert.That(journal.FindPending("a")?.Get(TokenFields.AccessToken), Is.EqualTo("access-2"));
            Assert.That(HolderOf("access-1"), Is.EqualTo("a"), "not applied yet");
            Assert.That(File.Exists(JournalPath), Is.True);
            Assert.That(_keys.State.Metadata.JournalEpoch, Is.Not.Null, "the journal's epoch is in the metadata");
        });

        journal.ApplyPendingOrThrow();

        Assert.Multiple(() =>
        {
            Assert.That(journal.PendingSaveCount, Is.Zero);
            Assert.That(journal.FindPending("a"), Is.Null);
            Assert.That(HolderOf("access-2"), Is.EqualTo("a"));
            Assert.That(_keys.State.Metadata.JournalApplied, Is.EqualTo(1), "the watermark moved with the batch");
        });
    }

    [Test]
    public void TrySave_ValueAnotherStoredRecordHolds_IsRefusedAndNothingIsJournaled()
    {
        Store(Record("a", "access-1"), Record("b", "access-2"));
        using var journal = NewJournal();

        var saved = journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);

        Assert.Multiple(() =>
        {
            Assert.That(saved, Is.Null);
            Assert.That(journal.PendingSaveCount, Is.Zero);
            Assert.That(journal.JournaledSaveCount, Is.Zero);
            Assert.That(journal.UniqueValueProbeCount, Is.EqualTo(1), "the storage was asked who holds the value");
        });
    }

    [Test]
    public void TrySave_ValueAnotherPendingRecordHolds_IsRefused()
    {
        Store(Record("a", "access-1"), Record("b", "access-2"));
        using var journal = NewJournal();
        journal.Paused = true;
        Assert.That(journal.TrySave(Record("b", "access-3"), Cached("b", "access-3"), [BlindIndex.AccessToken]), Is.Not.Null);

        Assert.That(journal.TrySave(Record("a", "access-3"), Cached("a", "access-3"), [BlindIndex.AccessToken]), Is.Null);
    }

    [Test]
    public void TrySave_ValueAPendingSaveMovedOffItsHolder_IsFree()
    {
        Store(Record("a", "access-1"), Record("b", "access-2"));
        using var journal = NewJournal();
        journal.Paused = true;
        Assert.That(journal.TrySave(Record("b", "access-3"), Cached("b", "access-3"), [BlindIndex.AccessToken]), Is.Not.Null);

        Assert.That(journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]), Is.Not.Null, "b no longer holds access-2");
        journal.ApplyPendingOrThrow();
        Assert.That(HolderOf("access-2"), Is.EqualTo("a"));
    }

    [Test]
    public void TrySave_WithACache_PutsTheNewStateInTheCache()
    {
        Store(Record("a", "access-1"));
        var cache = new TokenCache(10);
        using var journal = new JournaledWriter(_storage, cache, _host, _keys.State.Metadata.StoreId, flushToDisk: false, NullLogger.Instance);

        journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);

        Assert.That(cache.Get("a")?.Get(TokenFields.AccessToken), Is.EqualTo("access-2"));
    }

    [Test]
    public void Dispose_WithPendingSaves_AppliesThemAndDeletesTheJournal()
    {
        Store(Record("a", "access-1"));
        var journal = NewJournal();
        journal.Paused = true;
        journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);

        journal.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(HolderOf("access-2"), Is.EqualTo("a"));
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    [Test]
    public void Replay_JournalLeftByAWriterThatNeverApplied_AppliesEverySaveInOrder()
    {
        Store(Record("a", "access-1"));
        var journal = NewJournal();
        journal.Paused = true;
        journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);
        journal.TrySave(Record("a", "access-3"), Cached("a", "access-3"), [BlindIndex.AccessToken]);

        // The process "dies": the storage closes without the journal being applied.
        Close();
        Open();

        Assert.Multiple(() =>
        {
            Assert.That(_host.Replay(new RecordSealer(_keys.Ring, NullLogger.Instance)), Is.EqualTo(2));
            Assert.That(HolderOf("access-3"), Is.EqualTo("a"));
            Assert.That(File.Exists(JournalPath), Is.False);
        });
    }

    [Test]
    public void Restart_AfterSaves_DeletesTheJournalAndTheNextSaveStartsANewEpoch()
    {
        Store(Record("a", "access-1"));
        using var journal = NewJournal();
        journal.TrySave(Record("a", "access-2"), Cached("a", "access-2"), [BlindIndex.AccessToken]);
        var first = _keys.State.Metadata.JournalEpoch;

        journal.Restart();
        var deleted = !File.Exists(JournalPath);
        journal.TrySave(Record("a", "access-3"), Cached("a", "access-3"), [BlindIndex.AccessToken]);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.True);
            Assert.That(HolderOf("access-2"), Is.EqualTo("a"), "applied before the restart");
            Assert.That(_keys.State.Metadata.JournalEpoch, Is.Not.EqualTo(first));
        });
    }

    private string JournalPath => StorePaths.JournalPathFor(_storage.Path);

    private static CachedToken Cached(string id, string access) => new(new OAuthToken { Id = id, AccessToken = access });

    private StoredRecord Record(string id, string access) =>
        RecordSealer.Seal(id, new OAuthToken { Id = id, AccessToken = access }, _keys.State.Keys.Data, _keys.State.Keys.Index);

    private string? HolderOf(string access) => _storage.FindHolderId(BlindIndex.AccessToken, _keys.State.Keys.Index.Compute(BlindIndex.AccessToken, access));

    private void Store(params StoredRecord[] records)
    {
        using var transaction = _storage.BeginTransaction();
        _storage.UpsertRecords(records);
        transaction.Commit();
    }

    private JournaledWriter NewJournal() => new(_storage, cache: null, _host, _keys.State.Metadata.StoreId, flushToDisk: false, NullLogger.Instance);

    private void Open()
    {
        _storage = LiteDbFiles.Open(_dir.File("store.db"), flushToDisk: false, TimeSpan.Zero, shared: false);
        using var masterKey = MasterKey.FromBytes(StoreFixture.Key);
        _keys = _storage.ReadFormat() is { } format
            ? StoreKeys.Open(_storage, format, masterKey, TimeProvider.System, loggerFactory: null, NullLogger.Instance)
            : StoreKeys.Create(_storage, masterKey, TimeProvider.System, loggerFactory: null, NullLogger.Instance);
        _host = new JournalHost(_storage, _keys, TimeProvider.System, NullLogger.Instance);
    }

    private void Close()
    {
        _keys.Dispose();
        _storage.Dispose();
    }
}
