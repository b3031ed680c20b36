namespace EncryptedStore.Storage.Server;

/// <summary>
/// The metadata, the key list and the key ring as one consistent snapshot of the server (one read-only transaction):
/// a store reloading its keys while another instance changes them sees either state, never half of each.
/// </summary>
internal sealed record StateSnapshot(byte[]? Metadata, IReadOnlyList<StoredKey> Keys, IReadOnlyList<KeyRingElement> Elements);
