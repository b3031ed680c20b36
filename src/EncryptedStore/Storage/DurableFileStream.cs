namespace EncryptedStore.Storage;

/// <summary>
/// A file stream whose plain <see cref="Flush()"/> also flushes the operating system's buffers, so
/// LiteDB's commit (which calls <c>Flush()</c> through its own stream wrapper) is durable on return.
/// </summary>
internal sealed class DurableFileStream(string path, FileStreamOptions options) : FileStream(path, options)
{
    public override void Flush() => Flush(flushToDisk: true);
}
