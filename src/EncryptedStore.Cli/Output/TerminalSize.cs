using System.Runtime.InteropServices;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// The terminal's width, read without <see cref="Console.WindowWidth"/>: on Unix that initialises .NET's terminal
/// handling, which writes escape codes (keypad mode) to stdout even with <c>NO_COLOR</c>.
/// </summary>
internal static class TerminalSize
{
    private const int StdoutFileDescriptor = 1;
    private const int StderrFileDescriptor = 2;
    private const nuint LinuxGetWindowSize = 0x5413;
    private const nuint MacGetWindowSize = 0x40087468;

    /// <summary>Columns of the terminal on stdout (else stderr), else <c>COLUMNS</c>, else null.</summary>
    public static int? Columns()
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                return Console.WindowWidth > 0 ? Console.WindowWidth : null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        var request = OperatingSystem.IsMacOS() ? MacGetWindowSize : LinuxGetWindowSize;
        foreach (var fd in new[] { StdoutFileDescriptor, StderrFileDescriptor })
        {
            try
            {
                if (GetWindowSize(fd, request, out var size) == 0 && size.Columns > 0)
                {
                    return size.Columns;
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                break;
            }
        }

        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : null;
    }

    // DllImport rather than LibraryImport, which would need unsafe code in this project; the signature is blittable.
    [DllImport("libc", EntryPoint = "ioctl")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetWindowSize(int fd, nuint request, out WindowSize size);

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort PixelWidth;
        public ushort PixelHeight;
    }
}
