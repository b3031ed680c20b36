using EncryptedStore;

namespace EncryptedStore.Benchmarks.Data;

/// <summary>
/// Deterministic, Zoho-like tokens: <c>1000.&lt;32 hex&gt;.&lt;32 hex&gt;</c> access, refresh and grant tokens,
/// users as e-mail addresses, two OAuth clients (a production and a sandbox app). Every user has a
/// token for the production client and every fourth user one for the sandbox client too, so a user
/// name alone is not unique but user name plus client id is. The same seed always gives the same tokens.
/// </summary>
internal sealed class TokenGenerator
{
    /// <summary>The seed of every data set in the benchmarks; part of the cache key of prebuilt stores.</summary>
    public const int DefaultSeed = 20261128;

    /// <summary>Changes whenever the generated data changes, so cached store files are rebuilt.</summary>
    public const int Version = 1;

    public static readonly string ProductionClientId = "1000.K7Q2ZP4W9XH3M5N8R1T6Y0B2C4D6FJ";
    public static readonly string SandboxClientId = "1000.S3V5X7Z9A1C3E5G7I9K1M3O5Q7U9WL";
    public static readonly string ProductionClientSecret = "17565609051856218813123b9a98de52c301722b7d";
    public static readonly string SandboxClientSecret = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a";

    private static readonly string[] FirstNames =
        ["anna", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "julia", "kofi", "lena", "mateo", "nora", "omar", "priya"];

    private static readonly string[] LastNames =
        ["schmidt", "rossi", "wang", "kowalski", "okafor", "haddad", "novak", "sato", "petrov", "silva", "mensah", "berg", "garcia", "iyer"];

    private static readonly string[] Domains = ["example.com", "example.org", "example.net", "corp.example.com"];

    private static readonly string[] ApiDomains = ["https://www.zohoapis.com", "https://www.zohoapis.eu", "https://www.zohoapis.in"];

    private const long ExpiryBaseMilliseconds = 1_795_000_000_000;

    private readonly Random _random;

    public TokenGenerator(int seed = DefaultSeed) => _random = new Random(seed);

    /// <summary>Generates <paramref name="count"/> complete tokens, each with its id already set.</summary>
    public List<OAuthToken> Generate(int count)
    {
        var tokens = new List<OAuthToken>(count);
        for (var user = 0; tokens.Count < count; user++)
        {
            tokens.Add(NewToken(UserName(user), sandbox: false));
            if (user % 4 == 0 && tokens.Count < count)
            {
                tokens.Add(NewToken(UserName(user), sandbox: true));
            }
        }

        return tokens;
    }

    /// <summary>A complete token for a user that <see cref="Generate"/> never produces, without an id.</summary>
    public OAuthToken NewUnseenToken(int index)
    {
        var token = NewToken($"new.user{index}@unseen.example.com", sandbox: index % 2 == 1);
        token.Id = null;
        return token;
    }

    /// <summary>A new Zoho-style token value: <c>1000.</c>, 32 hex digits, a dot, 32 hex digits.</summary>
    public string NewTokenValue() => "1000." + Hex(16) + "." + Hex(16);

    /// <summary>A new record id in the encrypted store's format (32 lowercase hex digits).</summary>
    public string NewId() => Hex(16);

    /// <summary>A new expiry in the SDK's format: absolute Unix epoch milliseconds as a decimal string.</summary>
    public string NewExpiry() => (ExpiryBaseMilliseconds + _random.Next(0, 3_600_000)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string UserName(int user) =>
        $"{FirstNames[user % FirstNames.Length]}.{LastNames[user / FirstNames.Length % LastNames.Length]}{user}@{Domains[user % Domains.Length]}";

    private OAuthToken NewToken(string user, bool sandbox) => new()
    {
        Id = NewId(),
        UserSignature = new UserSignature(user),
        ClientId = sandbox ? SandboxClientId : ProductionClientId,
        ClientSecret = sandbox ? SandboxClientSecret : ProductionClientSecret,
        GrantToken = NewTokenValue(),
        RefreshToken = NewTokenValue(),
        AccessToken = NewTokenValue(),
        ExpiresIn = NewExpiry(),
        RedirectURL = sandbox ? "https://sandbox.app.example.com/oauth/callback" : "https://app.example.com/oauth/callback",
        APIDomain = ApiDomains[_random.Next(ApiDomains.Length)],
    };

    private string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        _random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
