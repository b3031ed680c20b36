using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Keys;

/// <summary>
/// The key derived from the master key: it encrypts the key ring's XML and the metadata's check
/// value, each bound to the store id and a purpose. Never written anywhere.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class KeyEncryptionKey : IDisposable
{
    public const string KeyRingPurpose = "keyring";
    private const string CheckPurpose = "master-key-check";
    private const int SubkeyLength = 32;
    private static readonly byte[] CheckText = Encoding.ASCII.GetBytes("EncryptedStore master key check v1");

    private readonly byte[] _storeId;
    private readonly List<byte[]> _replaced = [];
    private volatile byte[] _key;

    public KeyEncryptionKey(byte[] key, byte[] storeId)
    {
        _key = key;
        _storeId = storeId;
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose) =>
        Crypto.Aead.Seal(_key, plaintext, AssociatedData(purpose));

    /// <summary>Returns the plaintext, or null when the data was not sealed by this key for this purpose.</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedData, string purpose) =>
        Crypto.Aead.Open(_key, sealedData, AssociatedData(purpose));

    public byte[] CreateCheck() => Seal(CheckText, CheckPurpose);

    /// <summary>
    /// A 256-bit key for <paramref name="purpose"/> (HKDF-Expand of this key, bound to the store id): the MAC keys
    /// of the metadata and key state, and of the save journal. The caller clears it after use.
    /// </summary>
    public byte[] DeriveSubkey(string purpose) =>
        HKDF.Expand(HashAlgorithmName.SHA256, _key, SubkeyLength, AssociatedData("subkey " + purpose));

    public bool Verify(byte[] check) => Open(check, CheckPurpose) is { } text && text.AsSpan().SequenceEqual(CheckText);

    /// <summary>
    /// Switches to a new key after a master-key change has been committed. The old key stays readable
    /// by calls already running and is cleared on <see cref="Dispose"/>.
    /// </summary>
    public void Replace(byte[] key)
    {
        lock (_replaced)
        {
            _replaced.Add(_key);
            _key = key;
        }
    }

    public void Dispose()
    {
        lock (_replaced)
        {
            CryptographicOperations.ZeroMemory(_key);
            foreach (var old in _replaced)
            {
                CryptographicOperations.ZeroMemory(old);
            }
        }
    }

    private byte[] AssociatedData(string purpose)
    {
        var data = new byte[_storeId.Length + Encoding.ASCII.GetByteCount(purpose)];
        _storeId.CopyTo(data, 0);
        Encoding.ASCII.GetBytes(purpose, data.AsSpan(_storeId.Length));
        return data;
    }
}
