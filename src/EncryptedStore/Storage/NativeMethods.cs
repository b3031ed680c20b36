using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EncryptedStore.Storage;

/// <summary>System calls .NET does not expose: fdatasync on Linux (see <see cref="SaveJournal"/>) and fsync of a folder (see <see cref="SafeFile"/>).</summary>
internal static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int FDataSync(SafeFileHandle fileDescriptor);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int FSync(SafeFileHandle fileDescriptor);
}
