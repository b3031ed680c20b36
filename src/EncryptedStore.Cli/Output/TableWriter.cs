namespace EncryptedStore.Cli.Output;

/// <summary>
/// Writes an <see cref="OutputTable"/>, as <c>gh</c> does. On a terminal: aligned columns two spaces apart, a
/// header line (bold when escape codes are allowed), no box drawing, sized to the terminal's width; ids are
/// never cut or wrapped: optional columns are left out and long text is cut with an ellipsis first. Otherwise:
/// a header line and one tab-separated line per row with the plain values, no escape codes, nothing wrapped.
/// </summary>
internal static class TableWriter
{
    private const int Gap = 2;
    private const string Bold = "\u001b[1m";
    private const string Reset = "\u001b[0m";

    /// <returns>The names of the columns left out to fit the terminal.</returns>
    public static IReadOnlyList<string> Write(OutputTable table, TextWriter writer, bool terminal, bool ansi, int width)
    {
        if (!terminal)
        {
            writer.WriteLine(string.Join('\t', table.Columns.Select(c => c.Name)));
            foreach (var row in table.Rows)
            {
                writer.WriteLine(string.Join('\t', row.Select(c => Plain(c.Plain))));
            }

            writer.Flush();
            return [];
        }

        var texts = table.Rows.Select(row => row.Select(c => Printable.Of(c.Terminal) ?? "-").ToArray()).ToList();
        var natural = table.Columns.Select((c, i) => texts.Select(r => r[i].Length).Append(c.Name.Length).Max()).ToArray();
        var (shown, widths) = Layout(table.Columns, natural, width);
        var dropped = Enumerable.Range(0, table.Columns.Count).Where(i => !shown.Contains(i)).Select(i => table.Columns[i].Name).ToList();

        var header = Line(shown.Select(i => table.Columns[i].Name).ToList(), shown.Select(i => widths[i]).ToList());
        writer.WriteLine(ansi ? Bold + header + Reset : header);
        foreach (var row in texts)
        {
            writer.WriteLine(Line(shown.Select(i => Fit(row[i], widths[i])).ToList(), shown.Select(i => widths[i]).ToList()));
        }

        writer.Flush();
        return dropped;
    }

    /// <summary>
    /// Which columns to show and how wide: all at their natural width if they fit; else the droppable ones left
    /// out, highest <see cref="OutputColumn.DropOrder"/> first, until the shrinkable ones can be cut to fit.
    /// When even that does not fit, lines are longer than the terminal (it wraps them; nothing is broken here).
    /// </summary>
    internal static (List<int> Shown, int[] Widths) Layout(IReadOnlyList<OutputColumn> columns, int[] natural, int width)
    {
        var shown = Enumerable.Range(0, columns.Count).ToList();
        var widths = (int[])natural.Clone();
        while (true)
        {
            var gaps = Gap * (shown.Count - 1);
            if (shown.Sum(i => natural[i]) + gaps <= width)
            {
                return (shown, widths);
            }

            var fixedWidth = shown.Where(i => !columns[i].Shrink).Sum(i => natural[i]) + gaps;
            var shrinkable = shown.Where(i => columns[i].Shrink).ToList();
            var smallest = shrinkable.Sum(i => Math.Min(natural[i], MinWidth(columns[i])));
            var droppable = shown.Where(i => columns[i].DropOrder > 0).OrderByDescending(i => columns[i].DropOrder).ToList();
            if (fixedWidth + smallest <= width || droppable.Count == 0)
            {
                // The widest shrinkable columns are cut first, down to a common cap, never below their minimum.
                var cap = shrinkable.Select(i => natural[i]).DefaultIfEmpty(0).Max();
                while (cap > 0 && fixedWidth + shrinkable.Sum(i => Capped(i, cap)) > width)
                {
                    cap--;
                }

                foreach (var i in shrinkable)
                {
                    widths[i] = Capped(i, cap);
                }

                return (shown, widths);
            }

            shown.Remove(droppable[0]);
        }

        int Capped(int i, int cap) => Math.Min(natural[i], Math.Max(MinWidth(columns[i]), cap));
    }

    private static int MinWidth(OutputColumn column) => Math.Max(column.MinWidth, column.Name.Length);

    private static string Fit(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");

    private static string Line(List<string> cells, List<int> widths)
    {
        var padded = cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]));
        return string.Join(new string(' ', Gap), padded).TrimEnd();
    }

    /// <summary>A tab or line break inside a value would split the line; control characters become '?'.</summary>
    private static string Plain(string? value) => Printable.Of(value) ?? string.Empty;
}
