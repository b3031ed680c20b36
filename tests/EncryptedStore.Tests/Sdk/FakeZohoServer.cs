using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Web;

namespace EncryptedStore.Tests.Sdk;

/// <summary>
/// A fake Zoho accounts server on a real <see cref="HttpListener"/> at 127.0.0.1: <c>POST /oauth/v2/token</c>
/// exchanges single-use grant codes and refresh tokens like Zoho does, and <c>GET /crm/v8/users</c>
/// stands for any API call, accepting only a live access token. Time comes from the test's clock.
/// Every request is counted.
/// </summary>
internal sealed class FakeZohoServer : IDisposable
{
    public const int AccessTokenLifetimeSeconds = 3600;
    public const string ApiDomain = "https://www.zohoapis.com";

    private readonly HttpListener _listener;
    private readonly Task _serving;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, string> _clientSecrets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unusedGrantCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _issued;

    private FakeZohoServer(HttpListener listener, Uri baseAddress, TimeProvider time, (string ClientId, string ClientSecret, string GrantCode)[] apps)
    {
        _listener = listener;
        BaseAddress = baseAddress;
        _time = time;
        foreach (var (clientId, clientSecret, grantCode) in apps)
        {
            _clientSecrets[clientId] = clientSecret;
            _unusedGrantCodes[grantCode] = clientId;
        }

        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    public Uri TokenEndpoint => new(BaseAddress, "oauth/v2/token");

    public Uri ApiEndpoint => new(BaseAddress, "crm/v8/users");

    public int GrantExchanges { get; private set; }

    public int Refreshes { get; private set; }

    /// <summary>Token requests answered with an OAuth error (<c>invalid_code</c>, <c>invalid_client</c>).</summary>
    public int RejectedTokenRequests { get; private set; }

    public int ApiCalls { get; private set; }

    public int UnauthorizedApiCalls { get; private set; }

    public string? LastAccessToken { get; private set; }

    /// <summary>
    /// Starts the server on a free loopback port, trying ports until one binds. Each app is a client
    /// id with its secret and one single-use grant code.
    /// </summary>
    public static FakeZohoServer Start(TimeProvider time, params (string ClientId, string ClientSecret, string GrantCode)[] apps)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = CandidatePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new FakeZohoServer(listener, new Uri($"http://127.0.0.1:{port}/"), time, apps);
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                // Someone took the port between the probe and the bind: try another.
                listener.Close();
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait();
    }

    private static int CandidatePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var response = context.Response;
            var (status, body) = Handle(context.Request);
            var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body));
            // One request per connection: a kept-alive connection that the listener drops between
            // requests made the client fail now and then with "response ended prematurely".
            response.KeepAlive = false;
            response.StatusCode = (int)status;
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
        }
    }

    private (HttpStatusCode Status, Dictionary<string, object> Body) Handle(HttpListenerRequest request)
    {
        lock (_lock)
        {
            return (request.HttpMethod, request.Url!.AbsolutePath) switch
            {
                ("POST", "/oauth/v2/token") => (HttpStatusCode.OK, Token(ReadForm(request))),
                ("GET", "/crm/v8/users") => Api(request.Headers["Authorization"]),
                _ => (HttpStatusCode.NotFound, new() { ["code"] = "NOT_FOUND" }),
            };
        }
    }

    private Dictionary<string, object> Token(System.Collections.Specialized.NameValueCollection form)
    {
        var clientId = form["client_id"] ?? string.Empty;
        if (!_clientSecrets.TryGetValue(clientId, out var secret) || secret != form["client_secret"])
        {
            return Rejected("invalid_client");
        }

        switch (form["grant_type"])
        {
            case "authorization_code" when form["code"] is { } code && _unusedGrantCodes.GetValueOrDefault(code) == clientId:
                _unusedGrantCodes.Remove(code);
                GrantExchanges++;
                var refreshToken = $"1000.fake-refresh.{++_issued}";
                _refreshTokens[refreshToken] = clientId;
                var issued = Issue();
                issued["refresh_token"] = refreshToken;
                return issued;
            case "refresh_token" when form["refresh_token"] is { } refresh && _refreshTokens.GetValueOrDefault(refresh) == clientId:
                Refreshes++;
                return Issue();
            default:
                return Rejected("invalid_code");
        }
    }

    private Dictionary<string, object> Issue()
    {
        var accessToken = $"1000.fake-access.{++_issued}";
        _accessTokens[accessToken] = _time.GetUtcNow().AddSeconds(AccessTokenLifetimeSeconds);
        LastAccessToken = accessToken;
        return new()
        {
            ["access_token"] = accessToken,
            ["api_domain"] = ApiDomain,
            ["token_type"] = "Bearer",
            ["expires_in"] = AccessTokenLifetimeSeconds,
        };
    }

    private Dictionary<string, object> Rejected(string error)
    {
        RejectedTokenRequests++;
        return new() { ["error"] = error };
    }

    private (HttpStatusCode, Dictionary<string, object>) Api(string? authorization)
    {
        ApiCalls++;
        const string scheme = "Zoho-oauthtoken ";
        if (authorization is not null && authorization.StartsWith(scheme, StringComparison.Ordinal)
            && _accessTokens.TryGetValue(authorization[scheme.Length..], out var expiry) && _time.GetUtcNow() < expiry)
        {
            return (HttpStatusCode.OK, new() { ["users"] = Array.Empty<object>() });
        }

        UnauthorizedApiCalls++;
        return (HttpStatusCode.Unauthorized, new() { ["code"] = "INVALID_TOKEN" });
    }

    private static System.Collections.Specialized.NameValueCollection ReadForm(HttpListenerRequest request)
    {
        using var reader = new StreamReader(request.InputStream, request.ContentEncoding);
        return HttpUtility.ParseQueryString(reader.ReadToEnd());
    }
}
