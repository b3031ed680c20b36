using System.Diagnostics;
using System.Globalization;
using System.Text;
using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>Opening a store file: the retry while another process holds it, the header probe, the file options.</summary>
internal static class LiteDbFiles
{
    public const int PageSize = 8192;

    /// <summary>LiteDB's default for its <c>CHECKPOINT</c> pragma: it folds its log into the file past 1,000 pages.</summary>
    public const int CheckpointPages = 1000;

    private const int HeaderInfoOffset = 32;
    private static readonly byte[] HeaderInfo = Encoding.ASCII.GetBytes("** This is a LiteDB file **");

    /// <summary>How often a process waiting for the store tries again.</summary>
    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Ids compare by code unit, so "Abc" and "abc" are two records (LiteDB's default ignores case).</summary>
    public static Collation OrdinalCollation { get; } = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    /// <summary>
    /// Opens or creates the store at <paramref name="path"/> (<see cref="LiteDbStorage.MemoryPath"/> for memory);
    /// throws <see cref="TokenStoreException"/> without changing a file that is not a store. While another
    /// process holds the file, tries again until <paramref name="lockTimeout"/> has passed, then throws
    /// <see cref="TokenStoreErrorCodes.StoreLocked"/>.
    /// </summary>
    public static LiteDbStorage Open(string path, bool flushToDisk, TimeSpan lockTimeout, bool shared)
    {
        var started = Stopwatch.GetTimestamp();
        var attempt = started;
        while (true)
        {
            try
            {
                LiteDbStorage storage = path == LiteDbStorage.MemoryPath ? ExclusiveLiteDbStorage.OpenMemory()
                    : shared ? SharedLiteDbStorage.Open(Path.GetFullPath(path), flushToDisk, lockTimeout)
                    : ExclusiveLiteDbStorage.Open(Path.GetFullPath(path), flushToDisk);

                if (path != LiteDbStorage.MemoryPath)
                {
                    // The wait is the time before the attempt that succeeded: 0 when the file was free.
                    StoreMetrics.LockWaited(Stopwatch.GetElapsedTime(started, attempt), storage.Path, shared, acquired: true);
                }

                return storage;
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.StoreLocked && Stopwatch.GetElapsedTime(started) < lockTimeout)
            {
                Thread.Sleep(LockRetryInterval);
                attempt = Stopwatch.GetTimestamp();
            }
            catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.StoreLocked)
            {
                StoreMetrics.LockWaited(Stopwatch.GetElapsedTime(started), path, shared, acquired: false);
                if (path != LiteDbStorage.MemoryPath && LockHolder.FindProcessId(Path.GetFullPath(path)) is { } holder)
                {
                    throw Errors.Locked(Path.GetFullPath(path), e.InnerException ?? e, LockHolder.Describe(holder));
                }

                throw;
            }
        }
    }

    /// <summary>The store's storage at <paramref name="path"/>: <see cref="Open"/> behind the storage seam.</summary>
    public static ITokenStorage OpenStorage(string path, bool flushToDisk, TimeSpan lockTimeout, bool shared) =>
        Open(path, flushToDisk, lockTimeout, shared);

    /// <summary>Refuses, before LiteDB touches it, a non-empty file that does not start with a LiteDB header.</summary>
    public static void ProbeHeader(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            return;
        }

        try
        {
            // Not yet known to hold records: a foreign file is named NOT_A_STORE, whatever its mode; a store's own
            // files are then opened with every check (see OpenStream).
            using var probe = new FileStream(SafeFile.Open(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, secret: false), FileAccess.Read, bufferSize: 1);
            if (probe.Length == 0)
            {
                return;
            }

            var header = new byte[HeaderInfoOffset + HeaderInfo.Length];
            if (probe.Length < PageSize || probe.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
                || !header.AsSpan(HeaderInfoOffset).SequenceEqual(HeaderInfo))
            {
                throw Errors.NotAStore(fullPath, "it has no LiteDB header.");
            }
        }
        catch (FileNotFoundException)
        {
            // Gone since: it is created afresh.
        }
        catch (IOException e) when (SafeFile.IsHeldElsewhere(e))
        {
            throw Errors.Locked(fullPath, e);
        }
        catch (IOException e)
        {
            throw Errors.Io("opening the store", e, fullPath);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Errors.Io("opening the store", e);
        }
    }

    /// <summary>
    /// A data or log file: opened safely (see <see cref="SafeFile"/>), unbuffered (LiteDB pages itself), locked as
    /// asked. Whether others may read it is checked once the file is known to be a store (<see cref="LiteDbStorage.CheckPrivate"/>),
    /// so a foreign file is still named NOT_A_STORE.
    /// </summary>
    public static DurableFileStream OpenStream(string path, FileShare share, bool flushToDisk) =>
        new(SafeFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, share, secret: false), path, flushToDisk);

    public static void TryDeleteEmpty(string path)
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
}
