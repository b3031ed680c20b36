using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Crypto;

/// <summary>
/// One version of the data-encryption key: AES-256-GCM over a record's encoded fields, bound to the
/// store, the key version and the record id so a ciphertext moved to another record fails to open.
/// </summary>
/// <remarks>Thread-safe: each thread gets its own <see cref="AesGcm"/> instance.</remarks>
internal sealed class DataKey : IDisposable
{
    private readonly byte[] _key;
    private readonly byte[] _storeId;
    private readonly ThreadLocal<AesGcm> _cipher;

    public DataKey(int version, byte[] key, byte[] storeId)
    {
        Version = version;
        _key = key;
        _storeId = storeId;
        _cipher = new ThreadLocal<AesGcm>(() => new AesGcm(_key, Aead.TagSize), trackAllValues: true);
    }

    public int Version { get; }

    public byte[] Encrypt(ReadOnlySpan<byte> payload, string recordId) =>
        Aead.Seal(_cipher.Value!, payload, AssociatedData(recordId));

    /// <summary>Returns the payload, or null when authentication fails.</summary>
    public byte[]? Decrypt(ReadOnlySpan<byte> sealedPayload, string recordId) =>
        Aead.Open(_cipher.Value!, sealedPayload, AssociatedData(recordId));

    public void Dispose()
    {
        foreach (var cipher in _cipher.Values)
        {
            cipher.Dispose();
        }

        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }

    private byte[] AssociatedData(string recordId)
    {
        // store id | "rec" | key version | record id: a record is readable only in its own place.
        var data = new byte[_storeId.Length + 3 + 4 + Encoding.UTF8.GetByteCount(recordId)];
        _storeId.CopyTo(data, 0);
        "rec"u8.CopyTo(data.AsSpan(_storeId.Length));
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(_storeId.Length + 3), Version);
        Encoding.UTF8.GetBytes(recordId, data.AsSpan(_storeId.Length + 7));
        return data;
    }
}
