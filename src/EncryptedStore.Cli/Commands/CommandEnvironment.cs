using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary>What every command needs besides its own options: the global options, the console, the clock and Ctrl-C.</summary>
internal sealed record CommandEnvironment(GlobalOptions Options, CliConsole Console, TimeProvider Time, Interruption Interruption);
