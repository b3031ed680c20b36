using EncryptedStore.Crypto;

namespace EncryptedStore.Storage;

/// <summary>
/// Where a store keeps its records, keys, key ring and metadata: the seam between the store's rules and a
/// storage engine. It speaks in plain types (<see cref="StoredRecord"/>, <see cref="StoredKey"/>,
/// <see cref="StoreMetadata"/>, <see cref="KeyRingElement"/>) and never lets an engine's own type or
/// exception out: a damaged file is a <see cref="TokenStoreErrorCodes.Integrity"/> failure, an I/O failure
/// a <see cref="TokenStoreErrorCodes.TokenStore"/> one.
/// </summary>
/// <remarks>
/// Every access happens inside <see cref="Enter"/> (free when only this process uses the storage). Every
/// change happens inside one <see cref="BeginTransaction"/>, whose commit is on the disk when
/// <see cref="IStorageTransaction.Commit"/> returns. Reads run concurrently; changes are serialised by
/// the caller (<c>WritePipeline</c>); the save journal's applier commits its batches under its own lock.
/// </remarks>
internal interface ITokenStorage : IDisposable
{
    /// <summary>The full path of the store file, or <c>:memory:</c>.</summary>
    string Path { get; }

    /// <summary>True when the store is a file on this machine (not in memory, not on a database server): files beside it, a save journal or a wrapped master key, have a place.</summary>
    bool HasFile { get; }

    /// <summary>True when several processes may use the storage at once.</summary>
    bool IsShared { get; }

    /// <summary>True when saves may go through a save journal beside the store (<see cref="StorePaths.JournalPathFor"/>).</summary>
    bool SupportsJournal { get; }

    /// <summary>The bytes the store takes on the disk; 0 in memory.</summary>
    long SizeInBytes { get; }

    /// <summary>
    /// False when another process may have changed the storage since <see cref="MarkSynchronized"/>: what
    /// the caller keeps in memory may be out of date. Cheap, any thread, outside <see cref="Enter"/>.
    /// </summary>
    bool IsSynchronized { get; }

    /// <summary>
    /// Inside <see cref="Enter"/>: true when another process wrote since <see cref="MarkSynchronized"/>, or when the
    /// storage replaced its engine after a failure (a failed write may have left what the caller keeps out of date).
    /// </summary>
    bool IsStale { get; }

    /// <summary>
    /// Inside <see cref="Enter"/>, after <see cref="IsStale"/> said true: whether the metadata, the key list or the key
    /// ring may have changed too (the caller reloads its keys), rather than only records (the caller empties its cache).
    /// </summary>
    bool IsStateStale { get; }

    /// <summary>
    /// True when the first read of a record inside a hold also observes whether another process wrote (a database server
    /// asks in the same round trip): a reader may then hold without asking first, read, and catch up after
    /// (<see cref="IsStale"/>), reading again when it did. A transaction observes when it begins.
    /// </summary>
    bool ObservesWithReads { get; }

    /// <summary>The counters what the caller keeps in memory is synchronized at (<see cref="Generations.None"/> when the storage keeps none).</summary>
    Generations SynchronizedAt { get; }

    /// <summary>The failure after which the storage last replaced its engine, once (for the log); null when none since the last call.</summary>
    Exception? TakeEngineReopen();

    /// <summary>
    /// Holds the storage for one operation: admits this thread (re-entrantly) and, in shared mode, this
    /// process, waiting up to the lock timeout for the others. Dispose the lease to let others in.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when the wait times out.</exception>
    StorageLease Enter();

    /// <summary>Records that the caller has reloaded what it keeps from the storage (inside <see cref="Enter"/>).</summary>
    void MarkSynchronized();

    /// <summary>Begins the one transaction of a change; the only way to begin one.</summary>
    IStorageTransaction BeginTransaction();

    /// <summary>
    /// Marks a read that visits every record: while one runs, <see cref="CheckpointAfterWrite"/> leaves
    /// the log for later rather than wait for the scan and hold every other call meanwhile.
    /// </summary>
    StorageLease BeginScan();

    /// <summary>After a change, outside its transaction: folds a long log into the data file.</summary>
    void CheckpointAfterWrite();

    /// <summary>
    /// From now on only <see cref="CheckpointAfterWrite"/> and <see cref="Checkpoint"/> fold the log: the engine's own
    /// checkpoint after a commit, which runs inside the call that committed, is turned off (a file: LiteDB's
    /// <c>CHECKPOINT</c> pragma, kept in its header; every writer of the store checkpoints after its writes). For a
    /// store whose saves leave the checkpoint to a background thread; undone by <see cref="HandBackCheckpoints"/>.
    /// </summary>
    void TakeOverCheckpoints();

    /// <summary>
    /// Turns the engine's own checkpoint after a commit back on (at close, before the last checkpoint), so the file
    /// keeps LiteDB's default for any other program that opens it.
    /// </summary>
    void HandBackCheckpoints();

    /// <summary>Folds the log into the data file now and puts the result on the disk.</summary>
    void Checkpoint();

    /// <summary>Refuses a store whose files other users may read (they hold records); checked once the file is known to be a store.</summary>
    /// <exception cref="TokenStoreException"><c>UNSAFE_FILE</c>.</exception>
    void CheckPrivate();

