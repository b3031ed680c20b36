namespace EncryptedStore.Storage;

/// <summary>What the storage records about one data or index key version.</summary>
/// <param name="Version">The version number records refer to.</param>
/// <param name="Purpose">Whether it seals records or computes blind indexes.</param>
/// <param name="State">Where it is in its life cycle.</param>
/// <param name="ProtectionKeyId">The Data Protection key that wraps it.</param>
/// <param name="Created">When it was made (UTC).</param>
/// <param name="Wrapped">The key material wrapped by the Data Protection key; null once destroyed.</param>
internal sealed record StoredKey(int Version, StoreKeyPurpose Purpose, StoreKeyState State, Guid ProtectionKeyId, DateTime Created, byte[]? Wrapped);
