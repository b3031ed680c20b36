using System.CommandLine;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>delete --id</c>: deletes one token (<see cref="EncryptedTokenStore.DeleteToken"/>).</summary>
internal static class DeleteCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var id = new Option<string?>("--id") { Description = "Id of the token to delete (or give it as the argument).", HelpName = "ID" };
        var positional = new Argument<string?>("ID") { Description = "Id of the token to delete.", Arity = ArgumentArity.ZeroOrOne };
        var json = CommonOptions.Json("Print the deleted id as JSON: {\"deleted\": [\"ID\"]}.");
        var command = new Command("delete", "Delete one token by id: 'delete ID' or 'delete --id ID'. Exit code 5 when no token has that id.") { positional, id, json };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(positional), parseResult.GetValue(id), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, string? positional, string? option, bool json)
    {
        if ((positional is null) == (option is null))
        {
            throw CliException.Usage("give the id of the token to delete once: 'delete ID' or 'delete --id ID'.");
        }

        var id = positional ?? option!;
        using var session = context.OpenStore();

        // The library treats an unknown id as done; a person typing an id wants to hear about a typo.
        if (session.Store.TryFindTokenById(id) is null)
        {
            throw new TokenStoreException(TokenStoreErrorCodes.NotFound, $"Given ID is invalid: no token has id '{id}'.");
        }

        session.Store.DeleteToken(id);
        context.Console.WriteNote($"Deleted token {Printable.Of(id)}.");
        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("deleted");
                w.WriteStringValue(id);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }

        return ExitCodes.Ok;
    }
}
