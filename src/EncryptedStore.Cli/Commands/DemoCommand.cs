using System.CommandLine;
using EncryptedStore.Cli.Demo;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>demo</c>: a self-contained walk through the SDK's token flow; needs no arguments, key or network.</summary>
internal static class DemoCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var dir = new Option<string?>("--dir")
        {
            Description = "Folder for the demo's store and key file (created if missing). Default: a new folder under the system temp folder.",
            HelpName = "PATH",
        };
        var command = new Command(
            "demo",
            "Create a store with a new key file and run the Zoho SDK's token flow against it (grant exchange, start-up lookup, "
            + "lookups before API calls, refresh on expiry) with a simulated OAuth server and clock. Ignores --store and the key options.")
        {
            dir,
        };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(dir)));
        return command;
    }

    private static int Run(CommandContext context, string? dir)
    {
        var folder = dir ?? Path.Combine(Path.GetTempPath(), "tokenstore-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "tokens.db", "master.key" })
        {
            if (File.Exists(Path.Combine(folder, name)))
            {
                throw new CliException($"'{folder}' already holds a demo ({name}); give another --dir.");
            }
        }

        new DemoScenario(context.Console, Path.GetFullPath(folder), context.Time.GetUtcNow()).Run();
        return ExitCodes.Ok;
    }
}
