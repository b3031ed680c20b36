using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Crypto;

/// <summary>
/// One version of the blind-index key: HMAC-SHA256 under a subkey per lookup field, derived with HKDF
/// from the index key, so equal values give equal hashes within a field and nothing across fields.
/// </summary>
/// <remarks>Thread-safe: each thread reuses its own HMAC instances.</remarks>
internal sealed class BlindIndexKey : IDisposable
{
    private const int FieldCount = 5;
    private readonly byte[][] _subkeys;
    private readonly ThreadLocal<IncrementalHash?[]> _hashes;

    public BlindIndexKey(int version, byte[] indexKey)
    {
        Version = version;
        _subkeys = new byte[FieldCount][];
        for (var i = 0; i < FieldCount; i++)
        {
            var info = Encoding.ASCII.GetBytes($"EncryptedStore blind index v1 {(BlindIndex)i}");
            _subkeys[i] = HKDF.Expand(HashAlgorithmName.SHA256, indexKey, 32, info);
        }

        CryptographicOperations.ZeroMemory(indexKey);
        _hashes = new ThreadLocal<IncrementalHash?[]>(() => new IncrementalHash?[FieldCount], trackAllValues: true);
    }

    public int Version { get; }

    public byte[] Compute(BlindIndex field, string value) => Compute(field, value, null, false);

    /// <summary>The user-and-client hash; a null client is distinct from every client id, the empty one included.</summary>
    public byte[] ComputeUserClient(string userName, string? clientId) =>
        Compute(BlindIndex.UserClient, userName, clientId, true);

    public void Dispose()
    {
        foreach (var perThread in _hashes.Values)
        {
            foreach (var hash in perThread)
            {
                hash?.Dispose();
            }
        }

        _hashes.Dispose();
        foreach (var subkey in _subkeys)
        {
            CryptographicOperations.ZeroMemory(subkey);
        }
    }

    private byte[] Compute(BlindIndex field, string first, string? second, bool pair)
    {
        var hashes = _hashes.Value!;
        var hmac = hashes[(int)field] ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _subkeys[(int)field]);
        if (pair)
        {
            // Length-prefix the user name so ("ab", "c") and ("a", "bc") differ; mark a null client.
            Span<byte> header = stackalloc byte[5];
            BinaryPrimitives.WriteInt32LittleEndian(header, Encoding.UTF8.GetByteCount(first));
            header[4] = second is null ? (byte)0 : (byte)1;
            hmac.AppendData(header);
        }

        AppendUtf8(hmac, first);
        if (second is not null)
        {
            AppendUtf8(hmac, second);
        }

        return hmac.GetHashAndReset();
    }

    /// <summary>Hashes a value's UTF-8 bytes and clears them: the value is a secret such as a token.</summary>
    private static void AppendUtf8(IncrementalHash hmac, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        try
        {
            hmac.AppendData(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
