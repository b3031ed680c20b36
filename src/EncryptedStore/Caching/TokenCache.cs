using System.Collections.Concurrent;

namespace EncryptedStore.Caching;

/// <summary>
/// Decrypted tokens by id, and lookup values by the entry they last led to, so the SDK's per-call
/// <c>FindTokenById</c> and start-up <c>FindToken</c> skip LiteDB and AES-GCM when warm.
/// </summary>
/// <remarks>
/// Coherence within the process: every write bumps <see cref="_generation"/> to odd before it
/// changes the file and back to even after it has invalidated the ids it touched. A reader caches
/// what it read only if no write started meanwhile: it notes the (even) generation before reading,
/// and adds the entry only if the generation is still the same, checked under the lock that the
/// invalidation also takes, so a stale entry is never visible, not even for a moment. Hits take no
/// lock. A lookup value is only a hint: it leads to an entry that counts only while it is its token's
/// cached state (an entry replaced, removed or evicted is retired), and the token is checked to still
/// hold that value, so a changed token cannot be found by its old values. A retired entry takes the lookup values that
/// led to it out of the map, so the map never holds more than the few current values of each cached token, and no
/// old value (a superseded access token) stays in memory.
/// A write through the save journal puts the token's new state in the cache (<see cref="EndWrite(CachedToken)"/>). Bounded: at <see cref="_capacity"/> entries the cache starts over empty. Across
/// processes: in exclusive mode no other process can write; in shared mode the store checks the
/// file's write generation before every hit and, after another process's write, empties the cache
/// (as a write that touched everything) before it serves anything.
/// </remarks>
internal sealed class TokenCache(int capacity)
{
    private readonly int _capacity = capacity;
    private readonly ConcurrentDictionary<string, CachedToken> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<LookupKey, CachedToken> _byLookup = new();
    private readonly Lock _sync = new();
    private long _generation;

    public int Count => _byId.Count;

    /// <summary>How many lookup values lead to an entry (for tests: at most four per cached token).</summary>
    public int LookupCount => _byLookup.Count;

    /// <summary>The generation to pass to <see cref="Add"/>; null while a write is running.</summary>
    public long? BeginRead()
    {
        var generation = Volatile.Read(ref _generation);
        return (generation & 1) == 0 ? generation : null;
    }

    public CachedToken? Get(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// The entry a lookup value last led to, while it is still the cached state of its token (one
    /// dictionary read, not two). The caller checks that the token still holds the value.
    /// </summary>
    public CachedToken? GetByLookup(LookupKey key) =>
        _byLookup.TryGetValue(key, out var entry) && !entry.IsRetired ? entry : null;

    /// <summary>Caches a token read at <paramref name="generation"/>, unless a write has run since.</summary>
    public void Add(long? generation, OAuthToken token, LookupKey? key = null)
    {
        if (generation is not { } readAt)
        {
            return;
        }

        lock (_sync)
        {
            if (Volatile.Read(ref _generation) != readAt)
            {
                return;
            }

            // An entry already cached for the token is its current state (any write since it was cached
            // removed or replaced it, and no write ran since this read): keep it, so the lookup values that
            // lead to it stay valid, and let this lookup value lead there too.
            if (!_byId.TryGetValue(token.Id!, out var entry))
            {
                entry = new CachedToken(token);
                Replace(entry);
            }

            if (key is { } lookup)
            {
                _byLookup[lookup] = entry;
                entry.AddLookupKey(lookup);
            }
        }
    }

    /// <summary>Called under the store's write lock before a write changes the file.</summary>
    public void BeginWrite() => Interlocked.Increment(ref _generation);

    /// <summary>Called under the store's write lock after the write, with the ids it touched (null: all).</summary>
    public void EndWrite(IEnumerable<string>? touchedIds)
    {
        lock (_sync)
        {
            if (touchedIds is null)
            {
                Clear();
            }
            else
            {
                foreach (var id in touchedIds)
                {
                    if (_byId.TryRemove(id, out var removed))
                    {
                        Retire(removed);
                    }
                }
            }

            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>
    /// Called under the store's write lock after a write of one token, with its new state: the cache
    /// holds that from now on (write-through), so the next read of the token stays warm.
    /// </summary>
    public void EndWrite(CachedToken written)
    {
        lock (_sync)
        {
            Replace(written);
            Interlocked.Increment(ref _generation);
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            foreach (var entry in _byId.Values)
            {
                entry.Retire();
            }

            _byId.Clear();
            _byLookup.Clear();
        }
    }

    /// <summary>
    /// Under <see cref="_sync"/>: makes <paramref name="entry"/> the token's cached state, retiring the one it
    /// replaces; a new token in a full cache first empties it (see <see cref="_capacity"/>).
    /// </summary>
    private void Replace(CachedToken entry)
    {
        if (_byId.TryGetValue(entry.Id, out var previous))
        {
            Retire(previous);
        }
        else if (_byId.Count >= _capacity)
        {
            Clear();
        }

        _byId[entry.Id] = entry;
    }

    /// <summary>Under <see cref="_sync"/>: the entry stops counting, and the lookup values that led to it go with it.</summary>
    private void Retire(CachedToken entry)
    {
        entry.Retire();
        foreach (var key in entry.LookupKeys)
        {
            _byLookup.TryRemove(new KeyValuePair<LookupKey, CachedToken>(key, entry));
        }
    }
}
