namespace EncryptedStore.DependencyInjection;

/// <summary>The master key a <c>ProtectWith…</c> call chose; the container makes it on first use and disposes it.</summary>
internal sealed class MasterKeyRegistration(MasterKey key) : IDisposable
{
    public MasterKey Key { get; } = key;

    public void Dispose() => Key.Dispose();
}
