using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EncryptedStore.Tests.Keys;

/// <summary>Key administration over an in-memory storage, wired as the store wires it, without the store.</summary>
public sealed class KeyAdministrationTests
{
    private LiteDbStorage _storage = null!;
    private StoreKeys _keys = null!;
    private WritePipeline _pipeline = null!;
    private KeyAdministration _administration = null!;

    [SetUp]
    public void SetUp()
    {
        _storage = ExclusiveLiteDbStorage.OpenMemory();
        using var masterKey = MasterKey.FromBytes(StoreFixture.Key);
        _keys = StoreKeys.Create(_storage, masterKey, TimeProvider.System, loggerFactory: null, NullLogger.Instance);
        _pipeline = new WritePipeline(this, _storage, cache: null, journal: null, _keys.Reload);
        _administration = new KeyAdministration(_pipeline, _keys, journal: null, NullLogger.Instance);
    }

    [TearDown]
    public void TearDown()
    {
        _keys.Dispose();
        _storage.Dispose();
    }

    [Test]
    public void Revoke_ActiveVersion_IsRefusedAsKeyInUse()
    {
        var e = Assert.Throws<TokenStoreException>(() => _administration.Revoke(_keys.State.Metadata.DataKeyVersion));

        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyInUse));
    }

    [Test]
    public void RevokeThenDestroy_RetiredVersion_NoLongerUnwrapsAndLosesItsMaterial()
    {
        var retired = RetireTheDataKey();

        _administration.Revoke(retired);
        var unwrap = Assert.Throws<TokenStoreException>(() => _keys.Ring.GetDataKey(retired));
        _administration.Destroy(retired);

        Assert.Multiple(() =>
        {
            Assert.That(unwrap!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyUnavailable));
            Assert.That(unwrap.Message, Does.Contain($"version {retired}").And.Contain("revoked"));
            Assert.That(_storage.FindKey(retired), Is.Not.Null.And.Property(nameof(StoredKey.State)).EqualTo(StoreKeyState.Destroyed));
            Assert.That(_storage.FindKey(retired)!.Wrapped, Is.Null);
        });
    }

    [Test]
    public void Destroy_VersionARecordStillUses_IsRefusedAsKeyInUse()
    {
        var retired = RetireTheDataKey();
        _administration.Revoke(retired);
        _pipeline.Write("saving", _ => _storage.TryUpsertRecord(new StoredRecord("a", retired, _keys.State.Metadata.IndexKeyVersion, [1], new IndexHashes())));

        var e = Assert.Throws<TokenStoreException>(() => _administration.Destroy(retired));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.KeyInUse));
            Assert.That(e.Message, Does.Contain("1 records"));
        });
    }

    [Test]
    public void ChangeMasterKey_Committed_OnlyTheNewKeyOpensAndTheStateIsPublished()
    {
        using var newKey = MasterKey.FromBytes(StoreFixture.OtherKey);
        var before = _keys.State;

        _administration.ChangeMasterKey(newKey);

        Assert.Multiple(() =>
        {
            Assert.That(_keys.State, Is.Not.SameAs(before));
            Assert.That(_keys.State.Metadata.KeyCheck, Is.Not.EqualTo(before.Metadata.KeyCheck));
            Assert.That(Reopen(StoreFixture.OtherKey).State.Metadata.StoreId, Is.EqualTo(before.Metadata.StoreId));
            Assert.That(() => Reopen(StoreFixture.Key), Throws.TypeOf<TokenStoreException>().With.Property(nameof(TokenStoreException.Code)).EqualTo(TokenStoreErrorCodes.WrongKey));
        });
    }

    /// <summary>Makes a new data key version, so the first one becomes retired; returns the retired version.</summary>
    private int RetireTheDataKey()
    {
        var first = _keys.State.Metadata.DataKeyVersion;
        var metadata = _pipeline.Write("rotating", _ =>
        {
            var (data, _) = _keys.Ring.CreateVersions(data: true, index: false);
            var changed = _keys.State.Metadata with { DataKeyVersion = data!.Value };
            _storage.WriteMetadata(changed);
            return changed;
        });
        _keys.Publish(metadata);
        Assert.That(_storage.FindKey(first)!.State, Is.EqualTo(StoreKeyState.Retired));
        return first;
    }

    private StoreKeys Reopen(byte[] key)
    {
        using var masterKey = MasterKey.FromBytes(key);
        var reopened = StoreKeys.Open(_storage, StoreMetadata.CurrentFormat, masterKey, TimeProvider.System, loggerFactory: null, NullLogger.Instance);
        reopened.Dispose();
        return reopened;
    }
}
