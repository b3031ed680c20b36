using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Commands;

/// <summary>An open store with the key that opened it; disposing closes the store and clears the key.</summary>
internal sealed class StoreSession(KeySource key, EncryptedTokenStore store) : IDisposable
{
    public KeySource Key { get; } = key;

    public EncryptedTokenStore Store { get; } = store;

    public void Dispose()
    {
        Store.Dispose();
        Key.Dispose();
    }
}
