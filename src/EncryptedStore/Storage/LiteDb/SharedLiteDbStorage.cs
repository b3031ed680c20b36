using System.Diagnostics;
using EncryptedStore.Internal;
using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// A store file used by several processes at once (<see cref="StoreSharing.Shared"/>). The files are held
/// with shared locks (so an exclusive opener waits), and a <see cref="SharedLockFile"/> admits one process
/// at a time: every access happens inside <see cref="Enter"/>, which takes the lock file and, when another
/// process wrote since this one last held it, replaces the LiteDB engine with a fresh one over the same
/// streams (LiteDB caches pages and its log index). <see cref="IsStale"/> then tells the store to reload
/// what it keeps in memory.
/// </summary>
internal sealed class SharedLiteDbStorage : LiteDbStorage
{
    /// <summary>The log length past which a write checkpoints (1 MB, 128 pages): every process that replaces its engine rereads the whole log.</summary>
    private const long CheckpointBytes = 128 * LiteDbFiles.PageSize;

    // _gate admits one thread of this process (re-entrantly); the lock file, one process.
    private readonly SharedLockFile _lockFile;
    private readonly TimeSpan _lockTimeout;
    private readonly Lock _gate = new();
    private readonly Action _exit;
    private readonly KeyValuePair<string, object?> _fileTag;
    private int _depth;
    private bool _bumped;
    private LiteEngine? _engine;
    private long _engineGeneration;
    private long _syncedGeneration = -1;

    private SharedLiteDbStorage(string path, DurableFileStream data, DurableFileStream log, SharedLockFile lockFile, TimeSpan lockTimeout)
        : base(path, data, log)
    {
        _lockFile = lockFile;
        _lockTimeout = lockTimeout;
        _exit = Exit;
        _fileTag = StoreMetrics.FileTag(path);
        Attach(new LiteDatabase(new SharedEngine(this)));
    }

    public override bool IsShared => true;

    /// <summary>Reads the lock file's generation, without taking the lock; any thread.</summary>
    public override bool IsSynchronized => _lockFile.ReadGeneration() == Volatile.Read(ref _syncedGeneration);

    public override bool IsStale => _syncedGeneration != _engineGeneration;

    /// <summary>Opens the files with shared locks and the lock file; the engine is made by the first <see cref="Enter"/>, under the lock, since making it writes a new file's header.</summary>
    public static SharedLiteDbStorage Open(string fullPath, bool flushToDisk, TimeSpan lockTimeout)
    {
        LiteDbFiles.ProbeHeader(fullPath);
        SharedLockFile? lockFile = null;
        DurableFileStream? data = null;
        DurableFileStream? log = null;
        try
        {
            lockFile = SharedLockFile.Open(StorePaths.LockPathFor(fullPath));
            data = LiteDbFiles.OpenStream(fullPath, FileShare.ReadWrite, flushToDisk);
            log = LiteDbFiles.OpenStream(StorePaths.LogPathFor(fullPath), FileShare.ReadWrite, flushToDisk);
            return new SharedLiteDbStorage(fullPath, data, log, lockFile, lockTimeout);
        }
        catch (Exception e)
        {
            log?.Dispose();
            data?.Dispose();
            lockFile?.Dispose();
            throw e switch
            {
                TokenStoreException => e,
                DirectoryNotFoundException => Errors.Io("opening the store (its folder does not exist)", e),
                IOException => Errors.Locked(fullPath, e),
                _ => Errors.Io("opening the store", e, fullPath),
            };
        }
    }

