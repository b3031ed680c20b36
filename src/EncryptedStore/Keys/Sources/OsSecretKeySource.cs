using System.Security.Cryptography;
using EncryptedStore.Internal;

namespace EncryptedStore.Keys.Sources;

/// <summary>A master key of <see cref="KeyLength"/> random bytes kept in an OS key store under a name.</summary>
internal sealed class OsSecretKeySource(IOsSecretStore store, string name, bool createIfMissing) : MasterKeySource
{
    /// <summary>A new master key's length in bytes, as a key file made by <c>MasterKey.CreateKeyFile</c>.</summary>
    private const int KeyLength = 32;

    public override string Description => $"OS key store '{name}' ({store.Name})";

    public override IReadOnlyList<byte[]> KeysFor(string? storePath) =>
        [store.Read(name) ?? throw Errors.MasterKeyNotFound(store.Name, name)];

    public override (byte[] Key, Action Commit, Action Abandon) Prepare(string? storePath)
    {
        var key = store.Read(name);
        if (key is null)
        {
            if (!createIfMissing)
            {
                throw Errors.MasterKeyNotFound(store.Name, name);
            }

            var fresh = RandomNumberGenerator.GetBytes(KeyLength);
            try
            {
                key = store.Create(name, fresh);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }

        // A key made here stays in the OS key store when the store is not created: another process may already use it.
        return (key, () => DeleteWrappedKeys(storePath), () => { });
    }
}
