using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// The store in one LiteDB file (or in memory): records in <c>tokens</c>, key versions in <c>keys</c>,
/// Data Protection's key ring in <c>keyring</c>, the metadata in <c>meta</c>. This class holds what both
/// sharing modes do alike; <see cref="ExclusiveLiteDbStorage"/> and <see cref="SharedLiteDbStorage"/>
/// decide how the file is held. Every LiteDB call is guarded: its failures leave as store exceptions
/// (<see cref="LiteDbFailures"/>).
/// </summary>
internal abstract class LiteDbStorage : ITokenStorage
{
    public const string MemoryPath = ":memory:";

    private const string RecordsName = "tokens";
    private const string KeysName = "keys";
    private const string KeyRingName = "keyring";
    private const string MetadataName = "meta";

    /// <summary>Every collection of a store, in the order a copy writes them.</summary>
    public static readonly string[] CollectionNames = [MetadataName, KeyRingName, KeysName, RecordsName];

    /// <summary>"field = @0" per blind index: values go in as parameters, so LiteDB compiles each query text once.</summary>
    private static readonly string[] EqualityQueries = [.. IndexHashes.All.Select(i => $"{LiteDbDocuments.FieldName(i)} = @0")];
    private static readonly BsonExpression HolderIdProjection = BsonExpression.Create("{ i: _id }");

    private readonly Action _endScan;
    private int _scans;

    protected LiteDbStorage(string path, DurableFileStream? data, DurableFileStream? log)
    {
        Path = path;
        DataStream = data;
        LogStream = log;
        _endScan = () => Interlocked.Decrement(ref _scans);
    }

    public string Path { get; }

    public abstract bool IsShared { get; }

    public bool SupportsJournal => !IsShared && DataStream is not null;

    public long SizeInBytes => (DataStream?.Length ?? 0) + (LogStream?.Length ?? 0);

    public virtual bool IsSynchronized => true;

    public virtual bool IsStale => false;

    /// <summary>The LiteDB database (for tests that edit the file behind the store's back).</summary>
    public LiteDatabase Database { get; private set; } = null!;

    /// <summary>The records collection (for tests).</summary>
    public ILiteCollection<BsonDocument> Records { get; private set; } = null!;

    /// <summary>True when the data file or the log holds writes not yet flushed to the disk (for tests).</summary>
    public bool HasUnsyncedWrites => LogStream?.HasUnsyncedWrites == true || DataStream?.HasUnsyncedWrites == true;

    /// <summary>How many times the log was flushed to the disk since the file was opened (for tests).</summary>
    public long LogSyncCount => LogStream?.SyncCount ?? 0;

    protected DurableFileStream? DataStream { get; }

    protected DurableFileStream? LogStream { get; }

    protected bool Disposed { get; set; }

    private ILiteCollection<BsonDocument> Keys { get; set; } = null!;

    private ILiteCollection<BsonDocument> KeyRing { get; set; } = null!;

    private ILiteCollection<BsonDocument> Metadata { get; set; } = null!;

    protected bool ScanRunning => Volatile.Read(ref _scans) > 0;

    public abstract StorageLease Enter();

    public virtual void MarkSynchronized()
    {
    }

    public IStorageTransaction BeginTransaction()
    {
        Guarded(() => Database.BeginTrans(), "beginning a transaction", writing: true);
        return new Transaction(this);
    }

    public StorageLease BeginScan()
    {
        Interlocked.Increment(ref _scans);
        return new StorageLease(_endScan);
    }

    public abstract void CheckpointAfterWrite();

    public void Checkpoint()
    {
        Guarded(
            () =>
            {
                Database.Checkpoint();
                SyncCommitted();
                return true;
            },
            "folding the log into the store file",
            writing: true);
    }

    public bool HoldsAnything() => Guarded(() => Database.GetCollectionNames().Any(), "opening the store", writing: false);

    public int? ReadFormat() =>
        Guarded(() => Metadata.FindById(LiteDbDocuments.MetadataId), "opening the store", writing: false) is { } document
            ? LiteDbDocuments.ReadFormat(document)
            : null;

    public StoreMetadata ReadMetadata() =>
        LiteDbDocuments.ToMetadata(Guarded(() => Metadata.FindById(LiteDbDocuments.MetadataId), "reading the store metadata", writing: false)
            ?? throw Errors.Integrity("the store metadata"));

    public void WriteMetadata(StoreMetadata metadata) =>
        Guarded(() => Metadata.Upsert(LiteDbDocuments.ToDocument(metadata)), "writing the store metadata", writing: true);

    public void CreateSchema() => Guarded(
        () =>
        {
            Records.EnsureIndex(LiteDbDocuments.FieldName(BlindIndex.User), "$." + LiteDbDocuments.FieldName(BlindIndex.User), unique: false);
            foreach (var index in IndexHashes.Unique)
            {
                Records.EnsureIndex(LiteDbDocuments.FieldName(index), "$." + LiteDbDocuments.FieldName(index), unique: true);
            }

            return true;
        },
        "creating the store",
        writing: true);

