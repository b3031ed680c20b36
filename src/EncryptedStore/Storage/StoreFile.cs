using System.Diagnostics;
using System.Text;
using EncryptedStore.Internal;
using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage;

/// <summary>
/// The LiteDB file (or memory) behind a store and its collections. The store opens the data and log
/// files itself, so it controls their permissions (0600), locks them while open, and can make each
/// LiteDB commit durable (fsync, <see cref="SyncCommitted"/>): LiteDB itself never does.
/// </summary>
/// <remarks>
/// Exclusive mode (the default) holds an exclusive lock on the files from open to dispose. Shared mode
/// (<see cref="StoreSharing.Shared"/>) holds a shared lock on them (so an exclusive opener waits), and
/// serialises access between processes with a <see cref="SharedLockFile"/>: every access to the
/// collections happens inside <see cref="Enter"/>, which takes the lock file and, when another process
/// wrote since this one last held it, replaces the LiteDB engine with a fresh one over the same
/// streams. <see cref="IsStale"/> then tells the store to reload what it keeps in memory.
/// </remarks>
internal sealed class StoreFile : IDisposable
{
    public const string MemoryPath = ":memory:";

    private const int LiteDbPageSize = 8192;
    private const int HeaderInfoOffset = 32;
    private static readonly byte[] HeaderInfo = Encoding.ASCII.GetBytes("** This is a LiteDB file **");

    /// <summary>Ids compare by code unit, so "Abc" and "abc" are two records (LiteDB's default ignores case).</summary>
    private static readonly Collation OrdinalCollation = new(System.Globalization.CultureInfo.InvariantCulture.LCID, System.Globalization.CompareOptions.Ordinal);

    private readonly DurableFileStream? _data;
    private readonly DurableFileStream? _log;
    private readonly string? _logPath;

    // Shared mode only. _gate admits one thread of this process (re-entrantly); the lock file, one process.
    private readonly SharedLockFile? _lockFile;
    private readonly TimeSpan _lockTimeout;
    private readonly Lock _gate = new();
    private int _depth;
    private bool _bumped;
    private LiteEngine? _engine;
    private long _engineGeneration;
    private long _syncedGeneration = -1;

    private StoreFile(string path, LiteDatabase? database, DurableFileStream? data, DurableFileStream? log, string? logPath, SharedLockFile? lockFile = null, TimeSpan lockTimeout = default)
    {
        Path = path;
        _data = data;
        _log = log;
        _logPath = logPath;
        _lockFile = lockFile;
        _lockTimeout = lockTimeout;
        Database = database ?? new LiteDatabase(new SharedEngine(this));
        Metadata = Database.GetCollection("meta");
        Tokens = Database.GetCollection("tokens");
        KeyRing = Database.GetCollection("keyring");
        Keys = Database.GetCollection("keys");
    }

    public string Path { get; }

    public LiteDatabase Database { get; }

    /// <summary>The single <see cref="StoreMetadata"/> document.</summary>
    public ILiteCollection<BsonDocument> Metadata { get; }

    /// <summary>Encrypted token records with their blind indexes.</summary>
    public ILiteCollection<BsonDocument> Tokens { get; }

    /// <summary>Data Protection's key XML, each key encrypted with the master key.</summary>
    public ILiteCollection<BsonDocument> KeyRing { get; }

    /// <summary>Data and index keys, each wrapped by a Data Protection key.</summary>
    public ILiteCollection<BsonDocument> Keys { get; }

    public bool IsMemory => _data is null;

    /// <summary>True in <see cref="StoreSharing.Shared"/> mode.</summary>
    public bool IsShared => _lockFile is not null;

    /// <summary>
    /// False when another process may have written since the store last reloaded its state (shared mode;
    /// always true otherwise): what the store caches may then be out of date. Reads the lock file's
    /// generation, without taking the lock; any thread.
    /// </summary>
    public bool IsSynchronized => _lockFile is null || _lockFile.ReadGeneration() == Volatile.Read(ref _syncedGeneration);

    /// <summary>Inside <see cref="Enter"/>: true when the engine is fresher than what the store has loaded.</summary>
    public bool IsStale => _lockFile is not null && _syncedGeneration != _engineGeneration;

