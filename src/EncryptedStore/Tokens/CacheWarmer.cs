using EncryptedStore.Caching;
using EncryptedStore.Engine;
using EncryptedStore.Storage;

namespace EncryptedStore.Tokens;

/// <summary>
/// After open, on a background thread: reads every token into the cache, up to its size, so that the first save and
/// the first lookup of each after an open are cache hits instead of LiteDB reads (see
/// <see cref="EncryptedTokenStoreOptions.WarmCache"/>). Also starts the journal's filter of unique values at once.
/// </summary>
/// <remarks>
/// Each token is read as <see cref="TokenMatcher.FindById"/> reads one, so the cache's rule holds: the generation first,
/// a pending journaled save skips the token (the cache already holds that state), then the record is read afresh (not
/// from the scan, which may be older than a batch applied meanwhile), and the entry is added only if no write began in
/// between. A token already cached is left alone. Nothing is counted as a lookup; a record that does not decrypt is
/// skipped (the lookup that meets it reports it).
/// </remarks>
internal sealed class CacheWarmer(WritePipeline pipeline, Keys.RecordSealer sealer, TokenCache cache, JournaledWriter? journal) : IDisposable
{
    private volatile bool _stopping;
    private Task? _task;

    /// <summary>How many tokens the warm-up put in the cache (for tests).</summary>
    public int Warmed { get; private set; }

    public void Start()
    {
        journal?.StartUniqueValues();
        _task = Task.Run(Run);
    }

    /// <summary>Waits until the warm-up has finished (for tests and benchmarks).</summary>
    public void Wait() => _task?.Wait();

    /// <summary>Stops the warm-up and waits for it: before the store closes its storage. Again: nothing.</summary>
    public void Dispose()
    {
        _stopping = true;
        try
        {
            _task?.Wait();
        }
        catch (AggregateException)
        {
            // Only a warm cache was lost.
        }
    }

    private void Run()
    {
        try
        {
            List<string> ids;
            using (pipeline.Hold())
            using (pipeline.Storage.BeginScan())
            {
                ids = [.. pipeline.Storage.ReadAllRecords().TakeWhile(_ => !_stopping).Select(record => record.Id)];
            }

            foreach (var id in ids)
            {
                if (_stopping || cache.Count >= cache.Capacity)
                {
                    return;
                }

                WarmOne(id);
            }
        }
        catch (Exception e) when (e is TokenStoreException or ObjectDisposedException)
        {
            // The store is closing, or a read failed: the lookups that need a token read it themselves.
        }
    }

    private void WarmOne(string id)
    {
        using var lease = pipeline.Hold();
        var generation = cache.BeginRead();
        if (cache.Contains(id) || journal?.FindPending(id) is not null || pipeline.Storage.FindRecord(id) is not { } record)
        {
            return;
        }

        OAuthToken token;
        try
        {
            token = sealer.Open(record);
        }
        catch (TokenStoreException)
        {
            return;
        }

        cache.Add(generation, token);
        Warmed++;
    }
}
