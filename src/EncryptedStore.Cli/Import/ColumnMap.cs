using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// Which source column holds which token field, from a CSV header or a table's column names. Accepts
/// the SDK's variants (<c>user_mail</c>, <c>redirect_uri</c>, no <c>api_domain</c> in older files).
/// Empty values become null, as the SDK's own readers do.
/// </summary>
internal sealed class ColumnMap
{
    private readonly TokenColumn?[] _columns;

    private ColumnMap(TokenColumn?[] columns) => _columns = columns;

    public int Count => _columns.Length;

    /// <param name="names">The source's column names, in order.</param>
    /// <param name="source">Names the source in error messages.</param>
    /// <param name="ignoreUnknown">Skip columns that are no token field (a database table may have more); else they are an error.</param>
    /// <exception cref="CliException">A required column is missing, or one appears twice.</exception>
    public static ColumnMap Create(IReadOnlyList<string> names, string source, bool ignoreUnknown)
    {
        var columns = new TokenColumn?[names.Count];
        var seen = new HashSet<TokenColumn>();
        for (var i = 0; i < names.Count; i++)
        {
            var column = TokenColumns.FromName(names[i]);
            if (column is null && !ignoreUnknown)
            {
                throw new CliException($"{source}: column {i + 1} ({Describe(names[i])}) is not one of the SDK's token columns; is this a token file?");
            }

            if (column is { } c && !seen.Add(c))
            {
                throw new CliException($"{source}: column '{TokenColumns.Name(c)}' appears twice.");
            }

            columns[i] = column;
        }

        var missing = TokenColumns.All.Where(c => c != TokenColumn.ApiDomain && !seen.Contains(c)).Select(TokenColumns.Name).ToList();
        if (missing.Count > 0)
        {
            throw new CliException($"{source}: missing column(s) {string.Join(", ", missing)}; expected the SDK's columns "
                + string.Join(",", TokenColumns.All.Select(TokenColumns.Name)) + ".");
        }

        return new ColumnMap(columns);
    }

    /// <summary>The token from one row's values, in the source's column order.</summary>
    public OAuthToken ToToken(IReadOnlyList<string?> values)
    {
        var token = new OAuthToken();
        for (var i = 0; i < _columns.Length; i++)
        {
            if (_columns[i] is { } column && !string.IsNullOrEmpty(values[i]))
            {
                TokenColumns.Set(token, column, values[i]);
            }
        }

        return token;
    }

    // A header is no secret, but the first line of a file without a header is a token: name only what looks like a column name.
    private static string Describe(string name) =>
        name.Length <= 30 && name.All(c => char.IsAsciiLetter(c) || c is '_' or ' ') ? $"'{name}'" : "a value that is no column name";
}
