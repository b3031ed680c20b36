using Microsoft.Win32.SafeHandles;
using Spectre.Console;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// The process's standard streams, and the one place that decides what they can show: whether each is a
/// terminal, its width, whether escape codes (colour, bold, cursor moves) may be written, and whether
/// messages are wanted (<c>--quiet</c>). Results go to stdout; messages, warnings, errors, prompts and
/// progress go to stderr.
/// </summary>
internal sealed class CliConsole
{
    /// <summary>Width assumed for a terminal whose size cannot be read.</summary>
    public const int DefaultTerminalWidth = 80;

    /// <summary>
    /// Spectre's width for a stream that is not a terminal. Nothing should be laid out for such a stream
    /// (it gets plain lines, never wrapped); this only keeps a stray Spectre write from breaking lines.
    /// </summary>
    private const int RedirectedWidth = 4096;

    private static readonly System.Text.UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Lazy<IAnsiConsole> _out;
    private readonly Lazy<IAnsiConsole> _error;
    private readonly Func<Stream> _openOutput;
    private readonly Func<Stream> _openInput;

    public CliConsole(
        TextWriter output,
        TextWriter error,
        TextReader input,
        bool inputIsTerminal,
        bool outputIsTerminal,
        bool errorIsTerminal,
        bool noColor = false,
        int terminalWidth = DefaultTerminalWidth,
        Func<Stream>? openOutput = null,
        Func<Stream>? openInput = null)
    {
        _openOutput = openOutput ?? (() => throw new InvalidOperationException("this console has no binary stdout."));
        _openInput = openInput ?? (() => throw new InvalidOperationException("this console has no binary stdin."));
        OutputWriter = output;
        ErrorWriter = error;
        Input = input;
        InputIsTerminal = inputIsTerminal;
        OutputIsTerminal = outputIsTerminal;
        ErrorIsTerminal = errorIsTerminal;
        NoColor = noColor;
        TerminalWidth = terminalWidth > 0 ? terminalWidth : DefaultTerminalWidth;
        // Made when first used: creating a Spectre console touches System.Console, which on Unix writes escape codes to a terminal.
        _out = new Lazy<IAnsiConsole>(() => Create(output, outputIsTerminal, interactive: false));
        _error = new Lazy<IAnsiConsole>(() => Create(error, errorIsTerminal, interactive: inputIsTerminal));
    }

    /// <summary>stdout for people; only for a terminal (<see cref="OutputIsTerminal"/>).</summary>
    public IAnsiConsole Out => _out.Value;

    /// <summary>stderr for people: prompts and progress. Escape codes only when <see cref="ErrorUsesAnsi"/>.</summary>
    public IAnsiConsole Error => _error.Value;

    /// <summary>Raw stdout, for data: JSON, tab-separated lines, field values.</summary>
    public TextWriter OutputWriter { get; }

    /// <summary>Raw stderr.</summary>
    public TextWriter ErrorWriter { get; }

    /// <summary>stdin, for JSON input and values given as <c>-</c>.</summary>
    public TextReader Input { get; }

    /// <summary>Whether stdin is a terminal (so a no-echo prompt is possible).</summary>
    public bool InputIsTerminal { get; }

    /// <summary>Whether stdout is a terminal: tables sized to it; otherwise tab-separated lines with a header.</summary>
    public bool OutputIsTerminal { get; }

    /// <summary>Whether stderr is a terminal (so live progress can redraw a line).</summary>
    public bool ErrorIsTerminal { get; }

    /// <summary><c>NO_COLOR</c> is set to a non-empty value: no escape codes on any stream.</summary>
    public bool NoColor { get; }

    /// <summary>Columns of the terminal (when stdout or stderr is one).</summary>
    public int TerminalWidth { get; }

    /// <summary>Whether stdout may carry escape codes: a terminal and no <c>NO_COLOR</c>.</summary>
    public bool OutputUsesAnsi => OutputIsTerminal && !NoColor;

    /// <summary>Whether stderr may carry escape codes: a terminal and no <c>NO_COLOR</c>.</summary>
    public bool ErrorUsesAnsi => ErrorIsTerminal && !NoColor;

