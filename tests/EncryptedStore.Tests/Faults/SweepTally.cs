using System.Globalization;

namespace EncryptedStore.Tests.Faults;

/// <summary>The figures of one operation's sweep, for the table in SECURITY.md.</summary>
internal sealed class SweepTally(string operation)
{
    private readonly List<string> _violations = [];

    public string Operation { get; } = operation;

    /// <summary>I/O calls the operation makes, per fault kind counted (writes; reads, writes and syncs; syncs).</summary>
    public Dictionary<string, long> IoPoints { get; } = new(StringComparer.Ordinal);

    /// <summary>Points run per fault kind (fewer than <see cref="IoPoints"/> when sampled).</summary>
    public Dictionary<string, int> PointsRun { get; } = new(StringComparer.Ordinal);

    public int Runs { get; set; }

    /// <summary>I/O calls that were made to fail.</summary>
    public long FailuresInjected { get; set; }

    /// <summary>Runs in which the operation threw (the others absorbed or retried the fault).</summary>
    public int CallsFailed { get; set; }

    public int LostSaves { get; set; }

    public int WrongReads { get; set; }

    /// <summary>Calls after the faulted one (same instance, before reopening) that failed.</summary>
    public int FailedAfter { get; set; }

    /// <summary>Failed calls whose change was read afterwards (the write reached the disk before the fault).</summary>
    public int FailedCallsThatTookEffect { get; set; }

    public SortedDictionary<string, int> Codes { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Violations => _violations;

    public void Violation(string what)
    {
        if (_violations.Count < 40)
        {
            _violations.Add(what);
        }
    }

    public static string Header =>
        "| operation | I/O points (writes / all / syncs) | points run | failures injected | calls failed | codes | acknowledged saves lost | wrong reads | calls failed after the faulted one | failed calls that took effect |\n"
        + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

    public string Row()
    {
        string Points(Dictionary<string, long> d) => string.Join(" / ", InjectedFault.All.Select(f => d.TryGetValue(f.Name, out var v) ? v.ToString(CultureInfo.InvariantCulture) : "-"));
        var run = string.Join(" / ", InjectedFault.All.Select(f => PointsRun.TryGetValue(f.Name, out var v) ? v.ToString(CultureInfo.InvariantCulture) : "-"));
        var codes = string.Join(", ", Codes.Select(c => $"{c.Key} {c.Value}"));
        return string.Create(CultureInfo.InvariantCulture, $"| {Operation} | {Points(IoPoints)} | {run} | {FailuresInjected} | {CallsFailed} | {codes} | {LostSaves} | {WrongReads} | {FailedAfter} | {FailedCallsThatTookEffect} |");
    }
}
