namespace EncryptedStore.Crypto;

/// <summary>The lookup fields that are stored as keyed hashes; each has its own subkey.</summary>
internal enum BlindIndex
{
    /// <summary>The user name alone (for lookups without a client id).</summary>
    User = 0,

    /// <summary>The user name with the client id (unique).</summary>
    UserClient = 1,

    /// <summary>The access token (unique).</summary>
    AccessToken = 2,

    /// <summary>The refresh token (unique).</summary>
    RefreshToken = 3,

    /// <summary>The grant token (unique).</summary>
    GrantToken = 4,
}
