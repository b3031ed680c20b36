using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;

namespace EncryptedStore.Tokens;

/// <summary>
/// The contract's reads: a token by id, by the SDK's matching rules, or all of them. The cache answers
/// first when it can; otherwise the storage by blind index, under each index key a lookup must try.
/// </summary>
/// <remarks>Thread-safe; lookups run concurrently with each other and with writes.</remarks>
internal sealed class TokenMatcher(WritePipeline pipeline, StoreKeys keys, RecordSealer sealer, TokenCache? cache, JournaledWriter? journal)
{
    private ITokenStorage Storage => pipeline.Storage;

    /// <summary>
    /// The warm path of <see cref="FindById"/>, before the caller checks its arguments: a copy of the cached token
    /// <paramref name="id"/> when the store is open and synchronized and the id is one the check accepts; else null,
    /// and the caller checks the id and asks <see cref="FindById"/>, which answers the same (or throws as it did).
    /// </summary>
    public OAuthToken? FindCachedById(string? id)
    {
        if (id is null || cache is null || pipeline.IsDisposed)
        {
            return null;
        }

        var started = StoreMetrics.Start(StoreMetrics.LookupDuration);
        return pipeline.IsSynchronized && cache.Get(id) is { HasValidId: true } cached ? Hit(cached, started) : null;
    }

    /// <summary>
    /// The token with id <paramref name="id"/> once <see cref="FindCachedById"/> did not answer: from the cache after a
    /// catch-up, a pending journaled save, or the storage.
    /// </summary>
    public OAuthToken? FindById(string id)
    {
        var started = StoreMetrics.Start(StoreMetrics.LookupDuration);
        var synchronized = pipeline.IsSynchronized;
        using var lease = pipeline.HoldForRead();

        // Caught up (a database store asked its server, in one round trip, whether another instance wrote): the cache
        // holds nothing older than the storage, so, unless it was asked already (synchronized), it answers before the
        // storage is read.
        if (!synchronized && cache?.Get(id) is not null && !pipeline.CaughtUp() && CachedById(id, started) is { } current)
        {
            return current;
        }

        // The generation is read before looking at the pending saves: a save published after it makes
        // the token read below too old to cache (see TokenCache).
        var generation = cache?.BeginRead();
        if (journal?.FindPending(id) is { } pending)
        {
            StoreMetrics.Lookup(started, LookupKind.ById, LookupResult.Miss);
            return pending.ToToken();
        }

        // A database server tells, with the record, whether another instance wrote since the last look: then catch up
        // (the keys may have changed) and read again.
        var record = Storage.FindRecord(id);
        if (pipeline.CaughtUp())
        {
            generation = cache?.BeginRead();
            record = Storage.FindRecord(id);
        }

        if (record is null)
        {
            StoreMetrics.Lookup(started, LookupKind.ById, LookupResult.NotFound);
            return null;
        }

        var token = sealer.Open(record);
        cache?.Add(generation, token);
        StoreMetrics.Lookup(started, LookupKind.ById, LookupResult.Miss);
        return token;
    }

    /// <summary>Every token, decrypted, in id order.</summary>
    public List<IToken> All()
    {
        var started = StoreMetrics.Start(StoreMetrics.LookupDuration);
        List<StoredRecord> records;
        Dictionary<string, CachedToken>? pending = null;
        using (pipeline.Hold())
        {
            StorageLease scan;
            try
            {
                scan = pipeline.BeginScan();
            }
            catch (TokenStoreException e) when (journal is not null && e.Code is TokenStoreErrorCodes.StorageFull or TokenStoreErrorCodes.IoError)
            {
                // The disk refuses to take the pending saves (full, read-only): the storage as it is, with them over it,
                // taken before the storage is read so that none applied meanwhile is missed.
                pending = journal.PendingTokens();
                scan = Storage.BeginScan();
            }

            using (scan)
            {
                records = [.. Storage.ReadAllRecords()];
            }
        }

        var tokens = records.ConvertAll<IToken>(record => pending?.Remove(record.Id, out var saved) == true ? saved.ToToken() : sealer.Open(record));
        if (pending is { Count: > 0 })
        {
            // Tokens inserted through the journal and not yet in the storage.
            tokens.AddRange(pending.Values.Select(saved => saved.ToToken()));
            tokens.Sort((a, b) => string.CompareOrdinal(((OAuthToken)a).Id, ((OAuthToken)b).Id));
        }

        StoreMetrics.Lookup(started, LookupKind.All, LookupResult.Miss);
        return tokens;
    }

    /// <summary>The stored token that <paramref name="query"/> matches by the contract's rules, decrypted; null when none.</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="useCache">False inside a write, which must see its own transaction's changes; only a lookup with the cache is a caller's, measured.</param>
    public MatchedToken? Match(OAuthToken query, bool useCache = true)
    {
        var started = useCache ? StoreMetrics.Start(StoreMetrics.LookupDuration) : 0;

        // A rotation that starts after the keys were read can move the record out of their sight:
        // a miss is confirmed with the keys in force now.
        var active = keys.State.Keys;
        var found = Match(query, active, useCache) ?? (ReferenceEquals(active, keys.State.Keys) ? null : Match(query, keys.State.Keys, useCache));
        if (useCache)
        {
            StoreMetrics.Lookup(started, LookupKind.ByMatch, found is null ? LookupResult.NotFound : found.Value.Cached is null ? LookupResult.Miss : LookupResult.Hit);
        }

        return found;
    }

