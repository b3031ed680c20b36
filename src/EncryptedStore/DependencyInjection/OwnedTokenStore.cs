namespace EncryptedStore.DependencyInjection;

/// <summary>
/// A store the container opened, with the master key it made from configuration for it (the store does not dispose
/// its key): the container disposes both, the store first.
/// </summary>
internal sealed class OwnedTokenStore(EncryptedTokenStore store, MasterKey? ownedKey) : IDisposable
{
    public EncryptedTokenStore Store { get; } = store;

    public void Dispose()
    {
        Store.Dispose();
        ownedKey?.Dispose();
    }
}
