using EncryptedStore.Internal;
using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// A store file held by one process (the default), or a store in memory. The files are opened by the
/// store itself, owner-only (0600), locked from open to dispose, and every commit is flushed (see
/// <see cref="DurableFileStream"/>).
/// </summary>
internal sealed class ExclusiveLiteDbStorage : LiteDbStorage
{
    /// <summary>The log length past which a write checkpoints (8 MB: LiteDB's own 1,000 pages).</summary>
    private const long CheckpointBytes = LiteDbFiles.CheckpointPages * LiteDbFiles.PageSize;

    private readonly Stream _dataStream;
    private readonly Stream _logStream;
    private long _syncedReopens;

    private ExclusiveLiteDbStorage(string path, Stream data, Stream log, bool creating)
        : base(path, data as DurableFileStream, log as DurableFileStream)
    {
        _dataStream = data;
        _logStream = log;
        Attach(NewDatabase(data, log, creating));
    }

    public override bool IsShared => false;

    /// <summary>True until the store reloads its state after the engine was replaced (see <c>LiteDbStorage.Recovery.cs</c>).</summary>
    public override bool IsSynchronized => !IsStale;

    public override bool IsStale => EngineReopens != Volatile.Read(ref _syncedReopens);

    public static ExclusiveLiteDbStorage OpenMemory() => new(MemoryPath, new MemoryStream(), new MemoryStream(), creating: true);

    public static ExclusiveLiteDbStorage Open(string fullPath, bool flushToDisk)
    {
        var logPath = StorePaths.LogPathFor(fullPath);
        LiteDbFiles.ProbeHeader(fullPath);
        DurableFileStream? data = null;
        DurableFileStream? log = null;
        var createdLog = false;
        try
        {
            data = LiteDbFiles.OpenStream(fullPath, FileShare.None, flushToDisk);
            if (!SafeFile.IsStillAt(data.SafeFileHandle, fullPath))
            {
                // Replaced (Compact renames a new file into place) while this process waited for the lock: open the new one.
                throw Errors.Locked(fullPath, new IOException("The store file was replaced while opening it."));
            }

            LiteDbCompaction.RemoveLeftovers(fullPath);

            if (data.Length == 0 && !OperatingSystem.IsWindows())
            {
                // An empty file someone made for the store must be private before LiteDB writes its first pages in it.
                SafeFile.CheckPrivate(fullPath, data.SafeFileHandle);
            }

            createdLog = !File.Exists(logPath);
            log = LiteDbFiles.OpenStream(logPath, FileShare.None, flushToDisk);
            return new ExclusiveLiteDbStorage(fullPath, data, log, creating: data.Length == 0);
        }
        catch (Exception e)
        {
            log?.Dispose();
            data?.Dispose();
            if (createdLog && log is not null)
            {
                LiteDbFiles.TryDeleteEmpty(logPath);
            }

            throw e switch
            {
                TokenStoreException => e,
                DirectoryNotFoundException => Errors.Io("opening the store (its folder does not exist)", e),
                IOException io when (data is null || log is null) && SafeFile.IsHeldElsewhere(io) => Errors.Locked(fullPath, e),
                UnauthorizedAccessException => Errors.Io("opening the store", e, fullPath),
                LiteException => Errors.Integrity("the store file", e),
                _ when log is not null && LiteDbFailures.IsDamagedData(e) => Errors.Integrity("the store file", e),
                _ => Errors.Io("opening the store", e, fullPath),
            };
        }
    }

    /// <summary>Holds nothing (the process holds the file); replaces an engine that failed during an earlier call.</summary>
    public override StorageLease Enter()
    {
        ReopenIfFailed();
        return default;
    }

    public override void MarkSynchronized() => Volatile.Write(ref _syncedReopens, EngineReopens);

    /// <summary>
    /// After a write, outside any transaction: folds LiteDB's log into the data file once it passes
    /// <see cref="CheckpointBytes"/>. LiteDB tries that itself after each commit, but gives up whenever a
    /// reader is inside a call at that instant, so under a steady stream of lookups it never checkpoints:
    /// the log then grows without bound (5 GB over a 100,000-token rotation), and the checkpoint that
    /// finally runs copies all of it while every reader waits. This one waits for the readers' current
    /// calls instead, so it is skipped while a scan runs.
    /// </summary>
    public override void CheckpointAfterWrite()
    {
        if (!ScanRunning && !EngineFailed && LogPasses(CheckpointBytes))
        {
            EnterWrite();
            try
            {
                CheckpointQuietly(Database.Checkpoint);
            }
            finally
            {
                ExitWrite();
            }
        }
    }

    public override void Dispose()
    {
        if (Disposed)
        {
            return;
        }

        Disposed = true;
        LiteDbTransactions.SuppressFinalizers(Database);
        Database.Dispose();
        if (LogStream is { Length: 0 })
        {
            LiteDbFiles.TryDeleteEmpty(StorePaths.LogPathFor(Path));
        }

        LogStream?.Dispose();
        DataStream?.Dispose();
    }

    /// <summary>
    /// Drops the failed engine (never disposing it: its close would checkpoint from what it holds in memory) and
    /// opens a fresh one over the same streams, which rereads the header and the log's committed transactions.
    /// </summary>
    protected override void ReplaceFailedEngine()
    {
        var fresh = NewDatabase(_dataStream, _logStream, creating: false);
        LiteDbTransactions.SuppressFinalizers(Database);
        Attach(fresh);
    }

    /// <summary>The collation is fixed when the file is made; an existing file keeps its own, so a foreign LiteDB file opens and is then refused for having no store metadata.</summary>
    private static LiteDatabase NewDatabase(Stream data, Stream log, bool creating) =>
        new(new LiteEngine(new EngineSettings { DataStream = data, LogStream = log, Collation = creating ? LiteDbFiles.OrdinalCollation : null }));
}
