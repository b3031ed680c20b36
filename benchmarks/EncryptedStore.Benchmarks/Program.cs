using System.Globalization;
using BenchmarkDotNet.Running;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release -- [--quick] [--sizes 1000,10000] [BenchmarkDotNet arguments]</c>
/// runs benchmarks through <see cref="BenchmarkSwitcher"/> (e.g. <c>--filter '*Lookup*'</c>);
/// <c>prepare [sizes]</c> builds the cached store files and prints how long each took;
/// <c>profile [size]</c> prints a Stopwatch breakdown of the encrypted read path.
/// </summary>
internal static class Program
{
    private const string SizesVariable = "ENCRYPTEDSTORE_BENCH_SIZES";

    public static int Main(string[] args)
    {
        if (args is ["prepare", .. var prepareArgs])
        {
            return Tools.Prepare(prepareArgs.Length > 0 ? ParseSizes(prepareArgs[0]) : [1_000, 10_000, 100_000]);
        }

        if (args is ["profile", .. var profileArgs])
        {
            return Tools.Profile(profileArgs.Length > 0 ? int.Parse(profileArgs[0], CultureInfo.InvariantCulture) : 10_000);
        }

        var rest = new List<string>(args);
        var quick = rest.Remove("--quick");
        IReadOnlyCollection<int>? sizes = Environment.GetEnvironmentVariable(SizesVariable) is { Length: > 0 } fromEnvironment
            ? ParseSizes(fromEnvironment)
            : null;
        var sizesAt = rest.IndexOf("--sizes");
        if (sizesAt >= 0 && sizesAt + 1 < rest.Count)
        {
            sizes = ParseSizes(rest[sizesAt + 1]);
            rest.RemoveRange(sizesAt, 2);
        }

        var config = quick ? BenchmarkConfigs.Quick(sizes) : BenchmarkConfigs.Full(sizes);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
        return 0;
    }

    private static int[] ParseSizes(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))];
}
