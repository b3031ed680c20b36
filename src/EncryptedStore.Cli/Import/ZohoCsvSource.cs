using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Cli.Files;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// The Zoho SDKs' FileStore CSV: the C# SDK's (header <c>id,user_name,…,redirect_url,api_domain</c>,
/// no quoting) and the Python SDK's (<c>redirect_uri</c> as the 9th column, CSV quoting, CRLF), and older
/// files with <c>user_mail</c> and no <c>api_domain</c>. Empty fields are null. Rows are located by line.
/// </summary>
/// <param name="path">The file; <c>-</c> for stdin, whose bytes are <paramref name="content"/>.</param>
/// <param name="content">The file's bytes when they were read already (stdin); null to read <paramref name="path"/>.</param>
internal sealed class ZohoCsvSource(string path, byte[]? content = null) : ITokenSource
{
    private byte[]? _readHash;

    public string Description => content is null ? $"Zoho FileStore CSV '{path}'" : "Zoho FileStore CSV on stdin";

    public bool CanWipe => content is null;

    public IReadOnlyList<SourceRow> ReadRows()
    {
        if (content is null && !File.Exists(path))
        {
            throw CliException.NotFound($"no file at '{path}'.");
        }

        var bytes = content ?? File.ReadAllBytes(path);
        _readHash = SHA256.HashData(bytes);
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);
        using var records = CsvReader.Read(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new CliException($"{Description} is empty; a FileStore file starts with its header line.");
        }

        var header = records.Current;
        if (header.Error is not null)
        {
            throw new CliException($"{Description}: the header on line {header.Line} is malformed: {header.Error}.");
        }

        var map = ColumnMap.Create(header.Fields, Description, ignoreUnknown: false);
        var rows = new List<SourceRow>();
        while (records.MoveNext())
        {
            var record = records.Current;
            var location = string.Create(CultureInfo.InvariantCulture, $"line {record.Line}");
            if (record.Error is not null)
            {
                rows.Add(SourceRow.Malformed(location, $"malformed CSV: {record.Error}."));
            }
            else if (record.Fields.Count != map.Count)
            {
                rows.Add(SourceRow.Malformed(location, $"malformed row: {record.Fields.Count} fields, the header has {map.Count} (an unquoted comma in a value?)."));
            }
            else
            {
                rows.Add(SourceRow.Valid(location, map.ToToken(record.Fields)));
            }
        }

        return rows;
    }

    /// <summary>Overwrites the file with zeros and deletes it, if it is still the file that was read.</summary>
    public string Wipe(IReadOnlyCollection<string?> ids)
    {
        if (content is not null)
        {
            throw CliException.Usage("--wipe-source needs the CSV file itself; stdin cannot be wiped.");
        }

        if (_readHash is null || !CryptographicOperations.FixedTimeEquals(_readHash, SHA256.HashData(File.ReadAllBytes(path))))
        {
            throw new CliException($"{Description} changed after it was read (is the application still running?): the tokens read were imported, but the file was not wiped.");
        }

        SecureFile.Wipe(path);
        return $"overwrote '{path}' with zeros, flushed it to disk and deleted it";
    }
}
