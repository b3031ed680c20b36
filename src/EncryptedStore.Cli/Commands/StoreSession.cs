using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Stores;

namespace EncryptedStore.Cli.Commands;

/// <summary>An open store with the key that opened it; disposing closes the store and clears the key.</summary>
internal sealed class StoreSession(KeySource key, EncryptedTokenStore store, StoreLocation location) : IDisposable
{
    public KeySource Key { get; } = key;

    public EncryptedTokenStore Store { get; } = store;

    public StoreLocation Location { get; } = location;

    /// <summary>The store for people: the store file's full path, or the database's URI (<see cref="StoreLocation.Display"/>).</summary>
    public string Name => Location.IsDatabase ? Location.Display : Store.FilePath;

    public void Dispose()
    {
        Store.Dispose();
        Key.Dispose();
    }
}
