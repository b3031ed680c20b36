namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// A user name and client that one soak thread alone writes, with what that thread last wrote: the token
/// it holds (or none), and the id and values it no longer holds, which must not be found any more.
/// </summary>
internal sealed class SoakSlot(string user, string clientId, string clientSecret)
{
    public string User { get; } = user;

    public string ClientId { get; } = clientId;

    public string ClientSecret { get; } = clientSecret;

    /// <summary>Every field as the store must return it, or null when the slot holds no record.</summary>
    public OAuthToken? Current { get; set; }

    /// <summary>The id of the record deleted last, which must read as not found.</summary>
    public string? DeletedId { get; set; }

    /// <summary>An access token this slot's record had and replaced (or deleted), which must match nothing.</summary>
    public string? StaleAccessToken { get; set; }

    /// <summary>A refresh token this slot's record had and replaced (or deleted), which must match nothing.</summary>
    public string? StaleRefreshToken { get; set; }
}
