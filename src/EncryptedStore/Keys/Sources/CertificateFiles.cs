using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EncryptedStore.Internal;
using EncryptedStore.Storage;

namespace EncryptedStore.Keys.Sources;

/// <summary>Loads the certificate of <see cref="MasterKey.FromCertificateFile"/> and <see cref="MasterKey.FromCertificateStore"/>.</summary>
internal static class CertificateFiles
{
    private const int MaxFileLength = 1024 * 1024;

    /// <summary>A PKCS#12 file, or a PEM file with the certificate and, usually, its private key.</summary>
    public static X509Certificate2 Load(string path, string? password)
    {
        var bytes = Read(path);
        X509Certificate2 certificate;
        try
        {
            certificate = IsPem(bytes) ? LoadPem(Encoding.ASCII.GetString(bytes), password) : LoadPkcs12(bytes, password);
        }
        catch (CryptographicException e)
        {
            throw Errors.InvalidMasterKey($"certificate file '{path}' does not load: a wrong or missing password, or not a PKCS#12 or PEM file ({e.Message}).", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        if (certificate.HasPrivateKey && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode)0b000_111_111) != 0)
        {
            certificate.Dispose();
            throw Errors.InvalidMasterKey($"certificate file '{path}' holds a private key and is open to other users; make it owner-only (chmod 600), as ssh requires of private keys.");
        }

        return certificate;
    }

    /// <summary>The certificate with <paramref name="thumbprint"/> (SHA-1 or SHA-256 hex) in the store "My" of <paramref name="location"/>.</summary>
    public static X509Certificate2 FindInStore(string thumbprint, StoreLocation location)
    {
        var wanted = new string(thumbprint.Where(char.IsAsciiHexDigit).ToArray()).ToUpperInvariant();
        if (wanted.Length is not (40 or 64) || wanted.Length != thumbprint.Count(c => c is not (' ' or ':')))
        {
            throw Errors.InvalidMasterKey("a certificate thumbprint is 40 (SHA-1) or 64 (SHA-256) hex digits.");
        }

        X509Certificate2Collection all;
        try
        {
            using var store = new X509Store(StoreName.My, location);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            all = store.Certificates;
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            throw Errors.MasterKeyUnavailable($"The certificate store My of {location} cannot be opened here ({e.Message}).", e);
        }

        X509Certificate2? found = null;
        foreach (var certificate in all)
        {
            var hash = wanted.Length == 40 ? certificate.Thumbprint : certificate.GetCertHashString(HashAlgorithmName.SHA256);
            if (found is null && string.Equals(hash, wanted, StringComparison.OrdinalIgnoreCase))
            {
                found = certificate;
            }
            else
            {
                certificate.Dispose();
            }
        }

        return found ?? throw Errors.MasterKeyUnavailable($"The certificate store My of {location} holds no certificate with thumbprint {wanted}.");
    }

    private static byte[] Read(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                throw Errors.InvalidMasterKey($"certificate file '{path}' does not exist.");
            }

            using var file = new FileStream(SafeFile.Open(path, FileMode.Open, FileAccess.Read, FileShare.Read, secret: false, takeLock: false), FileAccess.Read, bufferSize: 1);
            if (file.Length > MaxFileLength)
            {
                throw Errors.InvalidMasterKey($"certificate file '{path}' is larger than 1 MiB.");
            }

            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.UnsafeFile)
        {
            throw Errors.InvalidMasterKey($"certificate file {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.InvalidMasterKey($"certificate file '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static bool IsPem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    private static X509Certificate2 LoadPem(string text, string? password)
    {
        if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return X509Certificate2.CreateFromPem(text);
        }

        return password is null ? X509Certificate2.CreateFromPem(text, text) : X509Certificate2.CreateFromEncryptedPem(text, text, password);
    }

    private static X509Certificate2 LoadPkcs12(byte[] bytes, string? password) =>
        X509CertificateLoader.LoadPkcs12(bytes, password, OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet);
}
