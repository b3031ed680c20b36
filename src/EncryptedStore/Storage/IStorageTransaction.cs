namespace EncryptedStore.Storage;

/// <summary>One change to the storage: all of it, or (disposed without <see cref="Commit"/>) none of it.</summary>
internal interface IStorageTransaction : IDisposable
{
    /// <summary>Commits, and puts the commit on the disk before returning (unless the store does not flush).</summary>
    void Commit();
}
