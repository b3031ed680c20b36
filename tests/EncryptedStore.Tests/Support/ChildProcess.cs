using System.Collections.Concurrent;
using System.Diagnostics;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// A real child process running EncryptedStore.TestHost (built next to the tests), whose output
/// lines the test waits for and which it can kill with SIGKILL at any moment.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    /// <summary>How long <see cref="WaitForLine(string)"/> waits by default: ample for a line a child prints within seconds.</summary>
    public static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(e.Data);
            }
        };
        _process.BeginOutputReadLine();
    }

    public static ChildProcess StartTestHost(params string[] arguments)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "EncryptedStore.TestHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits for the next line that starts with <paramref name="prefix"/>; null when the process ended first.</summary>
    public string? WaitForLine(string prefix) => WaitForLine(prefix, LineTimeout);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next line that starts with <paramref name="prefix"/>; null
    /// when the process ended first. The wait is timed on the monotonic clock, so a step of the wall clock
    /// (NTP, a VM resuming) neither cuts it short nor stretches it.
    /// </summary>
    public string? WaitForLine(string prefix, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (_lines.TryTake(out var line, timeout > waited.Elapsed ? timeout - waited.Elapsed : TimeSpan.Zero))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        return _lines.IsAddingCompleted ? null : throw new TimeoutException($"no line starting with '{prefix}' within {timeout}");
    }

    /// <summary>Every line not taken yet, after the process has ended (call after <see cref="Kill"/>).</summary>
    public List<string> RemainingLines()
    {
        var lines = new List<string>();
        while (_lines.TryTake(out var line, LineTimeout))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>
    /// For a TestHost <c>save-loop</c>: waits for a seeded number (0 to 39) of "ack N" lines, then after a
    /// seeded jitter (0 to 7 ms, so the kill also lands inside a commit) kills the process; returns every
    /// sequence number it acknowledged, those printed just before the kill included.
    /// </summary>
    public List<int> AcknowledgedUntilKilled(Random random)
    {
        var acknowledged = new List<int>();
        var waitFor = random.Next(0, 40);
        for (var i = 0; i < waitFor; i++)
        {
            acknowledged.Add(AckSequence(WaitForLine("ack")));
        }

        Thread.Sleep(random.Next(0, 8));
        Kill();
        acknowledged.AddRange(RemainingLines().Where(l => l.StartsWith("ack", StringComparison.Ordinal)).Select(AckSequence));
        return acknowledged;
    }

    /// <summary>The sequence number of an "ack N" line (a line may carry more after it).</summary>
    public static int AckSequence(string? line)
    {
        var rest = (line ?? throw new InvalidOperationException("the writer stopped early"))["ack ".Length..];
        var end = rest.IndexOf(' ', StringComparison.Ordinal);
        return int.Parse(end < 0 ? rest : rest[..end], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends one line to the process's stdin.</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Kills the process at once (SIGKILL on Unix) and waits until it is gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.WaitForExit();
    }

    /// <summary>Waits for a normal exit and returns the exit code.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(LineTimeout))
        {
            Kill();
            throw new TimeoutException("child process did not exit");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string StandardError => _process.HasExited ? _process.StandardError.ReadToEnd() : string.Empty;

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _lines.Dispose();
    }
}
