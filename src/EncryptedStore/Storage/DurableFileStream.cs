namespace EncryptedStore.Storage;

/// <summary>
/// A file stream whose plain <see cref="Flush()"/> can also flush the operating system's buffers
/// (fsync), so LiteDB's commit (which calls <c>Flush()</c> through its own stream wrapper) is on the
/// disk when it returns. Without it a commit survives the process dying, not the machine.
/// </summary>
internal sealed class DurableFileStream(string path, FileStreamOptions options, bool flushToDisk) : FileStream(path, options)
{
    public override void Flush() => Flush(flushToDisk);
}
