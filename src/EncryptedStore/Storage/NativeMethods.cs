using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EncryptedStore.Storage;

/// <summary>The one system call .NET does not expose: fdatasync on Linux (see <see cref="SaveJournal"/>).</summary>
internal static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static partial int FDataSync(SafeFileHandle fileDescriptor);
}
