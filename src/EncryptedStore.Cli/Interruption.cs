using System.Runtime.InteropServices;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM. A command that can stop cleanly (import, rotate, verify, compact) runs its
/// work through <see cref="Cooperating"/>: a signal then cancels <see cref="Token"/>, and the command stops between batches,
/// says what state the store is in and exits with <see cref="ExitCodes.Interrupted"/>. Any other command ends at
/// once with that code and one line: nothing was changed (read-only commands), or every change is written whole
/// or not at all. A second signal always ends the process at once.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CliConsole _console;
    private int _cooperating;
    private int _signals;

    private Interruption(CliConsole console) => _console = console;

    /// <summary>Cancelled by the first signal while a command cooperates.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The command changes nothing, so an interruption leaves the store as it was (set by <see cref="CliApp"/>).</summary>
    public bool ReadOnlyCommand { get; set; }

    /// <summary>Handles SIGINT and SIGTERM for this process until disposed.</summary>
    public static Interruption Install(CliConsole console)
    {
        var interruption = new Interruption(console);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                interruption._registrations.Add(PosixSignalRegistration.Create(signal, interruption.Handle));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGTERM is not on every platform; Ctrl-C then ends the process as usual.
            }
        }

        return interruption;
    }

    /// <summary>An interruption that never fires (for commands run in-process by tests).</summary>
    public static Interruption None(CliConsole console) => new(console);

    /// <summary>Runs <paramref name="work"/> so that a signal cancels its token instead of ending the process.</summary>
    public T Cooperating<T>(Func<CancellationToken, T> work)
    {
        Interlocked.Increment(ref _cooperating);
        try
        {
            return work(_cancel.Token);
        }
        finally
        {
            Interlocked.Decrement(ref _cooperating);
        }
    }

    /// <summary>Says what state an interrupted command left the store in: one <c>interrupted: …</c> line on stderr, even with <c>--quiet</c>.</summary>
    public void Report(string state)
    {
        _console.ErrorWriter.WriteLine("interrupted: " + state);
        _console.ErrorWriter.Flush();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancel.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1 && Volatile.Read(ref _cooperating) > 0)
        {
            _cancel.Cancel();
            return;
        }

        Report(ReadOnlyCommand
            ? "nothing was changed."
            : "stopped at once; each change to the store is written whole or not at all, so it holds no half-written change.");
        Environment.Exit(ExitCodes.Interrupted);
    }
}
