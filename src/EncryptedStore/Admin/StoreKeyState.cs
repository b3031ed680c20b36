namespace EncryptedStore;

/// <summary>The life cycle of a store key version: active, then retired, revoked and finally destroyed.</summary>
public enum StoreKeyState
{
    /// <summary>The current version: new writes use it.</summary>
    Active = 1,

    /// <summary>An older version: still decrypts (or matches) the records that use it; nothing new is written with it.</summary>
    Retired = 2,

    /// <summary>No longer used at all: records still under it fail with <see cref="TokenStoreErrorCodes.KeyUnavailable"/>.</summary>
    Revoked = 3,

    /// <summary>Its material is gone from the store; only the version number remains.</summary>
    Destroyed = 4,
}
