using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The transport encryption of a Secret Service session opened with <see cref="Algorithm"/>, so that a secret
/// never crosses the bus in plaintext: a Diffie-Hellman exchange in the 1024-bit MODP group of RFC 2409
/// (generator 2), HKDF-SHA256 of the shared secret (no salt, no info) to a 16-byte key, and AES-128-CBC with
/// PKCS#7 padding, a fresh IV for every secret.
/// </summary>
/// <remarks>Not thread-safe; one instance serves one session.</remarks>
internal sealed class SecretServiceCipher : IDisposable
{
    public const string Algorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

    private const int GroupLength = 128;
    private const int KeyLength = 16;
    private const int IvLength = 16;

    // RFC 2409 section 6.2, the Second Oakley Group: 2^1024 - 2^960 - 1 + 2^64 * ( [2^894 pi] + 129093 ).
    private static readonly BigInteger Prime = BigInteger.Parse(
        "00FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
        "29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
        "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381" +
        "FFFFFFFFFFFFFFFF",
        NumberStyles.AllowHexSpecifier,
        CultureInfo.InvariantCulture);

    private static readonly BigInteger Generator = 2;

    private readonly BigInteger _privateKey;
    private Aes? _aes;

    public SecretServiceCipher()
    {
        // A private exponent in [2, p - 2]; the tiny bias of the reduction does not matter for an ephemeral key.
        var random = RandomNumberGenerator.GetBytes(GroupLength);
        try
        {
            _privateKey = (new BigInteger(random, isUnsigned: true, isBigEndian: true) % (Prime - 3)) + 2;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }

        PublicKey = BigInteger.ModPow(Generator, _privateKey, Prime).ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Our public value, big-endian without leading zeros, to send with <c>OpenSession</c>.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Derives the session key from the service's public value (big-endian).</summary>
    /// <exception cref="CryptographicException">The value is not a usable public key of the group.</exception>
    public void DeriveKey(ReadOnlySpan<byte> peerPublicKey)
    {
        var peer = new BigInteger(peerPublicKey, isUnsigned: true, isBigEndian: true);

        // 0, 1 and p - 1 (and anything out of range) would force a shared secret an eavesdropper knows.
        if (peer <= BigInteger.One || peer >= Prime - 1)
        {
            throw new CryptographicException("The Secret Service sent a public key outside the Diffie-Hellman group.");
        }

        var shared = BigInteger.ModPow(peer, _privateKey, Prime);

        // The shared secret enters HKDF as a big-endian number left-padded to the group's length.
        var sharedBytes = new byte[GroupLength];
        try
        {
            var length = shared.GetByteCount(isUnsigned: true);
            if (!shared.TryWriteBytes(sharedBytes.AsSpan(GroupLength - length), out _, isUnsigned: true, isBigEndian: true))
            {
                throw new CryptographicException("The Diffie-Hellman shared secret does not fit the group's length.");
            }

            var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedBytes, KeyLength);
            try
            {
                _aes?.Dispose();
                _aes = Aes.Create();
                _aes.Key = key;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedBytes);
        }
    }

    /// <summary>Encrypts a secret for the service; returns the IV (the Secret struct's parameters) and the ciphertext.</summary>
    public (byte[] Iv, byte[] Ciphertext) Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var iv = RandomNumberGenerator.GetBytes(IvLength);
        return (iv, Cipher.EncryptCbc(plaintext, iv, PaddingMode.PKCS7));
    }

    /// <summary>Decrypts a secret from the service. The caller clears the result.</summary>
    /// <exception cref="CryptographicException">The IV has the wrong length or the ciphertext does not decrypt.</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext)
    {
        if (iv.Length != IvLength)
        {
            throw new CryptographicException($"The Secret Service sent an IV of {iv.Length} bytes instead of {IvLength}.");
        }

        return Cipher.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7);
    }

    public void Dispose()
    {
        _aes?.Dispose();
        _aes = null;
    }

    private Aes Cipher => _aes ?? throw new InvalidOperationException("The session key has not been derived yet.");
}
