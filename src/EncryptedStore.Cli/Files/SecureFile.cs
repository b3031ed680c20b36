namespace EncryptedStore.Cli.Files;

/// <summary>
/// Overwrites a file with zeros, flushes it to disk, then deletes it. On copy-on-write or journaling
/// file systems, SSDs, snapshots and backups the old blocks may survive; this is the best a program can do.
/// </summary>
internal static class SecureFile
{
    private const int ChunkSize = 64 * 1024;

    public static void Wipe(string path)
    {
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            var zeros = new byte[ChunkSize];
            var remaining = stream.Length;
            while (remaining > 0)
            {
                var count = (int)Math.Min(remaining, ChunkSize);
                stream.Write(zeros, 0, count);
                remaining -= count;
            }

            stream.Flush(flushToDisk: true);
        }

        File.Delete(path);
    }
}
