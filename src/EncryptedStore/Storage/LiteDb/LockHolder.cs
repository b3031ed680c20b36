using System.Globalization;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// Which process holds a store's lock, for messages: on Linux, the <c>flock</c> in <c>/proc/locks</c> on the
/// store file, its log or shared mode's lock file (matched by device and inode). Best effort: null on other
/// systems, when the holder is not visible (another PID namespace) or has just let go.
/// </summary>
internal static class LockHolder
{
    private const string ProcLocks = "/proc/locks";

    /// <summary>The PID of a process holding a lock on the store at <paramref name="fullPath"/>, or null.</summary>
    public static int? FindProcessId(string fullPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var ids = new[] { fullPath, StorePaths.LogPathFor(fullPath), StorePaths.LockPathFor(fullPath) }
                .Select(SafeFile.LockId)
                .OfType<string>()
                .ToHashSet(StringComparer.Ordinal);
            if (ids.Count == 0 || !File.Exists(ProcLocks))
            {
                return null;
            }

            foreach (var line in File.ReadLines(ProcLocks))
            {
                // "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF"; a waiter's line has "->" after the number.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 6 && fields[1] == "FLOCK" && ids.Contains(fields[5])
                    && int.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId)
                {
                    return pid;
                }
            }
        }
        catch (IOException)
        {
            // Unreadable: the message just names no process.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>"PID 4242, tokenstore" for <paramref name="pid"/>; the name from <c>/proc/PID/comm</c> when readable.</summary>
    public static string Describe(int pid)
    {
        try
        {
            var name = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
            return name.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"PID {pid}, {name}") : Number(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Number(pid);
        }
    }

    private static string Number(int pid) => string.Create(CultureInfo.InvariantCulture, $"PID {pid}");
}
