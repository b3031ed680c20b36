using System.Globalization;
using System.Text;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Export;

/// <summary>
/// Writes tokens in the C# SDK's FileStore format: the 10-column header, one line per token, no quoting,
/// null and empty both as an empty field. A value with a comma, quote or line break cannot be written
/// in that format, so such tokens are refused rather than corrupted.
/// </summary>
/// <remarks>
/// The SDK's stores make the next id from the ids they hold: the FileStore with <c>int.Parse</c> of every id (any
/// other id makes its next insert throw), the DBStore with <c>max(id)</c> over a <c>varchar(10)</c> column, which
/// compares ids as text. So ids that are not all positive 32-bit numbers are renumbered to
/// <see cref="FirstRenumberedId"/>, +1, …: ten digits each, so they fit the DBStore's column, sort as text in
/// numeric order, and the SDK's next id (the largest + 1) is new in both stores.
/// </remarks>
internal static class ZohoCsvWriter
{
    /// <summary>The first id given when ids are renumbered (ten digits, far below <see cref="int.MaxValue"/>).</summary>
    public const int FirstRenumberedId = 1_000_000_001;

    /// <exception cref="CliException">Some token has a value the format cannot hold; names the ids.</exception>
    public static ZohoCsvExport Format(IReadOnlyList<OAuthToken> tokens)
    {
        var unwritable = tokens
            .Where(t => TokenColumns.All.Any(c => TokenColumns.Get(t, c) is { } v && v.AsSpan().IndexOfAny(",\"\r\n") >= 0))
            .Select(t => t.Id)
            .ToList();
        if (unwritable.Count > 0)
        {
            throw new CliException($"token(s) {string.Join(", ", unwritable)} have a value with a comma, quote or line break, "
                + "which the C# FileStore format cannot hold; nothing was written.");
        }

        var ordered = tokens.OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        var keep = ordered.All(t => IsSdkId(t.Id));
        var renumbered = new List<KeyValuePair<string, string>>();
        var text = new StringBuilder();
        text.AppendJoin(',', TokenColumns.All.Select(TokenColumns.Name)).Append('\n');
        for (var i = 0; i < ordered.Count; i++)
        {
            var token = ordered[i];
            var id = token.Id ?? string.Empty;
            if (!keep)
            {
                id = (FirstRenumberedId + i).ToString(CultureInfo.InvariantCulture);
                renumbered.Add(new(token.Id ?? string.Empty, id));
            }

            text.Append(id);
            foreach (var column in TokenColumns.All.Where(c => c != TokenColumn.Id))
            {
                text.Append(',').Append(TokenColumns.Get(token, column));
            }

            text.Append('\n');
        }

        return new ZohoCsvExport(text.ToString(), renumbered);
    }

    /// <summary>True for an id the SDK could have made: a positive 32-bit number in plain digits, at most ten of them.</summary>
    private static bool IsSdkId(string? id) =>
        id is { Length: > 0 and <= 10 }
        && id.All(char.IsAsciiDigit)
        && id[0] != '0'
        && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _);
}
