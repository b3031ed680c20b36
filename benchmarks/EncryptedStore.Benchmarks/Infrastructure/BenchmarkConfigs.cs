using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// The two configurations: <b>full</b> (BenchmarkDotNet's default job, a process per benchmark case,
/// every store size) for numbers to quote, and <b>quick</b> (in process, one launch, 1 warm-up and 5
/// measured iterations of 50 ms, store sizes 1,000 and 10,000 unless told otherwise) for smoke runs on
/// a small machine. Quick runs in the host process because building the per-case executables alone takes
/// minutes on 2 busy cores; <see cref="Program"/> starts that process with tiered compilation off, so the
/// few short iterations measure optimized code.
/// </summary>
internal static class BenchmarkConfigs
{
    public const string StoreSizeParameter = "StoreSize";

    /// <summary>The parameter of the fleet benchmarks that names the database server.</summary>
    public const string ServerParameter = "Server";

    public static readonly int[] QuickSizes = [1_000, 10_000];

    /// <summary>
    /// In process, with room for one rotation of 100,000 tokens (over a minute per invocation, four invocations
    /// per case): the toolchain's default allows five minutes per case.
    /// </summary>
    private static readonly InProcessEmitToolchain InProcessToolchain = new(TimeSpan.FromHours(1), logOutput: true);

    public static IConfig Full(IReadOnlyCollection<int>? sizes, IReadOnlyCollection<TokenDatabaseKind>? servers = null) =>
        Common(DefaultConfig.Instance, sizes, servers);

    public static IConfig Quick(IReadOnlyCollection<int>? sizes, IReadOnlyCollection<TokenDatabaseKind>? servers = null) =>
        Common(DefaultConfig.Instance, sizes ?? QuickSizes, servers)
            .AddJob(Job.Default
                .WithId("Quick")
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(50))
                .WithToolchain(InProcessToolchain));

    /// <summary>
    /// The fleet benchmarks (<c>fleet</c> command): in process like quick, 2 warm-ups and 8 measured iterations of
    /// 200 ms (job id <c>Fleet</c>); a server round trip is 50 to 500 µs and the SDK's scan at 100,000 tokens tens of
    /// milliseconds, so each iteration holds a few to a few thousand calls.
    /// </summary>
    public static IConfig Fleet(IReadOnlyCollection<int>? sizes, IReadOnlyCollection<TokenDatabaseKind>? servers) =>
        Common(DefaultConfig.Instance, sizes, servers)
            .AddJob(Job.Default
                .WithId("Fleet")
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(8)
                .WithIterationTime(TimeInterval.FromMilliseconds(200))
                .WithToolchain(InProcessToolchain));

    private static ManualConfig Common(IConfig baseConfig, IReadOnlyCollection<int>? sizes, IReadOnlyCollection<TokenDatabaseKind>? servers = null)
    {
        var config = ManualConfig.Create(baseConfig)
            .AddColumn(StatisticColumn.Median)
            .WithBuildTimeout(TimeSpan.FromMinutes(10));
        if (sizes is not null)
        {
            config.AddFilter(new SimpleFilter(benchmark => HasAllowedSize(benchmark, sizes)));
        }

        if (servers is not null)
        {
            config.AddFilter(new SimpleFilter(benchmark =>
                benchmark.Parameters.Items.FirstOrDefault(p => p.Name == ServerParameter)?.Value is not TokenDatabaseKind server || servers.Contains(server)));
        }

        return config;
    }

    /// <summary>True for a benchmark without a store-size parameter, or with one of <paramref name="sizes"/>.</summary>
    private static bool HasAllowedSize(BenchmarkCase benchmark, IReadOnlyCollection<int> sizes)
    {
        var size = benchmark.Parameters.Items.FirstOrDefault(p => p.Name == StoreSizeParameter)?.Value;
        return size is not int value || sizes.Contains(value);
    }
}
