namespace EncryptedStore;

/// <summary>What a store key version protects.</summary>
public enum StoreKeyPurpose
{
    /// <summary>Encrypts token records (AES-256-GCM).</summary>
    Data = 1,

    /// <summary>Computes the blind indexes of the lookup fields (HMAC-SHA256).</summary>
    Index = 2,
}