    /// <summary>True when the storage holds anything at all (to refuse a foreign file as a new store).</summary>
    bool HoldsAnything();

    /// <summary>The metadata's format version, or null when there is no metadata (a new store).</summary>
    int? ReadFormat();

    /// <summary>The metadata of a store of the current format.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when it is missing, malformed or implausible.</exception>
    StoreMetadata ReadMetadata();

    /// <summary>Writes the metadata (inside a transaction).</summary>
    void WriteMetadata(StoreMetadata metadata);

    /// <summary>Creates the collections and indexes of a new store (inside its first transaction).</summary>
    void CreateSchema();

    /// <summary>Checks that every part of an existing store is there.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when one is missing.</exception>
    void CheckSchema();

    StoredRecord? FindRecord(string id);

    /// <summary>The record whose unique index <paramref name="index"/> holds <paramref name="hash"/>.</summary>
    StoredRecord? FindRecord(BlindIndex index, byte[] hash);

    /// <summary>Up to <paramref name="limit"/> records whose index <paramref name="index"/> holds <paramref name="hash"/>.</summary>
    IReadOnlyList<StoredRecord> FindRecords(BlindIndex index, byte[] hash, int limit);

    /// <summary>The id of the record holding <paramref name="hash"/> in a unique index; cheaper than <see cref="FindRecord(BlindIndex, byte[])"/>.</summary>
    string? FindHolderId(BlindIndex index, byte[] hash);

    /// <summary>Which unique index value of <paramref name="hashes"/> a record other than <paramref name="id"/> already holds, if any.</summary>
    BlindIndex? FindConflict(string id, IndexHashes hashes);

    /// <summary>Every record, in id order, read lazily.</summary>
    IEnumerable<StoredRecord> ReadAllRecords();

    /// <summary>Up to <paramref name="limit"/> records with ids after <paramref name="cursor"/> (null: from the first), in id order.</summary>
    IReadOnlyList<StoredRecord> ReadRecordsAfter(string? cursor, int limit);

    int CountRecords();

    /// <summary>How many records use key <paramref name="version"/> for <paramref name="purpose"/>.</summary>
    int CountRecordsUnderKey(StoreKeyPurpose purpose, int version);

    /// <summary>Inserts or replaces a record (inside a transaction); false, with nothing written, when a unique index value is taken.</summary>
    bool TryUpsertRecord(StoredRecord record);

    /// <summary>Replaces existing records (inside a transaction), in one engine call.</summary>
    void UpdateRecords(IReadOnlyList<StoredRecord> records);

    /// <summary>Upserts records in order, in one engine call (inside a transaction); a record saved twice ends as the last.</summary>
    void UpsertRecords(IReadOnlyList<StoredRecord> records);

    /// <summary>
    /// Outside a transaction, in one durable commit (one round trip on a database server): replaces the existing record
    /// of <paramref name="record"/>'s id, only when the storage is still at <paramref name="synchronizedAt"/> (taken
    /// before the caller read what it merged). Returns the counters the commit left (the storage is synchronized at them
    /// unless a catch-up moved it further meanwhile); null, with nothing of the record written, when anything changed since,
    /// the record is gone, a unique value is taken, another writer holds the store, or the storage cannot do this: the
    /// caller then takes the ordinary path, whose transaction checks everything again.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>UNAVAILABLE</c> when the connection was lost during the commit (the outcome is unknown; retrying is safe).</exception>
    Generations? TryReplaceIfUnchanged(StoredRecord record, Generations synchronizedAt);

    bool DeleteRecord(string id);

    int DeleteAllRecords();

    /// <summary>The indexes whose lookup by the record's own stored value does not lead back to it.</summary>
    IReadOnlyList<BlindIndex> UnreachableIndexes(StoredRecord record);

    /// <summary>The ids of the records as listed through the unique index <paramref name="index"/> rather than the id index.</summary>
    HashSet<string> IdsListedBy(BlindIndex index);

    /// <summary>A record as the save journal keeps it: exactly the bytes the storage itself would hold.</summary>
    byte[] SerializeRecord(StoredRecord record);

    /// <summary>A record from the bytes <see cref="SerializeRecord"/> made; null when they are not one.</summary>
    StoredRecord? DeserializeRecord(byte[] bytes);

    /// <summary>Every key version, oldest first.</summary>
    IReadOnlyList<StoredKey> ListKeys();

    StoredKey? FindKey(int version);

    /// <summary>Adds a key version (inside a transaction).</summary>
    void InsertKey(StoredKey key);

    /// <summary>Replaces a key version's state and material (inside a transaction).</summary>
    void UpdateKey(StoredKey key);

    /// <summary>
    /// Takes the lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="duration"/> from now,
    /// or renews it: true when it was free, expired or already <paramref name="holder"/>'s; false while another holder's
    /// lease runs. Outside a transaction (it commits by itself). A storage only one process writes grants every lease.
    /// </summary>
    bool TryTakeLease(string name, string holder, TimeSpan duration);

    /// <summary>Gives up the lease <paramref name="name"/> when <paramref name="holder"/> holds it.</summary>
    void ReleaseLease(string name, string holder);

    IReadOnlyList<KeyRingElement> ListKeyRingElements();

    void InsertKeyRingElement(string name, string xml);

    void UpdateKeyRingElement(KeyRingElement element);

    void DeleteKeyRingElement(KeyRingElement element);
}
