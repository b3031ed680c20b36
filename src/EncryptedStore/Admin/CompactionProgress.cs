namespace EncryptedStore;

/// <summary>Progress of <see cref="EncryptedTokenStore.Compact(string, IProgress{CompactionProgress}?, TimeSpan?, CancellationToken)"/>, reported after each batch copied.</summary>
/// <param name="RecordsCopied">Documents (tokens, keys and metadata) copied into the new file so far.</param>
/// <param name="TotalRecords">How many documents the store holds.</param>
public readonly record struct CompactionProgress(long RecordsCopied, long TotalRecords);
