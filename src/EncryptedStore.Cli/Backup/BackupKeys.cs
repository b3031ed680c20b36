using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Backup;

/// <summary>
/// The keys of one backup file, derived from the master key's secret and the file's random salt:
/// PBKDF2-HMAC-SHA256 for a passphrase, HKDF-Extract (SHA-256) for key bytes; then HKDF-Expand gives
/// the AES-256-GCM key and, separately, a check value stored in the header that tells a wrong key
/// from a damaged file.
/// </summary>
internal sealed class BackupKeys : IDisposable
{
    private static readonly byte[] EncryptionInfo = Encoding.ASCII.GetBytes("tokenstore backup v1 encryption");
    private static readonly byte[] CheckInfo = Encoding.ASCII.GetBytes("tokenstore backup v1 key check");

    private BackupKeys(byte[] encryptionKey, byte[] check)
    {
        EncryptionKey = encryptionKey;
        Check = check;
    }

    public byte[] EncryptionKey { get; }

    public byte[] Check { get; }

    public static BackupKeys Derive(KeySource key, ReadOnlySpan<byte> salt, int iterations)
    {
        var root = key.Kind == KeyKind.Passphrase
            ? Rfc2898DeriveBytes.Pbkdf2(key.Material, salt, iterations, HashAlgorithmName.SHA256, 32)
            : HkdfExtract(key.Material, salt);
        try
        {
            return new BackupKeys(
                HKDF.Expand(HashAlgorithmName.SHA256, root, 32, EncryptionInfo),
                HKDF.Expand(HashAlgorithmName.SHA256, root, 32, CheckInfo));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(root);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(EncryptionKey);

    private static byte[] HkdfExtract(ReadOnlySpan<byte> material, ReadOnlySpan<byte> salt)
    {
        var prk = new byte[32];
        HKDF.Extract(HashAlgorithmName.SHA256, material, salt, prk);
        return prk;
    }
}
