using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// "Tokens/s": the <c>StoreSize</c> parameter divided by the mean, for benchmarks that process a whole
/// store in one invocation (rotation). Empty for a case without that parameter or without a result.
/// </summary>
internal sealed class TokensPerSecondColumn : IColumn
{
    public string Id => nameof(TokensPerSecondColumn);

    public string ColumnName => "Tokens/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Store size divided by the mean time of one invocation";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var size = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == BenchmarkConfigs.StoreSizeParameter)?.Value;
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return size is int tokens && mean is > 0
            ? (tokens / (mean.Value / 1e9)).ToString("N0", style.CultureInfo)
            : "-";
    }

    public override string ToString() => ColumnName;
}
