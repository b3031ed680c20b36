using System.Security.Cryptography;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// The keys of an open store: the key-encryption key derived from the master key, the key ring, and the
/// current <see cref="StoreState"/>. Creating a store and checking the master key of an existing one
/// happen here.
/// </summary>
/// <remarks>Thread-safe to read; <see cref="Publish"/> and <see cref="Reload"/> run under the store's write lock or its storage hold.</remarks>
internal sealed class StoreKeys : IDisposable
{
    private readonly ITokenStorage _storage;
    private readonly ILogger _logger;
    private volatile StoreState _state = null!;

    private StoreKeys(ITokenStorage storage, KeyEncryptionKey keyEncryptionKey, KeyRing ring, ILogger logger)
    {
        _storage = storage;
        KeyEncryptionKey = keyEncryptionKey;
        Ring = ring;
        _logger = logger;
    }

    public KeyEncryptionKey KeyEncryptionKey { get; }

    public KeyRing Ring { get; }

    public StoreState State => _state;

    /// <summary>Creates the keys and metadata of a new store in one transaction of <paramref name="storage"/>, which must hold nothing yet.</summary>
    /// <exception cref="TokenStoreException"><c>NOT_A_STORE</c> when the storage already holds something else.</exception>
    public static StoreKeys Create(ITokenStorage storage, MasterKey masterKey, TimeProvider time, ILoggerFactory? loggerFactory, ILogger logger)
    {
        if (storage.HoldsAnything())
        {
            throw Errors.NotAStore(storage.Path, "it is a database file without EncryptedStore metadata.");
        }

        var storeId = RandomNumberGenerator.GetBytes(StoreMetadata.StoreIdLength);
        var salt = RandomNumberGenerator.GetBytes(StoreMetadata.SaltLength);
        var keyEncryptionKey = new KeyEncryptionKey(masterKey.DeriveKeyEncryptionKey(salt, MasterKey.Pbkdf2Iterations), storeId);
        KeyRing? ring = null;
        try
        {
            StoreMetadata metadata;
            using (var transaction = storage.BeginTransaction())
            {
                ring = new KeyRing(storage, keyEncryptionKey, storeId, time, loggerFactory);
                var (dataVersion, indexVersion) = ring.CreateVersions(data: true, index: true);
                metadata = new StoreMetadata
                {
                    Format = StoreMetadata.CurrentFormat,
                    StoreId = storeId,
                    KeyKind = masterKey.Kind,
                    Iterations = MasterKey.Pbkdf2Iterations,
                    Salt = salt,
                    KeyCheck = keyEncryptionKey.CreateCheck(),
                    Created = time.GetUtcNow().UtcDateTime,
                    DataKeyVersion = dataVersion!.Value,
                    IndexKeyVersion = indexVersion!.Value,
                };
                metadata = StateSeal.Seal(metadata, storage, keyEncryptionKey);
                storage.WriteMetadata(metadata);
                storage.CreateSchema();
                transaction.Commit();
            }

            var keys = new StoreKeys(storage, keyEncryptionKey, ring, logger);
            keys.Publish(metadata);
            return keys;
        }
        catch
        {
            ring?.Dispose();
            keyEncryptionKey.Dispose();
            throw;
        }
    }

