using EncryptedStore.Storage;

namespace EncryptedStore.Engine;

/// <summary>What the save journal needs from the store's keys: the journal's epoch and MAC key, and durable batches with their watermark.</summary>
internal interface IJournalHost
{
    /// <summary>
    /// Under the write lock, before a new journal file is made: records a new random epoch in the store's
    /// authenticated metadata (durably) and returns it with the journal's MAC key (the caller clears the key).
    /// </summary>
    (byte[] Epoch, byte[] MacKey) BeginEpoch();

    /// <summary>
    /// Deletes the records <paramref name="replaced"/> names, then upserts <paramref name="records"/> in their order and
    /// records <paramref name="lastSequence"/> as applied, in one durable transaction.
    /// </summary>
    void ApplyBatch(IReadOnlyList<StoredRecord> records, IReadOnlyList<string> replaced, long lastSequence);
}