    /// <summary><c>--quiet</c>: no messages on stderr (<see cref="WriteNote"/>, progress), only errors and warnings.</summary>
    public bool Quiet { get; set; }

    /// <summary>
    /// The process's streams. On Unix they are the file descriptors themselves, not <see cref="Console.Out"/> or
    /// <see cref="Console.OpenStandardOutput"/>: the first write through those initialises .NET's terminal handling,
    /// which writes escape codes (keypad mode) to a terminal even with <c>NO_COLOR</c>.
    /// </summary>
    public static CliConsole FromSystemConsole() => new(
        new StreamWriter(Standard(1, FileAccess.Write, Console.OpenStandardOutput), Utf8) { AutoFlush = true },
        new StreamWriter(Standard(2, FileAccess.Write, Console.OpenStandardError), Utf8) { AutoFlush = true },
        new StreamReader(Standard(0, FileAccess.Read, Console.OpenStandardInput), Utf8),
        inputIsTerminal: !Console.IsInputRedirected,
        outputIsTerminal: !Console.IsOutputRedirected,
        errorIsTerminal: !Console.IsErrorRedirected,
        noColor: !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
        terminalWidth: TerminalSize.Columns() ?? DefaultTerminalWidth,
        openOutput: () => Standard(1, FileAccess.Write, Console.OpenStandardOutput),
        openInput: () => Standard(0, FileAccess.Read, Console.OpenStandardInput));

    /// <summary>Writes bytes to stdout as they are (a file given as <c>-</c>), after anything written to <see cref="OutputWriter"/>.</summary>
    public void WriteBytes(ReadOnlySpan<byte> content)
    {
        OutputWriter.Flush();
        using var stream = _openOutput();
        stream.Write(content);
        stream.Flush();
    }

    /// <summary>All of stdin as bytes (a file given as <c>-</c>).</summary>
    public byte[] ReadAllInputBytes()
    {
        using var stream = _openInput();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Writes a plain line to stdout (never wrapped).</summary>
    public void WriteLine(string message) => OutputWriter.WriteLine(message);

    /// <summary>Writes <c>error: message</c> to stderr as one plain line, even with <c>--quiet</c>.</summary>
    public void WriteError(string message) => ErrorWriter.WriteLine("error: " + OneLine(message));

    /// <summary>Writes <c>warning: message</c> to stderr as one plain line, even with <c>--quiet</c>.</summary>
    public void WriteWarning(string message) => ErrorWriter.WriteLine("warning: " + OneLine(message));

    /// <summary>Writes a message for people to stderr as one plain line (never wrapped); nothing with <c>--quiet</c>.</summary>
    public void WriteNote(string message)
    {
        if (!Quiet)
        {
            ErrorWriter.WriteLine(message);
        }
    }

    /// <summary>Writes a table of results to stdout: aligned to the terminal, or tab-separated when stdout is not one.</summary>
    /// <returns>The columns left out to fit the terminal (none when not a terminal).</returns>
    public IReadOnlyList<string> WriteTable(OutputTable table) =>
        TableWriter.Write(table, OutputWriter, OutputIsTerminal, OutputUsesAnsi, TerminalWidth);

    /// <summary>As <see cref="WriteTable"/>, on stderr (e.g. the rows an import refused); nothing with <c>--quiet</c>.</summary>
    public void WriteErrorTable(OutputTable table)
    {
        if (!Quiet)
        {
            TableWriter.Write(table, ErrorWriter, ErrorIsTerminal, ErrorUsesAnsi, TerminalWidth);
        }
    }

    private static Stream Standard(int descriptor, FileAccess access, Func<Stream> onWindows) =>
        OperatingSystem.IsWindows() ? onWindows()
        : access == FileAccess.Write ? new DescriptorWriteStream(descriptor)
        : new FileStream(new SafeFileHandle(descriptor, ownsHandle: false), access, bufferSize: 0);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private IAnsiConsole Create(TextWriter writer, bool isTerminal, bool interactive)
    {
        var ansi = isTerminal && !NoColor;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = isTerminal ? TerminalWidth : RedirectedWidth;
        return console;
    }
}
