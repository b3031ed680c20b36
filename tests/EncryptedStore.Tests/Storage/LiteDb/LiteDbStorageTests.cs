using EncryptedStore.Crypto;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Tests.Support;
using LiteDB;

namespace EncryptedStore.Tests.Storage.LiteDb;

/// <summary>The LiteDB storage behind the seam, with plain records (no keys needed).</summary>
public sealed class LiteDbStorageTests
{
    private static readonly string[] AB = ["a", "b"];
    private static readonly string[] OnlyB = ["b"];

    private TempDirectory _dir = null!;
    private LiteDbStorage _storage = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _storage = LiteDbFiles.Open(_dir.File("store.db"), flushToDisk: true, TimeSpan.Zero, shared: false);
        using var transaction = _storage.BeginTransaction();
        _storage.CreateSchema();
        transaction.Commit();
    }

    [TearDown]
    public void TearDown()
    {
        _storage.Dispose();
        _dir.Dispose();
    }

    [Test]
    public void Records_UpsertedInATransaction_AreFoundByIdHashAndScan()
    {
        Write(Record("b", user: 1, access: 2), Record("a", user: 1, access: 3));

        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindRecord("a")?.Payload, Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(_storage.FindRecord(BlindIndex.AccessToken, Hash(2))?.Id, Is.EqualTo("b"));
            Assert.That(_storage.FindHolderId(BlindIndex.AccessToken, Hash(3)), Is.EqualTo("a"));
            Assert.That(_storage.FindRecords(BlindIndex.User, Hash(1), limit: 5).Select(r => r.Id), Is.EquivalentTo(AB));
            Assert.That(_storage.ReadAllRecords().Select(r => r.Id), Is.EqualTo(AB), "in id order");
            Assert.That(_storage.ReadRecordsAfter("a", 10).Select(r => r.Id), Is.EqualTo(OnlyB));
            Assert.That(_storage.CountRecords(), Is.EqualTo(2));
            Assert.That(_storage.CountRecordsUnderKey(StoreKeyPurpose.Data, 1), Is.EqualTo(2));
            Assert.That(_storage.CountRecordsUnderKey(StoreKeyPurpose.Index, 1), Is.Zero);
            Assert.That(_storage.FindRecord("a")!.Hashes[BlindIndex.RefreshToken], Is.Null, "an absent value reads back as absent");
            Assert.That(_storage.HasUnsyncedWrites, Is.False, "the commit is on the disk");
        });
    }

    [Test]
    public void TryUpsertRecord_ValueAnotherRecordHolds_ReturnsFalseAndFindConflictNamesTheIndex()
    {
        Write(Record("a", user: 1, access: 2));
        using var transaction = _storage.BeginTransaction();

        var duplicate = Record("b", user: 9, access: 2);
        Assert.Multiple(() =>
        {
            Assert.That(_storage.TryUpsertRecord(duplicate), Is.False);
            Assert.That(_storage.FindConflict("b", duplicate.Hashes), Is.EqualTo(BlindIndex.AccessToken));
            Assert.That(_storage.FindRecord("b"), Is.Null);
        });
    }

    [Test]
    public void TryUpsertRecord_TwoRecordsWithoutAValue_DoNotCollide()
    {
        Write(Record("a", user: 1, access: 2), Record("b", user: 1, access: 3));

        Assert.That(_storage.IdsListedBy(BlindIndex.GrantToken), Is.EquivalentTo(AB));
    }

    [Test]
    public void Transaction_DisposedWithoutCommit_LeavesNothing()
    {
        using (var transaction = _storage.BeginTransaction())
        {
            Assert.That(_storage.TryUpsertRecord(Record("a", user: 1, access: 2)), Is.True);
        }

        Assert.That(_storage.FindRecord("a"), Is.Null);
    }

    [Test]
    public void ReadAllRecords_RecordOfAShapeNoWriterMakes_MapsToARecordThatFailsItsChecksWithoutThrowing()
    {
        _storage.Records.Insert(new BsonDocument { ["_id"] = "odd", ["kv"] = "one", ["a"] = 42 });

        var record = _storage.ReadAllRecords().Single();

        Assert.Multiple(() =>
        {
            Assert.That(record.IsWellFormed, Is.False);
            Assert.That(record.KeyVersions, Is.Null);
            Assert.That(record.Hashes[BlindIndex.AccessToken], Is.SameAs(IndexHashes.Invalid));
            Assert.That(_storage.UnreachableIndexes(record), Does.Contain(BlindIndex.AccessToken));
        });
    }

    [Test]
    public void TryUpsertRecord_ABugOfOursInsideTheStorage_IsNotReportedAsTamperedData()
    {
        // A record without hashes is a programming error: it must surface as one, not as INTEGRITY.
        var broken = new StoredRecord("a", 1, 1, [1], Hashes: null!);
        using var transaction = _storage.BeginTransaction();

        Assert.That(() => _storage.TryUpsertRecord(broken), Throws.TypeOf<NullReferenceException>());
    }

    [Test]
    public void Metadata_WrittenThenRead_RoundTripsAndAnImplausibleCountIsAnIntegrityFailure()
    {
        var metadata = new StoreMetadata
        {
            Format = StoreMetadata.CurrentFormat,
            StoreId = new byte[StoreMetadata.StoreIdLength],
            KeyKind = MasterKeyKind.Key,
            Iterations = 1,
            Salt = new byte[StoreMetadata.SaltLength],
            KeyCheck = [7],
            Created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            DataKeyVersion = 1,
            IndexKeyVersion = 2,
            Rotation = new RotationState(2, "cursor", new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc)),
        };
        WriteMetadata(metadata);
        Assert.That(_storage.ReadMetadata(), Is.EqualTo(metadata).Using<StoreMetadata>((x, y) =>
            x.DataKeyVersion == y.DataKeyVersion && x.Rotation == y.Rotation && x.KeyCheck.SequenceEqual(y.KeyCheck)));

        WriteMetadata(metadata with { Iterations = StoreMetadata.MaxIterations + 1 });
        var e = Assert.Throws<TokenStoreException>(() => _storage.ReadMetadata());
        Assert.That(e!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
    }

    [Test]
    public void KeysAndKeyRingElements_RoundTrip()
    {
        var created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var key = new StoredKey(1, StoreKeyPurpose.Data, StoreKeyState.Active, Guid.NewGuid(), created, [9, 9]);
        using (var transaction = _storage.BeginTransaction())
        {
            _storage.InsertKey(key);
            _storage.UpdateKey(key with { State = StoreKeyState.Destroyed, Wrapped = null });
            _storage.InsertKeyRingElement("key-1", "<key id=\"1\" />");
            transaction.Commit();
        }

        var element = _storage.ListKeyRingElements().Single();
        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindKey(1), Is.EqualTo(key with { State = StoreKeyState.Destroyed, Wrapped = null }));
            Assert.That(_storage.ListKeys(), Has.Count.EqualTo(1));
            Assert.That((element.Name, element.Xml), Is.EqualTo(("key-1", "<key id=\"1\" />")));
        });
    }

    [Test]
    public void LiteDbFailure_WhileReading_EngineReplacedAndReadRetried()
    {
        // LiteDB closes its engine after a consistency failure; the read that meets it is retried on a fresh engine.
        _storage.Database.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(_storage.FindRecord("a"), Is.Null);
            Assert.That(_storage.EngineReopens, Is.EqualTo(1));
        });
    }

    private static byte[] Hash(byte value) => [.. Enumerable.Repeat(value, 32)];

    private static StoredRecord Record(string id, byte user, byte access) =>
        new(id, 1, 2, [1, 2, 3], new IndexHashes { [BlindIndex.User] = Hash(user), [BlindIndex.UserClient] = Hash((byte)id[0]), [BlindIndex.AccessToken] = Hash(access) });

    private void Write(params StoredRecord[] records)
    {
        using var transaction = _storage.BeginTransaction();
        foreach (var record in records)
        {
            Assert.That(_storage.TryUpsertRecord(record), Is.True);
        }

        transaction.Commit();
    }

    private void WriteMetadata(StoreMetadata metadata)
    {
        using var transaction = _storage.BeginTransaction();
        _storage.WriteMetadata(metadata);
        transaction.Commit();
    }
}
