namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// A file stream whose plain <see cref="Flush()"/> also flushes the operating system's buffers, as the
/// encrypted store's own file stream does: LiteDB calls it at checkpoints, and the plaintext baseline
/// calls it after every commit, as the store does, so both pay the same fsync per commit and the
/// comparison isolates the cost of encryption and hashing.
/// </summary>
internal sealed class SyncingFileStream(string path) : FileStream(path, Options)
{
    private static readonly FileStreamOptions Options = new()
    {
        Mode = FileMode.OpenOrCreate,
        Access = FileAccess.ReadWrite,
        Share = FileShare.None,
        BufferSize = 0,
    };

    public override void Flush() => Flush(flushToDisk: true);
}
