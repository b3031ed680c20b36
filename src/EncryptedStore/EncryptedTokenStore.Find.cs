using EncryptedStore.Crypto;
using EncryptedStore.Internal;
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
        var stored = Match(query);
        if (stored is null)
        {
            return null;
        }

        TokenFields.FillNulls(query, stored);
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
        var document = Read(() => _records.FindById(id));
        return document is null ? null : Decrypt(document);
    }

    /// <summary>Returns every stored token, fully populated, ordered by id.</summary>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when any record was tampered with.</exception>
    public List<IToken> GetTokens()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Read(() => _records.FindAll().ToList()).Select(d => (IToken)Decrypt(d)).ToList();
    }

    /// <summary>The stored token that <paramref name="query"/> matches by the contract's rules, decrypted; null when none.</summary>
    private OAuthToken? Match(OAuthToken query)
    {
        var indexKey = _keyRing.GetIndexKey(_metadata.IndexKeyVersion);
        var user = query.UserSignature?.Name;
        var clientId = TokenRecords.NullIfEmpty(query.ClientId);
        if (!string.IsNullOrEmpty(user))
        {
            if (!CanBeStored(user) || (clientId is not null && !CanBeStored(clientId)))
            {
                return null;
            }

            if (clientId is not null)
            {
                var document = Read(() => _records.FindOne(BlindIndex.UserClient, indexKey.ComputeUserClient(user, clientId)));
                return Checked(document, t => t.UserSignature?.Name == user && t.ClientId == clientId);
            }

            var candidates = Read(() => _records.Find(BlindIndex.User, indexKey.Compute(BlindIndex.User, user), limit: 2));
            if (candidates.Count > 1)
            {
                throw Errors.Ambiguous();
            }

            return Checked(candidates.FirstOrDefault(), t => t.UserSignature?.Name == user);
        }

        var clientSecret = TokenRecords.NullIfEmpty(query.ClientSecret);
        if (!string.IsNullOrEmpty(query.AccessToken) && clientId is null && clientSecret is null)
        {
            var access = query.AccessToken;
            if (!CanBeStored(access))
            {
                return null;
            }

            var document = Read(() => _records.FindOne(BlindIndex.AccessToken, indexKey.Compute(BlindIndex.AccessToken, access)));
            return Checked(document, t => t.AccessToken == access);
        }

        if (clientId is not null && clientSecret is not null)
        {
            OAuthToken? found = null;
            if (!string.IsNullOrEmpty(query.GrantToken))
            {
                var grant = query.GrantToken;
                found = CanBeStored(grant) ? Checked(Read(() => _records.FindOne(BlindIndex.GrantToken, indexKey.Compute(BlindIndex.GrantToken, grant))), t => t.GrantToken == grant) : null;
            }
            else if (!string.IsNullOrEmpty(query.RefreshToken))
            {
                var refresh = query.RefreshToken;
                found = CanBeStored(refresh) ? Checked(Read(() => _records.FindOne(BlindIndex.RefreshToken, indexKey.Compute(BlindIndex.RefreshToken, refresh))), t => t.RefreshToken == refresh) : null;
            }

            return found is not null && TokenRecords.NullIfEmpty(found.ClientId) == clientId ? found : null;
        }

        return null;
    }

    /// <summary>
    /// False for a lookup value that <see cref="SaveToken"/> refuses (too long, a control character, an
    /// unpaired surrogate): no record holds it. Hashing it anyway is lossy for a lone surrogate (UTF-8
    /// turns it into U+FFFD), so it could find the record of another value and report it as tampered with.
    /// </summary>
    private static bool CanBeStored(string value) => TokenFields.CheckValue(value) is null;

    /// <summary>
    /// Decrypts a record found by blind index and confirms it holds the looked-up value; a record whose
    /// index does not match its own contents was tampered with.
    /// </summary>
    private OAuthToken? Checked(BsonDocument? document, Func<OAuthToken, bool> holdsValue)
    {
        if (document is null)
        {
            return null;
        }

        var token = Decrypt(document);
        return holdsValue(token) ? token : throw Errors.Integrity($"the lookup index of token record '{token.Id}'");
    }

    private OAuthToken Decrypt(BsonDocument document)
    {
        try
        {
            return _records.Decrypt(document);
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.Integrity)
        {
            Log.RecordIntegrityFailure(_logger, document["_id"].IsString ? document["_id"].AsString : "?");
            throw;
        }
    }

    /// <summary>Runs a LiteDB read, turning its failures into store exceptions.</summary>
    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (LiteException e)
        {
            throw Errors.Integrity("the store file", e);
        }
        catch (IOException e)
        {
            throw Errors.Io("reading tokens", e);
        }
    }
}
