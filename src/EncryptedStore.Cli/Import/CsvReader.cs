using System.Text;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// A small RFC 4180 reader that also reads the C# SDK's unquoted files: fields separated by commas,
/// records by LF or CRLF; a field that starts with a double quote is quoted, may hold commas, line
/// breaks and doubled quotes; a quote inside an unquoted field is taken literally. Blank lines are
/// skipped. A malformed record is returned with <see cref="CsvRecord.Error"/> set (never quoting the
/// data) and reading goes on with the next record.
/// </summary>
internal static class CsvReader
{
    public static IEnumerable<CsvRecord> Read(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var inQuotes = false;
        var quoted = false;
        var afterClosingQuote = false;
        string? error = null;

        while (true)
        {
            var c = reader.Read();
            if (c == -1)
            {
                if (inQuotes)
                {
                    fields.Add(field.ToString());
                    yield return new CsvRecord(recordLine, fields, "a quoted field is not closed before the end of the file");
                }
                else if (fields.Count > 0 || field.Length > 0 || quoted)
                {
                    fields.Add(field.ToString());
                    yield return new CsvRecord(recordLine, fields, error);
                }

                yield break;
            }

            if (inQuotes)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                        afterClosingQuote = true;
                    }
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append((char)c);
                }

                continue;
            }

            switch (c)
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    quoted = false;
                    afterClosingQuote = false;
                    break;
                case '\r' or '\n':
                    if (c == '\r' && reader.Peek() == '\n')
                    {
                        reader.Read();
                    }

                    line++;
                    if (fields.Count > 0 || field.Length > 0 || quoted)
                    {
                        fields.Add(field.ToString());
                        yield return new CsvRecord(recordLine, fields, error);
                    }

                    fields = [];
                    field.Clear();
                    quoted = false;
                    afterClosingQuote = false;
                    error = null;
                    recordLine = line;
                    break;
                case '"' when field.Length == 0 && !quoted:
                    inQuotes = true;
                    quoted = true;
                    break;
                default:
                    if (afterClosingQuote)
                    {
                        error ??= $"field {fields.Count + 1} has text after its closing quote";
                    }

                    field.Append((char)c);
                    break;
            }
        }
    }
}
