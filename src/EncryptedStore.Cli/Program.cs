using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli;

/// <summary>The entry point of the <c>tokenstore</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var console = CliConsole.FromSystemConsole();
        using var interruption = Interruption.Install(console);
        return CliApp.Run(args, console, TimeProvider.System, interruption);
    }
}
