namespace EncryptedStore.Internal;

/// <summary>How a write reached the storage, for <see cref="StoreMetrics"/> (<c>encryptedstore.save.path</c>).</summary>
internal enum SavePath
{
    /// <summary><c>journal</c>: appended to the save journal, applied to the file later in a batch.</summary>
    Journal,

    /// <summary><c>transaction</c>: one transaction of the write pipeline, committed before the call returns.</summary>
    Transactional,
}
