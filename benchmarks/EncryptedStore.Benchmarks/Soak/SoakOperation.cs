namespace EncryptedStore.Benchmarks.Soak;

/// <summary>The kinds of operation a soak run mixes; each is counted on its own.</summary>
internal enum SoakOperation
{
    /// <summary><c>SaveToken</c> of a token without id for a user slot that holds none: a new record.</summary>
    Insert,

    /// <summary><c>SaveToken</c> of a new access token (sometimes a new refresh token) by id or by user and client.</summary>
    Update,

    /// <summary><c>FindTokenById</c> of a present record, or of a deleted one (expects <c>NOT_FOUND</c>).</summary>
    FindTokenById,

    /// <summary><c>FindToken</c> by user name and client id.</summary>
    FindTokenByUser,

    /// <summary><c>FindToken</c> by access token, current (expects the record) or replaced (expects null).</summary>
    FindTokenByAccess,

    /// <summary><c>FindToken</c> by refresh token with client id and secret, current or replaced.</summary>
    FindTokenByRefresh,

    /// <summary><c>FindToken</c> by grant token with client id and secret.</summary>
    FindTokenByGrant,

    /// <summary><c>DeleteToken</c> of a present record.</summary>
    Delete,

    /// <summary><c>GetTokens</c>, checked against every record the thread owns and every shared one.</summary>
    GetTokens,
}
