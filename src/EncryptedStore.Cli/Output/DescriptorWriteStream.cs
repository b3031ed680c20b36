using System.Runtime.InteropServices;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// Writes to a Unix file descriptor with <c>write(2)</c>, so every write goes where the descriptor's shared offset
/// is and moves it. A <see cref="FileStream"/> on the descriptor would keep its own position and write with
/// <c>pwrite</c> when stdout is a regular file: then <c>cmd &gt; log 2&gt;&amp;1</c>, or two commands in one
/// redirected block, overwrite each other's lines. A closed pipe (<c>tokenstore list | head -1</c>) ends the
/// output quietly, as SIGPIPE ends other tools.
/// </summary>
internal sealed class DescriptorWriteStream(int descriptor) : Stream
{
    private const int Interrupted = 4;
    private const int BrokenPipe = 32;

    private bool _broken;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <exception cref="IOException">The descriptor refused the write (other than a closed pipe).</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty && !_broken)
        {
            var written = WriteTo(descriptor, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (written >= 0)
            {
                buffer = buffer[(int)written..];
                continue;
            }

            switch (Marshal.GetLastPInvokeError())
            {
                case Interrupted:
                    continue;
                case BrokenPipe:
                    _broken = true;
                    break;
                case var errno:
                    throw new IOException($"cannot write to file descriptor {descriptor} (errno {errno}).");
            }
        }
    }

    // DllImport rather than LibraryImport, which would need unsafe code in this project; the signature is blittable.
    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint WriteTo(int fd, ref byte buffer, nint count);
}
