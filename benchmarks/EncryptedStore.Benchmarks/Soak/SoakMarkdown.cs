using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>The soak report as a Markdown results file (machine, date, load, operations, maintenance, memory series), written by the run itself.</summary>
internal static class SoakMarkdown
{
    public static string Write(SoakReport report, string arguments)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var ended = DateTimeOffset.Now;
        text.AppendLine(inv, $"# Soak, {report.Elapsed.TotalMinutes:F0} minutes on {report.Options.Threads} threads, {ended:yyyy-MM-dd}");
        text.AppendLine();
        text.AppendLine(inv, $"- Machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024.0 / 1024.0 / 1024.0:F0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}.");
        text.AppendLine(inv, $"- Command: `EncryptedStore.Benchmarks soak {arguments}`; ended {ended:yyyy-MM-dd HH:mm zzz}.");
        text.AppendLine(inv, $"- Load average (1, 5, 15 min): {report.LoadAtStart ?? "n/a"} at the start, {report.LoadAtEnd ?? "n/a"} at the end.");
        text.AppendLine(inv, $"- Store: {report.Options.SharedTokens:N0} shared tokens, {report.Options.SlotsPerThread} user slots per thread, `FlushToDisk` {report.Options.FlushToDisk}.");
        text.AppendLine();
        text.AppendLine(inv, $"Result: **{report.TotalOperations:N0} operations, {report.ErrorCount:N0} errors** ({report.Errors.GetValueOrDefault(SoakErrors.Mismatch):N0} wrong answers), {report.TotalOperations / report.Elapsed.TotalSeconds:N0} operations a second.");
        text.AppendLine();
        text.AppendLine("| operation | count |");
        text.AppendLine("| --- | ---: |");
        foreach (var (operation, count) in report.Operations.OrderBy(o => o.Key))
        {
            text.AppendLine(inv, $"| {operation} | {count:N0} |");
        }

        text.AppendLine(inv, $"| total | {report.TotalOperations:N0} |");
        text.AppendLine();
        if (report.Events.Count > 0)
        {
            text.AppendLine("| maintenance | at | took | outcome |");
            text.AppendLine("| --- | ---: | ---: | --- |");
            foreach (var soakEvent in report.Events)
            {
                text.AppendLine(inv, $"| {soakEvent.Name} | {soakEvent.At.TotalMinutes:F1} min | {soakEvent.Took.TotalSeconds:F1} s | {(soakEvent.Failed ? "**FAILED** " : string.Empty)}{soakEvent.Outcome} |");
            }

            text.AppendLine();
        }

        text.AppendLine("| at | operations | errors | working set | managed heap (after a full GC) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var sample in report.MemorySeries)
        {
            text.AppendLine(inv, $"| {sample.At.TotalMinutes:F1} min | {sample.Operations:N0} | {sample.Errors:N0} | {SoakReport.Mib(sample.WorkingSet)} MiB | {SoakReport.Mib(sample.ManagedHeap)} MiB |");
        }

        text.AppendLine();
        text.AppendLine("```text");
        text.AppendLine(report.Format());
        text.AppendLine("```");
        return text.ToString();
    }
}
