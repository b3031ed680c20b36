namespace EncryptedStore.Tests.Support;

/// <summary>Where a store under test keeps its data.</summary>
public enum StoreKind
{
    /// <summary>A real LiteDB file in a temporary folder.</summary>
    File,

    /// <summary><see cref="EncryptedTokenStoreOptions.InMemory"/> with no master key.</summary>
    Memory,

    /// <summary>Tables with a fresh prefix in the MariaDB/MySQL test database (<see cref="TestServers"/>).</summary>
    MySql,

    /// <summary>Tables with a fresh prefix in the PostgreSQL test database (<see cref="TestServers"/>).</summary>
    PostgreSql,
}
