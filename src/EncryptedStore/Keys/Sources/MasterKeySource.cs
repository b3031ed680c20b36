namespace EncryptedStore.Keys.Sources;

/// <summary>
/// A master key whose bytes are found when a store is opened, not when the <see cref="MasterKey"/> is made: a key kept
/// in an OS key store (read, or made for a new store), or a random key wrapped to a certificate or DPAPI beside the store.
/// </summary>
internal abstract class MasterKeySource : IDisposable
{
    /// <summary>Names the source for messages and <see cref="MasterKey.ToString"/>; never a secret.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The key bytes that may open the existing store at <paramref name="storePath"/> (null: in memory), most
    /// likely first. The caller clears them.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>WRONG_KEY</c>, <c>MASTER_KEY_NOT_FOUND</c>, <c>MASTER_KEY_UNAVAILABLE</c> or <c>MASTER_KEY_LOCKED</c>.</exception>
    public abstract IReadOnlyList<byte[]> KeysFor(string? storePath);

    /// <summary>
    /// The key bytes a new store at <paramref name="storePath"/>, or a store changing to this source, will use, with
    /// what to do beside the store once it committed (<see cref="PendingMasterKey"/>).
    /// </summary>
    public abstract (byte[] Key, Action Commit, Action Abandon) Prepare(string? storePath);

    public virtual void Dispose()
    {
    }

    /// <summary>After a commit under a key that is not wrapped: a wrapped key left beside the store opens nothing any more.</summary>
    protected static void DeleteWrappedKeys(string? storePath)
    {
        if (storePath is not null)
        {
            WrappedKeyFile.Delete(storePath);
        }
    }
}