    public void CheckSchema()
    {
        // Every store has these from its creation on; a damaged file header can make one vanish, and a
        // store without its tokens would otherwise look empty.
        foreach (var name in new[] { RecordsName, KeysName, KeyRingName })
        {
            if (!Guarded(() => Database.CollectionExists(name), "opening the store", writing: false))
            {
                throw Errors.Integrity($"the store file (its '{name}' collection is missing)");
            }
        }
    }

    public StoredRecord? FindRecord(string id) => ToRecord(Guarded(() => Records.FindById(id), "reading tokens", writing: false));

    public StoredRecord? FindRecord(BlindIndex index, byte[] hash) =>
        ToRecord(Guarded(() => Records.FindOne(EqualityQueries[(int)index], new BsonValue(hash)), "reading tokens", writing: false));

    public IReadOnlyList<StoredRecord> FindRecords(BlindIndex index, byte[] hash, int limit) =>
        Guarded(() => Records.Find(BsonExpression.Create(EqualityQueries[(int)index], new BsonValue(hash)), 0, limit).ToList(), "reading tokens", writing: false)
            .ConvertAll(LiteDbDocuments.ToRecord);

    public string? FindHolderId(BlindIndex index, byte[] hash) =>
        Guarded(() => Records.Query().Where(EqualityQueries[(int)index], new BsonValue(hash)).Select(HolderIdProjection).FirstOrDefault(), "reading tokens", writing: false)
            is { } found && found["i"].IsString
            ? found["i"].AsString
            : null;

    public BlindIndex? FindConflict(string id, IndexHashes hashes)
    {
        foreach (var index in IndexHashes.Unique)
        {
            if (hashes[index] is { } hash && Guarded(
                () => Records.Exists(BsonExpression.Create($"{LiteDbDocuments.FieldName(index)} = @0 AND _id != @1", new BsonValue(hash), new BsonValue(id))),
                "reading tokens",
                writing: false))
            {
                return index;
            }
        }

        return null;
    }

    public IEnumerable<StoredRecord> ReadAllRecords()
    {
        using var documents = Guarded(() => Records.FindAll().GetEnumerator(), "reading tokens", writing: false);
        while (Guarded(documents.MoveNext, "reading tokens", writing: false))
        {
            yield return LiteDbDocuments.ToRecord(documents.Current);
        }
    }

    public IReadOnlyList<StoredRecord> ReadRecordsAfter(string? cursor, int limit)
    {
        var after = cursor is null ? BsonValue.MinValue : new BsonValue(cursor);
        return Guarded(() => Records.Find(BsonExpression.Create("_id > @0", after), 0, limit).ToList(), "reading tokens", writing: false)
            .ConvertAll(LiteDbDocuments.ToRecord);
    }

    public int CountRecords() => Guarded(() => Records.Count(), "counting tokens", writing: false);

    public int CountRecordsUnderKey(StoreKeyPurpose purpose, int version) =>
        Guarded(() => Records.Count(BsonExpression.Create($"{LiteDbDocuments.KeyField(purpose)} = @0", version)), "counting tokens", writing: false);

    public bool TryUpsertRecord(StoredRecord record)
    {
        try
        {
            Records.Upsert(LiteDbDocuments.ToDocument(record));
            return true;
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return false;
        }
        catch (Exception e) when (IsFailure(e))
        {
            throw LiteDbFailures.Translate(e, "saving tokens", writing: true);
        }
    }

    public void UpdateRecords(IReadOnlyList<StoredRecord> records) =>
        Guarded(() => Records.Update(records.Select(LiteDbDocuments.ToDocument)), "rewriting tokens", writing: true);

    public void UpsertRecordsDurably(IEnumerable<StoredRecord> records)
    {
        using var transaction = BeginTransaction();
        foreach (var record in records)
        {
            Guarded(() => Records.Upsert(LiteDbDocuments.ToDocument(record)), "applying saved tokens", writing: true);
        }

        transaction.Commit();
    }

    public bool DeleteRecord(string id) => Guarded(() => Records.Delete(id), "deleting a token", writing: true);

    public int DeleteAllRecords() => Guarded(() => Records.DeleteAll(), "deleting tokens", writing: true);

    public IReadOnlyList<BlindIndex> UnreachableIndexes(StoredRecord record)
    {
        var id = new BsonValue(record.Id);
        var unreachable = new List<BlindIndex>();
        foreach (var index in IndexHashes.All)
        {
            if (ReferenceEquals(record.Hashes[index], IndexHashes.Invalid))
            {
                unreachable.Add(index);
                continue;
            }

            if (LiteDbDocuments.IndexValue(record.Id, record.Hashes, index) is not { } value)
            {
                // Only the user index is left out, for a record without user name.
                continue;
            }

            var found = Guarded(
                () => index == BlindIndex.User
                    ? Records.Find(BsonExpression.Create(EqualityQueries[(int)index], value)).Any(d => d["_id"] == id)
                    : Records.FindOne(EqualityQueries[(int)index], value)?["_id"] == id,
                "verifying tokens",
                writing: false);
            if (!found)
            {
                unreachable.Add(index);
            }
        }

        return unreachable;
    }

