using System.CommandLine;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>compact</c>: rewrites the store file so deleted tokens and destroyed keys leave no bytes behind (<see cref="EncryptedTokenStore.Compact"/>).</summary>
internal static class CompactCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var command = new Command("compact", "Rewrite the store file without free pages, so deleted tokens and destroyed keys leave no bytes behind. Needs no key.");
        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            var path = context.StorePath;
            if (!File.Exists(path))
            {
                throw CliException.NotFound($"no store at '{path}'.");
            }

            var before = new FileInfo(path).Length;
            EncryptedTokenStore.Compact(path);
            context.Console.Out.WriteLine($"Compacted '{path}': {before} -> {new FileInfo(path).Length} bytes.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
