namespace EncryptedStore.Internal;

/// <summary>What a write did to one token, for <see cref="StoreMetrics"/> (<c>encryptedstore.save.operation</c>).</summary>
internal enum SaveOperation
{
    /// <summary><c>insert</c>: a new record.</summary>
    Insert,

    /// <summary><c>update</c>: an existing record changed.</summary>
    Update,

    /// <summary><c>delete</c>: a record removed (by <c>DeleteToken</c>, <c>DeleteTokens</c> or <c>PurgeExpired</c>).</summary>
    Delete,
}