    public HashSet<string> IdsListedBy(BlindIndex index) =>
        Guarded(
            () => Records.Find(Query.All(LiteDbDocuments.FieldName(index)))
                .Select(d => d["_id"].IsString ? d["_id"].AsString : string.Empty)
                .ToHashSet(StringComparer.Ordinal),
            "verifying tokens",
            writing: false);

    public byte[] SerializeRecord(StoredRecord record) => BsonSerializer.Serialize(LiteDbDocuments.ToDocument(record));

    public int ReplayJournal(byte[] storeId)
    {
        if (DataStream is null)
        {
            return 0;
        }

        var path = StorePaths.JournalPathFor(Path);
        var entries = SaveJournal.ReadEntries(path, storeId);
        if (entries.Count > 0)
        {
            UpsertRecordsDurably(entries.Select(entry => LiteDbDocuments.ToRecord(BsonSerializer.Deserialize(entry))));
        }

        File.Delete(path);
        return entries.Count;
    }

    public IReadOnlyList<StoredKey> ListKeys() =>
        Guarded(() => Keys.FindAll().ToList(), "reading the key list", writing: false).ConvertAll(LiteDbDocuments.ToKey);

    public StoredKey? FindKey(int version) =>
        Guarded(() => Keys.FindById(version), "reading the key list", writing: false) is { } document ? LiteDbDocuments.ToKey(document) : null;

    public void InsertKey(StoredKey key) => Guarded(() => Keys.Insert(LiteDbDocuments.ToDocument(key)), "writing the key list", writing: true);

    public void UpdateKey(StoredKey key) => Guarded(() => Keys.Update(LiteDbDocuments.ToDocument(key)), "writing the key list", writing: true);

    public IReadOnlyList<KeyRingElement> ListKeyRingElements() =>
        Guarded(() => KeyRing.FindAll().ToList(), "reading the key ring", writing: false).ConvertAll(LiteDbDocuments.ToElement);

    public void InsertKeyRingElement(string name, string xml) =>
        Guarded(() => KeyRing.Insert(new BsonDocument { ["name"] = name, ["xml"] = xml }), "writing the key ring", writing: true);

    public void UpdateKeyRingElement(KeyRingElement element) => Guarded(
        () => KeyRing.Update(new BsonDocument { ["_id"] = (BsonValue)element.StorageId, ["name"] = element.Name, ["xml"] = element.Xml }),
        "writing the key ring",
        writing: true);

    public void DeleteKeyRingElement(KeyRingElement element) =>
        Guarded(() => KeyRing.Delete((BsonValue)element.StorageId), "writing the key ring", writing: true);

    public abstract void Dispose();

    /// <summary>Sets the database and its collections; called once by the constructor of each mode.</summary>
    protected void Attach(LiteDatabase database)
    {
        Database = database;
        Records = database.GetCollection(RecordsName);
        Keys = database.GetCollection(KeysName);
        KeyRing = database.GetCollection(KeyRingName);
        Metadata = database.GetCollection(MetadataName);
    }

    /// <summary>
    /// Puts the last commit on the disk before the change that made it returns: fsync of the log (where
    /// LiteDB wrote the commit's pages), then of the data file if something wrote it since its last flush.
    /// LiteDB itself never flushes a commit. Nothing happens when nothing was written, or without <c>FlushToDisk</c>.
    /// </summary>
    protected void SyncCommitted()
    {
        LogStream?.SyncIfWritten();
        DataStream?.SyncIfWritten();
    }

    protected bool LogPasses(long bytes) => LogStream is not null && LogStream.Length >= bytes;

    /// <summary>A checkpoint after a write: its failure leaves the commits safe in the log, and the next write tries again.</summary>
    protected void CheckpointQuietly(Action checkpoint)
    {
        try
        {
            checkpoint();
            SyncCommitted();
        }
        catch (Exception e) when (e is IOException || LiteDbFailures.IsLiteDbFailure(e))
        {
            // A damaged or closed engine reports itself at the next call.
        }
    }

    private static StoredRecord? ToRecord(BsonDocument? document) => document is null ? null : LiteDbDocuments.ToRecord(document);

    private T Guarded<T>(Func<T> call, string operation, bool writing)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (IsFailure(e))
        {
            throw LiteDbFailures.Translate(e, operation, writing);
        }
    }

    /// <summary>A LiteDB failure to translate; a call on a storage this process disposed stays an <see cref="ObjectDisposedException"/>.</summary>
    private bool IsFailure(Exception e) => LiteDbFailures.IsStorageFailure(e) && !(e is ObjectDisposedException && Disposed);

    private sealed class Transaction(LiteDbStorage storage) : IStorageTransaction
    {
        private bool _done;

        public void Commit()
        {
            _done = true;
            storage.Guarded(
                () =>
                {
                    storage.Database.Commit();
                    storage.SyncCommitted();
                    return true;
                },
                "committing a change",
                writing: true);
        }

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            try
            {
                storage.Database.Rollback();
            }
            catch (Exception e) when (LiteDbFailures.IsStorageFailure(e))
            {
                // LiteDB closed its engine on the first failure: nothing was committed. The first failure is the one to report.
            }
        }
    }
}
