using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace EncryptedStore.Tests.Sdk;

/// <summary>
/// Uses an <see cref="ITokenStore"/> exactly as the Zoho C# SDK does (token-store-contract.md §2):
/// at start <c>FindToken</c> with the token the application configured, and when nothing matches,
/// exchanges the grant token and <c>SaveToken</c>s it; then before every API call, under an
/// in-process lock, <c>FindTokenById</c> (no cache), and when the access token's absolute expiry has
/// passed, refreshes it and <c>SaveToken</c>s the same object.
/// </summary>
internal sealed class ZohoSdkClient(ITokenStore store, HttpClient http, Uri tokenEndpoint, Uri apiEndpoint, TimeProvider time, OAuthToken configured)
    : IDisposable
{
    /// <summary>The C# SDK stores an expiry ten minutes before the server's, so it refreshes early.</summary>
    private const long EarlyRefreshMilliseconds = 10 * 60 * 1000;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _id;

    public string? TokenId => _id;

    /// <summary>The SDK's initialisation: find the stored token for this configuration, or obtain one with the grant token.</summary>
    public async Task StartAsync()
    {
        if (store.FindToken(configured) is null)
        {
            var response = await RequestTokenAsync(new()
            {
                ["grant_type"] = "authorization_code",
                ["client_id"] = configured.ClientId!,
                ["client_secret"] = configured.ClientSecret!,
                ["redirect_uri"] = configured.RedirectURL ?? string.Empty,
                ["code"] = configured.GrantToken ?? throw new InvalidOperationException("No stored token and no grant token."),
            });
            Apply(configured, response);
            store.SaveToken(configured);
        }

        _id = configured.Id;
    }

    /// <summary>What the SDK does before each API call.</summary>
    public async Task<string> GetAccessTokenAsync()
    {
        await _lock.WaitAsync();
        try
        {
            var token = (OAuthToken)store.FindTokenById(_id ?? throw new InvalidOperationException("Not started."));
            if (string.IsNullOrEmpty(token.AccessToken) || IsExpired(token))
            {
                var response = await RequestTokenAsync(new()
                {
                    ["grant_type"] = "refresh_token",
                    ["client_id"] = token.ClientId!,
                    ["client_secret"] = token.ClientSecret!,
                    ["refresh_token"] = token.RefreshToken!,
                });
                Apply(token, response);
                store.SaveToken(token);
            }

            return token.AccessToken!;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>One API call with the current access token.</summary>
    public async Task<HttpStatusCode> CallApiAsync()
    {
        var accessToken = await GetAccessTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, apiEndpoint);
        request.Headers.TryAddWithoutValidation("Authorization", "Zoho-oauthtoken " + accessToken);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    public void Dispose() => _lock.Dispose();

    private bool IsExpired(OAuthToken token) =>
        token.ExpiresIn is null || time.GetUtcNow().ToUnixTimeMilliseconds() >= long.Parse(token.ExpiresIn, CultureInfo.InvariantCulture);

    private void Apply(OAuthToken token, JsonElement response)
    {
        token.AccessToken = response.GetProperty("access_token").GetString();
        if (response.TryGetProperty("refresh_token", out var refreshToken))
        {
            token.RefreshToken = refreshToken.GetString();
        }

        token.APIDomain = response.GetProperty("api_domain").GetString();
        var expiry = time.GetUtcNow().ToUnixTimeMilliseconds() + (response.GetProperty("expires_in").GetInt64() * 1000) - EarlyRefreshMilliseconds;
        token.ExpiresIn = expiry.ToString(CultureInfo.InvariantCulture);
    }

    private async Task<JsonElement> RequestTokenAsync(Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(tokenEndpoint, content);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.TryGetProperty("error", out var error)
            ? throw new OAuthErrorException(error.GetString() ?? "unknown")
            : body;
    }
}
