using System.CommandLine;
using System.Data.Common;
using EncryptedStore.Cli.Commands;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli;

/// <summary>
/// Parses the command line, runs the command, and turns every failure into one <c>error: …</c> line on
/// stderr and an exit code (see <see cref="ExitCodes"/>); never a stack trace.
/// </summary>
internal static class CliApp
{
    /// <summary>System.CommandLine's message for a stray word once <see cref="WithoutValues"/> has named it by position.</summary>
    private const string UnrecognizedValue = "Unrecognized command or argument argument";

    /// <summary>Values this long are replaced wherever they appear in a parse error, quoted or not.</summary>
    private const int MinimumUnquotedLength = 6;

    /// <summary>Commands that never change a store: interrupted, they have changed nothing.</summary>
    private static readonly HashSet<string> ReadOnlyCommands = new(["get", "list", "stats", "verify", "export", "status", "completion"], StringComparer.Ordinal);

    public static int Run(string[] args, CliConsole console) => Run(args, console, TimeProvider.System);

    /// <summary>
    /// A parse error's message with every value the user typed replaced by its position: a mistyped option
    /// (<c>--acess-token 1000.…</c>) must not echo the secret that follows it. Option and command names stay.
    /// </summary>
    public static string WithoutValues(string message, IReadOnlyList<string> args, IReadOnlySet<string> commandNames)
    {
        var positions = Enumerable.Range(0, args.Count)
            .Where(i => args[i].Length > 0 && !args[i].StartsWith('-') && !commandNames.Contains(args[i]))
            .OrderByDescending(i => args[i].Length);
        foreach (var i in positions)
        {
            message = message.Replace($"'{args[i]}'", $"argument {i + 1}", StringComparison.Ordinal);
            if (args[i].Length >= MinimumUnquotedLength)
            {
                message = message.Replace(args[i], $"argument {i + 1}", StringComparison.Ordinal);
            }
        }

        return message;
    }

    public static int Run(string[] args, CliConsole console, TimeProvider time)
    {
        using var interruption = Interruption.None(console);
        return Run(args, console, time, interruption);
    }

    public static int Run(string[] args, CliConsole console, TimeProvider time, Interruption interruption)
    {
        var options = new GlobalOptions();
        var root = RootCommandFactory.Create(new CommandEnvironment(options, console, time, interruption));
        // Bare 'tokenstore' shows the help, as gh and dotnet do, rather than an error.
        var parseResult = root.Parse(args.Length == 0 ? ["--help"] : args);
        console.Quiet = parseResult.GetValue(options.Quiet);
        if (parseResult.Errors.Count > 0)
        {
            var command = parseResult.CommandResult.Command;

            // A word close to one of our names is a typo of it, not a value, so it may be named; the errors that only
            // restate it ("Unrecognized command or argument 'lst'", "Required command was not provided") are left out.
            var typos = parseResult.UnmatchedTokens.Select(t => (Typed: t, Close: Suggestions.For(t, command))).Where(t => t.Close.Count > 0).ToList();
            foreach (var (typed, close) in typos)
            {
                console.WriteError($"unknown {(typed.StartsWith('-') ? "option" : "command")} '{typed}'.");
                console.WriteNote($"Did you mean {string.Join(" or ", close.Select(c => $"'{c}'"))}?");
            }

            var explained = parseResult.Errors.Where(e => typos.Count > 0
                && (typos.Any(t => e.Message.Contains($"'{t.Typed}'", StringComparison.Ordinal)) || e.Message.StartsWith("Required command", StringComparison.Ordinal)));
            foreach (var error in parseResult.Errors.Except(explained))
            {
                var message = WithoutValues(error.Message, args, root.Subcommands.Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
                console.WriteError(message.StartsWith(UnrecognizedValue, StringComparison.Ordinal)
                    ? $"unexpected value at position{message[UnrecognizedValue.Length..].TrimEnd('.')} (not shown: it may be a secret)."
                    : message);
            }

            console.WriteNote($"Run '{(command == root ? root.Name : root.Name + " " + command.Name)} --help' for usage.");
            return ExitCodes.Usage;
        }

        interruption.ReadOnlyCommand = ReadOnlyCommands.Contains(parseResult.CommandResult.Command.Name);
        try
        {
            return parseResult.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = console.OutputWriter,
                Error = console.ErrorWriter,
            });
        }
        catch (OperationCanceledException)
        {
            // A command that cooperates with Ctrl-C says itself what state it left; this is for the others.
            console.WriteError("interrupted: nothing was changed.");
            return ExitCodes.Interrupted;
        }
        catch (CliException e)
        {
            console.WriteError(e.Message);
            return e.ExitCode;
        }
        catch (TokenStoreException e)
        {
            console.WriteError($"{e.Code}: {e.Message}");
            return ExitCodes.For(e);
        }
        catch (ArgumentException e)
        {
            console.WriteError(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DbException)
        {
            console.WriteError($"{e.GetType().Name}: {e.Message}");
            return ExitCodes.Error;
        }
        catch (Exception e)
        {
            // The last resort: a bug must still end in one line and an exit code, not a stack trace.
            console.WriteError($"unexpected {e.GetType().Name}: {e.Message} (please report this)");
            return ExitCodes.Error;
        }
    }
}
