using System.Diagnostics;
using System.Globalization;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// Opening a store another process holds: one try without waiting, and when the store is locked one line on
/// stderr naming the holder (<c>waiting for the store (held by PID 4242, myapp)… up to 30 s; --lock-timeout to
/// change</c>), then the wait for the rest of the lock timeout. The library's final <c>STORE_LOCKED</c> error names
/// the holder too.
/// </summary>
internal static class LockWait
{
    /// <summary>Runs <paramref name="open"/> (given the lock timeout to use) as described on the class.</summary>
    public static T Open<T>(string path, TimeSpan timeout, Action<string> note, Func<TimeSpan, T> open)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return open(TimeSpan.Zero);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            return open(TimeSpan.Zero);
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.StoreLocked)
        {
            note(Message(path, timeout));
            var left = timeout - Stopwatch.GetElapsedTime(started);
            return open(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    /// <summary>The line said once while waiting.</summary>
    public static string Message(string path, TimeSpan timeout)
    {
        var holder = EncryptedTokenStore.FindLockingProcessId(path) is { } pid ? $" (held by PID {pid.ToString(CultureInfo.InvariantCulture)}{Name(pid)})" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"waiting for the store{holder}… up to {timeout.TotalSeconds:0.#} s; --lock-timeout to change");
    }

    private static string Name(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return ", " + process.ProcessName;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return string.Empty;
        }
    }
}
