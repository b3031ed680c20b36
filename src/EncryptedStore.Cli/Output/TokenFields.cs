using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Output;

/// <summary><c>--field NAME</c>: one raw value per token and line, named by the SDK's column name.</summary>
internal static class TokenFields
{
    /// <summary>The column <paramref name="name"/> names, checked before the store is opened.</summary>
    /// <exception cref="CliException">Usage error: an unknown name, or a secret without <c>--reveal</c>.</exception>
    public static TokenColumn Resolve(string name, bool reveal)
    {
        var column = TokenColumns.All.Where(c => TokenColumns.Name(c) == name).Cast<TokenColumn?>().FirstOrDefault()
            ?? throw CliException.Usage($"--field: unknown field '{Printable.Of(name)}'; one of {string.Join(", ", TokenColumns.All.Select(TokenColumns.Name))}.");
        return TokenColumns.IsSecret(column) && !reveal
            ? throw CliException.Usage($"--field {name} is a secret; add --reveal to print it.")
            : column;
    }

    /// <summary>Writes each token's value of <paramref name="column"/> on its own line; an empty line for none.</summary>
    public static void Write(CliConsole console, IEnumerable<OAuthToken> tokens, TokenColumn column)
    {
        foreach (var token in tokens)
        {
            console.WriteLine(Printable.Of(TokenColumns.Get(token, column)) ?? string.Empty);
        }

        console.OutputWriter.Flush();
    }
}
