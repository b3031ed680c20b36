using System.Security.Cryptography;

namespace EncryptedStore.Tests.Support;

/// <summary>Helpers to open real stores on disk with a fixed test key.</summary>
internal static class StoreFixture
{
    public static readonly byte[] Key = SHA256.HashData("EncryptedStore test key"u8.ToArray());

    public static EncryptedTokenStore Open(string path, byte[]? key = null) =>
        new(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key ?? Key) });

    public static OAuthToken Token(string user, string client = "1000.CLIENTA", string suffix = "") => new()
    {
        UserSignature = new UserSignature(user),
        ClientId = client,
        ClientSecret = "secret-" + client + suffix,
        RefreshToken = "1000.refresh." + user + "." + client + suffix,
        AccessToken = "1000.access." + user + "." + client + suffix,
        GrantToken = "1000.grant." + user + "." + client + suffix,
        ExpiresIn = "1767225600000",
        RedirectURL = "https://app.example.com/callback",
        APIDomain = "https://www.zohoapis.com",
    };
}