    /// <summary>True when the data file or the log holds writes not yet flushed to the disk (for tests).</summary>
    public bool HasUnsyncedWrites => _log?.HasUnsyncedWrites == true || _data?.HasUnsyncedWrites == true;

    /// <summary>How many times the log was flushed to the disk since the file was opened (for tests).</summary>
    public long LogSyncCount => _log?.SyncCount ?? 0;

    /// <summary>The data file's size plus its log's, in bytes; 0 in memory.</summary>
    public long SizeInBytes => (_data?.Length ?? 0) + (_log?.Length ?? 0);

    /// <summary>The log length past which a shared store checkpoints after a write (1 MB, 128 pages).</summary>
    private const long SharedCheckpointBytes = 128 * LiteDbPageSize;

    /// <summary>The log length past which an exclusive store checkpoints after a write (8 MB, LiteDB's own 1,000 pages).</summary>
    private const long ExclusiveCheckpointBytes = 1000 * LiteDbPageSize;

    /// <summary>How often a process waiting for the lock tries again.</summary>
    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Opens or creates the file; throws <see cref="TokenStoreException"/> without changing a file that is
    /// not a store. While another process holds the file, tries again until <paramref name="lockTimeout"/>
    /// has passed, then throws <see cref="TokenStoreErrorCodes.StoreLocked"/>.
    /// </summary>
    public static StoreFile Open(string path, bool flushToDisk, TimeSpan lockTimeout, bool shared = false)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return shared && path != MemoryPath ? OpenShared(path, flushToDisk, lockTimeout) : OpenOnce(path, flushToDisk);
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.StoreLocked && Stopwatch.GetElapsedTime(started) < lockTimeout)
            {
                Thread.Sleep(LockRetryInterval);
            }
        }
    }

    private static StoreFile OpenOnce(string path, bool flushToDisk)
    {
        if (path == MemoryPath)
        {
            var memory = new LiteDatabase(new LiteEngine(new EngineSettings
            {
                DataStream = new MemoryStream(),
                LogStream = new MemoryStream(),
                Collation = OrdinalCollation,
            }));
            return new StoreFile(path, memory, null, null, null);
        }

        var fullPath = System.IO.Path.GetFullPath(path);
        var logPath = LogPathFor(fullPath);
        ProbeHeader(fullPath);

        DurableFileStream? data = null;
        DurableFileStream? log = null;
        var createdLog = false;
        try
        {
            data = new DurableFileStream(fullPath, StreamOptions(FileMode.OpenOrCreate), flushToDisk);
            createdLog = !File.Exists(logPath);
            log = new DurableFileStream(logPath, StreamOptions(FileMode.OpenOrCreate), flushToDisk);
            // The collation is fixed when the file is made; an existing file keeps its own, so a foreign
            // LiteDB file opens and is then refused for having no store metadata.
            var engine = new LiteEngine(new EngineSettings { DataStream = data, LogStream = log, Collation = data.Length == 0 ? OrdinalCollation : null });
            return new StoreFile(fullPath, new LiteDatabase(engine), data, log, logPath);
        }
        catch (Exception e)
        {
            log?.Dispose();
            data?.Dispose();
            if (createdLog && log is not null)
            {
                TryDeleteEmpty(logPath);
            }

            throw e switch
            {
                TokenStoreException => e,
                DirectoryNotFoundException => Errors.Io("opening the store (its folder does not exist)", e),
                IOException when data is null || log is null => Errors.Locked(fullPath, e),
                UnauthorizedAccessException => Errors.Io("opening the store", e),
                LiteException => Errors.Integrity("the store file", e),
                _ when log is not null && Errors.IsDamagedData(e) => Errors.Integrity("the store file", e),
                _ => Errors.Io("opening the store", e),
            };
        }
    }

    /// <summary>
    /// Opens the files with shared locks and the lock file; the engine is made by the first
    /// <see cref="Enter"/>, under the lock, since making it writes a new file's header.
    /// </summary>
    private static StoreFile OpenShared(string path, bool flushToDisk, TimeSpan lockTimeout)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var logPath = LogPathFor(fullPath);
        ProbeHeader(fullPath);

        SharedLockFile? lockFile = null;
        DurableFileStream? data = null;
        DurableFileStream? log = null;
        try
        {
            lockFile = SharedLockFile.Open(LockPathFor(fullPath));
            data = new DurableFileStream(fullPath, StreamOptions(FileMode.OpenOrCreate, FileShare.ReadWrite), flushToDisk);
            log = new DurableFileStream(logPath, StreamOptions(FileMode.OpenOrCreate, FileShare.ReadWrite), flushToDisk);
            return new StoreFile(fullPath, database: null, data, log, logPath, lockFile, lockTimeout);
        }
        catch (Exception e)
        {
            log?.Dispose();
            data?.Dispose();
            lockFile?.Dispose();
            throw e switch
            {
                DirectoryNotFoundException => Errors.Io("opening the store (its folder does not exist)", e),
                IOException => Errors.Locked(fullPath, e),
                _ => Errors.Io("opening the store", e),
            };
        }
    }

    /// <summary>LiteDB's own name for the log beside a data file: <c>name-log.ext</c>.</summary>
    public static string LogPathFor(string fullPath) => SiblingPath(fullPath, "-log");

    /// <summary>The save journal (<see cref="SaveJournal"/>): <c>name-journal.ext</c>. Deleted when the store closes cleanly.</summary>
    public static string JournalPathFor(string fullPath) => SiblingPath(fullPath, "-journal");

    /// <summary>
    /// Applies to the tokens what the save journal of the store <paramref name="storeId"/> holds (the saves
    /// of a process that died before applying them), in one durable transaction, then deletes the journal.
    /// A journal of another store, or one with nothing valid in it, is deleted without being applied.
    /// Needs no key: an entry is a record as stored. In shared mode, call it inside <see cref="Enter"/>.
    /// </summary>
    /// <returns>How many journal entries were applied.</returns>
    public int ReplayJournal(byte[] storeId)
    {
        if (IsMemory)
        {
            return 0;
        }

        var path = JournalPathFor(Path);
        var entries = SaveJournal.ReadEntries(path, storeId);
        if (entries.Count > 0)
        {
            UpsertTokens(entries.Select(record => BsonSerializer.Deserialize(record)));
        }

        File.Delete(path);
        return entries.Count;
    }

    /// <summary>
    /// Upserts token records, in order, in one transaction put on the disk before it returns (see
    /// <see cref="SyncCommitted"/>); nothing is written when one fails. How the save journal reaches LiteDB,
    /// at replay and from the store's applier.
    /// </summary>
    public void UpsertTokens(IEnumerable<BsonDocument> records)
    {
        Database.BeginTrans();
        try
        {
            foreach (var record in records)
            {
                Tokens.Upsert(record);
            }

            Database.Commit();
        }
        catch
        {
            Database.Rollback();
            throw;
        }

        SyncCommitted();
    }

    /// <summary>The lock file of shared mode: <c>name-lock.ext</c>. It stays after the store closes; deleting it while the store is open breaks the exclusion.</summary>
    public static string LockPathFor(string fullPath) => SiblingPath(fullPath, "-lock");

    private static string SiblingPath(string fullPath, string suffix) =>
        System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(fullPath) ?? ".",
            System.IO.Path.GetFileNameWithoutExtension(fullPath) + suffix + System.IO.Path.GetExtension(fullPath));

    /// <summary>
    /// Holds the file for one operation: in shared mode, admits this thread (re-entrantly; threads of this
    /// process queue without a limit) and this process (waiting up to the lock timeout for the others), and
    /// replaces the engine when another process wrote since; a no-op otherwise. Dispose the lease to let
    /// others in.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>STORE_LOCKED</c> when the wait times out.</exception>
    public Lease Enter()
    {
        if (_lockFile is null)
        {
            return default;
        }

        // Threads of this process queue without a limit, as they do for writes in exclusive mode; the
        // lock timeout bounds the wait for other processes.
        _gate.Enter();
        try
        {
            ObjectDisposedException.ThrowIf(_engineGeneration < 0, this);
            if (_depth == 0)
            {
                if (!TryAcquireProcessLock())
                {
                    throw Errors.Locked(Path, new TimeoutException("Another process held the store for longer than the lock timeout."));
                }

                try
                {
                    var generation = _lockFile.ReadGeneration();
                    _bumped = false;
                    if (_engine is null || generation != _engineGeneration)
                    {
                        ReplaceEngine(generation);
                    }
                }
                catch
                {
                    _lockFile.Release();
                    throw;
                }
            }

            _depth++;
            return new Lease(this);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    /// <summary>Records that the store has reloaded its state from the engine it holds now (inside <see cref="Enter"/>).</summary>
    public void MarkSynchronized() => Volatile.Write(ref _syncedGeneration, _engineGeneration);

    /// <summary>The engine for a read, inside <see cref="Enter"/>.</summary>
    internal LiteEngine EngineForRead()
    {
        if (!_gate.IsHeldByCurrentThread || _depth == 0 || _engine is null)
        {
            throw new System.Diagnostics.UnreachableException("A shared store file was used outside Enter().");
        }

        return _engine;
    }

    /// <summary>The engine for a change, inside <see cref="Enter"/>: first bumps the write generation (once per lease).</summary>
    internal LiteEngine EngineForWrite()
    {
        var engine = EngineForRead();
        if (!_bumped)
        {
            Bump();
        }

        return engine;
    }

    private void Bump()
    {
        var synchronized = _syncedGeneration == _engineGeneration;
        var next = _engineGeneration + 1;
        _lockFile!.WriteGeneration(next);
        _engineGeneration = next;
        _bumped = true;
        if (synchronized)
        {
            // Our own write: the store's state follows it through its own bookkeeping, not a reload.
            Volatile.Write(ref _syncedGeneration, next);
        }
    }

    private void Exit()
    {
        try
        {
            if (--_depth == 0)
            {
                try
                {
                    CheckpointLongLog();
                }
                finally
                {
                    _lockFile!.Release();
                }
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// After a write, folds the log into the data file once it passes <see cref="SharedCheckpointBytes"/>:
    /// every other process that replaces its engine rereads the whole log, and LiteDB alone would let it
    /// grow to 1,000 pages (8 MB) first.
    /// </summary>
    private void CheckpointLongLog()
    {
        if (_bumped && _engine is not null && LogPasses(SharedCheckpointBytes))
        {
            CheckpointQuietly(() => _engine.Checkpoint());
        }
    }

    /// <summary>
    /// After a write in exclusive mode, outside any transaction: folds LiteDB's log into the data file once
    /// it passes <see cref="ExclusiveCheckpointBytes"/>. LiteDB tries that itself after each commit, but
    /// gives up whenever a reader is inside a call at that instant, so under a steady stream of lookups it
    /// never checkpoints: the log then grows without bound (5 GB over a 100,000-token rotation), and the
    /// checkpoint that finally runs copies all of it while every reader waits. This one waits for the
    /// readers' current calls instead, so the caller skips it while a long read runs. Shared mode does the
    /// same in <see cref="CheckpointLongLog"/>.
    /// </summary>
    public void CheckpointAfterWrite()
    {
        if (_lockFile is null && LogPasses(ExclusiveCheckpointBytes))
        {
            CheckpointQuietly(Database.Checkpoint);
        }
    }

    /// <summary>
    /// Puts the last commit on the disk before the write that made it returns: fsync of the log (where
    /// LiteDB wrote the commit's pages), then of the data file if something wrote it since its last flush.
    /// Nothing happens when nothing was written, or when the store was opened without <c>FlushToDisk</c>.
    /// Call it right after every commit, inside the same lease in shared mode.
    /// </summary>
    public void SyncCommitted()
    {
        _log?.SyncIfWritten();
        _data?.SyncIfWritten();
    }

    private bool LogPasses(long bytes) => _log is not null && _log.Length >= bytes;

    /// <summary>
    /// Folds the log into the data file now (LiteDB flushes the data file), then flushes the log's
    /// truncation too: what the checkpoint removed from the log (a destroyed key's material, say) does
    /// not come back after a power cut.
    /// </summary>
    public void Checkpoint()
    {
        Database.Checkpoint();
        SyncCommitted();
    }

    /// <summary>A checkpoint after a write: its failure leaves the commits safe in the log, and the next write tries again.</summary>
    private void CheckpointQuietly(Action checkpoint)
    {
        try
        {
            checkpoint();
            SyncCommitted();
        }
        catch (Exception e) when (e is IOException or LiteException || Errors.IsLiteDbFailure(e))
        {
            // A damaged or closed engine reports itself at the next call.
        }
    }

    /// <summary>Takes the lock file, trying again until the lock timeout has passed; false when it has.</summary>
    private bool TryAcquireProcessLock()
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        while (!_lockFile!.TryAcquire())
        {
            if (Stopwatch.GetElapsedTime(started) >= _lockTimeout)
            {
                return false;
            }

            // A lease lasts microseconds to a few milliseconds: spin briefly, then sleep.
            if (++attempts < 20)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        return true;
    }

    /// <summary>
    /// Drops the engine (never disposing it: a stale engine's checkpoint would write outdated pages) and
    /// opens a new one over the same streams; LiteDB rereads the header and the log's committed transactions.
    /// </summary>
    private void ReplaceEngine(long generation)
    {
        DropEngine();
        _engineGeneration = generation;
        var creating = _data!.Length == 0;
        if (creating)
        {
            // Making the engine writes a new file's header pages.
            Bump();
        }

        _engine = new LiteEngine(new EngineSettings { DataStream = _data, LogStream = _log, Collation = creating ? OrdinalCollation : null });
    }

    private void DropEngine()
    {
        if (_engine is not null)
        {
            LiteDbTransactions.SuppressFinalizers(_engine);
            _engine = null;
        }
    }

    public void Dispose()
    {
        if (_lockFile is not null)
        {
            DisposeShared();
            return;
        }

        LiteDbTransactions.SuppressFinalizers(Database);
        Database.Dispose();
        var logEmpty = _log is { Length: 0 };
        if (logEmpty && _logPath is not null)
        {
            TryDeleteEmpty(_logPath);
        }

        _log?.Dispose();
        _data?.Dispose();
    }

    /// <summary>
    /// Closes a shared file. The engine checkpoints (folds the log into the file) only when it is current
    /// and the lock is free within the timeout; otherwise it is dropped, which loses nothing, since every
    /// commit is already in the log. The log file stays: another process may have it open.
    /// </summary>
    private void DisposeShared()
    {
        lock (_gate)
        {
            if (_engineGeneration < 0)
            {
                return;
            }

            var locked = false;
            try
            {
                locked = TryAcquireProcessLock();
                if (locked && _engine is not null && _lockFile!.ReadGeneration() == _engineGeneration)
                {
                    _lockFile.WriteGeneration(_engineGeneration + 1);
                    LiteDbTransactions.SuppressFinalizers(_engine);
                    _engine.Dispose();
                    _engine = null;
                }
            }
            catch (Exception e) when (e is IOException or LiteException)
            {
                // Closing must not throw; whatever the checkpoint did not fold in stays in the log.
            }
            finally
            {
                DropEngine();
                _engineGeneration = -1;
                if (locked)
                {
                    _lockFile!.Release();
                }

                Database.Dispose();
                _log!.Dispose();
                _data!.Dispose();
                _lockFile!.Dispose();
            }
        }
    }

    private static FileStreamOptions StreamOptions(FileMode mode, FileShare share = FileShare.None)
    {
        var options = OwnerOnlyFile.Options(mode, share);
        options.BufferSize = 0;
        return options;
    }

    /// <summary>Refuses, before LiteDB touches it, a non-empty file that does not start with a LiteDB header.</summary>
    private static void ProbeHeader(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            return;
        }

        try
        {
            using var probe = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (probe.Length == 0)
            {
                return;
            }

            var header = new byte[HeaderInfoOffset + HeaderInfo.Length];
            if (probe.Length < LiteDbPageSize || probe.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
                || !header.AsSpan(HeaderInfoOffset).SequenceEqual(HeaderInfo))
            {
                throw Errors.NotAStore(fullPath, "it has no LiteDB header.");
            }
        }
        catch (IOException e)
        {
            throw Errors.Locked(fullPath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Errors.Io("opening the store", e);
        }
    }

    private static void TryDeleteEmpty(string path)
    {
        try
        {
            if (new FileInfo(path) is { Exists: true, Length: 0 })
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // A leftover empty log file is harmless; LiteDB reuses it on the next open.
        }
    }

    /// <summary>Holds a shared file for one operation (see <see cref="Enter"/>); the default value holds nothing.</summary>
    public readonly struct Lease(StoreFile? file) : IDisposable
    {
        public void Dispose() => file?.Exit();
    }
}
