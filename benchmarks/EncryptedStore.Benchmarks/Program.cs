using System.Globalization;
using BenchmarkDotNet.Running;
using EncryptedStore.Benchmarks.Fleet;
using EncryptedStore.Benchmarks.Huge;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Benchmarks.Soak;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release -- [--quick] [--sizes 1000,10000] [BenchmarkDotNet arguments]</c>
/// runs benchmarks through <see cref="BenchmarkSwitcher"/> (e.g. <c>--filter '*Lookup*'</c>);
/// <c>prepare [sizes]</c> builds the cached store files and prints how long each took;
/// <c>profile [size]</c> prints a Stopwatch breakdown of the encrypted read path;
/// <c>rotate-profile [size] [batch size|default] [data,index] [cache]</c> times <c>RotateKeys</c> with a concurrent reader;
/// <c>huge [size]</c> opens a store of that many tokens (default 1,000,000) in a child process and reports memory and lookups;
/// <c>compact [sizes] [--report file.md]</c> compacts a copy of a store of each size (default 20,000 and 1,000,000 tokens) in a child process and reports time, memory and files left;
/// <c>open-interrupted [size]</c> times opening a store (default 100,000 tokens) that holds an interrupted key rotation, in child processes;
/// <c>concurrent-saves [size] [--seconds 5] [--threads 1,2,4,8] [--report file.md]</c> measures durable saves from several threads (HdrHistogram percentiles) beside raw fdatasyncs;
/// <c>soak [--duration 60s | --minutes 60] [--threads 4] [--report file.md] …</c> runs checked mixed operations from several threads on one store, with a key rotation, a compaction and a master-key change;
/// <c>fleet [sizes] [--servers mysql,postgresql] [--report file.md] [BenchmarkDotNet arguments]</c> builds the fleet benchmarks' tables, counts round trips and runs the <c>Fleet*</c> benchmarks;
/// <c>fleet-prepare [sizes]</c> and <c>fleet-roundtrips [size] [--statements]</c> do its first two steps alone (with the SQL each operation runs).
/// </summary>
internal static class Program
{
    private const string SizesVariable = "ENCRYPTEDSTORE_BENCH_SIZES";
    private const string TieredCompilationVariable = "DOTNET_TieredCompilation";

