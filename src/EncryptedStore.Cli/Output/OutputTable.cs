namespace EncryptedStore.Cli.Output;

/// <summary>
/// Rows of results for people and scripts alike (see <see cref="TableWriter"/>). A cell has two forms: the
/// text for a terminal (e.g. "in 49 min") and the plain value for tab-separated output (e.g. the epoch
/// milliseconds); null is shown as <c>-</c> on a terminal and as an empty field otherwise.
/// </summary>
internal sealed class OutputTable(params OutputColumn[] columns)
{
    private readonly List<OutputCell[]> _rows = [];

    public IReadOnlyList<OutputColumn> Columns { get; } = columns;

    public IReadOnlyList<OutputCell[]> Rows => _rows;

    /// <summary>Adds a row whose cells read the same on a terminal and in plain output.</summary>
    public OutputTable AddRow(params string?[] values) => AddRow(values.Select(v => new OutputCell(v, v)).ToArray());

    public OutputTable AddRow(params OutputCell[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"a row of {Columns.Count} cells was expected, not {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }
}
