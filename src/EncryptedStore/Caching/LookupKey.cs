using EncryptedStore.Crypto;
using EncryptedStore.Internal;

namespace EncryptedStore.Caching;

/// <summary>
/// One unique lookup: which blind index and the plaintext looked up (with the client id for the
/// user-and-client index). Used both to query the file and as the cache's key.
/// </summary>
internal readonly record struct LookupKey(BlindIndex Index, string Value, string? Client = null)
{
    public byte[] Hash(BlindIndexKey key) =>
        Index == BlindIndex.UserClient ? key.ComputeUserClient(Value, Client) : key.Compute(Index, Value);

    /// <summary>True when a token (read through <paramref name="field"/>) holds the looked-up value.</summary>
    public bool IsHeldBy(Func<int, string?> field) => Index switch
    {
        BlindIndex.UserClient => field(TokenFields.UserName) == Value && TokenFields.NullIfEmpty(field(TokenFields.ClientId)) == Client,
        BlindIndex.AccessToken => field(TokenFields.AccessToken) == Value,
        BlindIndex.RefreshToken => field(TokenFields.RefreshToken) == Value,
        BlindIndex.GrantToken => field(TokenFields.GrantToken) == Value,
        _ => false,
    };

    /// <summary>Names the index, never the value looked up (a token or an e-mail address).</summary>
    public override string ToString() => $"LookupKey {{ Index = {Index}, Value = <redacted> }}";
}
