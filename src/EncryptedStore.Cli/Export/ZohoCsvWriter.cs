using System.Text;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Export;

/// <summary>
/// Writes tokens in the C# SDK's FileStore format: the 10-column header, one line per token, no quoting,
/// null and empty both as an empty field. A value with a comma, quote or line break cannot be written
/// in that format, so such tokens are refused rather than corrupted.
/// </summary>
internal static class ZohoCsvWriter
{
    /// <exception cref="CliException">Some token has a value the format cannot hold; names the ids.</exception>
    public static string Format(IReadOnlyList<OAuthToken> tokens)
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

        var text = new StringBuilder();
        text.AppendJoin(',', TokenColumns.All.Select(TokenColumns.Name)).Append('\n');
        foreach (var token in tokens)
        {
            text.AppendJoin(',', TokenColumns.All.Select(c => TokenColumns.Get(token, c) ?? string.Empty)).Append('\n');
        }

        return text.ToString();
    }
}
