using System.Globalization;
using System.Text;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>What a soak run did: operations per kind, errors per code, throughput and memory. Holds no token value.</summary>
internal sealed class SoakReport
{
    public required SoakOptions Options { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required IReadOnlyDictionary<SoakOperation, long> Operations { get; init; }

    /// <summary>Errors by <see cref="TokenStoreException.Code"/>, exception type, or <c>MISMATCH</c> for a wrong answer.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>The first few errors described (operation, record id, code or differing field names).</summary>
    public required IReadOnlyList<string> FirstErrors { get; init; }

    public required long PeakWorkingSet { get; init; }

    public required long ManagedHeapAtEnd { get; init; }

    public required long LargestManagedHeapSeen { get; init; }

    public required int TokensAtEnd { get; init; }

    /// <summary>The maintenance steps, in order (empty without <see cref="SoakOptions.Maintenance"/>).</summary>
    public IReadOnlyList<SoakEvent> Events { get; init; } = [];

    /// <summary>Memory samples: at the start, every <see cref="SoakOptions.ProgressInterval"/>, and when the workers stopped.</summary>
    public IReadOnlyList<SoakMemorySample> MemorySeries { get; init; } = [];

    /// <summary>The load averages (1, 5, 15 minutes) when the run began and ended, where the system tells.</summary>
    public string? LoadAtStart { get; init; }

    public string? LoadAtEnd { get; init; }

    public long TotalOperations => Operations.Values.Sum();

    public long ErrorCount => Errors.Values.Sum();

    public string Format()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"Soak: {Options.Threads} threads, {Options.SharedTokens:N0} shared tokens, {Options.SlotsPerThread} user slots per thread, FlushToDisk={Options.FlushToDisk}, {Elapsed.TotalSeconds:F1} s");
        text.AppendLine("operation              count");
        foreach (var (operation, count) in Operations.OrderBy(o => o.Key))
        {
            text.AppendLine(inv, $"  {operation,-20} {count,10:N0}");
        }

        text.AppendLine(inv, $"  {"total",-20} {TotalOperations,10:N0}  ({TotalOperations / Elapsed.TotalSeconds:N0} ops/s)");
        text.AppendLine(inv, $"errors                 {ErrorCount:N0}");
        foreach (var (code, count) in Errors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.AppendLine(inv, $"  {code,-20} {count,10:N0}");
        }

        foreach (var error in FirstErrors)
        {
            text.AppendLine(inv, $"  first: {error}");
        }

        foreach (var soakEvent in Events)
        {
            text.AppendLine(inv, $"{(soakEvent.Failed ? "FAILED" : "done"),-6} at {soakEvent.At.TotalSeconds:F0} s, {soakEvent.Took.TotalSeconds:F1} s: {soakEvent.Name}: {soakEvent.Outcome}");
        }

        if (MemorySeries.Count > 1)
        {
            text.AppendLine(inv, $"working set first/last/max  {Mib(MemorySeries[0].WorkingSet)} / {Mib(MemorySeries[^1].WorkingSet)} / {Mib(MemorySeries.Max(m => m.WorkingSet))} MiB");
            text.AppendLine(inv, $"managed heap first/last/max {Mib(MemorySeries[0].ManagedHeap)} / {Mib(MemorySeries[^1].ManagedHeap)} / {Mib(MemorySeries.Max(m => m.ManagedHeap))} MiB (after a full collection)");
        }

        text.AppendLine(inv, $"tokens in the store at the end: {TokensAtEnd:N0}");
        text.AppendLine(inv, $"peak working set       {Mib(PeakWorkingSet)} MiB (whole process)");
        text.Append(inv, $"managed heap           {Mib(ManagedHeapAtEnd)} MiB at the end after a full collection, {Mib(LargestManagedHeapSeen)} MiB the largest seen while running");
        return text.ToString();
    }

    internal static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
