using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli;

/// <summary>The entry point of the <c>tokenstore</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args) => CliApp.Run(args, CliConsole.FromSystemConsole());
}
