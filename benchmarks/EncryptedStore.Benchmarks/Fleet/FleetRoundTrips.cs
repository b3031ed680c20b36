using System.Globalization;
using System.Text;
using EncryptedStore.Benchmarks.Data;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// Round trips per call of every fleet store and operation, counted on the wire by a <see cref="RoundTripCounter"/>
/// between the stores and the server (pool resets and pings included): the same walks, refreshes and inserts as the
/// benchmarks, after the same warm-up, <see cref="Calls"/> calls each, the counter read before and after with a pause
/// for whatever a driver sends in the background. No timing: the relay adds latency. On MariaDB/MySQL a pooled open
/// costs MySqlConnector's connection reset (its default, which the SDK's store keeps; baseline B and the encrypted store's
/// reads and conditional saves skip it, see <see cref="FleetConnections.TunedDataSource"/>): those are shown apart.
/// </summary>
internal static class FleetRoundTrips
{
    private const int Calls = 64;
    private const int FirstSaves = 4;

    /// <summary>When set (<c>fleet-roundtrips … --statements</c>), every counted operation also prints the SQL statements it ran, per call.</summary>
    public static StatementLog? Statements { get; set; }

    /// <summary>The operations of a row, in column order.</summary>
    public static readonly string[] Operations =
        ["FindTokenById", "FindToken user+client", "FindToken refresh", "SaveToken update", "SaveToken update, first after open", "SaveToken insert"];

