using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// The file beside a store opened in <see cref="StoreSharing.Shared"/> mode (<c>name-lock.ext</c>): its
/// exclusive lock admits one process at a time to the store file, and its first 8 bytes hold the
/// store's write generation, which a process bumps before it changes the store file. A process that
/// finds the generation moved on since its last look knows another process wrote, and rereads.
/// </summary>
/// <remarks>
/// On Unix the lock is <c>flock</c> on this handle (per open file, so two stores in one process exclude
/// each other too, and closing one handle never drops another's lock); on Windows a byte-range lock
/// past the generation (Windows range locks are mandatory, and reading the generation must never
/// block). The generation is read through a shared memory mapping of the file: a cache hit checks it
/// on every call, and a plain memory read costs nanoseconds where a read system call costs
/// microseconds. Not thread-safe: <see cref="SharedLiteDbStorage"/> calls it under its own gate, except
/// <see cref="ReadGeneration"/>, which any thread may call.
/// </remarks>
internal sealed partial class SharedLockFile : IDisposable
{
    private const long MappedLength = 4096;
    private const long WindowsLockOffset = MappedLength;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int Unlock = 8;
    private const int EWouldBlock = 11;
    private const int EWouldBlockBsd = 35;
    private const int EInterrupted = 4;

    private readonly FileStream _stream;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _generation;

    private SharedLockFile(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;

        // Mapping grows a new (empty) file to the mapped length; the generation starts at 0.
        _map = MemoryMappedFile.CreateFromFile(stream, mapName: null, MappedLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _generation = _map.CreateViewAccessor(0, sizeof(long), MemoryMappedFileAccess.ReadWrite);
    }

    public string Path { get; }

    /// <summary>
    /// Opens or creates the lock file (0600 on Unix) with <see cref="SafeFile"/>'s checks; the lock itself is
    /// taken per call (<see cref="TryAcquire"/>).
    /// </summary>
    public static SharedLockFile Open(string path)
    {
        // Opened safely (no link, this user's, not writable by others); its lock is taken per call, not here.
        var stream = new FileStream(SafeFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, secret: false, takeLock: false), FileAccess.ReadWrite, bufferSize: 1);
        try
        {
            return new SharedLockFile(path, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Takes the exclusive lock if no other process (or other handle) holds it; never waits.</summary>
    public bool TryAcquire()
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                _stream.Lock(WindowsLockOffset, 1);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }

        while (Flock(_stream, LockExclusive | LockNonBlocking) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error is EWouldBlock or EWouldBlockBsd)
            {
                return false;
            }

            if (error != EInterrupted)
            {
                throw new IOException($"Could not lock '{Path}' (errno {error}).");
            }
        }

        return true;
    }

    public void Release()
    {
        if (OperatingSystem.IsWindows())
        {
            _stream.Unlock(WindowsLockOffset, 1);
        }
        else if (Flock(_stream, Unlock) != 0)
        {
            throw new IOException($"Could not unlock '{Path}' (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>The store's write generation; 0 for a new lock file. Safe from any thread (an aligned 8-byte read).</summary>
    public long ReadGeneration() => _generation.ReadInt64(0);

    /// <summary>
    /// Records a new generation; called with the lock held, before the store file changes. Not flushed
    /// to the disk: only processes running now compare generations, and they all share the mapping.
    /// </summary>
    public void WriteGeneration(long generation) => _generation.Write(0, generation);

    public void Dispose()
    {
        _generation.Dispose();
        _map.Dispose();
        _stream.Dispose();
    }

    private static int Flock(FileStream stream, int operation)
    {
        var handle = stream.SafeFileHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return NativeFlock((int)handle.DangerousGetHandle(), operation);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int NativeFlock(int fd, int operation);
}
