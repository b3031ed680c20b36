namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// A LiteDB data or log file that knows whether it holds writes the disk may not have yet. LiteDB 5.0.21
/// writes each commit's pages to the log and never asks the system to put them on the disk (it flushes
/// only at checkpoints), so a commit would survive the process dying but not the machine. The store
/// calls <see cref="SyncIfWritten"/> after every commit, which makes the commit durable (fsync) before
/// the call that made it returns.
/// Every read, write and flush to the disk first passes the I/O fault seam (<see cref="IoFaults"/>, for tests): in the
/// array overloads only, since FileStream sends a derived type's span and memory overloads through them (not its byte ones).
/// </summary>
internal sealed class DurableFileStream(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, bool flushToDisk) : FileStream(handle, FileAccess.ReadWrite, bufferSize: 0)
{
    private int _written;
    private long _syncs;

    /// <summary>True when bytes were written since the last fsync (always, once written, when flushing to disk is off).</summary>
    public bool HasUnsyncedWrites => Volatile.Read(ref _written) != 0;

    /// <summary>How many times this file was flushed to the disk (for tests).</summary>
    public long SyncCount => Interlocked.Read(ref _syncs);

    public override void Flush() => Flush(flushToDisk);

    public override void Flush(bool flushToDisk)
    {
        if (!flushToDisk)
        {
            base.Flush(flushToDisk: false);
            return;
        }

        // Cleared first: a write that lands during the fsync marks the file again.
        Volatile.Write(ref _written, 0);
        try
        {
            IoFaults.Check(path, IoFaultKind.Sync);
            base.Flush(flushToDisk: true);
        }
        catch
        {
            // What was written is not known to be on the disk: the next sync must not be skipped.
            Volatile.Write(ref _written, 1);
            throw;
        }

        Interlocked.Increment(ref _syncs);
    }

    /// <summary>Puts what was written on the disk (fsync), unless nothing was or flushing to disk is off.</summary>
    public void SyncIfWritten()
    {
        if (flushToDisk && HasUnsyncedWrites)
        {
            Flush(flushToDisk: true);
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        IoFaults.Check(path, IoFaultKind.Write);
        Volatile.Write(ref _written, 1);
        base.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Volatile.Write(ref _written, 1);
        base.Write(buffer);
    }

    public override void WriteByte(byte value)
    {
        IoFaults.Check(path, IoFaultKind.Write);
        Volatile.Write(ref _written, 1);
        base.WriteByte(value);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        IoFaults.Check(path, IoFaultKind.Write);
        Volatile.Write(ref _written, 1);
        return base.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _written, 1);
        return base.WriteAsync(buffer, cancellationToken);
    }

    public override void SetLength(long value)
    {
        IoFaults.Check(path, IoFaultKind.Write);
        Volatile.Write(ref _written, 1);
        base.SetLength(value);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        IoFaults.Check(path, IoFaultKind.Read);
        return base.Read(buffer, offset, count);
    }

    public override int ReadByte()
    {
        IoFaults.Check(path, IoFaultKind.Read);
        return base.ReadByte();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        IoFaults.Check(path, IoFaultKind.Read);
        return base.ReadAsync(buffer, offset, count, cancellationToken);
    }
}
