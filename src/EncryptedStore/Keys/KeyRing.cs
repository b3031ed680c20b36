using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// The store's keys. Data Protection keys (AES-256-GCM, persisted in the storage, each encrypted
/// with the master key) wrap the versioned data keys and blind-index keys, which the storage keeps as
/// <see cref="StoredKey"/>s: envelope encryption, so a record costs one raw AES-GCM operation while key
/// management stays Data Protection's. Each rotation makes a new Data Protection key.
/// </summary>
/// <remarks>
/// Thread-safe for reads. Changes (create, revoke, destroy) run under the store's write lock and in
/// its transaction. Unwrapped keys are cached until revoked or the store is disposed.
/// </remarks>
internal sealed class KeyRing : IDisposable
{
    /// <summary>Lifetime given to Data Protection keys; the store's own schedule decides rotation.</summary>
    private static readonly TimeSpan DataProtectionKeyLifetime = TimeSpan.FromDays(3650);

    private readonly ServiceProvider _services;
    private readonly IKeyManager _keyManager;
    private readonly KeyRingRepository _repository;
    private readonly ITokenStorage _storage;
    private readonly byte[] _storeId;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<int, DataKey> _dataKeys = new();
    private readonly ConcurrentDictionary<int, BlindIndexKey> _indexKeys = new();
    private readonly ConcurrentDictionary<Guid, IKey> _protectionKeys = new();

    public KeyRing(ITokenStorage storage, KeyEncryptionKey keyEncryptionKey, byte[] storeId, TimeProvider time, ILoggerFactory? loggerFactory)
    {
        _storage = storage;
        _storeId = storeId;
        _time = time;
        _repository = new KeyRingRepository(storage);

        var services = new ServiceCollection();
        services.AddSingleton(keyEncryptionKey);
        if (loggerFactory is not null)
        {
            services.AddSingleton(loggerFactory);
        }

        services.AddDataProtection()
            .SetApplicationName("EncryptedStore")
            .UseCryptographicAlgorithms(new AuthenticatedEncryptorConfiguration
            {
                EncryptionAlgorithm = EncryptionAlgorithm.AES_256_GCM,
                ValidationAlgorithm = ValidationAlgorithm.HMACSHA256,
            });
        services.Configure<KeyManagementOptions>(options =>
        {
            options.XmlRepository = _repository;
            options.XmlEncryptor = new MasterKeyXmlEncryptor(keyEncryptionKey);
            options.AutoGenerateKeys = false;
        });
        _services = services.BuildServiceProvider();
        _keyManager = _services.GetRequiredService<IKeyManager>();
    }

    public KeyRingRepository Repository => _repository;

    /// <summary>
    /// Makes a new Data Protection key and, under it, a new data key version and (when asked) a new
    /// index key version; the versions they replace become <see cref="StoreKeyState.Retired"/>.
    /// </summary>
    public (int? DataKeyVersion, int? IndexKeyVersion) CreateVersions(bool data, bool index)
    {
        var now = _time.GetUtcNow();
        var protectionKey = _keyManager.CreateNewKey(now, now + DataProtectionKeyLifetime);
        _protectionKeys[protectionKey.KeyId] = protectionKey;
        int? dataVersion = data ? CreateVersion(StoreKeyPurpose.Data, protectionKey) : null;
        int? indexVersion = index ? CreateVersion(StoreKeyPurpose.Index, protectionKey) : null;
        return (dataVersion, indexVersion);
    }

    public DataKey GetDataKey(int version) =>
        _dataKeys.TryGetValue(version, out var key) ? key : Keep(_dataKeys, version, new DataKey(version, Unwrap(StoreKeyPurpose.Data, version), _storeId));

    public BlindIndexKey GetIndexKey(int version) =>
        _indexKeys.TryGetValue(version, out var key) ? key : Keep(_indexKeys, version, new BlindIndexKey(version, Unwrap(StoreKeyPurpose.Index, version)));

    /// <summary>Every key version, oldest first, as the storage records it.</summary>
    public IReadOnlyList<StoredKey> ListVersions() => _storage.ListKeys();

    public StoredKey? FindVersion(int version) => _storage.FindKey(version);

    /// <summary>
    /// Marks a version revoked: it no longer decrypts anything. When no live version is left under its
    /// Data Protection key, that key is revoked in the key ring too.
    /// </summary>
    public void Revoke(int version)
    {
        var key = FindOrThrow(version);
        _storage.UpdateKey(key with { State = StoreKeyState.Revoked });
        if (!HasLiveVersions(key.ProtectionKeyId))
        {
            _keyManager.RevokeKey(key.ProtectionKeyId, $"EncryptedStore key version {version} revoked");
        }
    }

    /// <summary>
    /// Removes a revoked version's wrapped material from the file, and the Data Protection key that
    /// wrapped it when no other version needs it. The version number stays, marked destroyed.
    /// </summary>
    public void Destroy(int version)
    {
        var key = FindOrThrow(version);
        _storage.UpdateKey(key with { State = StoreKeyState.Destroyed, Wrapped = null });
        if (_storage.ListKeys().Where(k => k.ProtectionKeyId == key.ProtectionKeyId).All(k => k.State == StoreKeyState.Destroyed))
        {
            _repository.DeleteKey(key.ProtectionKeyId);
            _protectionKeys.TryRemove(key.ProtectionKeyId, out _);
        }
    }

    /// <summary>Drops the cached material of every version the file now marks revoked or destroyed (by another process).</summary>
    public int ForgetUnusable()
    {
        var forgotten = 0;
        foreach (var version in ListVersions())
        {
            if (version.State is StoreKeyState.Revoked or StoreKeyState.Destroyed
                && (_dataKeys.ContainsKey(version.Version) || _indexKeys.ContainsKey(version.Version)))
            {
                Forget(version.Version);
                forgotten++;
            }
        }

        return forgotten;
    }