    /// <summary>A copy of the cached token <paramref name="id"/>, counted as a hit; null when the cache does not hold it.</summary>
    private OAuthToken? CachedById(string id, long started) => cache?.Get(id) is { } cached ? Hit(cached, started) : null;

    /// <summary>A copy of <paramref name="cached"/> for the caller, counted as a hit by id.</summary>
    private static OAuthToken Hit(CachedToken cached, long started)
    {
        var hit = cached.ToToken();
        StoreMetrics.Lookup(started, LookupKind.ById, LookupResult.Hit);
        return hit;
    }

    /// <summary>
    /// False for a lookup value that a save refuses (too long, a control character, an unpaired surrogate):
    /// no record holds it. Hashing it anyway is lossy for a lone surrogate (UTF-8 turns it into U+FFFD), so
    /// it could find the record of another value and report it as tampered with.
    /// </summary>
    private static bool CanBeStored(string value) => TokenFields.CheckValue(value) is null;

    /// <summary>
    /// True when <see cref="Match(OAuthToken, bool)"/> looks <paramref name="query"/> up by a unique index only (every
    /// query but a user name without client id, which reads the user index): a token none of whose unique lookup values
    /// a record holds then matches no record.
    /// </summary>
    public static bool MatchesByUniqueValue(OAuthToken query) =>
        string.IsNullOrEmpty(query.UserSignature?.Name) || TokenFields.NullIfEmpty(query.ClientId) is not null;

    private MatchedToken? Match(OAuthToken query, ActiveKeys active, bool useCache)
    {
        var user = query.UserSignature?.Name;
        var clientId = TokenFields.NullIfEmpty(query.ClientId);
        if (!string.IsNullOrEmpty(user))
        {
            return clientId is not null
                ? Lookup(active, new LookupKey(BlindIndex.UserClient, user, clientId), useCache)
                : MatchUserOfAnyClient(active, user);
        }

        var clientSecret = TokenFields.NullIfEmpty(query.ClientSecret);
        if (!string.IsNullOrEmpty(query.AccessToken) && clientId is null && clientSecret is null)
        {
            return Lookup(active, new LookupKey(BlindIndex.AccessToken, query.AccessToken), useCache);
        }

        if (clientId is null || clientSecret is null)
        {
            return null;
        }

        var found = !string.IsNullOrEmpty(query.GrantToken)
            ? Lookup(active, new LookupKey(BlindIndex.GrantToken, query.GrantToken), useCache)
            : !string.IsNullOrEmpty(query.RefreshToken)
                ? Lookup(active, new LookupKey(BlindIndex.RefreshToken, query.RefreshToken), useCache)
                : null;
        return found is { } match && TokenFields.NullIfEmpty(match.ClientId) == clientId ? found : null;
    }

    /// <summary>A user name without client id: the one token of that user, or an error when there are several.</summary>
    private MatchedToken? MatchUserOfAnyClient(ActiveKeys active, string user)
    {
        if (!CanBeStored(user))
        {
            return null;
        }

        using var lease = pipeline.Hold();
        pipeline.ApplyPending();
        var candidates = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        foreach (var key in active.LookupIndexKeys())
        {
            foreach (var record in Storage.FindRecords(BlindIndex.User, key.Compute(BlindIndex.User, user), limit: 2))
            {
                candidates[record.Id] = record;
            }
        }

        if (candidates.Count > 1)
        {
            throw Errors.Ambiguous();
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        var token = sealer.Open(candidates.Values.First());
        return token.UserSignature?.Name == user ? new MatchedToken(token, null) : throw sealer.IndexMismatch(token.Id!);
    }

    /// <summary>
    /// A unique lookup: from the cache when it remembers the value and the token still holds it, else by
    /// blind index under each index key a lookup must try (see <see cref="ActiveKeys.LookupIndexKeys"/>).
    /// </summary>
    private MatchedToken? Lookup(ActiveKeys active, LookupKey key, bool useCache)
    {
        var lookupCache = useCache ? cache : null;
        if (lookupCache?.GetByLookup(key) is { } entry && key.IsHeldBy(entry.Fields))
        {
            return new MatchedToken(null, entry);
        }

        return CanBeStored(key.Value) && (key.Client is null || CanBeStored(key.Client)) ? LookupStored(active, key, lookupCache) : null;
    }

    /// <summary>
    /// <see cref="Lookup"/> past the cache, by blind index; a method of its own so that a hit does not allocate the
    /// closure this one needs (the compiler creates it when the method starts).
    /// </summary>
    private MatchedToken? LookupStored(ActiveKeys active, LookupKey key, TokenCache? lookupCache)
    {
        using var lease = pipeline.Hold();

        // The generation first, then the pending saves applied: a save acknowledged before the generation
        // was read is in the storage below, and one published after it makes the token read too old to cache.
        var generation = lookupCache?.BeginRead();
        pipeline.ApplyPending();
        StoredRecord? record = null;
        foreach (var indexKey in active.LookupIndexKeys())
        {
            if ((record = Storage.FindRecord(key.Index, key.Hash(indexKey))) is not null)
            {
                break;
            }
        }

        if (record is null)
        {
            return null;
        }

        var token = sealer.Open(record);
        if (!key.IsHeldBy(field => TokenFields.Get(token, field)))
        {
            // The index leads to a record that does not hold the value: the record or index was altered.
            throw sealer.IndexMismatch(token.Id!);
        }

        lookupCache?.Add(generation, token, key);
        return new MatchedToken(token, null);
    }
}
