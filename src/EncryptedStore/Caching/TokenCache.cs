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
/// A write through the save journal puts the token's new state in the cache (<see cref="EndWrite(CachedToken)"/>).
/// Bounded, entry by entry (CLOCK, or second chance): each entry holds a slot of a ring of at most
/// <see cref="_capacity"/> slots; a hit marks its entry referenced (a write only when the mark is not already set,
/// so hits stay lock-free and cheap). A new token in a full cache evicts one entry under the lock: the hand
/// passes the entries read since it last came by, clearing their mark (their second chance), and evicts the first
/// that was not read, retiring it like any other. An entry enters unmarked, so a token read once leaves before one
/// read again and again; the cache never empties itself to make room. A slot that a write frees is reused first.
/// Across processes: in exclusive mode no other process can write; in shared mode the store checks the
/// file's write generation before every hit and, after another process's write, empties the cache
/// (as a write that touched everything) before it serves anything.
/// </remarks>
internal sealed class TokenCache(int capacity)
{
    private readonly int _capacity = capacity;
    private readonly ConcurrentDictionary<string, CachedToken> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<LookupKey, CachedToken> _byLookup = new();
    private readonly Lock _sync = new();

    // The CLOCK ring, under _sync: slot i holds the entry whose Slot is i, or null when its slot is in _freeSlots.
    // It grows with the entries, so a store that reads few tokens pays for few slots.
    private readonly List<CachedToken?> _ring = [];
    private readonly Stack<int> _freeSlots = new();
    private int _hand;
    private long _generation;
    private long _removals;

    public int Count => _byId.Count;

    /// <summary>How many tokens the cache holds at most.</summary>
    public int Capacity => _capacity;

    /// <summary>
    /// How many times entries left the cache other than for a newer state of their token: a write that retired the ids
    /// it touched (counted whether or not they were cached), an eviction, a clear.
    /// </summary>
    public long Removals => Interlocked.Read(ref _removals);

    /// <summary>Whether token <paramref name="id"/> is cached, without marking it referenced.</summary>
    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>How many lookup values lead to an entry (for tests: at most four per cached token).</summary>
    public int LookupCount => _byLookup.Count;

    /// <summary>The generation to pass to <see cref="Add"/>; null while a write is running.</summary>
    public long? BeginRead()
    {
        var generation = Volatile.Read(ref _generation);
        return (generation & 1) == 0 ? generation : null;
    }

    /// <summary>The cached state of token <paramref name="id"/>, marked referenced (see the remarks), or null.</summary>
    public CachedToken? Get(string id)
    {
        if (!_byId.TryGetValue(id, out var entry))
        {
            return null;
        }

        entry.MarkReferenced();
        return entry;
    }

    /// <summary>
    /// The entry a lookup value last led to, while it is still the cached state of its token (one
    /// dictionary read, not two). The caller checks that the token still holds the value.
    /// </summary>
    public CachedToken? GetByLookup(LookupKey key)
    {
        if (!_byLookup.TryGetValue(key, out var entry) || entry.IsRetired)
        {
            return null;
        }

        entry.MarkReferenced();
        return entry;
    }

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
                Interlocked.Increment(ref _removals);
                foreach (var id in touchedIds)
                {
                    if (_byId.TryGetValue(id, out var removed))
                    {
                        _freeSlots.Push(Remove(removed));
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
            Interlocked.Increment(ref _removals);
            foreach (var entry in _byId.Values)
            {
                entry.Retire();
            }

            _byId.Clear();
            _byLookup.Clear();
            _ring.Clear();
            _freeSlots.Clear();
            _hand = 0;
        }
    }

    /// <summary>
    /// Under <see cref="_sync"/>: makes <paramref name="entry"/> the token's cached state in the slot of the one it
    /// replaces (retired; its referenced mark carries over), else in a free slot, a new slot, or the slot of one
    /// evicted entry when the cache is full.
    /// </summary>
    private void Replace(CachedToken entry)
    {
        if (_byId.TryGetValue(entry.Id, out var previous))
        {
            Retire(previous);
            entry.Slot = previous.Slot;
            if (previous.IsReferenced)
            {
                entry.MarkReferenced();
            }
        }
        else
        {
            entry.Slot = TakeSlot();
        }

        _ring[entry.Slot] = entry;
        _byId[entry.Id] = entry;
    }

    /// <summary>Under <see cref="_sync"/>, for a token not cached: a slot to hold it.</summary>
    private int TakeSlot()
    {
        if (_freeSlots.TryPop(out var free))
        {
            return free;
        }

        if (_ring.Count < _capacity)
        {
            _ring.Add(null);
            return _ring.Count - 1;
        }

        return Evict();
    }

    /// <summary>
    /// Under <see cref="_sync"/>, the ring full (no free slot, so no empty one): advances the hand, giving each
    /// entry read since the hand last passed it a second chance (its mark cleared), and evicts the first entry
    /// that was not read; returns its slot. Hits that keep marking every entry cannot hold the hand: after two
    /// turns it evicts where it stands.
    /// </summary>
    private int Evict()
    {
        for (var passed = 0; ; passed++)
        {
            var slot = _hand;
            _hand = slot + 1 == _ring.Count ? 0 : slot + 1;
            var entry = _ring[slot]!;
            if (passed < 2 * _ring.Count && entry.TakeSecondChance())
            {
                continue;
            }

            Interlocked.Increment(ref _removals);
            return Remove(entry);
        }
    }

    /// <summary>Under <see cref="_sync"/>: takes <paramref name="entry"/> out of the cache (retired, its slot emptied); returns the slot.</summary>
    private int Remove(CachedToken entry)
    {
        _byId.TryRemove(entry.Id, out _);
        Retire(entry);
        _ring[entry.Slot] = null;
        return entry.Slot;
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
