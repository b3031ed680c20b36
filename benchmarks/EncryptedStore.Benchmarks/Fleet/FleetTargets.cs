using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The targets of issue 13 checked against one run's results, as ratios of means measured in that run (the medians'
/// ratio beside, less moved by other work on a shared machine): <c>FindToken</c>
/// at 10,000 tokens at least 10 times faster than the SDK's <c>DBStore</c>; uncached <c>FindTokenById</c> and durable
/// <c>SaveToken</c> within 1.3 times baseline B; default-mode warm lookups at most one round trip; bounded-staleness warm
/// lookups under 2 µs.
/// </summary>
internal static class FleetTargets
{
    private const int FindTokenSize = 10_000;

    public static string Markdown(
        IEnumerable<Summary> summaries,
        IReadOnlyDictionary<(TokenDatabaseKind Server, FleetStoreKind Kind), string[]> roundTrips,
        IReadOnlyList<TokenDatabaseKind> servers,
        IReadOnlyList<int> sizes)
    {
        var means = new Dictionary<(string Method, TokenDatabaseKind Server, int Size), double>();
        var medians = new Dictionary<(string Method, TokenDatabaseKind Server, int Size), double>();
        foreach (var report in summaries.SelectMany(s => s.Reports))
        {
            var parameters = report.BenchmarkCase.Parameters;
            if (report.ResultStatistics?.Mean is { } mean
                && parameters.Items.FirstOrDefault(p => p.Name == BenchmarkConfigs.ServerParameter)?.Value is TokenDatabaseKind server
                && parameters.Items.FirstOrDefault(p => p.Name == BenchmarkConfigs.StoreSizeParameter)?.Value is int size)
            {
                means[(report.BenchmarkCase.Descriptor.WorkloadMethod.Name, server, size)] = mean;
                medians[(report.BenchmarkCase.Descriptor.WorkloadMethod.Name, server, size)] = report.ResultStatistics.Median;
            }
        }

        var table = new StringBuilder()
            .AppendLine("| target | server | tokens | measured | met |")
            .AppendLine("| --- | --- | ---: | --- | :---: |");
        foreach (var server in servers)
        {
            foreach (var (ours, what) in new[] { ("EncryptedNoCache", "uncached"), ("Encrypted", "warm") })
            {
                foreach (var (operation, method) in new[] { ("user+client", "FindToken_User"), ("refresh", "FindToken_Refresh") })
                {
                    Faster($"FindToken {operation} ({what}) ≥ 10x faster than the SDK's DBStore", server, FindTokenSize, $"SdkDbStore_{method}", $"{ours}_{method}", 10);
                }
            }

            foreach (var size in sizes)
            {
                Within("uncached FindTokenById ≤ 1.3x baseline B", server, size, "PlainSchema_FindTokenById", "EncryptedNoCache_FindTokenById");
                Within("durable SaveToken update ≤ 1.3x baseline B", server, size, "PlainSchema_SaveToken_Update", "Encrypted_SaveToken_Update");
                Within("SaveToken update, first after open ≤ 1.3x baseline B (not a target of the issue)", server, size, "PlainSchema_SaveToken_AfterOpen", "Encrypted_SaveToken_AfterOpen");
                foreach (var method in new[] { "EncryptedStale1s_FindTokenById", "EncryptedStale1s_FindToken_User" })
                {
                    if (means.TryGetValue((method, server, size), out var stale))
                    {
                        Row($"MaxStaleness 1 s warm {method[(method.IndexOf('_', StringComparison.Ordinal) + 1)..]} < 2 µs", server, size, $"{stale / 1000:0.###} µs", stale < 2_000);
                    }
                }
            }

            if (roundTrips.TryGetValue((server, FleetStoreKind.Encrypted), out var counts))
            {
                for (var i = 0; i < 3; i++)
                {
                    var own = FleetRoundTrips.StoreRoundTrips(counts[i]);
                    Row($"default-mode warm {FleetRoundTrips.Operations[i]} ≤ 1 round trip (the store's own)", server, null, $"{counts[i]} round trips", own is { } o ? o <= 1 : null);
                }
            }
        }

        return table.ToString();

        void Faster(string target, TokenDatabaseKind server, int size, string baseline, string ours, double factor)
        {
            if (means.TryGetValue((baseline, server, size), out var theirs) && means.TryGetValue((ours, server, size), out var mine))
            {
                Row(target, server, size, $"{theirs / mine:0.0}x faster ({mine / 1000:0.#} µs vs {theirs / 1000:0.#} µs; medians {medians[(baseline, server, size)] / medians[(ours, server, size)]:0.0}x)", theirs / mine >= factor);
            }
        }

        void Within(string target, TokenDatabaseKind server, int size, string baseline, string ours)
        {
            if (means.TryGetValue((baseline, server, size), out var theirs) && means.TryGetValue((ours, server, size), out var mine))
            {
                Row(target, server, size, $"{mine / theirs:0.00}x ({mine / 1000:0.#} µs vs {theirs / 1000:0.#} µs; medians {medians[(ours, server, size)] / medians[(baseline, server, size)]:0.00}x)", mine / theirs <= 1.3);
            }
        }

        void Row(string target, TokenDatabaseKind server, int? size, string measured, bool? met) =>
            table.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {server} | {(size is { } n ? n.ToString("N0", CultureInfo.InvariantCulture) : "any")} | {measured} | {(met is { } yes ? (yes ? "yes" : "**no**") : "?")} |");
    }
}
