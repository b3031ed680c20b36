using System.Diagnostics;
using System.Globalization;
using System.Text;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Latency;

/// <summary>
/// <c>fresh-lookups size [--rounds N] [--report file.md]</c>: warm lookups in a plain process with the runtime's default
/// JIT (tiered compilation, no BenchmarkDotNet), as an app runs them. Opens a fresh copy of the cached encrypted store with
/// default options and waits for its warm-up; fills the in-memory dictionary store (the baseline: a dictionary lookup plus
/// a copy) with the same tokens; reads every token once by id, by user and client, and by access token in both (an app's
/// first pass: the cache learns the lookup values); then, in rounds that alternate the two stores, times one pass over all
/// tokens in a shuffled order per lookup. Reports the mean per call of the first timed round and the median round, and
/// the ratio to the dictionary. Prints counts and times only.
/// </summary>
internal static class FreshProcessLookups
{
    public const string Name = "fresh-lookups";

    public static int Command(IReadOnlyList<string> args)
    {
        var size = 10_000;
        var rounds = 21;
        string? report = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--report": report = Path.GetFullPath(args[++i]); break;
                default: size = int.Parse(args[i].Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture); break;
            }
        }

        var tokens = DataSets.Tokens(size);
        new Random(7 + size).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens));
        using var workspace = new StoreWorkspace();
        var options = BenchmarkKeys.Options(StoreCache.CopyTo(StoreKind.Encrypted, size, workspace.Folder));
        using var encrypted = new EncryptedTokenStore(options);
        var warmed = encrypted.WaitForWarmCache();
        var dictionary = workspace.Open(StoreKind.Dictionary, size);

        (string Name, Func<ITokenStore, OAuthToken, object?> Call)[] lookups =
        [
            ("FindTokenById", (store, t) => store.FindTokenById(t.Id!)),
            ("FindToken user + client", (store, t) => store.FindToken(new OAuthToken { UserSignature = new UserSignature(t.UserSignature!.Name), ClientId = t.ClientId })),
            ("FindToken access token", (store, t) => store.FindToken(new OAuthToken { AccessToken = t.AccessToken })),
        ];
        foreach (var (_, call) in lookups)
        {
            foreach (var token in tokens)
            {
                Check(call(encrypted, token), token);
                Check(call(dictionary, token), token);
            }
        }

        var output = new StringBuilder();
        void Line(string text)
        {
            Console.WriteLine(text);
            output.AppendLine(text);
        }

        Line($"{Name} {string.Join(' ', args)}");
        Line($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, {Environment.ProcessorCount} cores, load average {ConcurrentSaves.LoadAverage()}, store of {size:N0} tokens "
            + $"(default options; the warm-up cached {warmed:N0}), {rounds} rounds of {tokens.Count:N0} calls per lookup and store, TieredCompilation {Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") ?? "default"}");
        Line(string.Empty);
        Line("| lookup | dictionary, first round ns | store, first round ns | ratio | dictionary, median round ns | store, median round ns | ratio |");
        Line("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, call) in lookups)
        {
            var store = new List<double>();
            var baseline = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                baseline.Add(Pass(dictionary, tokens, call));
                store.Add(Pass(encrypted, tokens, call));
            }

            var (b0, s0) = (baseline[0], store[0]);
            var (bm, sm) = (Median(baseline), Median(store));
            Line(string.Create(CultureInfo.InvariantCulture, $"| {name} | {b0:F0} | {s0:F0} | {s0 / b0:F2}x | {bm:F0} | {sm:F0} | {sm / bm:F2}x |"));
        }

        Line(string.Empty);
        Line($"load average at the end {ConcurrentSaves.LoadAverage()}");
        if (report is not null)
        {
            File.WriteAllText(report, output.ToString());
        }

        return 0;
    }

    /// <summary>One pass over every token; the mean nanoseconds per call.</summary>
    private static double Pass(ITokenStore store, List<OAuthToken> tokens, Func<ITokenStore, OAuthToken, object?> call)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var token in tokens)
        {
            if (call(store, token) is null)
            {
                throw new InvalidOperationException("A lookup of a stored token found nothing.");
            }
        }

        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / tokens.Count;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static void Check(object? found, OAuthToken expected)
    {
        if ((found as OAuthToken)?.Id != expected.Id)
        {
            throw new InvalidOperationException("A store answered a lookup wrongly.");
        }
    }
}
