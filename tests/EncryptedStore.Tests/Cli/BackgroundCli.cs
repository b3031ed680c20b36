using System.Diagnostics;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// <c>tokenstore</c> started as a child process that keeps running while the test does other things: its stderr
/// lines are collected as they come, so a test can wait for one (never a sleep), then signal or wait for the process.
/// </summary>
internal sealed class BackgroundCli : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _errorLines = [];
    private readonly List<string> _outputLines = [];

    private BackgroundCli(Process process) => _process = process;

    public int Id => _process.Id;

    public static BackgroundCli Start(IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(CliRunner.DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["XDG_CONFIG_HOME"] = CliRunner.NoConfigHome;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var cli = new BackgroundCli(process);
        process.ErrorDataReceived += (_, e) => cli.Add(cli._errorLines, e.Data);
        process.OutputDataReceived += (_, e) => cli.Add(cli._outputLines, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return cli;
    }

    /// <summary>Waits until a stderr line contains <paramref name="text"/>; returns that line, or fails the test.</summary>
    public string WaitForError(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_errorLines)
        {
            while (true)
            {
                if (_errorLines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
                {
                    return line;
                }

                var left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
                if (left <= TimeSpan.Zero || _process.HasExited)
                {
                    Assert.Fail($"no stderr line with '{text}' within {timeout}; stderr so far:\n{string.Join('\n', _errorLines)}");
                }

                Monitor.Wait(_errorLines, left);
            }
        }
    }

    /// <summary>Sends a signal (<c>INT</c>, <c>TERM</c>) with kill(1), as a shell or a service manager would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", $"-{name} {Id}") ?? throw new InvalidOperationException("kill did not start.");
        kill.WaitForExit();
    }

    public CliResult WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Assert.Fail($"tokenstore did not end within {timeout}.");
        }

        _process.WaitForExit();
        lock (_errorLines)
        {
            lock (_outputLines)
            {
                return new CliResult(_process.ExitCode, string.Join('\n', _outputLines), string.Join('\n', _errorLines));
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            // End of stream: wake a waiter so it sees the process has ended.
            lock (_errorLines)
            {
                Monitor.PulseAll(_errorLines);
            }

            return;
        }

        lock (lines)
        {
            lines.Add(line);
            Monitor.PulseAll(lines);
        }
    }
}
