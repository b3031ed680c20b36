using System.CommandLine;

namespace EncryptedStore.Cli.Commands;

/// <summary>Builds the <c>tokenstore</c> command tree.</summary>
internal static class RootCommandFactory
{
    public static RootCommand Create(CommandEnvironment environment)
    {
        var root = new RootCommand(
            "tokenstore: manage an EncryptedStore token store (the encrypted drop-in for the Zoho SDK token store). "
            + "Start with 'tokenstore demo'. Every global option has a default from a TOKENSTORE_* variable or the config file "
            + "($XDG_CONFIG_HOME/tokenstore/config.json); 'tokenstore status' shows what is in effect. Exit codes: 0 ok, 1 error, 2 usage, 3 wrong key, 4 integrity, 5 not found, 6 store locked.");
        environment.Options.AddTo(root);
        root.Subcommands.Add(InitCommand.Create(environment));
        root.Subcommands.Add(DemoCommand.Create(environment));
        root.Subcommands.Add(PutCommand.Create(environment));
        root.Subcommands.Add(GetCommand.Create(environment));
        root.Subcommands.Add(ListCommand.Create(environment));
        root.Subcommands.Add(DeleteCommand.Create(environment));
        root.Subcommands.Add(PurgeCommand.Create(environment));
        root.Subcommands.Add(VerifyCommand.Create(environment));
        root.Subcommands.Add(StatsCommand.Create(environment));
        root.Subcommands.Add(ImportCommand.Create(environment));
        root.Subcommands.Add(ExportCommand.Create(environment));
        root.Subcommands.Add(CopyCommand.Create(environment));
        root.Subcommands.Add(RotateCommand.Create(environment));
        root.Subcommands.Add(ChangeMasterKeyCommand.Create(environment));
        root.Subcommands.Add(CompactCommand.Create(environment));
        root.Subcommands.Add(StatusCommand.Create(environment));
        root.Subcommands.Add(CompletionCommand.Create(environment));
        HelpExamples.AddTo(root);
        return root;
    }
}
