namespace EncryptedStore.Storage;

/// <summary>Holds the storage, or marks a scan, until disposed; the default value holds nothing.</summary>
internal readonly struct StorageLease(Action? release) : IDisposable
{
    public void Dispose() => release?.Invoke();
}
