using System.Diagnostics;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Runs the built <c>tokenstore.dll</c> (copied next to the tests by the project reference) as a child
/// process: <c>dotnet tokenstore.dll …</c>, stdin redirected (so never a terminal, as in CI).
/// </summary>
internal static class CliRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static string DllPath { get; } = typeof(EncryptedStore.Cli.Program).Assembly.Location;

    public static CliResult Run(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        Execute(NewStart("dotnet", [DllPath, .. args], workingDirectory ?? Environment.CurrentDirectory), stdin, environment);

    /// <summary>Runs another program (e.g. <c>script</c>, to give the tool a terminal) the same way.</summary>
    public static CliResult RunProgram(string program, IEnumerable<string> args, string? stdin, string workingDirectory) =>
        Execute(NewStart(program, args, workingDirectory), stdin, null);

    private static ProcessStartInfo NewStart(string program, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static CliResult Execute(ProcessStartInfo start, string? stdin, IReadOnlyDictionary<string, string?>? environment)
    {
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {Timeout}.");
        }

        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
