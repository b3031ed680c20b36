using System.CommandLine;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>list</c>: every token (<see cref="EncryptedTokenStore.GetTokens"/>): a table on a terminal, tab-separated
/// lines when piped, a JSON array with <c>--json</c>, or one field per line with <c>--field</c>.
/// </summary>
internal static class ListCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print a JSON array of token objects (keys are the SDK's column names).");
        var field = CommonOptions.Field("Print only this field of each token, one per line (an SDK column name, e.g. id or user_name; secrets need --reveal).");
        var reveal = CommonOptions.Reveal();
        var command = new Command("list", "List every token, secrets redacted. A table on a terminal; tab-separated lines with a header when piped.") { json, field, reveal };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json), parseResult.GetValue(field), parseResult.GetValue(reveal)));
        return command;
    }

    private static int Run(CommandContext context, bool json, string? field, bool reveal)
    {
        CommonOptions.CheckOneFormat(json, field);
        TokenColumn? column = field is null ? null : TokenFields.Resolve(field, reveal);
        using var session = context.OpenStore();
        var tokens = session.Store.GetTokens().Cast<OAuthToken>().ToList();
        if (reveal)
        {
            CommonOptions.WarnReveal(context.Console);
        }

        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartArray();
                foreach (var token in tokens)
                {
                    TokenJson.Write(w, token, reveal);
                }

                w.WriteEndArray();
            });
        }
        else if (column is { } c)
        {
            TokenFields.Write(context.Console, tokens, c);
        }
        else if (tokens.Count == 0 && context.Console.OutputIsTerminal)
        {
            context.Console.WriteNote("The store holds no tokens.");
        }
        else
        {
            var dropped = context.Console.WriteTable(TokenTables.List(tokens, reveal, context.Time.GetUtcNow()));
            NoteDropped(context.Console, dropped);
            context.Console.WriteNote($"{tokens.Count} token(s).");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Says which columns did not fit the terminal, and how to see them.</summary>
    internal static void NoteDropped(CliConsole console, IReadOnlyList<string> dropped)
    {
        if (dropped.Count > 0)
        {
            console.WriteNote($"Hidden to fit {console.TerminalWidth} columns: {string.Join(", ", dropped)}; use --json or --field.");
        }
    }
}
