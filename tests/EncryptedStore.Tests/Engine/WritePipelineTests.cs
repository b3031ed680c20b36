using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;

namespace EncryptedStore.Tests.Engine;

/// <summary>The write pipeline over an in-memory storage: one transaction per write, cache retired, errors translated.</summary>
public sealed class WritePipelineTests
{
    private LiteDbStorage _storage = null!;
    private TokenCache _cache = null!;
    private WritePipeline _pipeline = null!;
    private int _reloads;

    [SetUp]
    public void SetUp()
    {
        _storage = ExclusiveLiteDbStorage.OpenMemory();
        _cache = new TokenCache(10);
        _pipeline = new WritePipeline(this, _storage, _cache, journal: null, () => _reloads++);
        _pipeline.Write("creating", _ =>
        {
            _storage.CreateSchema();
            return true;
        });
    }

    [TearDown]
    public void TearDown() => _storage.Dispose();

    [Test]
    public void Write_Committed_IsInTheStorageAndRetiresWhatItTouchedFromTheCache()
    {
        Cache("a");
        Cache("b");

        _pipeline.Write("saving", scope =>
        {
            scope.Touch("a");
            return _storage.TryUpsertRecord(Record("a"));
        });

        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindRecord("a"), Is.Not.Null);
            Assert.That(_cache.Get("a"), Is.Null, "touched");
            Assert.That(_cache.Get("b"), Is.Not.Null, "untouched");
            Assert.That(_reloads, Is.Zero, "no other process wrote");
        });
    }

    [Test]
    public void Write_WorkThrows_RollsBackAndStillRetiresWhatItTouched()
    {
        Cache("a");

        Assert.Throws<InvalidOperationException>(() => _pipeline.Write<bool>("saving", scope =>
        {
            scope.Touch("a");
            _storage.TryUpsertRecord(Record("a"));
            throw new InvalidOperationException("a bug");
        }));

        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindRecord("a"), Is.Null, "rolled back");
            Assert.That(_cache.Get("a"), Is.Null);
        });
    }

    [Test]
    public void Write_IoFailure_LeavesAsTokenStoreExceptionNamingTheOperation()
    {
        var e = Assert.Throws<TokenStoreException>(() => _pipeline.Write<bool>("saving tokens", _ => throw new IOException("Input/output error", 5)));
        var full = Assert.Throws<TokenStoreException>(() => _pipeline.Write<bool>("saving tokens", _ => throw new IOException("No space left on device", 28)));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.IoError));
            Assert.That(e.Message, Does.Contain("saving tokens").And.Contain("Input/output error"));
            Assert.That(full!.Code, Is.EqualTo(TokenStoreErrorCodes.StorageFull));
            Assert.That(full.Message, Does.Contain("No space left on the device holding").And.Contain("while saving tokens"));
        });
    }

    [Test]
    public void Write_TouchAll_EmptiesTheCache()
    {
        Cache("a");
        Cache("b");

        _pipeline.Write("deleting", scope =>
        {
            scope.TouchAll();
            return true;
        });

        Assert.That(_cache.Count, Is.Zero);
    }

    [Test]
    public void Serialized_WithWritesInside_RunsThemUnderTheSameLock()
    {
        var written = _pipeline.Serialized(() =>
            _pipeline.Write("one", _ => _storage.TryUpsertRecord(Record("a"))) && _pipeline.Write("two", _ => _storage.TryUpsertRecord(Record("b"))));

        Assert.That(written && _storage.CountRecords() == 2, Is.True);
    }

    [Test]
    public void TryClose_Once_ThenEveryCallIsObjectDisposed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_pipeline.TryClose(), Is.True);
            Assert.That(_pipeline.TryClose(), Is.False);
            Assert.That(() => _pipeline.Write("saving", _ => true), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => _pipeline.Serialized(() => true), Throws.TypeOf<ObjectDisposedException>());
        });
    }

    private static StoredRecord Record(string id) =>
        new(id, 1, 2, [1], new IndexHashes { [BlindIndex.AccessToken] = [.. Enumerable.Repeat((byte)id[0], 32)] });

    private void Cache(string id) => _cache.Add(_cache.BeginRead(), new OAuthToken { Id = id, AccessToken = id });
}
