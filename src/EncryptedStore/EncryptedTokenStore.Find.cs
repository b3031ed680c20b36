using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    /// <summary>
    /// Finds the stored token that matches <paramref name="token"/>, fills the null properties of
    /// <paramref name="token"/> (its id included) in place and returns that same instance, or null.
    /// Precedence: a non-empty user name (with the client id when given, so another client's token never
    /// matches); else an access token when client id and secret are both absent; else, with both client
    /// id and secret, the grant token when given, else the refresh token, and the client id must match.
    /// A token that carries none of these matches nothing.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_TOKEN</c> for a token that is not an <see cref="OAuthToken"/>; <c>AMBIGUOUS_MATCH</c>
    /// when a user name without client id matches tokens of several clients; <c>INTEGRITY</c> when the
    /// matching record was tampered with.
    /// </exception>
    public IToken? FindToken(IToken token)
    {
        var query = Guard.Token(token, nameof(token));
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Shared mode: catch up with another process's writes before trusting the cache.
        using var lease = _file.IsSynchronized ? default : Hold();
        var stored = Match(query);
        if (stored is null)
        {
            return null;
        }

        stored.Value.FillNulls(query);
        return query;
    }

    /// <summary>Returns a new, fully populated token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    /// <exception cref="TokenStoreException"><c>NOT_FOUND</c> when no token has that id; <c>INTEGRITY</c> when its record was tampered with.</exception>
    public IToken FindTokenById(string id) => TryFindTokenById(id) ?? throw Errors.NotFound(id);

    /// <summary>Like <see cref="FindTokenById"/>, but returns null when no token has that id.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when the record was tampered with.</exception>
    public OAuthToken? TryFindTokenById(string id)
    {
        Guard.Id(id, nameof(id));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file.IsSynchronized && _cache?.Get(id) is { } cached)
        {
            return cached.ToToken();
        }

        using var lease = Hold();

        // The generation is read before looking at the pending saves: a save published after it makes
        // the token read below too old to cache (see TokenCache).
        var generation = _cache?.BeginRead();
        if (_pendingCount > 0 && _pending.TryGetValue(id, out var pending))
        {
            return pending.Token.ToToken();
        }

        var document = Read(() => _records.FindById(id));
        if (document is null)
        {
            return null;
        }

        var token = Decrypt(document);
        _cache?.Add(generation, token);
        return token;
    }

    /// <summary>Returns every stored token, fully populated, ordered by id.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when any record was tampered with.</exception>
    public List<IToken> GetTokens()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var lease = Hold();
        return Scan(() => _records.FindAll().ToList()).Select(d => (IToken)Decrypt(d)).ToList();
    }

    /// <summary>The stored token that <paramref name="query"/> matches by the contract's rules, decrypted; null when none.</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="useCache">False inside a write, which must see its own transaction's changes.</param>
    private MatchedToken? Match(OAuthToken query, bool useCache = true)
    {
        // A rotation that starts after the keys were read can move the record out of their sight:
        // a miss is confirmed with the keys in force now.
        var active = _active;
        return Match(query, active, useCache) ?? (ReferenceEquals(active, _active) ? null : Match(query, _active, useCache));
    }

    private MatchedToken? Match(OAuthToken query, ActiveKeys active, bool useCache)
    {
        var user = query.UserSignature?.Name;
        var clientId = TokenRecords.NullIfEmpty(query.ClientId);
        if (!string.IsNullOrEmpty(user))
        {
            return clientId is not null
                ? Lookup(active, new LookupKey(BlindIndex.UserClient, user, clientId), useCache)
                : MatchUserOfAnyClient(active, user);
        }

        var clientSecret = TokenRecords.NullIfEmpty(query.ClientSecret);
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
        return found is { } match && TokenRecords.NullIfEmpty(match.ClientId) == clientId ? found : null;
    }

    /// <summary>A user name without client id: the one token of that user, or an error when there are several.</summary>
    private MatchedToken? MatchUserOfAnyClient(ActiveKeys active, string user)
    {
        if (!CanBeStored(user))
        {
            return null;
        }

        using var lease = Hold();
        ApplyPendingOrThrow();
        var candidates = new Dictionary<string, BsonDocument>(StringComparer.Ordinal);
        foreach (var key in active.LookupIndexKeys())
        {
            foreach (var document in Read(() => _records.Find(BlindIndex.User, key.Compute(BlindIndex.User, user), limit: 2)))
            {
                candidates[document["_id"].AsString] = document;
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

        var token = Decrypt(candidates.Values.First());
        return token.UserSignature?.Name == user ? new MatchedToken(token, null) : throw IndexMismatch(token);
    }

    /// <summary>
    /// A unique lookup: from the cache when it remembers the value and the token still holds it, else
    /// by blind index under each index key a lookup must try (see <see cref="ActiveKeys.LookupIndexKeys"/>).
    /// </summary>
    private MatchedToken? Lookup(ActiveKeys active, LookupKey key, bool useCache)
    {
        var cache = useCache ? _cache : null;
        if (cache?.GetByLookup(key) is { } entry && key.IsHeldBy(entry.Fields))
        {
            return new MatchedToken(null, entry);
        }

        if (!CanBeStored(key.Value) || (key.Client is not null && !CanBeStored(key.Client)))
        {
            return null;
        }

        using var lease = Hold();

        // The generation first, then the pending saves applied: a save acknowledged before the generation
        // was read is in LiteDB below, and one published after it makes the token read too old to cache.
        var generation = cache?.BeginRead();
        ApplyPendingOrThrow();
        BsonDocument? document = null;
        foreach (var indexKey in active.LookupIndexKeys())
        {
            var hash = key.Hash(indexKey);
            if ((document = Read(() => _records.FindOne(key.Index, hash))) is not null)
            {
                break;
            }
        }

        if (document is null)
        {
            return null;
        }

        var token = Decrypt(document);
        if (!key.IsHeldBy(field => TokenFields.Get(token, field)))
        {
            // The index leads to a record that does not hold the value: the record or index was altered.
            throw IndexMismatch(token);
        }

        cache?.Add(generation, token, key);
        return new MatchedToken(token, null);
    }

    /// <summary>
    /// False for a lookup value that <see cref="SaveToken"/> refuses (too long, a control character, an
    /// unpaired surrogate): no record holds it. Hashing it anyway is lossy for a lone surrogate (UTF-8
    /// turns it into U+FFFD), so it could find the record of another value and report it as tampered with.
    /// </summary>
    private static bool CanBeStored(string value) => TokenFields.CheckValue(value) is null;

    private TokenStoreException IndexMismatch(OAuthToken token)
    {
        Log.RecordIntegrityFailure(_logger, token.Id!);
        return Errors.Integrity($"the lookup index of token record '{token.Id}'");
    }

    private OAuthToken Decrypt(BsonDocument document)
    {
        try
        {
            // A record under an older key version unwraps that key now, reading the key list from the file.
            return Read(() => _records.Decrypt(document));
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.Integrity)
        {
            Log.RecordIntegrityFailure(_logger, document["_id"].IsString ? document["_id"].AsString : "?");
            throw;
        }
    }

    /// <summary>
    /// Runs a LiteDB read, turning its failures into store exceptions: any LiteDB error, or a runtime
    /// error from LiteDB decoding a damaged page, is an integrity failure.
    /// </summary>
    private T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (Errors.IsLiteDbFailure(e) || Errors.IsDamagedData(e) || IsClosedByLiteDb(e))
        {
            throw Errors.Integrity("the store file", e);
        }
        catch (IOException e)
        {
            throw Errors.Io("reading tokens", e);
        }
    }

    /// <summary>
    /// <see cref="Read"/> for a read that visits every record (listing, counting, verifying): while one runs,
    /// a write leaves LiteDB's log for later rather than checkpoint, which would wait for the scan to end
    /// and hold every other call meanwhile (see <see cref="StoreFile.CheckpointAfterWrite"/>).
    /// </summary>
    private T Scan<T>(Func<T> read)
    {
        ApplyPendingOrThrow();
        Interlocked.Increment(ref _scans);
        try
        {
            return Read(read);
        }
        finally
        {
            Interlocked.Decrement(ref _scans);
        }
    }

    /// <summary>
    /// LiteDB closes its engine when a consistency check fails, and every later call then meets its
    /// disposed locks and streams: while the store itself is open, that is the earlier damage showing.
    /// </summary>
    private bool IsClosedByLiteDb(Exception e) => e is ObjectDisposedException && !_disposed;
}
