using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using EncryptedStore.Benchmarks.Infrastructure;

namespace EncryptedStore.Benchmarks.Fleet;

/// <summary>
/// The <c>fleet</c> command: builds the populated tables that are missing (<see cref="FleetTables"/>), counts round
/// trips per call (<see cref="FleetRoundTrips"/>), then runs the four <c>Fleet*</c> benchmark classes with the fleet job
/// (<see cref="BenchmarkConfigs.Fleet"/>), and prints the load average before and after. <c>--report file.md</c> also
/// writes all of it, with BenchmarkDotNet's GitHub-markdown tables, into that file.
/// </summary>
internal static class FleetCommand
{
    public static readonly int[] DefaultSizes = [1_000, 10_000, 100_000];

    /// <summary>The store size of the round-trip count unless told otherwise (a count does not depend on it).</summary>
    public const int RoundTripSize = 10_000;

    private static readonly Type[] Benchmarks =
        [typeof(FleetLookupBenchmarks), typeof(FleetSaveBenchmarks), typeof(FleetFirstSaveBenchmarks), typeof(FleetInsertBenchmarks)];

    private static TokenDatabaseKind[] Servers(TokenDatabaseKind[]? servers) => servers ?? [TokenDatabaseKind.MySql, TokenDatabaseKind.PostgreSql];

    public static int Prepare(TokenDatabaseKind[]? servers, IReadOnlyList<int> sizes)
    {
        var ok = true;
        foreach (var server in Servers(servers))
        {
            foreach (var size in sizes)
            {
                ok &= FleetTables.Prepare(server, size);
            }
        }

        return ok ? 0 : 1;
    }

    public static string RoundTrips(TokenDatabaseKind[]? servers, int size) => FleetRoundTrips.Run(Servers(servers), size).Markdown;

    public static int Run(TokenDatabaseKind[]? servers, IReadOnlyList<int> sizes, List<string> arguments)
    {
        string? reportPath = null;
        var reportAt = arguments.IndexOf("--report");
        if (reportAt >= 0 && reportAt + 1 < arguments.Count)
        {
            reportPath = arguments[reportAt + 1];
            arguments.RemoveRange(reportAt, 2);
        }

        if (!arguments.Contains("--filter"))
        {
            arguments.AddRange(["--filter", "*"]);
        }

        var report = new StringBuilder();
        Note(report, $"Load average at start: {LoadAverage()}");
        if (Prepare(servers, sizes) != 0)
        {
            return 1;
        }

        var roundTrips = FleetRoundTrips.Run(Servers(servers), sizes.Contains(RoundTripSize) ? RoundTripSize : sizes[0]);
        Console.WriteLine(roundTrips.Markdown);
        report.AppendLine().AppendLine(roundTrips.Markdown);
        Note(report, $"Load average after the round-trip count: {LoadAverage()}");

        var summaries = BenchmarkSwitcher.FromTypes(Benchmarks).Run([.. arguments], BenchmarkConfigs.Fleet(sizes, servers));
        var tables = new AccumulationLogger();
        foreach (var summary in summaries)
        {
            MarkdownExporter.GitHub.ExportToLog(summary, tables);
        }

        Note(report, $"Load average at the end: {LoadAverage()}");
        var targets = FleetTargets.Markdown(summaries, roundTrips.Rows, Servers(servers), sizes);
        Console.WriteLine(targets);
        report.AppendLine("Targets (ratios of means measured in this run):").AppendLine().AppendLine(targets);
        report.AppendLine().AppendLine(tables.GetLog());
        if (reportPath is not null)
        {
            File.WriteAllText(reportPath, report.ToString());
            Console.WriteLine($"// Fleet report written to {reportPath}");
        }

        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static void Note(StringBuilder report, string line)
    {
        Console.WriteLine("// " + line);
        report.AppendLine(line).AppendLine();
    }

    /// <summary>The 1, 5 and 15-minute load averages, as <c>uptime</c> prints them; "unknown" off Linux.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg")
            ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
            : "unknown";
}
