namespace EncryptedStore.Tests.Support;

/// <summary>Where a store under test keeps its data.</summary>
public enum StoreKind
{
    /// <summary>A real LiteDB file in a temporary folder.</summary>
    File,

    /// <summary><see cref="EncryptedTokenStoreOptions.InMemory"/> with no master key.</summary>
    Memory,
}
