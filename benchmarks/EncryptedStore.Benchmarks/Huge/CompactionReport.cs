using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EncryptedStore.Benchmarks.Huge;

/// <summary>What <see cref="CompactionCheck"/> printed, kept for its Markdown results file: the table rows the children print (lines starting with '|') and every other line.</summary>
internal sealed class CompactionReport(string command)
{
    private readonly List<string> _rows = [];
    private readonly List<string> _lines = [];
    private readonly DateTimeOffset _started = DateTimeOffset.Now;
    private readonly string? _loadAtStart = LoadAverage();

    /// <summary>Prints <paramref name="line"/> and keeps it.</summary>
    public void Line(string line)
    {
        Console.WriteLine(line);
        (line.StartsWith('|') ? _rows : _lines).Add(line);
    }

    public string ToMarkdown(int exitCode)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"# Compaction at 20,000 and 1,000,000 tokens, {_started:yyyy-MM-dd}");
        text.AppendLine();
        text.AppendLine(inv, $"- Machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024.0 / 1024.0:F0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}.");
        text.AppendLine(inv, $"- Command: `EncryptedStore.Benchmarks {command}`, from {_started:yyyy-MM-dd HH:mm} to {DateTimeOffset.Now:HH:mm zzz}; exit code {exitCode}.");
        text.AppendLine(inv, $"- Load average (1, 5, 15 min): {_loadAtStart ?? "n/a"} at the start, {LoadAverage() ?? "n/a"} at the end.");
        text.AppendLine("- Each store is a copy of the benchmarks' cached store (built through the public API), compacted by");
        text.AppendLine("  `EncryptedTokenStore.Compact` in a fresh child process that measures only that; then the result is opened");
        text.AppendLine("  with the master key, its tokens counted and a sample looked up by id, access token and user.");
        text.AppendLine();
        text.AppendLine("| tokens | time | file before | file after | peak working set (process) | largest managed heap | allocated | temporary file left | tokens after | wrong answers |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        _rows.ForEach(row => text.AppendLine(row));
        text.AppendLine();
        text.AppendLine("```text");
        _lines.ForEach(line => text.AppendLine(line));
        text.AppendLine("```");
        return text.ToString();
    }

    private static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
}
