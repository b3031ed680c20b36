namespace EncryptedStore.Tests.Cli;

/// <summary>What one run of <c>tokenstore</c> did.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public string AllOutput => StdOut + "\n" + StdErr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}
