using System.Data.Common;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The stores of one fleet benchmark case, opened on the populated tables of <see cref="FleetTables"/> (built first
/// when missing), and the data sources behind them; all closed on dispose.
/// </summary>
internal sealed class FleetStores : IDisposable
{
    private readonly List<IDisposable> _opened = [];

    public FleetStores(TokenDatabaseKind server)
    {
        Server = server;
        ConnectionString = FleetConnections.ConnectionString(server);
    }

    public TokenDatabaseKind Server { get; }

    /// <summary>The connection string every store of this case uses (never printed: it may hold a password).</summary>
    public string ConnectionString { get; }

    /// <summary>The options of the encrypted store under <paramref name="prefix"/>: the benchmarks' fixed master key, the defaults otherwise.</summary>
    public static EncryptedTokenStoreOptions Options(TokenDatabaseKind server, string connectionString, string prefix) => new()
    {
        Database = FleetConnections.TokenDatabase(server, connectionString, prefix),
        MasterKey = BenchmarkKeys.Bytes(),
    };

    /// <summary>Opens a store of <paramref name="kind"/> holding the data set of <paramref name="size"/> tokens.</summary>
    /// <param name="connectionString">Another endpoint for the same server (the round-trip counter), or null for <see cref="ConnectionString"/>.</param>
    public ITokenStore Open(FleetStoreKind kind, int size, string? connectionString = null)
    {
        connectionString ??= ConnectionString;
        ITokenStore store;
        switch (kind)
        {
            case FleetStoreKind.SdkDbStore:
                var sdkSource = Keep(FleetConnections.DataSource(Server, connectionString));
                FleetTables.EnsureSdk(Server, sdkSource, size);
                store = new SdkDbStoreTokenStore(sdkSource, Server, FleetTables.SdkTable(size), firstFreeId: size);
                break;
            case FleetStoreKind.PlainSchema:
                var plainSource = Keep(FleetConnections.TunedDataSource(Server, connectionString));
                FleetTables.EnsurePlain(Server, plainSource, size);
                store = new PlainServerTokenStore(plainSource, Server, FleetTables.PlainTable(size));
                break;
            default:
                using (var setupSource = FleetConnections.DataSource(Server, connectionString))
                {
                    FleetTables.EnsureEncrypted(Server, connectionString, setupSource, size);
                }

                var options = Options(Server, connectionString, FleetTables.EncryptedPrefix(size));
                options.CacheSize = kind == FleetStoreKind.EncryptedNoCache ? 0 : Math.Max(options.CacheSize, size);
                options.MaxStaleness = kind == FleetStoreKind.EncryptedBoundedStaleness ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
                store = Keep(new EncryptedTokenStore(options));
                break;
        }

        return store;
    }

    /// <summary>The id the store of <paramref name="kind"/> gives the data set's token at <paramref name="index"/>.</summary>
    public static string IdOf(FleetStoreKind kind, OAuthToken token, int index) =>
        kind == FleetStoreKind.SdkDbStore ? FleetTables.SdkId(index) : token.Id!;

    public void Dispose()
    {
        foreach (var opened in Enumerable.Reverse(_opened))
        {
            opened.Dispose();
        }

        _opened.Clear();
    }

    private T Keep<T>(T disposable)
        where T : IDisposable
    {
        _opened.Add(disposable);
        return disposable;
    }
}
