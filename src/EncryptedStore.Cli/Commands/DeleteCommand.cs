using System.CommandLine;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>delete --id</c>: deletes one token (<see cref="EncryptedTokenStore.DeleteToken"/>).</summary>
internal static class DeleteCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var id = new Option<string?>("--id") { Description = "Id of the token to delete (or give it as the argument).", HelpName = "ID" };
        var positional = new Argument<string?>("ID") { Description = "Id of the token to delete.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("delete", "Delete one token by id: 'delete ID' or 'delete --id ID'. Exit code 5 when no token has that id.") { positional, id };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(positional), parseResult.GetValue(id)));
        return command;
    }

    private static int Run(CommandContext context, string? positional, string? option)
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
        context.Console.WriteLine($"Deleted token {id}.");
        return ExitCodes.Ok;
    }
}
