using System.CommandLine;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>purge</c>: deletes every token in one transaction (<see cref="EncryptedTokenStore.DeleteTokens"/>).</summary>
internal static class PurgeCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (required when stdin is not a terminal)." };
        var json = CommonOptions.Json("Print how many tokens were deleted as JSON: {\"deleted\": N}.");
        var command = new Command("purge", "Delete every token in the store (the keys stay). Asks for confirmation unless --yes.") { yes, json };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(yes), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, bool yes, bool json)
    {
        if (!yes && !context.Console.InputIsTerminal)
        {
            throw CliException.Usage("purge deletes every token; pass --yes to confirm (stdin is not a terminal, so it cannot ask).");
        }

        using var session = context.OpenStore();
        var count = session.Store.GetStatistics().TokenCount;
        if (!yes && !context.Confirm($"Delete all {count} token(s) in '{session.Name}'?"))
        {
            context.Console.WriteNote("Nothing deleted.");
            return ExitCodes.Usage;
        }

        session.Store.DeleteTokens();
        context.Console.WriteNote($"Deleted {count} token(s).");
        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("deleted", count);
                w.WriteEndObject();
            });
        }

        return ExitCodes.Ok;
    }
}
