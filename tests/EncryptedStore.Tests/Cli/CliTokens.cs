using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Tests.Cli;

/// <summary>Realistic Zoho-shaped tokens for CLI tests, distinct per user, client and generation.</summary>
internal static class CliTokens
{
    public const string ClientA = "1000.CLIENTA0000000000000000000000";
    public const string ClientB = "1000.CLIENTB0000000000000000000000";
    public const string ApiDomain = "https://www.zohoapis.com";
    public const string RedirectUrl = "https://app.example.com/oauth/callback";
    public const string ExpiryTime = "1767225600000";

    public static OAuthToken Token(string user, string client = ClientA, int generation = 0, string? id = null) => new()
    {
        Id = id,
        UserSignature = new UserSignature(user),
        ClientId = client,
        ClientSecret = Hex("secret", client, 20),
        RefreshToken = Zoho("refresh", user, client, generation),
        AccessToken = Zoho("access", user, client, generation),
        GrantToken = Zoho("grant", user, client, generation),
        ExpiresIn = ExpiryTime,
        RedirectURL = RedirectUrl,
        APIDomain = ApiDomain,
    };

    /// <summary>The four secret values of a token, for leak checks.</summary>
    public static IEnumerable<string> Secrets(OAuthToken token) =>
        new[] { token.ClientSecret, token.RefreshToken, token.AccessToken, token.GrantToken }.OfType<string>();

    /// <summary>A value shaped like a Zoho token: <c>1000.</c> and two 32-digit hex groups.</summary>
    private static string Zoho(string kind, string user, string client, int generation) =>
        "1000." + Hex(kind + "1", user + client + generation, 16) + "." + Hex(kind + "2", user + client + generation, 16);

    private static string Hex(string kind, string seed, int bytes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "|" + seed))[..bytes]);
}
