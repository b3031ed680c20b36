namespace EncryptedStore;

/// <summary>Progress of a rotation, reported after each batch.</summary>
/// <param name="RecordsScanned">Records looked at so far in this run.</param>
/// <param name="RecordsRewritten">Records re-encrypted so far in this run.</param>
/// <param name="TotalRecords">How many records the store held when the run started.</param>
public readonly record struct KeyRotationProgress(int RecordsScanned, int RecordsRewritten, int TotalRecords);
