using EncryptedStore.Internal;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>Rewrites a closed store into a fresh file and puts it in the old one's place.</summary>
internal static class LiteDbCompaction
{
    /// <summary>
    /// Copies every collection of the store at <paramref name="fullPath"/> into <c>name.compact</c>, then replaces
    /// the store with it. Needs no master key: it copies ciphertext. A save journal a process left behind stays
    /// where it is for the next open, which checks it with the master key before applying it.
    /// </summary>
    public static void Compact(string fullPath, TimeSpan lockTimeout)
    {
        if (!File.Exists(fullPath))
        {
            throw Errors.NotAStore(fullPath, "it does not exist.");
        }

        var temporaryPath = fullPath + ".compact";
        File.Delete(temporaryPath);
        File.Delete(StorePaths.LogPathFor(temporaryPath));
        using (var source = LiteDbFiles.Open(fullPath, flushToDisk: true, lockTimeout, shared: false))
        {
            if (source.ReadFormat() is null)
            {
                throw Errors.NotAStore(fullPath, "it has no EncryptedStore metadata.");
            }

            using var target = LiteDbFiles.Open(temporaryPath, flushToDisk: true, TimeSpan.Zero, shared: false);
            using (var transaction = target.BeginTransaction())
            {
                foreach (var name in LiteDbStorage.CollectionNames)
                {
                    target.Database.GetCollection(name).InsertBulk(source.Database.GetCollection(name).FindAll());
                }

                target.CreateSchema();
                transaction.Commit();
            }

            target.Checkpoint();
        }

        File.Move(temporaryPath, fullPath, overwrite: true);
    }
}
