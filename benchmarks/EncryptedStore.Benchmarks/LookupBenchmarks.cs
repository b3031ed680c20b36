using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// The read paths of the token-store contract on stores of 1,000 to 100,000 tokens: the SDK's hot path
/// <c>FindTokenById</c> (every API call), and <c>FindToken</c> by each key the SDK uses at start-up.
/// <c>Encrypted</c> runs with its cache sized to the store and warmed in setup (a running app's steady
/// state); <c>EncryptedNoCache</c> has the cache off, so every call reads LiteDB and decrypts.
/// Each operation is its own category with the in-memory dictionary store as its baseline, so the
/// Ratio column reads "times slower than a dictionary". Calls walk through every record of the store in
/// a fixed shuffled order, so each value is looked up for the first time until the whole store has been
/// visited: that matters for the encrypted store, whose blind-index lookups build a new LiteDB
/// expression for every value not seen before in the process (see the README). <c>FindToken</c> gets a
/// new partial token each call, as the SDK passes. Misses use values no record holds, never repeated
/// within the first 10,000 calls.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class LookupBenchmarks
{
    private const int MinimumMissCount = 10_000;

    private string[] _ids = [];
    private string[] _users = [];
    private string[] _clientIds = [];
    private string[] _clientSecrets = [];
    private string[] _accessTokens = [];
    private string[] _grantTokens = [];
    private string[] _refreshTokens = [];
    private string[] _unknownAccessTokens = [];
    private StoreWorkspace? _workspace;
    private ITokenStore _store = null!;
    private int _next;
    private int _nextMiss;

    /// <summary>Number of tokens in the store.</summary>
    [Params(1_000, 10_000, 100_000)]
    public int StoreSize { get; set; }

    [GlobalSetup(Targets = [nameof(Dictionary_FindTokenById), nameof(Dictionary_FindToken_User), nameof(Dictionary_FindToken_AccessToken),
        nameof(Dictionary_FindToken_GrantToken), nameof(Dictionary_FindToken_RefreshToken), nameof(Dictionary_FindToken_Miss)])]
    public void SetupDictionary() => Setup(StoreKind.Dictionary);

    [GlobalSetup(Targets = [nameof(PlainLiteDb_FindTokenById), nameof(PlainLiteDb_FindToken_User), nameof(PlainLiteDb_FindToken_AccessToken),
        nameof(PlainLiteDb_FindToken_GrantToken), nameof(PlainLiteDb_FindToken_RefreshToken), nameof(PlainLiteDb_FindToken_Miss)])]
    public void SetupPlainLiteDb() => Setup(StoreKind.PlainLiteDb);

    [GlobalSetup(Targets = [nameof(Sqlite_FindTokenById), nameof(Sqlite_FindToken_User), nameof(Sqlite_FindToken_AccessToken),
        nameof(Sqlite_FindToken_GrantToken), nameof(Sqlite_FindToken_RefreshToken), nameof(Sqlite_FindToken_Miss)])]
    public void SetupSqlite() => Setup(StoreKind.Sqlite);

    [GlobalSetup(Targets = [nameof(Encrypted_FindTokenById), nameof(Encrypted_FindToken_User), nameof(Encrypted_FindToken_AccessToken),
        nameof(Encrypted_FindToken_GrantToken), nameof(Encrypted_FindToken_RefreshToken), nameof(Encrypted_FindToken_Miss)])]
    public void SetupEncrypted() => Setup(StoreKind.Encrypted);

    [GlobalSetup(Targets = [nameof(EncryptedNoCache_FindTokenById), nameof(EncryptedNoCache_FindToken_User), nameof(EncryptedNoCache_FindToken_AccessToken),
        nameof(EncryptedNoCache_FindToken_GrantToken), nameof(EncryptedNoCache_FindToken_RefreshToken), nameof(EncryptedNoCache_FindToken_Miss)])]
    public void SetupEncryptedNoCache() => Setup(StoreKind.EncryptedNoCache);

    [GlobalCleanup]
    public void Cleanup() => _workspace?.Dispose();

    // FindTokenById: the SDK's per-API-call read.
    [Benchmark(Baseline = true), BenchmarkCategory("FindTokenById")]
    public IToken Dictionary_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById")]
    public IToken PlainLiteDb_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById")]
    public IToken Sqlite_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById")]
    public IToken Encrypted_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    [Benchmark, BenchmarkCategory("FindTokenById")]
    public IToken EncryptedNoCache_FindTokenById() => _store.FindTokenById(_ids[Next()]);

    // FindToken by user name and client id.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken user+client")]
    public IToken? Dictionary_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? PlainLiteDb_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? Sqlite_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? Encrypted_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? EncryptedNoCache_FindToken_User() => _store.FindToken(UserQuery(Next()));

    // FindToken by access token alone.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken access")]
    public IToken? Dictionary_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? PlainLiteDb_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? Sqlite_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? Encrypted_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? EncryptedNoCache_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    // FindToken by grant token with client id and secret.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken grant")]
    public IToken? Dictionary_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? PlainLiteDb_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? Sqlite_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? Encrypted_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? EncryptedNoCache_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    // FindToken by refresh token with client id and secret.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken refresh")]
    public IToken? Dictionary_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? PlainLiteDb_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? Sqlite_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? Encrypted_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? EncryptedNoCache_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    // FindToken by an access token that no record holds: the SDK's first call for a new token.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken miss")]
    public IToken? Dictionary_FindToken_Miss() => _store.FindToken(MissQuery(NextMiss()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? PlainLiteDb_FindToken_Miss() => _store.FindToken(MissQuery(NextMiss()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? Sqlite_FindToken_Miss() => _store.FindToken(MissQuery(NextMiss()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? Encrypted_FindToken_Miss() => _store.FindToken(MissQuery(NextMiss()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? EncryptedNoCache_FindToken_Miss() => _store.FindToken(MissQuery(NextMiss()));

    private void Setup(StoreKind kind)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var tokens = DataSets.Tokens(StoreSize);
        new Random(TokenGenerator.DefaultSeed + StoreSize).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens));
        _ids = [.. tokens.Select(t => t.Id!)];
        _users = [.. tokens.Select(t => t.UserSignature!.Name)];
        _clientIds = [.. tokens.Select(t => t.ClientId!)];
        _clientSecrets = [.. tokens.Select(t => t.ClientSecret!)];
        _accessTokens = [.. tokens.Select(t => t.AccessToken!)];
        _grantTokens = [.. tokens.Select(t => t.GrantToken!)];
        _refreshTokens = [.. tokens.Select(t => t.RefreshToken!)];
        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 1);
        _unknownAccessTokens = [.. Enumerable.Range(0, Math.Max(StoreSize, MinimumMissCount)).Select(_ => generator.NewTokenValue())];

        _workspace = new StoreWorkspace();
        _store = _workspace.Open(kind, StoreSize);
        Verify();
        if (kind == StoreKind.Encrypted)
        {
            // Warm the cache with every token and lookup value, as a running app's would be for its users.
            for (var i = 0; i < _ids.Length; i++)
            {
                _store.FindTokenById(_ids[i]);
                _store.FindToken(UserQuery(i));
                _store.FindToken(AccessQuery(i));
                _store.FindToken(GrantQuery(i));
                _store.FindToken(RefreshQuery(i));
            }
        }

        Console.WriteLine($"// Setup of {kind} with {StoreSize:N0} tokens took {stopwatch.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Fails the setup when a store answers a lookup wrongly, so a broken baseline never produces numbers.</summary>
    private void Verify()
    {
        // The last records of the walk, so the measured calls start with values this process has not looked up.
        for (var i = _ids.Length - 8; i < _ids.Length; i++)
        {
            var expected = _ids[i];
            Check(((OAuthToken)_store.FindTokenById(expected)).AccessToken == _accessTokens[i], "FindTokenById");
            Check((_store.FindToken(UserQuery(i)) as OAuthToken)?.Id == expected, "FindToken by user and client");
            Check((_store.FindToken(AccessQuery(i)) as OAuthToken)?.Id == expected, "FindToken by access token");
            Check((_store.FindToken(GrantQuery(i)) as OAuthToken)?.Id == expected, "FindToken by grant token");
            Check((_store.FindToken(RefreshQuery(i)) as OAuthToken)?.Id == expected, "FindToken by refresh token");
            Check(_store.FindToken(MissQuery(_unknownAccessTokens.Length - 1 - (_ids.Length - 1 - i))) is null, "FindToken miss");
        }

        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"{_store.GetType().Name} answered {what} wrongly.");
            }
        }
    }

    private int Next()
    {
        var next = _next;
        _next = next + 1 == _ids.Length ? 0 : next + 1;
        return next;
    }

    private int NextMiss()
    {
        var next = _nextMiss;
        _nextMiss = next + 1 == _unknownAccessTokens.Length ? 0 : next + 1;
        return next;
    }

    private OAuthToken UserQuery(int i) => new() { UserSignature = new UserSignature(_users[i]), ClientId = _clientIds[i] };

    private OAuthToken AccessQuery(int i) => new() { AccessToken = _accessTokens[i] };

    private OAuthToken GrantQuery(int i) => new() { GrantToken = _grantTokens[i], ClientId = _clientIds[i], ClientSecret = _clientSecrets[i] };

    private OAuthToken RefreshQuery(int i) => new() { RefreshToken = _refreshTokens[i], ClientId = _clientIds[i], ClientSecret = _clientSecrets[i] };

    private OAuthToken MissQuery(int i) => new() { AccessToken = _unknownAccessTokens[i] };
}
