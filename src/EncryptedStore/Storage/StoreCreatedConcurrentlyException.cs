namespace EncryptedStore.Storage;

/// <summary>
/// Another instance created the store between this instance's look at the database (no metadata yet) and its own
/// creating transaction; nothing of this instance's attempt was written. The caller opens the store as an existing one.
/// </summary>
internal sealed class StoreCreatedConcurrentlyException : Exception
{
    public StoreCreatedConcurrentlyException()
        : base("Another instance created the store meanwhile; open it as an existing store.")
    {
    }

    public StoreCreatedConcurrentlyException(string message)
        : base(message)
    {
    }

    public StoreCreatedConcurrentlyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
