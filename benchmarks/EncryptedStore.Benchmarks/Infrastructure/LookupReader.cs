using System.Diagnostics;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// A thread that calls <c>FindTokenById</c> on random ids of a store until stopped, as an app's hot path
/// does while a rotation or a rewrite runs: it counts the answers and the failures and keeps the slowest call.
/// </summary>
internal sealed class LookupReader : IDisposable
{
    private readonly ITokenStore _store;
    private readonly string[] _ids;
    private readonly Thread _thread;
    private volatile bool _stop;

    public LookupReader(ITokenStore store, string[] ids)
    {
        _store = store;
        _ids = ids;
        _thread = new Thread(Loop) { IsBackground = true };
        _thread.Start();
    }

    public long Answers { get; private set; }

    public long Failures { get; private set; }

    public double SlowestMilliseconds { get; private set; }

    /// <summary>Stops the thread and waits for it; the counts are final afterwards.</summary>
    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    public void Dispose() => Stop();

    private void Loop()
    {
        var random = new Random(7);
        while (!_stop)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                _store.FindTokenById(_ids[random.Next(_ids.Length)]);
                Answers++;
            }
            catch (TokenStoreException)
            {
                Failures++;
            }

            SlowestMilliseconds = Math.Max(SlowestMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
