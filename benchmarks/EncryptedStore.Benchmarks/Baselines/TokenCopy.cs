using System.Security.Cryptography;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>Field-by-field copying of tokens, with the contract's "fill the nulls" merge rule.</summary>
internal static class TokenCopy
{
    /// <summary>Sets every null property of <paramref name="target"/> (its id included) from <paramref name="source"/>.</summary>
    public static void FillNulls(OAuthToken target, OAuthToken source)
    {
        target.Id ??= source.Id;
        target.UserSignature ??= source.UserSignature;
        target.ClientId ??= source.ClientId;
        target.ClientSecret ??= source.ClientSecret;
        target.RefreshToken ??= source.RefreshToken;
        target.AccessToken ??= source.AccessToken;
        target.GrantToken ??= source.GrantToken;
        target.ExpiresIn ??= source.ExpiresIn;
        target.RedirectURL ??= source.RedirectURL;
        target.APIDomain ??= source.APIDomain;
    }

    public static OAuthToken Clone(OAuthToken source)
    {
        var copy = new OAuthToken();
        FillNulls(copy, source);
        return copy;
    }

    /// <summary>The contract's upsert merge: the incoming values, with the stored ones where the incoming are null.</summary>
    public static OAuthToken Merge(OAuthToken incoming, OAuthToken? stored, string id)
    {
        var merged = Clone(incoming);
        if (stored is not null)
        {
            FillNulls(merged, stored);
        }

        merged.Id = id;
        return merged;
    }

    /// <summary>True when the token carries something a record can be found by again.</summary>
    public static bool IsIdentifiable(OAuthToken token) =>
        !string.IsNullOrEmpty(token.UserSignature?.Name)
        || !string.IsNullOrEmpty(token.AccessToken)
        || !string.IsNullOrEmpty(token.RefreshToken)
        || !string.IsNullOrEmpty(token.GrantToken);

    /// <summary>A new record id in the encrypted store's format (32 lowercase hex digits).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static OAuthToken AsOAuthToken(IToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token as OAuthToken ?? throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "Only OAuthToken is supported.");
    }
}