    public static int Main(string[] args)
    {
        if (args is ["prepare", .. var prepareArgs])
        {
            return Tools.Prepare(prepareArgs.Length > 0 ? ParseSizes(prepareArgs[0]) : [1_000, 10_000, 100_000]);
        }

        if (args is ["huge", .. var hugeArgs])
        {
            return HugeStoreCheck.Run(hugeArgs.Length > 0 ? ParseSizes(hugeArgs[0])[0] : 1_000_000);
        }

        if (args is [HugeStoreCheck.ChildCommand, var hugePath, var sampleFile, var hugeSize])
        {
            return HugeStoreCheck.Open(hugePath, sampleFile, int.Parse(hugeSize, CultureInfo.InvariantCulture));
        }

        if (args is ["compact", .. var compactArgs])
        {
            return CompactionCheck.Command(compactArgs);
        }

        if (args is [CompactionCheck.ChildCommand, var compactPath, var compactSample, var compactSize])
        {
            return CompactionCheck.Compact(compactPath, compactSample, int.Parse(compactSize, CultureInfo.InvariantCulture));
        }

        if (args is [InterruptedRotationOpen.Name, .. var interruptedArgs])
        {
            return InterruptedRotationOpen.Command(interruptedArgs);
        }

        if (args is [Latency.FreshProcessLookups.Name, .. var freshArgs])
        {
            return Latency.FreshProcessLookups.Command(freshArgs);
        }

        if (args is [Latency.ConcurrentSaves.Name, .. var concurrentArgs])
        {
            return Latency.ConcurrentSaves.Command(concurrentArgs);
        }

        if (args is ["soak", .. var soakArgs])
        {
            return SoakRunner.Command(soakArgs);
        }

        if (args is ["profile", .. var profileArgs])
        {
            return Tools.Profile(profileArgs.Length > 0 ? int.Parse(profileArgs[0], CultureInfo.InvariantCulture) : 10_000);
        }

        if (args is ["rotate-profile", .. var rotateArgs])
        {
            return RotationProfile.Run(
                rotateArgs.Length > 0 ? int.Parse(rotateArgs[0], CultureInfo.InvariantCulture) : 10_000,
                rotateArgs.Length > 1 && rotateArgs[1] != "default" ? int.Parse(rotateArgs[1], CultureInfo.InvariantCulture) : null,
                rotateArgs.Length > 2 ? rotateArgs[2] : "data,index",
                rotateArgs.Length > 3 && rotateArgs[3] == "cache");
        }

        var rest = new List<string>(args);
        var servers = TakeServers(rest);
        if (rest is ["fleet-prepare", .. var fleetPrepareArgs])
        {
            return FleetCommand.Prepare(servers, fleetPrepareArgs.Count > 0 ? ParseSizes(fleetPrepareArgs[0]) : FleetCommand.DefaultSizes);
        }

        if (rest is ["fleet-roundtrips", .. var roundTripArgs])
        {
            using var statements = roundTripArgs.Remove("--statements") ? new StatementLog() : null;
            FleetRoundTrips.Statements = statements;
            Console.WriteLine(FleetCommand.RoundTrips(servers, roundTripArgs.Count > 0 ? ParseSizes(roundTripArgs[0])[0] : FleetCommand.RoundTripSize));
            return 0;
        }

        var fleet = rest is ["fleet", ..];
        var quick = rest.Remove("--quick");
        if ((quick || fleet) && Environment.GetEnvironmentVariable(TieredCompilationVariable) is null)
        {
            return RunWithoutTieredCompilation(args);
        }

        if (fleet)
        {
            rest.RemoveAt(0);
            var fleetSizes = FleetCommand.DefaultSizes;
            if (rest is [var first, ..] && char.IsAsciiDigit(first[0]))
            {
                fleetSizes = ParseSizes(first);
                rest.RemoveAt(0);
            }

            return FleetCommand.Run(servers, fleetSizes, rest);
        }

        IReadOnlyCollection<int>? sizes = Environment.GetEnvironmentVariable(SizesVariable) is { Length: > 0 } fromEnvironment
            ? ParseSizes(fromEnvironment)
            : null;
        var sizesAt = rest.IndexOf("--sizes");
        if (sizesAt >= 0 && sizesAt + 1 < rest.Count)
        {
            sizes = ParseSizes(rest[sizesAt + 1]);
            rest.RemoveRange(sizesAt, 2);
        }

        var config = quick ? BenchmarkConfigs.Quick(sizes, servers) : BenchmarkConfigs.Full(sizes, servers);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
        return 0;
    }

    /// <summary>
    /// The quick job runs in process with few, short iterations: a millisecond-scale operation would be
    /// measured in tier-0 (unoptimized) code before tiered compilation catches up. So quick runs restart
    /// the process with tiered compilation off, and every method is fully optimized from its first call.
    /// </summary>
    private static int RunWithoutTieredCompilation(string[] args)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new System.Diagnostics.ProcessStartInfo(processPath) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[TieredCompilationVariable] = "0";
        using var child = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not restart the process.");
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>Removes <c>--servers mysql,postgresql</c> from <paramref name="args"/>; null when absent (every server).</summary>
    private static TokenDatabaseKind[]? TakeServers(List<string> args)
    {
        var at = args.IndexOf("--servers");
        if (at < 0 || at + 1 >= args.Count)
        {
            return null;
        }

        var servers = args[at + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => name.ToUpperInvariant() switch
            {
                "MYSQL" or "MARIADB" => TokenDatabaseKind.MySql,
                "POSTGRESQL" or "POSTGRES" => TokenDatabaseKind.PostgreSql,
                _ => throw new ArgumentException($"Unknown server '{name}': mysql or postgresql.", nameof(args)),
            })
            .ToArray();
        args.RemoveRange(at, 2);
        return servers;
    }

    private static int[] ParseSizes(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))];
}
