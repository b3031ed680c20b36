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
internal abstract partial class LiteDbStorage : ITokenStorage
{
    public const string MemoryPath = ":memory:";

    private const string RecordsName = "tokens";
    private const string KeysName = "keys";
    private const string KeyRingName = "keyring";
    private const string MetadataName = "meta";

    /// <summary>Every collection of a store, in the order a copy writes them.</summary>
    public static readonly string[] CollectionNames = [MetadataName, KeyRingName, KeysName, RecordsName];

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

    public bool HasFile => Path != MemoryPath;

    public bool SupportsJournal => !IsShared && DataStream is not null;

    public long SizeInBytes => (DataStream?.Length ?? 0) + (LogStream?.Length ?? 0);

    public virtual bool IsSynchronized => true;

    public virtual bool IsStale => false;

    /// <summary>LiteDB cannot tell which part changed: a stale engine may hold any change.</summary>
    public bool IsStateStale => IsStale;

    /// <summary>A file is checked when it is held (in shared mode, under its lock file), before anything is read.</summary>
    public bool ObservesWithReads => false;

    /// <summary>A file keeps no change counters.</summary>
    public Generations SynchronizedAt => Generations.None;

    /// <summary>One file: the store's lock (exclusive) or lock file (shared) already serialises the writers a lease would.</summary>
    public bool TryTakeLease(string name, string holder, TimeSpan duration) => true;

    /// <inheritdoc cref="ITokenStorage.ReleaseLease"/>
    public void ReleaseLease(string name, string holder)
    {
    }

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

    private ILiteCollection<BsonDocument> KeyRingElements { get; set; } = null!;

    private ILiteCollection<BsonDocument> Metadata { get; set; } = null!;

    protected bool ScanRunning => Volatile.Read(ref _scans) > 0;

    public abstract StorageLease Enter();

    public virtual void MarkSynchronized()
    {
    }

    public IStorageTransaction BeginTransaction()
    {
        // Counted from here to its commit or rollback, so the engine is not replaced under it.
        EnterWrite();
        try
        {
            Guarded(() => Database.BeginTrans(), "beginning a transaction", writing: true);
            return new Transaction(this);
        }
        catch
        {
            ExitWrite();
            throw;
        }
    }

    public StorageLease BeginScan()
    {
        Interlocked.Increment(ref _scans);
        return new StorageLease(_endScan);
    }

    public abstract void CheckpointAfterWrite();

    public void TakeOverCheckpoints() => SetEngineCheckpoint(0);

    public void HandBackCheckpoints() => SetEngineCheckpoint(LiteDbFiles.CheckpointPages);

    private void SetEngineCheckpoint(int pages) =>
        Guarded(
            () =>
            {
                if (Database.CheckpointSize != pages)
                {
                    Database.CheckpointSize = pages;
                }

                return true;
            },
            "setting the store's checkpoint",
            writing: true);

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

    public void CheckPrivate()
    {
        if (!OperatingSystem.IsWindows())
        {
            SafeFile.CheckPrivate(Path, DataStream?.SafeFileHandle);
            SafeFile.CheckPrivate(StorePaths.LogPathFor(Path), LogStream?.SafeFileHandle);
        }
    }

    public bool HoldsAnything() => Guarded(() => Database.GetCollectionNames().Any(), "opening the store", writing: false);

    public int? ReadFormat() =>
        Guarded(() => Metadata.FindById(LiteDbDocuments.MetadataId), "opening the store", writing: false) is { } document
            ? LiteDbDocuments.ReadFormat(document)
            : null;

    public StoreMetadata ReadMetadata() =>
        LiteDbDocuments.ToMetadata(Guarded(() => Metadata.FindById(LiteDbDocuments.MetadataId), "reading the store metadata", writing: false)
            ?? throw Errors.Integrity("the store metadata"));

    public void WriteMetadata(StoreMetadata metadata)
    {
        var document = LiteDbDocuments.ToDocument(metadata);
        Guarded(() => Metadata.Upsert(document), "writing the store metadata", writing: true);
    }

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

    public IReadOnlyList<StoredKey> ListKeys() =>
        Guarded(() => Keys.FindAll().ToList(), "reading the key list", writing: false).ConvertAll(LiteDbDocuments.ToKey);

    public StoredKey? FindKey(int version) =>
        Guarded(() => Keys.FindById(version), "reading the key list", writing: false) is { } document ? LiteDbDocuments.ToKey(document) : null;

    public void InsertKey(StoredKey key)
    {
        var document = LiteDbDocuments.ToDocument(key);
        Guarded(() => Keys.Insert(document), "writing the key list", writing: true);
    }

    public void UpdateKey(StoredKey key)
    {
        var document = LiteDbDocuments.ToDocument(key);
        Guarded(() => Keys.Update(document), "writing the key list", writing: true);
    }

    public IReadOnlyList<KeyRingElement> ListKeyRingElements() =>
        Guarded(() => KeyRingElements.FindAll().ToList(), "reading the key ring", writing: false).ConvertAll(LiteDbDocuments.ToElement);

    public void InsertKeyRingElement(string name, string xml)
    {
        var document = new BsonDocument { ["name"] = name, ["xml"] = xml };
        Guarded(() => KeyRingElements.Insert(document), "writing the key ring", writing: true);
    }

    public void UpdateKeyRingElement(KeyRingElement element)
    {
        var document = new BsonDocument { ["_id"] = (BsonValue)element.StorageId, ["name"] = element.Name, ["xml"] = element.Xml };
        Guarded(() => KeyRingElements.Update(document), "writing the key ring", writing: true);
    }

    public void DeleteKeyRingElement(KeyRingElement element) =>
        Guarded(() => KeyRingElements.Delete((BsonValue)element.StorageId), "writing the key ring", writing: true);

    public abstract void Dispose();

    /// <summary>Sets the database and its collections; called once by the constructor of each mode.</summary>
    protected void Attach(LiteDatabase database)
    {
        Database = database;
        Records = database.GetCollection(RecordsName);
        Keys = database.GetCollection(KeysName);
        KeyRingElements = database.GetCollection(KeyRingName);
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
            // The commits are safe in the log; a failed engine is replaced before the next call.
            NoteFailure(e);
        }
    }

    /// <summary>A LiteDB call whose failures leave as store exceptions; a read is retried once on a fresh engine, a write is counted (see <c>LiteDbStorage.Recovery.cs</c>).</summary>
    private T Guarded<T>(Func<T> call, string operation, bool writing) =>
        writing ? GuardedWrite(call, operation) : GuardedRead(call, operation);

    /// <summary>A LiteDB failure to translate; a call on a storage this process disposed stays an <see cref="ObjectDisposedException"/>.</summary>
    private bool IsFailure(Exception e) => LiteDbFailures.IsStorageFailure(e) && !(e is ObjectDisposedException && Disposed);

    private sealed class Transaction(LiteDbStorage storage) : IStorageTransaction
    {
        private bool _done;

        public void Commit()
        {
            _done = true;
            try
            {
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
            finally
            {
                storage.ExitWrite();
            }
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
                storage.NoteFailure(e);
            }
            finally
            {
                storage.ExitWrite();
            }
        }
    }
}
