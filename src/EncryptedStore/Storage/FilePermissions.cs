using System.Runtime.Versioning;
using EncryptedStore.Internal;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Storage;

/// <summary>Checks on the modes of the files beside a store.</summary>
internal static class FilePermissions
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// Warns about a file that the group or others may read or write. The store creates its files 0600; one
    /// made or changed by hand keeps its mode (opening never changes it).
    /// </summary>
    [UnsupportedOSPlatform("windows")]
    public static void WarnIfAccessibleByOthers(ILogger logger, string path)
    {
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log may be gone already; an unreadable mode is no reason to refuse a store that opened.
            return;
        }

        if ((mode & GroupOrOthers) != 0)
        {
            Log.FileAccessibleByOthers(logger, path, Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0'));
        }
    }
}
