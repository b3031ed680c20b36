namespace EncryptedStore.Cli;

/// <summary>
/// A failure the CLI explains in one line on stderr, with the exit code to return. The message never
/// holds a secret value.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException()
        : this(ExitCodes.Error, "tokenstore failed.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Error, message)
    {
    }

    public CliException(string message, Exception? innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Error;
    }

    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }

    /// <summary>A usage error: bad or missing options (exit code 2).</summary>
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    /// <summary>Something named does not exist (exit code 5).</summary>
    public static CliException NotFound(string message) => new(ExitCodes.NotFound, message);
}
