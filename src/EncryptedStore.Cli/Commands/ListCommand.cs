using System.CommandLine;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Tokens;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>list</c>: every token (<see cref="EncryptedTokenStore.GetTokens"/>), as a table or a JSON array.</summary>
internal static class ListCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print a JSON array of token objects (keys are the SDK's column names).");
        var reveal = CommonOptions.Reveal();
        var command = new Command("list", "List every token, secrets redacted.") { json, reveal };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json), parseResult.GetValue(reveal)));
        return command;
    }

    private static int Run(CommandContext context, bool json, bool reveal)
    {
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
        else if (tokens.Count == 0)
        {
            context.Console.WriteLine("The store holds no tokens.");
        }
        else
        {
            context.Console.Out.Write(TokenTables.List(tokens, reveal, context.Time.GetUtcNow()));
            context.Console.WriteLine($"{tokens.Count} token(s).");
        }

        return ExitCodes.Ok;
    }
}
