namespace EncryptedStore.Keys;

/// <summary>What the file records about one data or index key version, without its material.</summary>
internal sealed record KeyVersion(int Version, StoreKeyPurpose Purpose, StoreKeyState State, Guid ProtectionKeyId, DateTime Created);
