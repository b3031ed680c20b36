using System.CommandLine;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>delete --id</c>: deletes one token (<see cref="EncryptedTokenStore.DeleteToken"/>).</summary>
internal static class DeleteCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var id = new Option<string>("--id") { Description = "Id of the token to delete.", HelpName = "ID", Required = true };
        var command = new Command("delete", "Delete one token by id. Exit code 5 when no token has that id.") { id };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(id)!));
        return command;
    }

    private static int Run(CommandContext context, string id)
    {
        using var session = context.OpenStore();

        // The library treats an unknown id as done; a person typing an id wants to hear about a typo.
        if (session.Store.TryFindTokenById(id) is null)
        {
            throw new TokenStoreException(TokenStoreErrorCodes.NotFound, $"Given ID is invalid: no token has id '{id}'.");
        }

        session.Store.DeleteToken(id);
        context.Console.WriteLine($"Deleted token {id}.");
        return ExitCodes.Ok;
    }
}
