using System.Globalization;
using System.Net;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Sdk;

/// <summary>
/// The store behind a client that calls it exactly as the Zoho SDK does, against a fake OAuth server
/// on a real socket, with a fake clock: expiry happens by moving the clock, never by sleeping.
/// </summary>
public class SdkFlowTests
{
    private const string User = "alice@example.com";
    private const string ClientA = "1000.CLIENTA";
    private const string SecretA = "secret-a";
    private const string GrantA = "1000.grant-code-a";
    private const string ClientB = "1000.CLIENTB";
    private const string SecretB = "secret-b";
    private const string GrantB = "1000.grant-code-b";
    private const string RedirectUrl = "https://app.example.com/callback";

    private FakeTimeProvider _time = null!;
    private FakeZohoServer _server = null!;
    private HttpClient _http = null!;
    private TempDirectory _dir = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        _server = FakeZohoServer.Start(_time, (ClientA, SecretA, GrantA), (ClientB, SecretB, GrantB));
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
    }

    [TearDown]
    public void TearDown()
    {
        _http.Dispose();
        _server.Dispose();
        _dir.Dispose();
    }

    [Test]
    public async Task UserSignatureFlow_GrantExchangedOnceRefreshedExactlyWhenExpired_LatestTokenPersisted()
    {
        string id;
        string originalRefreshToken;
        using (var store = OpenStore())
        using (var client = Client(store, UserToken(ClientA, SecretA, GrantA)))
        {
            await client.StartAsync();

            id = client.TokenId!;
            var saved = (OAuthToken)store.FindTokenById(id);
            originalRefreshToken = saved.RefreshToken!;
            Assert.Multiple(() =>
            {
                Assert.That(_server.GrantExchanges, Is.EqualTo(1));
                Assert.That(_server.Refreshes, Is.Zero);
                Assert.That(saved.AccessToken, Is.EqualTo(_server.LastAccessToken));
                Assert.That(saved.GrantToken, Is.EqualTo(GrantA), "the grant token is persisted");
                Assert.That(saved.APIDomain, Is.EqualTo(FakeZohoServer.ApiDomain));
                Assert.That(saved.ExpiresIn, Is.EqualTo(ExpectedExpiry()), "absolute epoch ms: now + expires_in - 10 min");
            });

            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            SetClockTo(saved.ExpiresIn!, offsetMilliseconds: -1);
            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_server.Refreshes, Is.Zero, "one millisecond before expiry the stored access token is used");

            SetClockTo(saved.ExpiresIn!, offsetMilliseconds: 0);
            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_server.Refreshes, Is.EqualTo(1), "at expiry the token is refreshed");
            var afterFirstRefresh = (OAuthToken)store.FindTokenById(id);
            Assert.Multiple(() =>
            {
                Assert.That(afterFirstRefresh.AccessToken, Is.EqualTo(_server.LastAccessToken));
                Assert.That(afterFirstRefresh.ExpiresIn, Is.EqualTo(ExpectedExpiry()));
                Assert.That(afterFirstRefresh.RefreshToken, Is.EqualTo(originalRefreshToken));
            });

            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(_server.Refreshes, Is.EqualTo(1), "the refreshed token is used until it expires");

            SetClockTo(afterFirstRefresh.ExpiresIn!, offsetMilliseconds: 0);
            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.Multiple(() =>
            {
                Assert.That(_server.Refreshes, Is.EqualTo(2));
                Assert.That(_server.GrantExchanges, Is.EqualTo(1));
                Assert.That(_server.ApiCalls, Is.EqualTo(5));
                Assert.That(_server.UnauthorizedApiCalls, Is.Zero);
                Assert.That(_server.RejectedTokenRequests, Is.Zero);
                Assert.That(store.GetTokens(), Has.Count.EqualTo(1), "saving the same object again never duplicates it");
            });
        }

        using (var store = OpenStore())
        {
            var stored = (OAuthToken)store.FindTokenById(id);
            Assert.Multiple(() =>
            {
                Assert.That(stored.AccessToken, Is.EqualTo(_server.LastAccessToken), "the latest access token");
                Assert.That(stored.RefreshToken, Is.EqualTo(originalRefreshToken), "the original refresh token");
                Assert.That(stored.GrantToken, Is.EqualTo(GrantA));
                Assert.That(stored.ExpiresIn, Is.EqualTo(ExpectedExpiry()));
                Assert.That(stored.UserSignature?.Name, Is.EqualTo(User));
                Assert.That(stored.ClientId, Is.EqualTo(ClientA));
            });

            // The application restarts: the SDK finds its token again and exchanges nothing.
            using var restarted = Client(store, UserToken(ClientA, SecretA, GrantA));
            await restarted.StartAsync();
            Assert.That(await restarted.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.Multiple(() =>
            {
                Assert.That(restarted.TokenId, Is.EqualTo(id));
                Assert.That(_server.GrantExchanges, Is.EqualTo(1));
                Assert.That(_server.Refreshes, Is.EqualTo(2));
            });
        }
    }

    [Test]
    public async Task GrantTokenOnlyFlow_Restart_FindsTokenByGrantAndNeverReExchangesIt()
    {
        string id;
        using (var store = OpenStore())
        using (var client = Client(store, GrantOnlyToken()))
        {
            await client.StartAsync();
            id = client.TokenId!;
            Assert.That(await client.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
        }

        // A restart: the application configures the same grant token and client credentials.
        using (var store = OpenStore())
        using (var restarted = Client(store, GrantOnlyToken()))
        {
            await restarted.StartAsync();
            SetClockTo(((OAuthToken)store.FindTokenById(id)).ExpiresIn!, offsetMilliseconds: 0);
            Assert.That(await restarted.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.Multiple(() =>
            {
                Assert.That(restarted.TokenId, Is.EqualTo(id));
                Assert.That(_server.GrantExchanges, Is.EqualTo(1), "a lost grant token would be exchanged again and fail with invalid_code");
                Assert.That(_server.RejectedTokenRequests, Is.Zero);
                Assert.That(_server.Refreshes, Is.EqualTo(1));
                Assert.That(((OAuthToken)store.FindTokenById(id)).AccessToken, Is.EqualTo(_server.LastAccessToken));
            });

            // Control: the fake server does refuse a second exchange of the same code.
            store.DeleteTokens();
            using var withoutStore = Client(store, GrantOnlyToken());
            Assert.That(withoutStore.StartAsync, Throws.TypeOf<OAuthErrorException>().With.Property(nameof(OAuthErrorException.Error)).EqualTo("invalid_code"));
            Assert.That(_server.RejectedTokenRequests, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task TwoClientsForOneUser_EachKeepsItsOwnTokenThroughRefreshAndRestart()
    {
        string productionId;
        string sandboxId;
        using (var store = OpenStore())
        using (var production = Client(store, UserToken(ClientA, SecretA, GrantA)))
        using (var sandbox = Client(store, UserToken(ClientB, SecretB, GrantB)))
        {
            await production.StartAsync();
            await sandbox.StartAsync();
            (productionId, sandboxId) = (production.TokenId!, sandbox.TokenId!);
            SetClockTo(((OAuthToken)store.FindTokenById(sandboxId)).ExpiresIn!, offsetMilliseconds: 0);

            Assert.That(await production.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await sandbox.CallApiAsync(), Is.EqualTo(HttpStatusCode.OK));
            Assert.Multiple(() =>
            {
                Assert.That(productionId, Is.Not.EqualTo(sandboxId));
                Assert.That(store.GetTokens(), Has.Count.EqualTo(2));
                Assert.That(_server.Refreshes, Is.EqualTo(2));
                Assert.That(_server.RejectedTokenRequests, Is.Zero, "each refresh used its own client's refresh token and secret");
            });
        }

        using (var store = OpenStore())
        using (var production = Client(store, UserToken(ClientA, SecretA, GrantA)))
        using (var sandbox = Client(store, UserToken(ClientB, SecretB, GrantB)))
        {
            await production.StartAsync();
            await sandbox.StartAsync();
            Assert.Multiple(() =>
            {
                Assert.That(production.TokenId, Is.EqualTo(productionId));
                Assert.That(sandbox.TokenId, Is.EqualTo(sandboxId));
                Assert.That(((OAuthToken)store.FindTokenById(productionId)).ClientId, Is.EqualTo(ClientA));
                Assert.That(((OAuthToken)store.FindTokenById(sandboxId)).ClientId, Is.EqualTo(ClientB));
                Assert.That(_server.GrantExchanges, Is.EqualTo(2));
            });
        }
    }

    private static OAuthToken UserToken(string clientId, string clientSecret, string grantToken) => new()
    {
        UserSignature = new UserSignature(User),
        ClientId = clientId,
        ClientSecret = clientSecret,
        GrantToken = grantToken,
        RedirectURL = RedirectUrl,
    };

    private static OAuthToken GrantOnlyToken() => new()
    {
        ClientId = ClientA,
        ClientSecret = SecretA,
        GrantToken = GrantA,
        RedirectURL = RedirectUrl,
    };

    private EncryptedTokenStore OpenStore() =>
        new(new EncryptedTokenStoreOptions { FilePath = _path, MasterKey = MasterKey.FromBytes(StoreFixture.Key), TimeProvider = _time });

    private ZohoSdkClient Client(ITokenStore store, OAuthToken configured) =>
        new(store, _http, _server.TokenEndpoint, _server.ApiEndpoint, _time, configured);

    /// <summary>The expiry a token issued now carries: now + the server's lifetime - the SDK's 10 minutes.</summary>
    private string ExpectedExpiry() =>
        (_time.GetUtcNow().ToUnixTimeMilliseconds() + (FakeZohoServer.AccessTokenLifetimeSeconds * 1000L) - (10 * 60 * 1000L)).ToString(CultureInfo.InvariantCulture);

    private void SetClockTo(string expiresIn, long offsetMilliseconds) =>
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expiresIn, CultureInfo.InvariantCulture) + offsetMilliseconds));
}
