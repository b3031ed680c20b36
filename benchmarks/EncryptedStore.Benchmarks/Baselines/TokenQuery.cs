namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// The matching precedence of the token-store contract (§3), shared by every baseline so that they
/// answer exactly the same questions as the encrypted store: a non-empty user name (with the client id
/// when given); else an access token when client id and secret are both absent; else, with both
/// client id and secret, the grant token when given, else the refresh token; else nothing.
/// </summary>
internal readonly record struct TokenQuery(LookupKind Kind, string Value, string? ClientId)
{
    public static TokenQuery From(OAuthToken token)
    {
        var user = token.UserSignature?.Name;
        var clientId = NullIfEmpty(token.ClientId);
        var clientSecret = NullIfEmpty(token.ClientSecret);
        if (!string.IsNullOrEmpty(user))
        {
            return new TokenQuery(clientId is null ? LookupKind.User : LookupKind.UserClient, user, clientId);
        }

        if (!string.IsNullOrEmpty(token.AccessToken) && clientId is null && clientSecret is null)
        {
            return new TokenQuery(LookupKind.AccessToken, token.AccessToken, null);
        }

        if (clientId is not null && clientSecret is not null)
        {
            if (!string.IsNullOrEmpty(token.GrantToken))
            {
                return new TokenQuery(LookupKind.GrantToken, token.GrantToken, clientId);
            }

            if (!string.IsNullOrEmpty(token.RefreshToken))
            {
                return new TokenQuery(LookupKind.RefreshToken, token.RefreshToken, clientId);
            }
        }

        return new TokenQuery(LookupKind.None, string.Empty, null);
    }

    /// <summary>True when a stored token found by this query's key also satisfies its client condition.</summary>
    public bool Accepts(OAuthToken stored) =>
        Kind is not (LookupKind.GrantToken or LookupKind.RefreshToken) || NullIfEmpty(stored.ClientId) == ClientId;

    public static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
