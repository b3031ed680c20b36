using System.Security.Cryptography;

namespace EncryptedStore.Tests.Support;

/// <summary>Helpers to open real stores on disk with a fixed test key.</summary>
internal static class StoreFixture
{
    public static readonly byte[] Key = SHA256.HashData("EncryptedStore test key"u8.ToArray());

    /// <summary>Another valid key of the same kind, for wrong-key tests.</summary>
    public static readonly byte[] OtherKey = SHA256.HashData("EncryptedStore other key"u8.ToArray());

    /// <summary>
    /// Opens the store at <paramref name="path"/> with default options, and returns once the cache's warm-up after open
    /// is done: nothing of the store's then runs in the background but the journal's applier, so a test that arms a fault
    /// or counts I/O meets only its own calls.
    /// </summary>
    public static EncryptedTokenStore Open(string path, byte[]? key = null)
    {
        var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key ?? Key) });
        store.WaitForWarmCache();
        return store;
    }

    /// <summary>An in-memory store with a random key of its own, as an application would open one.</summary>
    public static EncryptedTokenStore OpenMemory() =>
        new(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory });

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

    /// <summary>A field-by-field copy, so a test can compare what it saved with what it reads back.</summary>
    public static OAuthToken Copy(OAuthToken token) => new()
    {
        Id = token.Id,
        UserSignature = token.UserSignature is null ? null : new UserSignature(token.UserSignature.Name),
        ClientId = token.ClientId,
        ClientSecret = token.ClientSecret,
        RefreshToken = token.RefreshToken,
        AccessToken = token.AccessToken,
        GrantToken = token.GrantToken,
        ExpiresIn = token.ExpiresIn,
        RedirectURL = token.RedirectURL,
        APIDomain = token.APIDomain,
    };

    /// <summary>Every field, the id included, in a form NUnit compares and prints well.</summary>
    public static string?[] Fields(IToken? token)
    {
        var t = (OAuthToken)token!;
        return
        [
            t.Id, t.UserSignature?.Name, t.ClientId, t.ClientSecret, t.RefreshToken, t.AccessToken,
            t.GrantToken, t.ExpiresIn, t.RedirectURL, t.APIDomain,
        ];
    }
}
