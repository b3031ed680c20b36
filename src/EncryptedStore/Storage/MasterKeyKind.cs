namespace EncryptedStore.Storage;

/// <summary>How a master key is turned into the key-encryption key; recorded in the store so a mismatch can be explained.</summary>
internal enum MasterKeyKind
{
    /// <summary>A passphrase, stretched with PBKDF2-HMAC-SHA256.</summary>
    Passphrase = 1,

    /// <summary>Random key bytes, expanded with HKDF-SHA256.</summary>
    Key = 2,
}
