namespace EncryptedStore.Cli.Import;

/// <summary>The outcome of an import or a dry run.</summary>
internal sealed record ImportReport(
    int RowCount,
    int ValidCount,
    int ImportedCount,
    IReadOnlyList<ImportProblem> Problems,
    IReadOnlyList<string?> SourceIds,
    bool RolledBack)
{
    /// <summary>Every row of the source is in the store.</summary>
    public bool Complete => Problems.Count == 0 && ImportedCount == RowCount;
}
