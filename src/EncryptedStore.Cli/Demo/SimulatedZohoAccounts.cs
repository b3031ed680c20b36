using System.Globalization;
using System.Security.Cryptography;

namespace EncryptedStore.Cli.Demo;

/// <summary>
/// Stands in for Zoho's OAuth server (no network): mints random tokens shaped like Zoho's and computes
/// <c>expiry_time</c> as the C# SDK stores it: now + expires_in − 10 minutes, in epoch milliseconds.
/// </summary>
internal sealed class SimulatedZohoAccounts(TimeProvider clock)
{
    public const int ExpiresInSeconds = 3600;
    public const string ApiDomain = "https://www.zohoapis.com";
    private static readonly TimeSpan SdkSafetyMargin = TimeSpan.FromMinutes(10);

    public static string NewToken() =>
        "1000." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The token endpoint's grant_type=authorization_code: fills access and refresh token, expiry and API domain.</summary>
    public void ExchangeGrant(OAuthToken token)
    {
        token.RefreshToken = NewToken();
        Refresh(token);
        token.APIDomain = ApiDomain;
    }

    /// <summary>The token endpoint's grant_type=refresh_token: a new access token and expiry.</summary>
    public void Refresh(OAuthToken token)
    {
        token.AccessToken = NewToken();
        token.ExpiresIn = (clock.GetUtcNow() + TimeSpan.FromSeconds(ExpiresInSeconds) - SdkSafetyMargin)
            .ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the SDK would refresh before the next call: no access token, or its expiry has passed.</summary>
    public bool IsExpired(OAuthToken token) =>
        string.IsNullOrEmpty(token.AccessToken)
        || !long.TryParse(token.ExpiresIn, NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
        || expiry <= clock.GetUtcNow().ToUnixTimeMilliseconds();
}