    /// <summary>Drops cached key material for a version (after revocation), so the next use rereads its state.</summary>
    public void Forget(int version)
    {
        if (_dataKeys.TryRemove(version, out var data))
        {
            data.Dispose();
        }

        if (_indexKeys.TryRemove(version, out var index))
        {
            index.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var key in _dataKeys.Values)
        {
            key.Dispose();
        }

        foreach (var key in _indexKeys.Values)
        {
            key.Dispose();
        }

        _services.Dispose();
    }

    /// <summary>
    /// Caches an unwrapped key. When another thread unwrapped the same version first, its copy is kept
    /// and this one cleared, so no copy of the material is left behind uncleared.
    /// </summary>
    private static TKey Keep<TKey>(ConcurrentDictionary<int, TKey> cache, int version, TKey created)
        where TKey : class, IDisposable
    {
        var kept = cache.GetOrAdd(version, created);
        if (!ReferenceEquals(kept, created))
        {
            created.Dispose();
        }

        return kept;
    }

    private StoredKey FindOrThrow(int version) =>
        _storage.FindKey(version) ?? throw Errors.KeyUnavailable($"Key version {version} does not exist.");

    private bool HasLiveVersions(Guid protectionKeyId) =>
        _storage.ListKeys().Any(k => k.ProtectionKeyId == protectionKeyId && k.State is StoreKeyState.Active or StoreKeyState.Retired);

    private int CreateVersion(StoreKeyPurpose purpose, IKey protectionKey)
    {
        var keys = _storage.ListKeys();
        var version = keys.Count == 0 ? 1 : keys.Max(k => k.Version) + 1;
        foreach (var active in keys.Where(k => k.Purpose == purpose && k.State == StoreKeyState.Active))
        {
            _storage.UpdateKey(active with { State = StoreKeyState.Retired });
        }

        var secret = RandomNumberGenerator.GetBytes(Aead.KeySize);
        try
        {
            var encryptor = protectionKey.CreateEncryptor()
                ?? throw Errors.KeyUnavailable($"Data Protection key {protectionKey.KeyId} cannot encrypt.");
            var wrapped = encryptor.Encrypt(new ArraySegment<byte>(secret), new ArraySegment<byte>(WrapContext(purpose, version)));
            _storage.InsertKey(new StoredKey(version, purpose, StoreKeyState.Active, protectionKey.KeyId, _time.GetUtcNow().UtcDateTime, wrapped));
            return version;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private byte[] Unwrap(StoreKeyPurpose purpose, int version)
    {
        var what = $"{purpose} key version {version}";
        var info = _storage.FindKey(version) ?? throw Errors.KeyUnavailable($"{what} does not exist.");
        if (info.Purpose != purpose)
        {
            throw Errors.Integrity(what);
        }

        if (info.State is StoreKeyState.Revoked or StoreKeyState.Destroyed)
        {
            throw Errors.KeyUnavailable($"{what} (Data Protection key {info.ProtectionKeyId}) is {info.State.ToString().ToLowerInvariant()}; what it protects cannot be read.");
        }

        var wrapped = info.Wrapped ?? throw Errors.Integrity(what);
        try
        {
            // Data Protection parses the key ring's XML here, read from the storage: its failures mean damage.
            var protectionKey = FindProtectionKey(info.ProtectionKeyId)
                ?? throw Errors.KeyUnavailable($"Data Protection key {info.ProtectionKeyId}, which protects {what}, is not in the key ring.");
            if (protectionKey.IsRevoked)
            {
                // The store uses the key's encryptor directly, so Data Protection's own check does not run.
                throw Errors.KeyUnavailable($"Data Protection key {info.ProtectionKeyId}, which protects {what}, is revoked; what it protects cannot be read.");
            }

            var encryptor = protectionKey.CreateEncryptor()
                ?? throw Errors.KeyUnavailable($"Data Protection key {info.ProtectionKeyId}, which protects {what}, cannot decrypt.");
            return encryptor.Decrypt(new ArraySegment<byte>(wrapped), new ArraySegment<byte>(WrapContext(purpose, version)));
        }
        catch (Exception e) when (e is CryptographicException || IsDamagedKeyXml(e))
        {
            throw Errors.Integrity(what, e);
        }
    }

    /// <summary>
    /// What Data Protection throws when it cannot turn a key's stored XML into an encryptor: a type it
    /// cannot load (which surfaces as a missing assembly), or malformed XML or values.
    /// </summary>
    private static bool IsDamagedKeyXml(Exception e) =>
        e is TypeLoadException or FileNotFoundException or FileLoadException or System.Xml.XmlException
            or FormatException or InvalidOperationException or ArgumentException;

    private IKey? FindProtectionKey(Guid id)
    {
        if (_protectionKeys.TryGetValue(id, out var key))
        {
            return key;
        }

        foreach (var candidate in _keyManager.GetAllKeys())
        {
            _protectionKeys[candidate.KeyId] = candidate;
        }

        return _protectionKeys.GetValueOrDefault(id);
    }

    private byte[] WrapContext(StoreKeyPurpose purpose, int version)
    {
        // store id | "key" | purpose | version: a wrapped key opens only as itself, in its own store.
        var context = new byte[_storeId.Length + 3 + 1 + 4];
        _storeId.CopyTo(context, 0);
        Encoding.ASCII.GetBytes("key", context.AsSpan(_storeId.Length));
        context[_storeId.Length + 3] = (byte)purpose;
        BinaryPrimitives.WriteInt32LittleEndian(context.AsSpan(_storeId.Length + 4), version);
        return context;
    }
}
