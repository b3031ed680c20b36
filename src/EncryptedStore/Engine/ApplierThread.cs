namespace EncryptedStore.Engine;

/// <summary>
/// The save journal's background applier: a thread that, once asked, lets journaled saves gather for
/// <see cref="Delay"/> (so one commit covers many; less when hurried), then runs the apply it was given. It ends at the
/// first failure (reported to the callback) and starts again at the next request.
/// </summary>
/// <remarks><see cref="Request"/> is called under the store's write lock, so two threads never start it at once.</remarks>
internal sealed class ApplierThread(Action apply, Action<Exception> failed) : IDisposable
{
    /// <summary>How long the applier lets journaled saves gather before it applies them.</summary>
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    private readonly AutoResetEvent _signal = new(initialState: false);
    private readonly ManualResetEventSlim _stop = new(initialState: false);
    private readonly ManualResetEventSlim _hurry = new(initialState: false);
    private Thread? _thread;
    private int _requested;

    /// <summary>
    /// While true, the applier leaves pending saves alone (they are still applied before any read that
    /// needs them, and at dispose): lets a test kill a process with saves only in the journal.
    /// </summary>
    public bool Paused { get; set; }

    /// <summary>Asks for an apply after the delay; starts the thread when it is not running.</summary>
    public void Request()
    {
        if (_thread is null)
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "EncryptedStore journal" };
            _thread.Start();
        }

        // One wake-up per batch: the saves that follow within the delay need not signal again (a system call).
        if (Interlocked.Exchange(ref _requested, 1) == 0)
        {
            _signal.Set();
        }
    }

    /// <summary>Cuts the current delay short: saves arrive faster than batches of the delay drain them.</summary>
    public void Hurry()
    {
        if (!_hurry.IsSet)
        {
            _hurry.Set();
        }
    }

    /// <summary>Stops the thread and waits for it (an apply running finishes first).</summary>
    public void Stop()
    {
        _stop.Set();
        _signal.Set();
        _thread?.Join();
    }

    public void Dispose()
    {
        _signal.Dispose();
        _stop.Dispose();
        _hurry.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _signal.WaitOne();
            WaitHandle.WaitAny([_stop.WaitHandle, _hurry.WaitHandle], Delay);
            _hurry.Reset();
            if (_stop.IsSet)
            {
                return;
            }

            // Saves from here on signal again, so none is left waiting for the next batch.
            Volatile.Write(ref _requested, 0);
            if (Paused)
            {
                continue;
            }

            try
            {
                apply();
            }
            catch (Exception e)
            {
                // The entries stay in the journal (and pending), so nothing acknowledged is lost; the next
                // call that needs the storage reports the failure, and the next open replays the journal.
                _thread = null;
                failed(e);
                return;
            }
        }
    }
}
