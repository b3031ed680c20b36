namespace EncryptedStore.Crypto;

/// <summary>How messages name a blind index: by the token field (or fields) it hashes, never by a value.</summary>
internal static class BlindIndexNames
{
    public static string Describe(BlindIndex index) => index switch
    {
        BlindIndex.User => "user name",
        BlindIndex.UserClient => "user name and client id",
        BlindIndex.AccessToken => "access token",
        BlindIndex.RefreshToken => "refresh token",
        BlindIndex.GrantToken => "grant token",
        _ => "lookup value",
    };
}
