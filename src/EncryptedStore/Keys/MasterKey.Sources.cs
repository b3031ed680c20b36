using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EncryptedStore.Internal;
using EncryptedStore.Keys.Sources;

namespace EncryptedStore;

/// <summary>The master-key sources that live outside the application: OS key stores, certificates, systemd credentials.</summary>
public sealed partial class MasterKey
{
    /// <summary>The environment variable systemd sets to the folder of a service's credentials.</summary>
    public const string CredentialsDirectoryVariable = "CREDENTIALS_DIRECTORY";

    /// <summary>
    /// A master key of <see cref="GeneratedKeyLength"/> random bytes kept in the platform's own secret store under
    /// <paramref name="name"/> (service "EncryptedStore", account <paramref name="name"/>), with the defaults of
    /// <see cref="OsKeyStoreOptions"/>: the current user's key, made when a store is first created with it.
    /// </summary>
    /// <remarks>
    /// Linux: the Secret Service over D-Bus (gnome-keyring, KeePassXC…), its default collection, which must be unlocked.
    /// macOS: the login Keychain (a generic password). Windows: DPAPI; the protected key is kept beside the store
    /// (<c>NAME-masterkey.json</c>). Nothing is read or made until a store is opened or created with this key.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_MASTER_KEY</c> for a name too long or with control characters. When the store opens:
    /// <c>MASTER_KEY_UNAVAILABLE</c> (no such store on this platform or session, never a silent fallback),
    /// <c>MASTER_KEY_LOCKED</c>, or <c>MASTER_KEY_NOT_FOUND</c> (opening an existing store never makes a key).
    /// </exception>
    public static MasterKey FromOsKeyStore(string name) => FromOsKeyStore(name, new OsKeyStoreOptions());

    /// <summary>As <see cref="FromOsKeyStore(string)"/>, with the scope, creation rule and bus of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException">As <see cref="FromOsKeyStore(string)"/>.</exception>
    public static MasterKey FromOsKeyStore(string name, OsKeyStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OsKeyStores.CheckName(name);
        return new MasterKey(OsKeyStores.SourceFor(name, options));
    }

    /// <summary>
    /// Deletes the master key kept in the OS key store under <paramref name="name"/>; false when there was none.
    /// Every store protected by it stops opening: move them to another key first (<c>ChangeMasterKey</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>MASTER_KEY_UNAVAILABLE</c>, <c>MASTER_KEY_LOCKED</c>; on Windows always <c>MASTER_KEY_UNAVAILABLE</c>, since
    /// the DPAPI-protected key is the file beside its store.
    /// </exception>
    public static bool DeleteFromOsKeyStore(string name, OsKeyStoreOptions? options = null)
    {
        OsKeyStores.CheckName(name);
        return OsKeyStores.Delete(name, options ?? new OsKeyStoreOptions());
    }

    /// <summary>
    /// A random master key wrapped to <paramref name="certificate"/>'s public key (RSA-OAEP-SHA256, or ECDH on the
    /// certificate's curve with HKDF-SHA256 and AES-256-GCM for an EC certificate) and kept beside the store in
    /// <c>NAME-masterkey.json</c>. Creating a store needs only the public key; opening it needs the private key.
    /// <c>ChangeMasterKey</c> to another certificate wraps a new key to it and re-encrypts the key ring only: no record
    /// is read or written. The certificate must stay undisposed while stores open with this key; the caller owns it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_MASTER_KEY</c> for a certificate with neither an RSA nor an EC key. When the store opens: <c>WRONG_KEY</c>
    /// when the store's key is not wrapped to this certificate, <c>MASTER_KEY_UNAVAILABLE</c> without the private key.
    /// </exception>
    public static MasterKey FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new MasterKey(new WrappedKeySource(new CertificateKeyWrapper(certificate, owned: false), createIfMissing: true));
    }

    /// <summary>
    /// As <see cref="FromCertificate"/>, with the certificate and its private key loaded from a PKCS#12 file
    /// (<c>.pfx</c>/<c>.p12</c>, with <paramref name="password"/>) or a PEM file holding the certificate and its
    /// (unencrypted, or with <paramref name="password"/> encrypted) private key. The key owns and disposes the certificate.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException"><c>INVALID_MASTER_KEY</c> when the file is missing, unsafe, or does not load with the password.</exception>
    public static MasterKey FromCertificateFile(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var certificate = CertificateFiles.Load(path, password);
        try
        {
            return new MasterKey(new WrappedKeySource(new CertificateKeyWrapper(certificate, owned: true), createIfMissing: true));
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>
    /// As <see cref="FromCertificate"/>, with the certificate found by <paramref name="thumbprint"/> (SHA-1 as Windows
    /// shows it, or SHA-256; hex, spaces and colons ignored) in the platform certificate store "My" of
    /// <paramref name="location"/>. The key owns and disposes the certificate.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="thumbprint"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException"><c>MASTER_KEY_UNAVAILABLE</c> when the store cannot be opened or holds no such certificate.</exception>
    public static MasterKey FromCertificateStore(string thumbprint, StoreLocation location = StoreLocation.CurrentUser)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(thumbprint);
        var certificate = CertificateFiles.FindInStore(thumbprint, location);
        try
        {
            return new MasterKey(new WrappedKeySource(new CertificateKeyWrapper(certificate, owned: true), createIfMissing: true));
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The file beside the store at <paramref name="storePath"/> that keeps a master key wrapped to a certificate or
    /// DPAPI: <c>NAME-masterkey.json</c> (owner-only; no secret in the clear). Back it up with the store: without it a
    /// store created with <see cref="FromCertificate"/> (or DPAPI on Windows) does not open.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="storePath"/> is null or blank.</exception>
    public static string WrappedKeyPathFor(string storePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storePath);
        return WrappedKeyFile.PathFor(storePath);
    }

    /// <summary>
    /// A master key from the systemd credential <paramref name="name"/>: the file <c>$CREDENTIALS_DIRECTORY/name</c>
    /// that systemd provides to a service with <c>LoadCredential=</c> or <c>LoadCredentialEncrypted=</c> (the latter
    /// decrypted by systemd, possibly with the machine's TPM). It holds <see cref="MinKeyLength"/> to
    /// <see cref="MaxKeyLength"/> key bytes, as a key file does, and must be readable by this user only.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>MASTER_KEY_UNAVAILABLE</c> when the process does not run with that credential (no <c>CREDENTIALS_DIRECTORY</c>,
    /// or no such file in it); <c>INVALID_MASTER_KEY</c> when the file is of the wrong size or open to other users.
    /// </exception>
    public static MasterKey FromSystemdCredential(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || name.Any(char.IsControl))
        {
            throw Errors.InvalidMasterKey($"a systemd credential name is a file name in {CredentialsDirectoryVariable}, without '/'.");
        }

        var folder = Environment.GetEnvironmentVariable(CredentialsDirectoryVariable);
        if (string.IsNullOrEmpty(folder))
        {
            throw Errors.MasterKeyUnavailable($"{CredentialsDirectoryVariable} is not set: this process was not started by systemd with a credential. Add 'LoadCredentialEncrypted={name}:PATH' (or 'LoadCredential={name}:PATH') to the service's unit, or use another master key source.");
        }

        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            throw Errors.MasterKeyUnavailable($"The systemd credential '{name}' is not in {CredentialsDirectoryVariable} ('{folder}'): add 'LoadCredentialEncrypted={name}:PATH' (or 'LoadCredential=') to the service's unit.");
        }

        return FromKeyBytes(ReadKeyBytes(path, "systemd credential", "does not exist."), $"systemd credential '{name}'");
    }
}
