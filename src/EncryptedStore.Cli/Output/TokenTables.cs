using EncryptedStore.Cli.Tokens;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EncryptedStore.Cli.Output;

/// <summary>Spectre tables of tokens for people; secrets redacted unless revealed. Values are never parsed as markup.</summary>
internal static class TokenTables
{
    private static readonly TokenColumn[] ListColumns =
    [
        TokenColumn.Id, TokenColumn.UserName, TokenColumn.ClientId, TokenColumn.RefreshToken,
        TokenColumn.AccessToken, TokenColumn.ExpiryTime,
    ];

    /// <summary>One token, one field per row.</summary>
    public static Table Details(OAuthToken token, bool reveal, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Field").AddColumn("Value");
        foreach (var column in TokenColumns.All)
        {
            table.AddRow(new Text(TokenColumns.Name(column)), Cell(token, column, reveal, now));
        }

        return table;
    }

    /// <summary>Several tokens, one per row, with the columns that tell them apart.</summary>
    public static Table List(IEnumerable<OAuthToken> tokens, bool reveal, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in ListColumns)
        {
            table.AddColumn(TokenColumns.Name(column));
        }

        foreach (var token in tokens)
        {
            table.AddRow(ListColumns.Select(c => Cell(token, c, reveal, now)));
        }

        return table;
    }

    /// <summary>A plain text cell, or a dim dash for null.</summary>
    public static IRenderable Value(string? value) =>
        value is null ? new Text("-", new Style(decoration: Decoration.Dim)) : new Text(value);

    private static IRenderable Cell(OAuthToken token, TokenColumn column, bool reveal, DateTimeOffset now)
    {
        var value = Redactor.Show(token, column, reveal);
        return Value(column == TokenColumn.ExpiryTime ? ExpiryText.Describe(value, now) : value);
    }
}
