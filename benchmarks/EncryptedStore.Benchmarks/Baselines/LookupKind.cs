namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>Which stored field a <c>FindToken</c> query is matched on (token-store contract §3).</summary>
internal enum LookupKind
{
    /// <summary>The query carries no key: it matches nothing.</summary>
    None,

    /// <summary>A user name without a client id.</summary>
    User,

    /// <summary>A user name with a client id (tokens of another client never match).</summary>
    UserClient,

    /// <summary>An access token, with neither client id nor secret.</summary>
    AccessToken,

    /// <summary>A grant token, with client id and secret.</summary>
    GrantToken,

    /// <summary>A refresh token (and no grant token), with client id and secret.</summary>
    RefreshToken,
}
