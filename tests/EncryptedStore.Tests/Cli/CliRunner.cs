using System.Diagnostics;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// Runs the built <c>tokenstore.dll</c> (copied next to the tests by the project reference) as a child
/// process: <c>dotnet tokenstore.dll …</c>, stdin redirected (so never a terminal, as in CI). Every child is kept
/// from the developer's own defaults: no <c>TOKENSTORE_*</c> variable and a config folder that does not exist, unless
/// the test gives them.
/// </summary>
internal static class CliRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>An <c>XDG_CONFIG_HOME</c> that is never created, so no config file is found.</summary>
    public static string NoConfigHome { get; } = Path.Combine(Path.GetTempPath(), "encryptedstore-tests-no-config-" + Guid.NewGuid().ToString("N"));

    public static string DllPath { get; } = typeof(EncryptedStore.Cli.Program).Assembly.Location;

    /// <summary>
    /// <c>setsid -w</c> where it exists: the tool runs without a controlling terminal even when the tests run in one, so a
    /// command with no key fails as in CI instead of asking on <c>/dev/tty</c> and waiting.
    /// </summary>
    private static readonly string? Setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    public static CliResult Run(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        Execute(
            Setsid is null
                ? NewStart("dotnet", [DllPath, .. args], workingDirectory ?? Environment.CurrentDirectory)
                : NewStart(Setsid, ["-w", "dotnet", DllPath, .. args], workingDirectory ?? Environment.CurrentDirectory),
            stdin,
            environment);

    /// <summary>Runs another program (e.g. <c>script</c>, to give the tool a terminal) the same way.</summary>
    public static CliResult RunProgram(string program, IEnumerable<string> args, string? stdin, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null) =>
        Execute(NewStart(program, args, workingDirectory), stdin, environment);

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
        foreach (var name in start.Environment.Keys.Where(n => n.StartsWith("TOKENSTORE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["XDG_CONFIG_HOME"] = NoConfigHome;
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
