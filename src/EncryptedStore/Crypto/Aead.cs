using System.Security.Cryptography;

namespace EncryptedStore.Crypto;

/// <summary>
/// AES-256-GCM with a random 96-bit nonce and a 128-bit tag, laid out as nonce | tag | ciphertext.
/// Every secret the store writes goes through here, each bound to its context by additional data.
/// </summary>
internal static class Aead
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    public static byte[] Seal(AesGcm aes, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[Overhead + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, output.AsSpan(Overhead), output.AsSpan(NonceSize, TagSize), associatedData);
        return output;
    }

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var aes = new AesGcm(key, TagSize);
        return Seal(aes, plaintext, associatedData);
    }

    /// <summary>Decrypts and authenticates; returns null when the data, the key or the context do not match.</summary>
    public static byte[]? Open(AesGcm aes, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        if (sealedData.Length < Overhead)
        {
            return null;
        }

        var plaintext = new byte[sealedData.Length - Overhead];
        try
        {
            aes.Decrypt(
                sealedData[..NonceSize],
                sealedData[Overhead..],
                sealedData.Slice(NonceSize, TagSize),
                plaintext,
                associatedData);
            return plaintext;
        }
        catch (CryptographicException)
        {
            // .NET clears the output on a failed tag check; clear it here too rather than rely on that.
            CryptographicOperations.ZeroMemory(plaintext);
            return null;
        }
    }

    public static byte[]? Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        using var aes = new AesGcm(key, TagSize);
        return Open(aes, sealedData, associatedData);
    }
}
