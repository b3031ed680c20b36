namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// The article's in-memory reference store: tokens in a dictionary by id, plus one dictionary per
/// lookup key (user name, user name with client id, access, refresh and grant token). No persistence,
/// no encryption: the floor that every other store is compared with. Callers get copies, never the
/// stored instances. Thread-safe through one lock.
/// </summary>
internal sealed class DictionaryTokenStore : ITokenStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OAuthToken> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<(string User, string? ClientId), string> _byUserClient = [];
    private readonly Dictionary<string, string> _byAccessToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byRefreshToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byGrantToken = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    public IToken? FindToken(IToken token)
    {
        var query = TokenCopy.AsOAuthToken(token);
        OAuthToken? stored;
        lock (_lock)
        {
            stored = Match(query);
        }

        if (stored is null)
        {
            return null;
        }

        TokenCopy.FillNulls(query, stored);
        return query;
    }

    public IToken FindTokenById(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            return _byId.TryGetValue(id, out var stored)
                ? TokenCopy.Clone(stored)
                : throw new TokenStoreException(TokenStoreErrorCodes.NotFound, "Given ID is invalid.");
        }
    }

    public void SaveToken(IToken token)
    {
        var incoming = TokenCopy.AsOAuthToken(token);
        if (!TokenCopy.IsIdentifiable(incoming))
        {
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "The token has nothing to find it by.");
        }

        lock (_lock)
        {
            var stored = incoming.Id is { } givenId && _byId.TryGetValue(givenId, out var byId) ? byId : Match(incoming);
            var id = stored?.Id ?? incoming.Id ?? TokenCopy.NewId();
            var merged = TokenCopy.Merge(incoming, stored, id);
            if (stored is not null)
            {
                Unindex(stored);
            }

            _byId[id] = merged;
            Index(merged);
            TokenCopy.FillNulls(incoming, merged);
        }
    }

    public void DeleteToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            if (_byId.Remove(id, out var stored))
            {
                Unindex(stored);
            }
        }
    }

    public List<IToken> GetTokens()
    {
        lock (_lock)
        {
            return _byId.Values.Select(t => (IToken)TokenCopy.Clone(t)).ToList();
        }
    }

    public void DeleteTokens()
    {
        lock (_lock)
        {
            _byId.Clear();
            _byUser.Clear();
            _byUserClient.Clear();
            _byAccessToken.Clear();
            _byRefreshToken.Clear();
            _byGrantToken.Clear();
        }
    }

    private OAuthToken? Match(OAuthToken query)
    {
        var key = TokenQuery.From(query);
        string? id;
        switch (key.Kind)
        {
            case LookupKind.User:
                if (!_byUser.TryGetValue(key.Value, out var ids))
                {
                    return null;
                }

                id = ids.Count == 1
                    ? ids[0]
                    : throw new TokenStoreException(TokenStoreErrorCodes.AmbiguousMatch, "The user has tokens of several clients; give a client id.");
                break;
            case LookupKind.UserClient:
                _byUserClient.TryGetValue((key.Value, key.ClientId), out id);
                break;
            case LookupKind.AccessToken:
                _byAccessToken.TryGetValue(key.Value, out id);
                break;
            case LookupKind.GrantToken:
                _byGrantToken.TryGetValue(key.Value, out id);
                break;
            case LookupKind.RefreshToken:
                _byRefreshToken.TryGetValue(key.Value, out id);
                break;
            default:
                return null;
        }

        return id is not null && _byId.TryGetValue(id, out var stored) && key.Accepts(stored) ? stored : null;
    }

    private void Index(OAuthToken token)
    {
        var id = token.Id!;
        if (token.UserSignature?.Name is { Length: > 0 } user)
        {
            if (!_byUser.TryGetValue(user, out var ids))
            {
                _byUser[user] = ids = [];
            }

            ids.Add(id);
            _byUserClient[(user, TokenQuery.NullIfEmpty(token.ClientId))] = id;
        }

        SetKey(_byAccessToken, token.AccessToken, id);
        SetKey(_byRefreshToken, token.RefreshToken, id);
        SetKey(_byGrantToken, token.GrantToken, id);
    }

    private void Unindex(OAuthToken token)
    {
        var id = token.Id!;
        if (token.UserSignature?.Name is { Length: > 0 } user)
        {
            if (_byUser.TryGetValue(user, out var ids) && ids.Remove(id) && ids.Count == 0)
            {
                _byUser.Remove(user);
            }

            _byUserClient.Remove((user, TokenQuery.NullIfEmpty(token.ClientId)));
        }

        RemoveKey(_byAccessToken, token.AccessToken, id);
        RemoveKey(_byRefreshToken, token.RefreshToken, id);
        RemoveKey(_byGrantToken, token.GrantToken, id);
    }

    private static void SetKey(Dictionary<string, string> index, string? value, string id)
    {
        if (!string.IsNullOrEmpty(value))
        {
            index[value] = id;
        }
    }

    private static void RemoveKey(Dictionary<string, string> index, string? value, string id)
    {
        if (!string.IsNullOrEmpty(value) && index.TryGetValue(value, out var current) && current == id)
        {
            index.Remove(value);
        }
    }
}