    /// <summary>Opens the keys of an existing store with <paramref name="masterKey"/>; nothing is written.</summary>
    /// <exception cref="TokenStoreException"><c>UNSUPPORTED_VERSION</c>, <c>WRONG_KEY</c> or <c>INTEGRITY</c>.</exception>
    public static StoreKeys Open(ITokenStorage storage, int format, MasterKey masterKey, TimeProvider time, ILoggerFactory? loggerFactory, ILogger logger)
    {
        if (format > StoreMetadata.CurrentFormat)
        {
            throw Errors.UnsupportedVersion(storage.Path, format, StoreMetadata.CurrentFormat);
        }

        var metadata = storage.ReadMetadata();
        storage.CheckSchema();
        if (metadata.KeyKind != masterKey.Kind)
        {
            Log.WrongMasterKey(logger, storage.Path);
            throw Errors.WrongKey(metadata.KeyKind == MasterKeyKind.Passphrase
                ? "This store was created with a passphrase, not key bytes."
                : "This store was created with key bytes (a key file or base64 value), not a passphrase.");
        }

        var keyEncryptionKey = new KeyEncryptionKey(masterKey.DeriveKeyEncryptionKey(metadata.Salt, metadata.Iterations), metadata.StoreId);
        if (!keyEncryptionKey.Verify(metadata.KeyCheck))
        {
            keyEncryptionKey.Dispose();
            Log.WrongMasterKey(logger, storage.Path);
            throw Errors.WrongKey();
        }

        var keys = new StoreKeys(storage, keyEncryptionKey, new KeyRing(storage, keyEncryptionKey, metadata.StoreId, time, loggerFactory), logger);
        try
        {
            if (format == StoreMetadata.UnsealedFormat)
            {
                // A store of the first format gets its MAC now, once the master key was checked.
                using var transaction = storage.BeginTransaction();
                metadata = keys.Write(metadata);
                transaction.Commit();
            }
            else
            {
                // An unencrypted key ring element is named first (UNPROTECTED_KEY); every other edit breaks the seal.
                keys.Ring.Repository.GetAllElements();
                if (!StateSeal.IsIntact(metadata, storage, keyEncryptionKey))
                {
                    throw Errors.Integrity("the store metadata and key list (changed without the master key)");
                }
            }

            // Unwraps the keys the metadata names: a damaged key ring fails here, at open, not mid-call.
            keys.Publish(metadata);
            return keys;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>Makes <paramref name="metadata"/>, committed, the state every call sees from now on, with the keys it names.</summary>
    /// <summary>Seals <paramref name="metadata"/> over the key state of the change in progress and writes it (inside its transaction); returns what to publish after the commit.</summary>
    public StoreMetadata Write(StoreMetadata metadata) => Write(metadata, KeyEncryptionKey);

    /// <summary>As <see cref="Write(StoreMetadata)"/>, sealed under another key-encryption key (a master-key change).</summary>
    public StoreMetadata Write(StoreMetadata metadata, KeyEncryptionKey keyEncryptionKey)
    {
        var sealedMetadata = StateSeal.Seal(metadata, _storage, keyEncryptionKey);
        _storage.WriteMetadata(sealedMetadata);
        return sealedMetadata;
    }

    public StoreState Publish(StoreMetadata metadata)
    {
        // No save may ever use a key that is not the active one of its kind.
        if (Ring.FindVersion(metadata.DataKeyVersion) is not { Purpose: StoreKeyPurpose.Data, State: StoreKeyState.Active } dataVersion
            || Ring.FindVersion(metadata.IndexKeyVersion) is not { Purpose: StoreKeyPurpose.Index, State: StoreKeyState.Active })
        {
            throw Errors.Integrity("the key list (the metadata names a key that is not active)");
        }

        var data = Ring.GetDataKey(metadata.DataKeyVersion);
        var index = Ring.GetIndexKey(metadata.IndexKeyVersion);
        var previous = metadata.Rotation?.PreviousIndexKeyVersion is { } version ? Ring.GetIndexKey(version) : null;
        var state = new StoreState(metadata, new ActiveKeys(data, index, previous, dataVersion.Created));
        _state = state;
        return state;
    }

    /// <summary>
    /// Catches up with another process's writes (shared mode): the metadata (key versions, rotation), the
    /// keys in force, and key versions revoked meanwhile.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>WRONG_KEY</c> when another process changed the master key.</exception>
    public void Reload()
    {
        var metadata = _storage.ReadMetadata();
        if (!metadata.KeyCheck.AsSpan().SequenceEqual(_state.Metadata.KeyCheck))
        {
            Log.WrongMasterKey(_logger, _storage.Path);
            throw Errors.WrongKey("Another process changed the master key; reopen the store with the new one.");
        }

        if (!StateSeal.IsIntact(metadata, _storage, KeyEncryptionKey))
        {
            throw Errors.Integrity("the store metadata and key list (changed without the master key)");
        }

        Ring.ForgetUnusable();
        Publish(metadata);
        Log.StoreReloaded(_logger, _storage.Path);
    }

    public void Dispose()
    {
        Ring.Dispose();
        KeyEncryptionKey.Dispose();
    }
}
