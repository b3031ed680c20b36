using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// The read paths of the token-store contract on stores of 1,000 to 100,000 tokens: the SDK's hot path
/// <c>FindTokenById</c> (every API call), and <c>FindToken</c> by each key the SDK uses at start-up.
/// Each operation is its own category with the in-memory dictionary store as its baseline, so the
/// Ratio column reads "times slower than a dictionary". Every call looks up the next of 1,024 records
/// drawn with a fixed seed; <c>FindToken</c> gets a new partial token each call, as the SDK passes.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the workspace in [GlobalCleanup].")]
public class LookupBenchmarks
{
    private const int TargetCount = 1024;

    private readonly string[] _ids = new string[TargetCount];
    private readonly string[] _users = new string[TargetCount];
    private readonly string[] _clientIds = new string[TargetCount];
    private readonly string[] _clientSecrets = new string[TargetCount];
    private readonly string[] _accessTokens = new string[TargetCount];
    private readonly string[] _grantTokens = new string[TargetCount];
    private readonly string[] _refreshTokens = new string[TargetCount];
    private readonly string[] _unknownAccessTokens = new string[TargetCount];
    private StoreWorkspace? _workspace;
    private ITokenStore _store = null!;
    private int _next;

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

    // FindToken by user name and client id.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken user+client")]
    public IToken? Dictionary_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? PlainLiteDb_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? Sqlite_FindToken_User() => _store.FindToken(UserQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken user+client")]
    public IToken? Encrypted_FindToken_User() => _store.FindToken(UserQuery(Next()));

    // FindToken by access token alone.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken access")]
    public IToken? Dictionary_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? PlainLiteDb_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? Sqlite_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken access")]
    public IToken? Encrypted_FindToken_AccessToken() => _store.FindToken(AccessQuery(Next()));

    // FindToken by grant token with client id and secret.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken grant")]
    public IToken? Dictionary_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? PlainLiteDb_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? Sqlite_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken grant")]
    public IToken? Encrypted_FindToken_GrantToken() => _store.FindToken(GrantQuery(Next()));

    // FindToken by refresh token with client id and secret.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken refresh")]
    public IToken? Dictionary_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? PlainLiteDb_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? Sqlite_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken refresh")]
    public IToken? Encrypted_FindToken_RefreshToken() => _store.FindToken(RefreshQuery(Next()));

    // FindToken by an access token that no record holds: the SDK's first call for a new token.
    [Benchmark(Baseline = true), BenchmarkCategory("FindToken miss")]
    public IToken? Dictionary_FindToken_Miss() => _store.FindToken(MissQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? PlainLiteDb_FindToken_Miss() => _store.FindToken(MissQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? Sqlite_FindToken_Miss() => _store.FindToken(MissQuery(Next()));

    [Benchmark, BenchmarkCategory("FindToken miss")]
    public IToken? Encrypted_FindToken_Miss() => _store.FindToken(MissQuery(Next()));

    private void Setup(StoreKind kind)
    {
        var tokens = DataSets.Tokens(StoreSize);
        var targets = DataSets.Targets(StoreSize, TargetCount);
        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 1);
        for (var i = 0; i < TargetCount; i++)
        {
            var token = tokens[targets[i]];
            _ids[i] = token.Id!;
            _users[i] = token.UserSignature!.Name;
            _clientIds[i] = token.ClientId!;
            _clientSecrets[i] = token.ClientSecret!;
            _accessTokens[i] = token.AccessToken!;
            _grantTokens[i] = token.GrantToken!;
            _refreshTokens[i] = token.RefreshToken!;
            _unknownAccessTokens[i] = generator.NewTokenValue();
        }

        _workspace = new StoreWorkspace();
        _store = _workspace.Open(kind, StoreSize);
        Verify();
    }

    /// <summary>Fails the setup when a store answers a lookup wrongly, so a broken baseline never produces numbers.</summary>
    private void Verify()
    {
        for (var i = 0; i < 8; i++)
        {
            var expected = _ids[i];
            Check(((OAuthToken)_store.FindTokenById(expected)).AccessToken == _accessTokens[i], "FindTokenById");
            Check((_store.FindToken(UserQuery(i)) as OAuthToken)?.Id == expected, "FindToken by user and client");
            Check((_store.FindToken(AccessQuery(i)) as OAuthToken)?.Id == expected, "FindToken by access token");
            Check((_store.FindToken(GrantQuery(i)) as OAuthToken)?.Id == expected, "FindToken by grant token");
            Check((_store.FindToken(RefreshQuery(i)) as OAuthToken)?.Id == expected, "FindToken by refresh token");
            Check(_store.FindToken(MissQuery(i)) is null, "FindToken miss");
        }

        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"{_store.GetType().Name} answered {what} wrongly.");
            }
        }
    }

    private int Next() => _next++ & (TargetCount - 1);

    private OAuthToken UserQuery(int i) => new() { UserSignature = new UserSignature(_users[i]), ClientId = _clientIds[i] };

    private OAuthToken AccessQuery(int i) => new() { AccessToken = _accessTokens[i] };

    private OAuthToken GrantQuery(int i) => new() { GrantToken = _grantTokens[i], ClientId = _clientIds[i], ClientSecret = _clientSecrets[i] };

    private OAuthToken RefreshQuery(int i) => new() { RefreshToken = _refreshTokens[i], ClientId = _clientIds[i], ClientSecret = _clientSecrets[i] };

    private OAuthToken MissQuery(int i) => new() { AccessToken = _unknownAccessTokens[i] };
}
