using System.Globalization;
using System.Runtime.InteropServices;
using EncryptedStore.Internal;
using Microsoft.Win32.SafeHandles;

namespace EncryptedStore.Storage;

/// <summary>
/// Opens and creates the files beside a store so that someone who can write in the folder cannot redirect or
/// read them: never through a symbolic link (<c>O_NOFOLLOW</c>), new files only exclusively (<c>O_EXCL</c>,
/// 0600), never blocking on a FIFO (<c>O_NONBLOCK</c>), and the file opened is checked (<c>statx</c> on the open
/// descriptor, so no swap can slip in between): a regular file, owned by this user, with no write bit for the
/// group or others, and for files with records or key material no read bit either. Anything else is refused
/// with <see cref="TokenStoreErrorCodes.UnsafeFile"/> and left untouched. It takes the same advisory lock .NET
/// takes for a <see cref="FileShare"/> (exclusive for <see cref="FileShare.None"/>, shared otherwise).
/// </summary>
/// <remarks>
/// Linux on x64 and Arm64 does all of this. Elsewhere on Unix the file is checked by path before and after it is
/// opened (<c>lstat</c>, then the mode of the open handle), which narrows but does not close the window; on
/// Windows .NET's own open is used, and the folder's ACL is what protects the store (see SECURITY.md).
/// </remarks>
internal static partial class SafeFile
{
    private const int OReadOnly = 0;
    private const int OReadWrite = 2;
    private const int OCreate = 0x40;
    private const int OExclusive = 0x80;
    private const int ONonBlock = 0x800;
    private const int OCloseOnExec = 0x80000;
    private const int ONoFollowX64 = 0x20000;
    private const int ONoFollowArm64 = 0x8000;
    private const int ELoop = 40;
    private const int ENoEntry = 2;
    private const int EExists = 17;
    private const int EWouldBlock = 11;
    private const int EInterrupted = 4;
    private const int EPermission = 1;
    private const int EAccess = 13;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxSize = 256;
    private const int StatxUidOffset = 20;
    private const int StatxModeOffset = 28;
    private const int StatxInodeOffset = 32;
    private const int StatxDeviceOffset = 136;
    private const int AtCurrentFolder = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const UnixFileMode GroupOrOthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode GroupOrOthersAny = GroupOrOthersWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>True where every check is made on the open descriptor (Linux x64 and Arm64).</summary>
    public static bool IsNative =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Opens <paramref name="path"/> as <paramref name="mode"/> says (<see cref="FileMode.Open"/>,
    /// <see cref="FileMode.CreateNew"/> or <see cref="FileMode.OpenOrCreate"/>) with the checks above.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">Open an existing file, create a new one, or either.</param>
    /// <param name="access">Read, or read and write.</param>
    /// <param name="share">Which advisory lock to take: exclusive for <see cref="FileShare.None"/>, shared otherwise.</param>
    /// <param name="secret">The file holds records or key material: refuse any access by the group or others.</param>
    /// <exception cref="TokenStoreException"><c>UNSAFE_FILE</c> when the path is a link, not a regular file, another user's or too open.</exception>
    /// <exception cref="IOException">The system refused to open it (missing, locked by another process, no permission).</exception>
    /// <param name="takeLock">False for a file whose locking is the caller's (shared mode's lock file).</param>
    public static SafeFileHandle Open(string path, FileMode mode, FileAccess access, FileShare share, bool secret, bool takeLock = true)
    {
        if (!IsNative)
        {
            return OpenManaged(path, mode, access, takeLock ? share : FileShare.ReadWrite | FileShare.Delete, secret);
        }

        var flags = (access == FileAccess.Read ? OReadOnly : OReadWrite) | OCloseOnExec | ONonBlock
            | (RuntimeInformation.ProcessArchitecture == Architecture.X64 ? ONoFollowX64 : ONoFollowArm64);
        var handle = mode switch
        {
            FileMode.Open => OpenNative(path, flags),
            FileMode.CreateNew => OpenNative(path, flags | OCreate | OExclusive),
            FileMode.OpenOrCreate => OpenOrCreateNative(path, flags),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        try
        {
            Check(path, handle, secret);
            if (takeLock)
            {
                Lock(path, handle, share);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> still names the file <paramref name="handle"/> has open (the same device and
    /// inode): false after the file was replaced by a rename, as <c>Compact</c> does, while this process waited for it.
    /// </summary>
    public static bool IsStillAt(SafeFileHandle handle, string path)
    {
        if (!IsNative)
        {
            return true;
        }

        Span<byte> opened = stackalloc byte[StatxSize];
        Span<byte> named = stackalloc byte[StatxSize];
        if (Statx(handle, string.Empty, AtEmptyPath, StatxBasicStats, ref MemoryMarshal.GetReference(opened)) != 0
            || StatxPath(AtCurrentFolder, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(named)) != 0)
        {
            return false;
        }

        return opened.Slice(StatxInodeOffset, sizeof(ulong)).SequenceEqual(named.Slice(StatxInodeOffset, sizeof(ulong)))
            && opened.Slice(StatxDeviceOffset, 2 * sizeof(uint)).SequenceEqual(named.Slice(StatxDeviceOffset, 2 * sizeof(uint)));
    }

    /// <summary>
    /// The device and inode <paramref name="path"/> names, as <c>/proc/locks</c> writes them (<c>major:minor:inode</c>,
    /// the device numbers in hex); null where the descriptor cannot be examined or the file is missing.
    /// </summary>
    public static string? LockId(string path)
    {
        Span<byte> named = stackalloc byte[StatxSize];
        if (!IsNative || StatxPath(AtCurrentFolder, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(named)) != 0)
        {
            return null;
        }

        var inode = MemoryMarshal.Read<ulong>(named[StatxInodeOffset..]);
        var major = MemoryMarshal.Read<uint>(named[StatxDeviceOffset..]);
        var minor = MemoryMarshal.Read<uint>(named[(StatxDeviceOffset + sizeof(uint))..]);
        return string.Create(CultureInfo.InvariantCulture, $"{major:x2}:{minor:x2}:{inode}");
    }

    /// <summary>Refuses an open file (<paramref name="handle"/>, when there is one) that the group or others may read.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static void CheckPrivate(string path, SafeFileHandle? handle)
    {
        if (handle is not null)
        {
            CheckAttributes(path, regular: true, ours: true, File.GetUnixFileMode(handle), secret: true);
        }
    }

    /// <summary>Puts a folder's entries (a rename, a new file) on the disk: fsync of the folder itself.</summary>
    public static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = NativeOpen(folder, OReadOnly | OCloseOnExec, 0);
        if (fd < 0)
        {
            throw new IOException($"The folder '{folder}' cannot be opened to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (NativeMethods.FSync(handle) != 0)
        {
            throw new IOException($"The folder '{folder}' could not be flushed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    private static SafeFileHandle OpenOrCreateNative(string path, int flags)
    {
        // Open an existing file, else create it exclusively; another process may do the same in between.
        for (var attempt = 0; ; attempt++)
        {
            var fd = NativeOpen(path, flags, 0);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            var error = Marshal.GetLastPInvokeError();
            if (error != ENoEntry || attempt > 3)
            {
                throw Failure(path, error);
            }

            fd = NativeOpen(path, flags | OCreate | OExclusive, (int)OwnerReadWrite);
            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            if (Marshal.GetLastPInvokeError() != EExists)
            {
                throw Failure(path, Marshal.GetLastPInvokeError(), creating: true);
            }
        }
    }

    private static SafeFileHandle OpenNative(string path, int flags)
    {
        var fd = NativeOpen(path, flags, (int)OwnerReadWrite);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Failure(path, Marshal.GetLastPInvokeError(), creating: (flags & OCreate) != 0);
    }

    /// <summary>
    /// True when <paramref name="e"/> says another process holds the file (a lock or, on Windows, a sharing
    /// violation), as opposed to a file that cannot be opened at all (read-only file system, I/O error).
    /// </summary>
    public static bool IsHeldElsewhere(IOException e) =>
        e.HResult is EWouldBlock or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private static Exception Failure(string path, int error, bool creating = false) => error switch
    {
        ELoop => Errors.UnsafeFile(path, "it is a symbolic link"),
        ENoEntry when creating => new DirectoryNotFoundException($"The folder of '{path}' does not exist."),
        ENoEntry => new FileNotFoundException($"'{path}' does not exist.", path),
        EExists => new IOException($"'{path}' exists already.", error),
        EAccess or EPermission => new UnauthorizedAccessException($"Access to '{path}' is denied (errno {error})."),
        _ => new IOException($"'{path}' cannot be opened (errno {error}).", error),
    };

    /// <summary>The checks on the open descriptor: a regular file of this user, not writable (or, when secret, accessible) by others.</summary>
    private static void Check(string path, SafeFileHandle handle, bool secret)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Statx(handle, string.Empty, AtEmptyPath, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw new IOException($"'{path}' cannot be examined (errno {Marshal.GetLastPInvokeError()}).");
        }

        var owner = MemoryMarshal.Read<uint>(buffer[StatxUidOffset..]);
        var mode = MemoryMarshal.Read<ushort>(buffer[StatxModeOffset..]);
        CheckAttributes(path, (mode & FileTypeMask) == RegularFile, owner == GetEffectiveUserId(), (UnixFileMode)(mode & 0x1FF), secret);
    }

    private static void CheckAttributes(string path, bool regular, bool ours, UnixFileMode permissions, bool secret)
    {
        if (!regular)
        {
            throw Errors.UnsafeFile(path, "it is not a regular file");
        }

        if (!ours)
        {
            throw Errors.UnsafeFile(path, "it belongs to another user");
        }

        var forbidden = secret ? GroupOrOthersAny : GroupOrOthersWrite;
        if ((permissions & forbidden) != 0)
        {
            throw Errors.UnsafeFile(path, $"other users may {(secret ? "read or write" : "write")} it (mode {Convert.ToString((int)permissions, 8).PadLeft(3, '0')}); make it owner-only with 'chmod 600'");
        }
    }

    private static void Lock(string path, SafeFileHandle handle, FileShare share)
    {
        var operation = (share == FileShare.None ? LockExclusive : LockShared) | LockNonBlocking;
        while (Flock(handle, operation) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error != EInterrupted)
            {
                // EWOULDBLOCK: another process holds it; .NET reports the same as an IOException.
                throw new IOException(error == EWouldBlock ? $"'{path}' is in use by another process." : $"'{path}' cannot be locked (errno {error}).", error);
            }
        }
    }

    /// <summary>Where the descriptor cannot be examined: the path before and the handle after.</summary>
    private static SafeFileHandle OpenManaged(string path, FileMode mode, FileAccess access, FileShare share, bool secret)
    {
        var before = new FileInfo(path);
        if (before.Exists && before.LinkTarget is not null)
        {
            throw Errors.UnsafeFile(path, "it is a symbolic link");
        }

        var handle = File.OpenHandle(path, mode, access, share);
        if (!before.Exists && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(handle, OwnerReadWrite);
        }

        if (!OperatingSystem.IsWindows())
        {
            try
            {
                CheckAttributes(path, regular: true, ours: true, File.GetUnixFileMode(handle), secret);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxPath(int dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
