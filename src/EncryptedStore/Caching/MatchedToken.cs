using EncryptedStore.Internal;

namespace EncryptedStore.Caching;

/// <summary>
/// What a lookup matched: a token just decrypted, or a cache entry, which can fill the caller's query
/// without a copy of its own (so a warm <c>FindToken</c> allocates only what the returned token needs).
/// </summary>
internal readonly record struct MatchedToken(OAuthToken? Decrypted, CachedToken? Cached)
{
    public string? ClientId => Decrypted is { } token ? token.ClientId : Cached!.Get(TokenFields.ClientId);

    public void FillNulls(OAuthToken target)
    {
        if (Decrypted is { } token)
        {
            TokenFields.FillNulls(target, token);
        }
        else
        {
            Cached!.FillNulls(target);
        }
    }

    public OAuthToken ToToken() => Decrypted ?? Cached!.ToToken();
}
