using System.Diagnostics;
using HdrHistogram;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// A thread that calls <c>FindTokenById</c> on random ids of a store until stopped, as an app's hot path
/// does while a rotation or a rewrite runs: it counts the answers and the failures and records each call's latency
/// (microseconds) in an HdrHistogram.
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

    /// <summary>Every call's latency in microseconds; read it after <see cref="Stop"/>.</summary>
    public LongHistogram Latencies { get; } = new(60_000_000, 3);

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

            var elapsed = Stopwatch.GetElapsedTime(started);
            SlowestMilliseconds = Math.Max(SlowestMilliseconds, elapsed.TotalMilliseconds);
            Latencies.RecordValue(Math.Max(1, (long)(elapsed.Ticks / 10)));
        }
    }
}
