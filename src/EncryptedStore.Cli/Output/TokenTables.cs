using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// Tables of tokens (see <see cref="TableWriter"/>), secrets redacted unless revealed. Headers are the SDK's column
/// names, as in <c>--json</c> and <c>--field</c>. On a narrow terminal the secret columns are left out first (a
/// cut secret is no use), then the user name, client id and expiry are cut; the id is always shown in full.
/// </summary>
internal static class TokenTables
{
    private static readonly (TokenColumn Column, OutputColumn Layout)[] ListColumns =
    [
        (TokenColumn.Id, new OutputColumn("id")),
        (TokenColumn.UserName, new OutputColumn("user_name", Shrink: true, MinWidth: 16)),
        (TokenColumn.ClientId, new OutputColumn("client_id", Shrink: true, MinWidth: 12)),
        (TokenColumn.RefreshToken, new OutputColumn("refresh_token", DropOrder: 1)),
        (TokenColumn.AccessToken, new OutputColumn("access_token", DropOrder: 2)),
        (TokenColumn.ExpiryTime, new OutputColumn("expiry_time", Shrink: true, MinWidth: 11)),
    ];

    /// <summary>One token, one field per row (<c>field</c>, <c>value</c>).</summary>
    public static OutputTable Details(OAuthToken token, bool reveal, DateTimeOffset now)
    {
        var table = new OutputTable(new OutputColumn("field"), new OutputColumn("value"));
        foreach (var column in TokenColumns.All)
        {
            var value = Redactor.Show(token, column, reveal);
            table.AddRow(new OutputCell(TokenColumns.Name(column), TokenColumns.Name(column)),
                new OutputCell(column == TokenColumn.ExpiryTime ? ExpiryText.Describe(value, now) : value, value));
        }

        return table;
    }

    /// <summary>Several tokens, one per row, with the columns that tell them apart; the expiry relative to now on a terminal.</summary>
    public static OutputTable List(IEnumerable<OAuthToken> tokens, bool reveal, DateTimeOffset now)
    {
        var table = new OutputTable(ListColumns.Select(c => c.Layout).ToArray());
        foreach (var token in tokens)
        {
            table.AddRow(ListColumns.Select(c =>
            {
                var value = Redactor.Show(token, c.Column, reveal);
                return new OutputCell(c.Column == TokenColumn.ExpiryTime ? ExpiryText.Relative(value, now) : value, value);
            }).ToArray());
        }

        return table;
    }
}
