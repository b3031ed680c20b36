using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using LiteDB;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// The store's keys. Data Protection keys (AES-256-GCM, persisted in the store file, each encrypted
/// with the master key) wrap the versioned data keys and blind-index keys, which live in the
/// <c>keys</c> collection: envelope encryption, so a record costs one raw AES-GCM operation while key
/// management stays Data Protection's.
/// </summary>
/// <remarks>Thread-safe. Unwrapped keys are cached for the life of the store.</remarks>
internal sealed class KeyRing : IDisposable
{
    /// <summary>Lifetime given to Data Protection keys; rotation decides when a new one is made.</summary>
    private static readonly TimeSpan DataProtectionKeyLifetime = TimeSpan.FromDays(90);

    private readonly ServiceProvider _services;
    private readonly IKeyManager _keyManager;
    private readonly ILiteCollection<BsonDocument> _keys;
    private readonly byte[] _storeId;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<int, DataKey> _dataKeys = new();
    private readonly ConcurrentDictionary<int, BlindIndexKey> _indexKeys = new();
    private readonly ConcurrentDictionary<Guid, IKey> _dataProtectionKeys = new();

    public KeyRing(StoreFile file, KeyEncryptionKey keyEncryptionKey, byte[] storeId, TimeProvider time, ILoggerFactory? loggerFactory)
    {
        _keys = file.Keys;
        _storeId = storeId;
        _time = time;

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
            options.XmlRepository = new KeyRingRepository(file.KeyRing);
            options.XmlEncryptor = new MasterKeyXmlEncryptor(keyEncryptionKey);
            options.AutoGenerateKeys = false;
        });
        _services = services.BuildServiceProvider();
        _keyManager = _services.GetRequiredService<IKeyManager>();
    }

    /// <summary>Creates the first Data Protection key, data key and index key of a new store.</summary>
    public (int DataKeyVersion, int IndexKeyVersion) Initialize()
    {
        var now = _time.GetUtcNow();
        var protectionKey = _keyManager.CreateNewKey(now, now + DataProtectionKeyLifetime);
        _dataProtectionKeys[protectionKey.KeyId] = protectionKey;
        var dataVersion = CreateVersion(StoreKeyPurpose.Data, protectionKey);
        var indexVersion = CreateVersion(StoreKeyPurpose.Index, protectionKey);
        return (dataVersion, indexVersion);
    }

    public DataKey GetDataKey(int version) =>
        _dataKeys.TryGetValue(version, out var key)
            ? key
            : _dataKeys.GetOrAdd(version, v => new DataKey(v, Unwrap(StoreKeyPurpose.Data, v), _storeId));

    public BlindIndexKey GetIndexKey(int version) =>
        _indexKeys.TryGetValue(version, out var key)
            ? key
            : _indexKeys.GetOrAdd(version, v => new BlindIndexKey(v, Unwrap(StoreKeyPurpose.Index, v)));

    /// <summary>Every key version, oldest first, as recorded in the file (no material).</summary>
    public IReadOnlyList<KeyVersion> ListVersions()
    {
        var versions = new List<KeyVersion>();
        foreach (var document in _keys.FindAll())
        {
            if (!document["_id"].IsInt32 || !Enum.TryParse<StoreKeyPurpose>(document["kind"].AsString, out var purpose)
                || !Enum.TryParse<StoreKeyState>(document["state"].AsString, out var state)
                || !document["protectionKey"].IsGuid || !document["created"].IsDateTime)
            {
                throw Errors.Integrity("the key list");
            }

            versions.Add(new KeyVersion(document["_id"].AsInt32, purpose, state, document["protectionKey"].AsGuid, document["created"].AsDateTime));
        }

        return versions;
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

    private int CreateVersion(StoreKeyPurpose kind, IKey protectionKey)
    {
        var version = _keys.Count() == 0 ? 1 : _keys.Max("_id").AsInt32 + 1;
        var secret = RandomNumberGenerator.GetBytes(Aead.KeySize);
        try
        {
            var encryptor = protectionKey.CreateEncryptor()
                ?? throw Errors.KeyUnavailable($"Data Protection key {protectionKey.KeyId}");
            var wrapped = encryptor.Encrypt(new ArraySegment<byte>(secret), new ArraySegment<byte>(WrapContext(kind, version)));
            _keys.Insert(new BsonDocument
            {
                ["_id"] = version,
                ["kind"] = kind.ToString(),
                ["protectionKey"] = protectionKey.KeyId,
                ["wrapped"] = wrapped,
                ["state"] = StoreKeyState.Active.ToString(),
                ["created"] = _time.GetUtcNow().UtcDateTime,
            });
            return version;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private byte[] Unwrap(StoreKeyPurpose kind, int version)
    {
        var what = $"{kind} key version {version}";
        var document = _keys.FindById(version) ?? throw Errors.KeyUnavailable(what);
        if (!document["kind"].IsString || document["kind"].AsString != kind.ToString()
            || !document["protectionKey"].IsGuid || !document["wrapped"].IsBinary)
        {
            throw Errors.Integrity(what);
        }

        var protectionKeyId = document["protectionKey"].AsGuid;
        var protectionKey = FindProtectionKey(protectionKeyId)
            ?? throw Errors.KeyUnavailable($"Data Protection key {protectionKeyId} (protecting {what})");
        if (protectionKey.IsRevoked)
        {
            throw Errors.KeyUnavailable($"Data Protection key {protectionKeyId} (protecting {what}) is revoked and");
        }

        try
        {
            var encryptor = protectionKey.CreateEncryptor()
                ?? throw Errors.KeyUnavailable($"Data Protection key {protectionKeyId}");
            return encryptor.Decrypt(new ArraySegment<byte>(document["wrapped"].AsBinary), new ArraySegment<byte>(WrapContext(kind, version)));
        }
        catch (CryptographicException e)
        {
            throw Errors.Integrity(what, e);
        }
    }

    private IKey? FindProtectionKey(Guid id)
    {
        if (_dataProtectionKeys.TryGetValue(id, out var key))
        {
            return key;
        }

        foreach (var candidate in _keyManager.GetAllKeys())
        {
            _dataProtectionKeys[candidate.KeyId] = candidate;
        }

        return _dataProtectionKeys.GetValueOrDefault(id);
    }

    private byte[] WrapContext(StoreKeyPurpose kind, int version)
    {
        // store id | "key" | kind | version: a wrapped key opens only as itself, in its own store.
        var context = new byte[_storeId.Length + 3 + 1 + 4];
        _storeId.CopyTo(context, 0);
        Encoding.ASCII.GetBytes("key", context.AsSpan(_storeId.Length));
        context[_storeId.Length + 3] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(context.AsSpan(_storeId.Length + 4), version);
        return context;
    }

}
