namespace EncryptedStore.Storage;

/// <summary>
/// A rotation in progress: records are rewritten in id order, and <see cref="Cursor"/> is the last id
/// done, saved in the same transaction as each batch. While <see cref="PreviousIndexKeyVersion"/> is
/// set, lookups also try the blind indexes of that version.
/// </summary>
internal sealed record RotationState(int? PreviousIndexKeyVersion, string? Cursor, DateTime Started);
