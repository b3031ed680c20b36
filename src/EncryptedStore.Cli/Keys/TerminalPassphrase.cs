using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Cli.Keys;

/// <summary>
/// Asks for a passphrase on the controlling terminal (<c>/dev/tty</c>) with echo off, as ssh, gpg and age do, so a
/// command whose stdin carries data (<c>put --json &lt; token.json</c>) can still ask for it. The prompt goes to the
/// terminal, never to stdout. Unix only; on Windows the console prompt needs stdin to be the console.
/// </summary>
internal static class TerminalPassphrase
{
    private const string TerminalPath = "/dev/tty";

    /// <summary>Whether there is a controlling terminal to ask on.</summary>
    public static bool IsAvailable()
    {
        using var terminal = OpenTerminal();
        return terminal is not null;
    }

    /// <summary>Shows each of <paramref name="prompts"/> in turn and reads one line for each, echo off; null when there is no terminal.</summary>
    /// <exception cref="CliException">When echo cannot be turned off (the passphrase would show).</exception>
    public static IReadOnlyList<string>? Ask(IReadOnlyList<string> prompts)
    {
        using var terminal = OpenTerminal();
        if (terminal is null)
        {
            return null;
        }

        if (!SetEcho(false))
        {
            throw new CliException($"cannot turn off echo on {TerminalPath} ('stty -echo' failed), so the passphrase is not asked for; give a key option instead.");
        }

        try
        {
            var answers = new List<string>(prompts.Count);
            foreach (var prompt in prompts)
            {
                Write(terminal, prompt + " ");
                answers.Add(ReadLine(terminal));
                Write(terminal, "\n");
            }

            return answers;
        }
        finally
        {
            SetEcho(true);
        }
    }

    private static FileStream? OpenTerminal()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            return new FileStream(TerminalPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No controlling terminal (a service, a CI job, setsid): the caller reports that no key was given.
            return null;
        }
    }

    private static void Write(FileStream terminal, string text)
    {
        terminal.Write(Encoding.UTF8.GetBytes(text));
        terminal.Flush();
    }

    private static string ReadLine(FileStream terminal)
    {
        var buffer = new byte[1024];
        var length = 0;
        try
        {
            int next;
            while ((next = terminal.ReadByte()) is not (-1 or '\n'))
            {
                if (length == buffer.Length)
                {
                    var larger = new byte[buffer.Length * 2];
                    buffer.CopyTo(larger, 0);
                    CryptographicOperations.ZeroMemory(buffer);
                    buffer = larger;
                }

                buffer[length++] = (byte)next;
            }

            return Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\r');
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>Turns the terminal's echo on or off with <c>stty</c>, which needs the terminal as its stdin.</summary>
    private static bool SetEcho(bool on)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"stty {(on ? "echo" : "-echo")} < {TerminalPath}");
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
