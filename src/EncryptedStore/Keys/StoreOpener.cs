using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>Opening a store's keys: the master key checked against an existing store, or a new store's keys created.</summary>
internal static class StoreOpener
{
    /// <summary>
    /// Checks the master key and loads the keys, or creates a new store's; a wrong key changes nothing. What is loaded is
    /// marked synchronized with the storage as the hold observed it (on a database server, the counters read with the keys),
    /// so the first call after opening reloads nothing unless another instance changed something since.
    /// </summary>
    public static StoreKeys OpenKeys(ITokenStorage storage, MasterKey masterKey, TimeProvider time, ILoggerFactory? loggerFactory, ILogger logger, bool removeOnFailure)
    {
        using var lease = storage.Enter();
        var keys = Open(storage, masterKey, time, loggerFactory, logger, removeOnFailure);
        try
        {
            storage.MarkSynchronized();
            return keys;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    private static StoreKeys Open(ITokenStorage storage, MasterKey masterKey, TimeProvider time, ILoggerFactory? loggerFactory, ILogger logger, bool removeOnFailure)
    {
        var format = storage.ReadFormat();
        if (format is not null)
        {
            storage.CheckPrivate();
        }

        var storeFile = storage.HasFile ? storage.Path : null;
        StoreKeys OpenExisting(int existing) =>
            OpenWithKeys(masterKey.KeysFor(storeFile), masterKey, key => StoreKeys.Open(storage, existing, key, time, loggerFactory, logger));

        if (format is { } found)
        {
            return OpenExisting(found);
        }

        try
        {
            using var pending = masterKey.Prepare(storeFile);
            var keys = StoreKeys.Create(storage, pending.Key, time, loggerFactory, logger);
            pending.Commit();
            Log.StoreCreated(logger, storage.Path);
            return keys;
        }
        catch (StoreCreatedConcurrentlyException) when (storage.ReadFormat() is { } created)
        {
            // A database store another instance created since the look above (its creating transaction wrote nothing of
            // this one's): open it as the existing store it now is.
            return OpenExisting(created);
        }
        catch when (storeFile is not null && removeOnFailure)
        {
            RemoveUncreatedStore(storeFile);
            throw;
        }
    }

    /// <summary>
    /// A store that could not be created (its master key was unavailable, locked or refused) leaves no empty file behind
    /// for the next attempt to trip over, when this open made the file (in exclusive mode; a file that was there is kept). Deleted while this process still holds it open and locked: a process waiting
    /// for the lock finds the name no longer leads to the file it opened, and starts again.
    /// </summary>
    private static void RemoveUncreatedStore(string storeFile)
    {
        foreach (var path in new[] { storeFile, StorePaths.LogPathFor(storeFile) })
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort (Windows refuses to delete an open file): an empty store is created again at the next open.
            }
        }
    }

    /// <summary>
    /// Opens with the first of <paramref name="candidates"/> that passes the key check: a wrapped master key left beside
    /// the store by a change that a killed process did not finish is tried after the newest. Disposes the candidates
    /// that are not <paramref name="masterKey"/> itself.
    /// </summary>
    private static StoreKeys OpenWithKeys(IReadOnlyList<MasterKey> candidates, MasterKey masterKey, Func<MasterKey, StoreKeys> open)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    return open(candidates[i]);
                }
                catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.WrongKey && i < candidates.Count - 1)
                {
                    // The next candidate may be the one.
                }
            }
        }
        finally
        {
            foreach (var candidate in candidates.Where(c => !ReferenceEquals(c, masterKey)))
            {
                candidate.Dispose();
            }
        }
    }
}