    /// <summary>
    /// Admits this thread (re-entrantly; threads of this process queue without a limit, as writes do in
    /// exclusive mode) and this process (waiting up to the lock timeout for the others), and replaces the
    /// engine when another process wrote since.
    /// </summary>
    public override StorageLease Enter()
    {
        _gate.Enter();
        try
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
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

                    // An engine that failed during an earlier call is replaced too (see LiteDbStorage.Recovery.cs).
                    ReopenIfFailed();
                }
                catch (Exception e)
                {
                    _lockFile.Release();
                    throw e is TokenStoreException ? e : LiteDbFailures.Translate(e, "reading the store", writing: false, Path);
                }
            }

            _depth++;
            return new StorageLease(_exit);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    public override void MarkSynchronized() => Volatile.Write(ref _syncedGeneration, _engineGeneration);

    /// <summary>Checkpoints in <see cref="Exit"/>, where the lease ends.</summary>
    public override void CheckpointAfterWrite()
    {
    }

    /// <summary>The engine for a read, inside <see cref="Enter"/>.</summary>
    public LiteEngine EngineForRead() =>
        _gate.IsHeldByCurrentThread && _depth > 0 && _engine is not null
            ? _engine
            : throw new UnreachableException("A shared store file was used outside Enter().");

    /// <summary>The engine for a change, inside <see cref="Enter"/>: first bumps the write generation (once per lease), so other processes notice.</summary>
    public LiteEngine EngineForWrite()
    {
        var engine = EngineForRead();
        if (!_bumped)
        {
            Bump();
        }

        return engine;
    }

    /// <summary>
    /// Closes the file. The engine checkpoints (folds the log into the file) only when it is current and
    /// the lock is free within the timeout; otherwise it is dropped, which loses nothing, since every commit
    /// is already in the log. The log file stays: another process may have it open.
    /// </summary>
    public override void Dispose()
    {
        lock (_gate)
        {
            if (Disposed)
            {
                return;
            }

            var locked = false;
            try
            {
                locked = TryAcquireProcessLock();
                if (locked && _engine is not null && _lockFile.ReadGeneration() == _engineGeneration)
                {
                    _lockFile.WriteGeneration(_engineGeneration + 1);
                    LiteDbTransactions.SuppressFinalizers(_engine);
                    _engine.Dispose();
                    _engine = null;
                }
            }
            catch (Exception e) when (e is IOException || LiteDbFailures.IsLiteDbFailure(e))
            {
                // Closing must not throw; whatever the checkpoint did not fold in stays in the log.
            }
            finally
            {
                DropEngine();
                Disposed = true;
                if (locked)
                {
                    _lockFile.Release();
                }

                Database.Dispose();
                LogStream!.Dispose();
                DataStream!.Dispose();
                _lockFile.Dispose();
            }
        }
    }

    /// <summary>A fresh engine after a failure; the store reloads its state, as after another process wrote.</summary>
    protected override void ReplaceFailedEngine()
    {
        ReplaceEngine(_lockFile.ReadGeneration());
        Volatile.Write(ref _syncedGeneration, -1);
    }

    private void Bump()
    {
        var synchronized = _syncedGeneration == _engineGeneration;
        var next = _engineGeneration + 1;
        _lockFile.WriteGeneration(next);
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
                    if (_bumped && _engine is not null && LogPasses(CheckpointBytes))
                    {
                        CheckpointQuietly(() => _engine.Checkpoint());
                    }
                }
                finally
                {
                    _lockFile.Release();
                }
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Takes the lock file, trying again until the lock timeout has passed; false when it has.</summary>
    private bool TryAcquireProcessLock()
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        while (!_lockFile.TryAcquire())
        {
            if (Stopwatch.GetElapsedTime(started) >= _lockTimeout)
            {
                StoreMetrics.LockWaited(Stopwatch.GetElapsedTime(started), _fileTag, shared: true, acquired: false);
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

        StoreMetrics.LockWaited(attempts == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started), _fileTag, shared: true, acquired: true);
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
        var creating = DataStream!.Length == 0;
        if (creating)
        {
            // Making the engine writes a new file's header pages.
            Bump();
        }

        _engine = new LiteEngine(new EngineSettings { DataStream = DataStream, LogStream = LogStream, Collation = creating ? LiteDbFiles.OrdinalCollation : null });
    }

    private void DropEngine()
    {
        if (_engine is not null)
        {
            LiteDbTransactions.SuppressFinalizers(_engine);
            _engine = null;
        }
    }
}
