using System.Security.Cryptography;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>Revoking and destroying key versions, and changing the master key, each through the store's write pipeline.</summary>
internal sealed class KeyAdministration(WritePipeline pipeline, StoreKeys keys, JournaledWriter? journal, ILogger logger)
{
    /// <summary>See <see cref="EncryptedTokenStore.RevokeKey"/>.</summary>
    public void Revoke(int version) => pipeline.Serialized(() =>
    {
        var info = keys.Ring.FindVersion(version) ?? throw Errors.KeyUnavailable($"Key version {version} does not exist.");
        switch (info.State)
        {
            case StoreKeyState.Revoked:
                return false;
            case StoreKeyState.Destroyed:
                throw Errors.KeyUnavailable($"Key version {version} is destroyed; it cannot be revoked.");
            case StoreKeyState.Active:
                throw Errors.KeyInUse($"Key version {version} is the active {Describe(info.Purpose)} key; rotate before revoking it.");
        }

        if (keys.State.Metadata.Rotation?.PreviousIndexKeyVersion == version)
        {
            throw Errors.KeyInUse($"Key version {version} is needed by the rotation in progress; finish it first.");
        }

        var metadata = pipeline.Write("revoking a key", scope =>
        {
            keys.Ring.Revoke(version);

            // Tokens decrypted with the revoked key must not be served from memory either.
            scope.TouchAll();
            return keys.Write(keys.State.Metadata);
        });
        keys.Ring.Forget(version);
        keys.Publish(metadata);
        Log.KeyRevoked(logger, version);
        return true;
    });

    /// <summary>See <see cref="EncryptedTokenStore.DestroyKey"/>.</summary>
    public void Destroy(int version) => pipeline.Serialized(() =>
    {
        var info = keys.Ring.FindVersion(version) ?? throw Errors.KeyUnavailable($"Key version {version} does not exist.");
        if (info.State == StoreKeyState.Destroyed)
        {
            return false;
        }

        if (info.State != StoreKeyState.Revoked)
        {
            throw Errors.KeyInUse($"Key version {version} is {Describe(info.State)}; revoke it before destroying it.");
        }

        int users;
        using (pipeline.BeginScan())
        {
            users = pipeline.Storage.CountRecordsUnderKey(info.Purpose, version);
        }

        if (users > 0)
        {
            throw Errors.KeyInUse($"Key version {version} still protects {users} records; rotate them to a newer key (RotateKeys) before destroying it.");
        }

        var metadata = pipeline.Write("destroying a key", _ =>
        {
            keys.Ring.Destroy(version);
            return keys.Write(keys.State.Metadata);
        });
        keys.Publish(metadata);
        pipeline.Storage.Checkpoint();
        Log.KeyDestroyed(logger, version);
        return true;
    });

    /// <summary>See <see cref="EncryptedTokenStore.DestroyUnusedKeys"/>.</summary>
    public IReadOnlyList<int> DestroyUnused() => pipeline.Serialized(() =>
    {
        var destroyed = new List<int>();
        foreach (var key in keys.Ring.ListVersions().Where(k => k.State is StoreKeyState.Retired or StoreKeyState.Revoked))
        {
            int users;
            using (pipeline.BeginScan())
            {
                users = pipeline.Storage.CountRecordsUnderKey(key.Purpose, key.Version);
            }

            if (users > 0 || keys.State.Metadata.Rotation?.PreviousIndexKeyVersion == key.Version)
            {
                continue;
            }

            Revoke(key.Version);
            Destroy(key.Version);
            destroyed.Add(key.Version);
        }

        return destroyed;
    });

    /// <summary>See <see cref="EncryptedTokenStore.ChangeMasterKey"/>; returns how many key ring elements were re-encrypted.</summary>
    public int ChangeMasterKey(MasterKey newMasterKey) => pipeline.Serialized(() =>
    {
        var metadata = keys.State.Metadata;
        var salt = RandomNumberGenerator.GetBytes(metadata.Salt.Length);
        var derived = newMasterKey.DeriveKeyEncryptionKey(salt, MasterKey.Pbkdf2Iterations);
        using var next = new KeyEncryptionKey((byte[])derived.Clone(), metadata.StoreId);
        var changed = metadata with { Salt = salt, KeyKind = newMasterKey.Kind, Iterations = MasterKey.Pbkdf2Iterations, KeyCheck = next.CreateCheck() };
        int elements;
        try
        {
            (elements, changed) = pipeline.Write("changing the master key", _ =>
            {
                var count = keys.Ring.Repository.Reencrypt(sealedXml => Reseal(sealedXml, keys.KeyEncryptionKey, next));
                return (count, keys.Write(changed, next));
            });
        }
        catch
        {
            // The store keeps its key; the new one was never used.
            CryptographicOperations.ZeroMemory(derived);
            throw;
        }

        keys.KeyEncryptionKey.Replace(derived);
        keys.Publish(changed);

        // The journal's MAC key came from the old master key: the next journaled save starts a new journal.
        journal?.Restart();
        pipeline.Storage.Checkpoint();
        Log.MasterKeyChanged(logger, pipeline.Storage.Path, elements);
        return elements;
    });

    private static byte[] Reseal(byte[] sealedXml, KeyEncryptionKey current, KeyEncryptionKey next)
    {
        var plaintext = current.Open(sealedXml, KeyEncryptionKey.KeyRingPurpose) ?? throw Errors.Integrity("the key ring");
        try
        {
            return next.Seal(plaintext, KeyEncryptionKey.KeyRingPurpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static string Describe<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();
}
