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
/// The records in id order, a bounded query at a time (LiteDB's log is not checkpointed while a scan runs, so one
/// scan of a large store would let the log grow and the checkpoint after it hold readers). A record is cached as the
/// query read it while that is certainly current (see <see cref="WarmFromQuery"/>); otherwise (a write retired tokens,
/// the cache evicted one, the token was pending when the query began) its token is read afresh as <see cref="TokenMatcher.FindById"/> reads one: the generation first, a
/// pending journaled save skips it (the cache holds that state), then the record, and the entry is added only if no
/// write began in between. A token already cached is left alone. Nothing is counted as a lookup; a record that does not
/// decrypt is skipped (the lookup that meets it reports it). A key rotation stops it: each of its batches retires the
/// tokens it rewrites from the cache, so warming would only compete with it.
/// </remarks>
internal sealed class CacheWarmer(WritePipeline pipeline, Keys.StoreKeys keys, Keys.RecordSealer sealer, TokenCache cache, JournaledWriter journal) : IDisposable
{
    /// <summary>How many records the warm-up reads per query.</summary>
    private const int Chunk = 500;

    private volatile bool _stopping;
    private Task? _task;

    /// <summary>How many tokens the warm-up put in the cache (for tests).</summary>
    public int Warmed { get; private set; }

    public void Start()
    {
        journal.StartUniqueValues();
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

    /// <summary>Whether to stop: the store is closing, the cache is full, or a rotation is rewriting the tokens.</summary>
    private bool Done => _stopping || cache.Count >= cache.Capacity || keys.State.IsRotating;

    private void Run()
    {
        try
        {
            var recheck = new List<string>();
            var pager = new RecordPager(pipeline.Storage, Chunk);
            IReadOnlyList<StoredRecord> chunk;
            do
            {
                // Taken before the query: the entries removed since, and the saves pending then.
                var removals = cache.Removals;
                var pendingBefore = journal.PendingTokens();
                using (pipeline.Hold())
                {
                    chunk = pager.Next();
                }

                foreach (var record in chunk)
                {
                    if (Done)
                    {
                        return;
                    }

                    if (pendingBefore.ContainsKey(record.Id) || !WarmFromQuery(record, removals))
                    {
                        recheck.Add(record.Id);
                    }
                }
            }
            while (chunk.Count > 0 && !_stopping);

            foreach (var id in recheck)
            {
                if (Done)
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

    /// <summary>
    /// Caches <paramref name="record"/> as its query read it, when that is certainly the token's current state: no entry
    /// has left the cache since the query began (<paramref name="removals"/>), so every write since left its token's new
    /// state in the cache (a journaled save) or was counted (any other write retires what it touched), and the token is
    /// neither cached nor pending now. False when that cannot be told: the token is then read afresh.
    /// </summary>
    private bool WarmFromQuery(StoredRecord record, long removals)
    {
        var generation = cache.BeginRead();
        if (Known(record.Id))
        {
            return true;
        }

        if (cache.Removals != removals)
        {
            return false;
        }

        Add(generation, record);
        return true;
    }

    private void WarmOne(string id)
    {
        using var lease = pipeline.Hold();
        var generation = cache.BeginRead();
        if (!Known(id) && pipeline.Storage.FindRecord(id) is { } record)
        {
            Add(generation, record);
        }
    }

    /// <summary>Whether the cache holds the token, or a pending save does (the cache then holds that state, or held it).</summary>
    private bool Known(string id) => cache.Contains(id) || journal.FindPending(id) is not null;

    /// <summary>Caches the token of <paramref name="record"/> read at <paramref name="generation"/>; a record that does not decrypt is skipped (the lookup that meets it reports it).</summary>
    private void Add(long? generation, StoredRecord record)
    {
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
