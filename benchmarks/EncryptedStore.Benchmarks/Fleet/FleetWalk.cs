using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The records a fleet lookup benchmark walks: up to 4,096 of the data set drawn with a fixed seed
/// (<see cref="DataSets.Targets"/>), with their ids as the store of the given kind numbers them, and the queries the
/// SDK passes (a new partial token every call).
/// </summary>
internal sealed class FleetWalk
{
    /// <summary>The most records a walk visits: enough to leave the server's and the store's hot paths honest, few enough to warm in setup.</summary>
    public const int MaxRecords = 4_096;

    private readonly FleetStoreKind _kind;
    private readonly OAuthToken[] _tokens;

    public FleetWalk(FleetStoreKind kind, int size)
    {
        _kind = kind;
        var tokens = DataSets.Tokens(size);
        var targets = DataSets.Targets(size, Math.Min(size, MaxRecords));
        _tokens = [.. targets.Select(i => tokens[i])];
        Ids = [.. targets.Select(i => FleetStores.IdOf(kind, tokens[i], i))];
    }

    /// <summary>The id of each record of the walk, in walk order.</summary>
    public string[] Ids { get; }

    public OAuthToken UserQuery(int i) => new() { UserSignature = new UserSignature(_tokens[i].UserSignature!.Name), ClientId = _tokens[i].ClientId };

    public OAuthToken RefreshQuery(int i) => new() { RefreshToken = _tokens[i].RefreshToken, ClientId = _tokens[i].ClientId, ClientSecret = _tokens[i].ClientSecret };

    /// <summary>Looks every record of the walk up once by each key, as a running app has (fills the warm stores' caches).</summary>
    public void Warm(ITokenStore store)
    {
        for (var i = 0; i < Ids.Length; i++)
        {
            store.FindTokenById(Ids[i]);
            store.FindToken(UserQuery(i));
            store.FindToken(RefreshQuery(i));
        }
    }

    /// <summary>Fails the setup when the store answers wrongly, so that a broken store never produces numbers.</summary>
    public void Verify(ITokenStore store)
    {
        for (var i = Math.Max(0, Ids.Length - 8); i < Ids.Length; i++)
        {
            var expected = _tokens[i];
            Check(((OAuthToken)store.FindTokenById(Ids[i])).RefreshToken == expected.RefreshToken, "FindTokenById");
            var byUser = store.FindToken(UserQuery(i)) as OAuthToken;
            var byRefresh = store.FindToken(RefreshQuery(i)) as OAuthToken;
            if (_kind == FleetStoreKind.SdkDbStore)
            {
                // The SDK matches on the user name alone (see SdkDbStoreTokenStore): any token of the user is its answer.
                Check(byUser?.Id is { } id && ((OAuthToken)store.FindTokenById(id)).UserSignature?.Name == expected.UserSignature!.Name, "FindToken by user");
                Check(byRefresh?.Id == Ids[i], "FindToken by refresh token");
            }
            else
            {
                Check(byUser?.Id == expected.Id, "FindToken by user and client");
                Check(byRefresh?.Id == expected.Id, "FindToken by refresh token");
            }
        }

        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new InvalidOperationException($"{_kind} answered {what} wrongly.");
            }
        }
    }
}
