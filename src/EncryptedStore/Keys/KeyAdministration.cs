using System.Security.Cryptography;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
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
        var elements = 0;
        try
        {
            changed = pipeline.Write("changing the master key", _ =>
            {
                elements = keys.Ring.Repository.Reencrypt(sealedXml => Reseal(sealedXml, keys.KeyEncryptionKey, next));
                return keys.Write(changed, next);
            });
        }
        catch (Exception failure)
        {
            // Checked here, not in a filter: a filter runs before the failed transaction is rolled back.
            if (failure is TokenStoreException storeFailure && InTheFileDespite(storeFailure, next) is { } stored)
            {
                // The commit reached the file although the call failed (its fsync failed): from now on the file opens
                // with the new key only, so this store takes it too, or every later call would fail with WRONG_KEY.
                Adopt(derived, stored, elements);
                ConfirmOnDisk(storeFailure);
                return elements;
            }

            // The store keeps its key; the new one was never used.
            CryptographicOperations.ZeroMemory(derived);
            throw;
        }

        Adopt(derived, changed, elements);
        try
        {
            pipeline.Storage.Checkpoint();
        }
        catch (TokenStoreException)
        {
            // The change is committed and on the disk (in LiteDB's log); the checkpoint is done again later.
        }

        return elements;
    });

    /// <summary>The file's metadata when the failed change, sealed under <paramref name="next"/>, is in the file anyway; else null.</summary>
    private StoreMetadata? InTheFileDespite(TokenStoreException failure, KeyEncryptionKey next)
    {
        if (failure.Code is not (TokenStoreErrorCodes.IoError or TokenStoreErrorCodes.StorageFull or TokenStoreErrorCodes.TokenStore))
        {
            return null;
        }

        try
        {
            var stored = pipeline.Storage.ReadMetadata();
            return next.Verify(stored.KeyCheck) ? stored : null;
        }
        catch (TokenStoreException)
        {
            // Unreadable now: the file is judged at the next call, with the key this store still holds.
            return null;
        }
    }

    private void Adopt(byte[] derived, StoreMetadata metadata, int elements)
    {
        keys.KeyEncryptionKey.Replace(derived);
        keys.Publish(metadata);

        // The journal's MAC key came from the old master key: the next journaled save starts a new journal.
        journal?.Restart();
        Log.MasterKeyChanged(logger, pipeline.Storage.Path, elements);
    }

    /// <summary>After a change that reached the file despite <paramref name="failure"/>: puts it on the disk, or says where it stands.</summary>
    private void ConfirmOnDisk(TokenStoreException failure)
    {
        try
        {
            pipeline.Storage.Checkpoint();
        }
        catch (TokenStoreException again)
        {
            throw new TokenStoreException(failure.Code,
                "The master key was changed in the file, but putting the change on the disk failed: this store uses the new master key now, "
                + "and so must every later open. Until the disk works again, a crash may bring back the old one. " + again.Message, again);
        }
    }

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
