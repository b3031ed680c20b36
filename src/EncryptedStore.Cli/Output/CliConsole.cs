using Spectre.Console;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// The process's standard streams: Spectre consoles for people (tables, prompts, progress) and the raw
/// writers for machine output (<c>--json</c>). Everything but a command's result goes to stderr.
/// </summary>
internal sealed class CliConsole
{
    /// <summary>Width used for tables when stdout is not a terminal, so redirected tables do not wrap at 80 columns.</summary>
    private const int RedirectedWidth = 160;

    public CliConsole(TextWriter output, TextWriter error, TextReader input, bool inputIsTerminal, bool outputIsTerminal, bool errorIsTerminal)
    {
        OutputWriter = output;
        ErrorWriter = error;
        Input = input;
        InputIsTerminal = inputIsTerminal;
        Out = Create(output, outputIsTerminal, interactive: false);
        Error = Create(error, errorIsTerminal, interactive: inputIsTerminal);
    }

    /// <summary>stdout for people.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>stderr for people: messages, warnings, prompts and progress.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Raw stdout, for JSON.</summary>
    public TextWriter OutputWriter { get; }

    /// <summary>Raw stderr.</summary>
    public TextWriter ErrorWriter { get; }

    /// <summary>stdin, for JSON input and values given as <c>-</c>.</summary>
    public TextReader Input { get; }

    /// <summary>Whether stdin is a terminal (so a no-echo prompt is possible).</summary>
    public bool InputIsTerminal { get; }

    public static CliConsole FromSystemConsole() => new(
        Console.Out,
        Console.Error,
        Console.In,
        inputIsTerminal: !Console.IsInputRedirected,
        outputIsTerminal: !Console.IsOutputRedirected,
        errorIsTerminal: !Console.IsErrorRedirected);

    /// <summary>Writes a plain line to stdout (not through Spectre, so it is never wrapped).</summary>
    public void WriteLine(string message) => OutputWriter.WriteLine(message);

    /// <summary>Writes <c>error: message</c> to stderr as one plain line.</summary>
    public void WriteError(string message) => ErrorWriter.WriteLine("error: " + OneLine(message));

    /// <summary>Writes <c>warning: message</c> to stderr as one plain line.</summary>
    public void WriteWarning(string message) => ErrorWriter.WriteLine("warning: " + OneLine(message));

    /// <summary>Writes an informational line to stderr.</summary>
    public void WriteNote(string message) => ErrorWriter.WriteLine(message);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static IAnsiConsole Create(TextWriter writer, bool isTerminal, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!isTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