    /// <summary>
    /// Counts on each of <paramref name="servers"/> with the data set of <paramref name="size"/> tokens; returns the
    /// markdown table and each row's counts (per <see cref="Operations"/>: a number, "-" where not counted, "n/a" when
    /// the store could not open).
    /// </summary>
    public static (string Markdown, Dictionary<(TokenDatabaseKind Server, FleetStoreKind Kind), string[]> Rows) Run(IReadOnlyList<TokenDatabaseKind> servers, int size)
    {
        var rows = new Dictionary<(TokenDatabaseKind Server, FleetStoreKind Kind), string[]>();
        var table = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Round trips per call at {size:N0} tokens (counted on the wire; {Calls} calls each; \"(n pool)\": of which the connection pool's resets and pings):")
            .AppendLine()
            .AppendLine($"| server | store | {string.Join(" | ", Operations)} |")
            .AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var server in servers)
        {
            using var stores = new FleetStores(server);
            var (host, port) = FleetConnections.Endpoint(server, stores.ConnectionString);
            using var counter = new RoundTripCounter(host, port, mySqlProtocol: server == TokenDatabaseKind.MySql);
            var relayed = FleetConnections.WithEndpoint(server, stores.ConnectionString, "127.0.0.1", counter.Port);
            foreach (var kind in Enum.GetValues<FleetStoreKind>())
            {
                string[] row;
                try
                {
                    row = Count(stores, kind, size, counter, relayed);
                }
                catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.Unavailable)
                {
                    // The store cannot open on this server (a server storage not built, a server down): say so, count the others.
                    row = [.. Enumerable.Repeat("n/a", 6)];
                    Console.WriteLine($"// round trips: {server} {kind}: {e.Message}");
                }

                rows[(server, kind)] = row;
                table.AppendLine(CultureInfo.InvariantCulture, $"| {server} | {kind} | {string.Join(" | ", row)} |");
                Console.WriteLine($"// round trips: {server} {kind}: {string.Join(", ", row)}");
            }
        }

        return (table.ToString(), rows);
    }

    private static string[] Count(FleetStores stores, FleetStoreKind kind, int size, RoundTripCounter counter, string relayed)
    {
        var store = stores.Open(kind, size, relayed);
        var walk = new FleetWalk(kind, size);
        var calls = Math.Min(Calls, walk.Ids.Length);
        var warm = kind is FleetStoreKind.Encrypted or FleetStoreKind.EncryptedBoundedStaleness;
        if (warm)
        {
            walk.Warm(store);
        }
        else
        {
            walk.Verify(store);
        }

        Console.WriteLine($"// counting {stores.Server} {kind}: FindTokenById, FindToken user+client, FindToken refresh{(kind is FleetStoreKind.SdkDbStore or FleetStoreKind.PlainSchema or FleetStoreKind.Encrypted ? ", SaveToken update, first after open, insert" : string.Empty)}");
        var byId = PerCall(counter, calls, i => store.FindTokenById(walk.Ids[i]));
        var byUser = PerCall(counter, calls, i => store.FindToken(walk.UserQuery(i)));
        var byRefresh = kind == FleetStoreKind.EncryptedBoundedStaleness ? "-" : PerCall(counter, calls, i => store.FindToken(walk.RefreshQuery(i)));
        if (kind is FleetStoreKind.EncryptedNoCache or FleetStoreKind.EncryptedBoundedStaleness)
        {
            return [byId, byUser, byRefresh, "-", "-", "-"];
        }

        var updates = new FleetUpdates(kind, size);
        var update = PerCall(counter, calls, _ => store.SaveToken(updates.Next()));
        var firstSave = kind == FleetStoreKind.SdkDbStore ? "-" : FirstSaveAfterOpen(stores.Server, size, counter, relayed, kind, updates);
        updates.Restore(store);
        var generator = new TokenGenerator(seed: TokenGenerator.DefaultSeed - 5);
        var offset = Random.Shared.Next(1_000_000) * 1_000;
        var inserted = Enumerable.Range(offset, calls).Select(generator.NewUnseenToken).ToArray();
        var insert = PerCall(counter, calls, i => store.SaveToken(inserted[i]));
        foreach (var token in inserted)
        {
            store.DeleteToken(token.Id!);
        }

        return [byId, byUser, byRefresh, update, firstSave, insert];
    }

    /// <summary>The round trips of the first save after opening a fresh store (baseline B: a fresh pool that opened one connection).</summary>
    private static string FirstSaveAfterOpen(TokenDatabaseKind server, int size, RoundTripCounter counter, string relayed, FleetStoreKind kind, FleetUpdates updates)
    {
        (long Total, long Pool) sum = (0, 0);
        for (var i = 0; i < FirstSaves; i++)
        {
            (long Total, long Pool) one;
            if (kind == FleetStoreKind.PlainSchema)
            {
                using var dataSource = FleetConnections.TunedDataSource(server, relayed);
                dataSource.OpenConnection().Dispose();
                var plain = new Baselines.PlainServerTokenStore(dataSource, server, FleetTables.PlainTable(size));
                one = Exchanges(counter, () => plain.SaveToken(updates.Next()));
            }
            else
            {
                using var store = new EncryptedTokenStore(FleetStores.Options(server, relayed, FleetTables.EncryptedPrefix(size)));
                one = Exchanges(counter, () => store.SaveToken(updates.Next()));
            }

            sum = (sum.Total + one.Total, sum.Pool + one.Pool);
        }

        return Format(sum, FirstSaves);
    }

    private static string PerCall(RoundTripCounter counter, int calls, Action<int> call)
    {
        Statements?.Take();
        var cell = Format(Exchanges(counter, () =>
        {
            for (var i = 0; i < calls; i++)
            {
                call(i);
            }
        }), calls);
        if (Statements is not null)
        {
            foreach (var (statement, count) in Statements.Take())
            {
                Console.WriteLine($"//   {count / (double)calls,5:0.##} x  {statement}");
            }
        }

        return cell;
    }

    private static (long Total, long Pool) Exchanges(RoundTripCounter counter, Action work)
    {
        Settle();
        var (total, pool) = (counter.Exchanges, counter.PoolExchanges);
        work();
        Settle();
        return (counter.Exchanges - total, counter.PoolExchanges - pool);

        // Whatever a driver sends after a call returns (a pool's reset of a returned connection) belongs to that call.
        static void Settle() => Thread.Sleep(100);
    }

    /// <summary>Round trips per call, with the pool's own (MySQL resets and pings) in brackets when there are any: <c>4 (2 pool)</c>.</summary>
    private static string Format((long Total, long Pool) exchanges, int calls) =>
        exchanges.Pool == 0
            ? PerCall(exchanges.Total, calls)
            : $"{PerCall(exchanges.Total, calls)} ({PerCall(exchanges.Pool, calls)} pool)";

    private static string PerCall(long count, int calls) => (count / (double)calls).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The store's own round trips per call in a cell of the table (the total less the pool's); null for "-" or "n/a".</summary>
    public static double? StoreRoundTrips(string cell)
    {
        var parts = cell.Split(' ', 2);
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var total))
        {
            return null;
        }

        var pool = parts.Length > 1 && double.TryParse(parts[1].TrimStart('('), NumberStyles.Float, CultureInfo.InvariantCulture, out var resets) ? resets : 0;
        return total - pool;
    }
}
