using System.Security.Cryptography.X509Certificates;

namespace EncryptedStore;

/// <summary>
/// Where the master key of a store registered from configuration comes from (<see cref="EncryptedTokenStoreSettings.MasterKey"/>):
/// set exactly one of <see cref="KeyFile"/>, <see cref="PassphraseEnvironmentVariable"/>, <see cref="OsKeyName"/>,
/// <see cref="CertificateFile"/>, <see cref="CertificateThumbprint"/> or <see cref="SystemdCredential"/>; the others
/// refine the one chosen. Names and paths only: a secret is never read from configuration.
/// </summary>
/// <remarks>
/// A blank value counts as unset, so an environment variable such as <c>TokenStore__MasterKey__KeyFile=</c> removes a
/// source. The key is made when the store is first resolved, and disposed with the container.
/// </remarks>
public sealed class MasterKeySettings
{
    /// <summary>Path of a key file (see <see cref="EncryptedStore.MasterKey.FromKeyFile"/>); it must exist when the host starts.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// Name of the environment variable that holds a passphrase, or <c>base64:</c> and raw key bytes (see
    /// <see cref="EncryptedStore.MasterKey.FromEnvironment"/>); it must be set when the host starts.
    /// </summary>
    public string? PassphraseEnvironmentVariable { get; set; }

    /// <summary>Name of the key in the OS key store (see <see cref="EncryptedStore.MasterKey.FromOsKeyStore(string, OsKeyStoreOptions)"/>).</summary>
    public string? OsKeyName { get; set; }

    /// <summary>With <see cref="OsKeyName"/>: see <see cref="OsKeyStoreOptions.CreateIfMissing"/>. Default true.</summary>
    public bool OsKeyCreateIfMissing { get; set; } = true;

    /// <summary>With <see cref="OsKeyName"/>: see <see cref="OsKeyStoreOptions.Scope"/>. Default <see cref="OsKeyStoreScope.CurrentUser"/>.</summary>
    public OsKeyStoreScope OsKeyScope { get; set; } = OsKeyStoreScope.CurrentUser;

    /// <summary>Path of a PKCS#12 or PEM certificate file with its private key (see <see cref="EncryptedStore.MasterKey.FromCertificateFile"/>); it must exist when the host starts.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>With <see cref="CertificateFile"/>: name of the environment variable that holds the file's password, if it has one; it must be set when the host starts.</summary>
    public string? CertificatePasswordEnvironmentVariable { get; set; }

    /// <summary>SHA-1 or SHA-256 thumbprint of a certificate in the platform store "My" (see <see cref="EncryptedStore.MasterKey.FromCertificateStore"/>).</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>With <see cref="CertificateThumbprint"/>: which certificate store. Default <see cref="StoreLocation.CurrentUser"/>.</summary>
    public StoreLocation CertificateStoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>Name of a systemd credential (see <see cref="EncryptedStore.MasterKey.FromSystemdCredential"/>); it must be present when the host starts.</summary>
    public string? SystemdCredential { get; set; }

    /// <summary>The names of the sources that are set, in the order of this class.</summary>
    internal IReadOnlyList<string> Sources() =>
        new (string Name, string? Value)[]
        {
            (nameof(KeyFile), KeyFile),
            (nameof(PassphraseEnvironmentVariable), PassphraseEnvironmentVariable),
            (nameof(OsKeyName), OsKeyName),
            (nameof(CertificateFile), CertificateFile),
            (nameof(CertificateThumbprint), CertificateThumbprint),
            (nameof(SystemdCredential), SystemdCredential),
        }.Where(source => !string.IsNullOrWhiteSpace(source.Value)).Select(source => source.Name).ToList();

    /// <summary>The key the one source set names, or null when none is set; the caller disposes it.</summary>
    /// <exception cref="TokenStoreException">As the <see cref="EncryptedStore.MasterKey"/> factory the source calls.</exception>
    internal MasterKey? Create() => Sources() switch
    {
        [] => null,
        [nameof(KeyFile)] => EncryptedStore.MasterKey.FromKeyFile(KeyFile!),
        [nameof(PassphraseEnvironmentVariable)] => EncryptedStore.MasterKey.FromEnvironment(PassphraseEnvironmentVariable!),
        [nameof(OsKeyName)] => EncryptedStore.MasterKey.FromOsKeyStore(OsKeyName!, new OsKeyStoreOptions { CreateIfMissing = OsKeyCreateIfMissing, Scope = OsKeyScope }),
        [nameof(CertificateFile)] => EncryptedStore.MasterKey.FromCertificateFile(CertificateFile!, Variable(CertificatePasswordEnvironmentVariable)),
        [nameof(CertificateThumbprint)] => EncryptedStore.MasterKey.FromCertificateStore(CertificateThumbprint!, CertificateStoreLocation),
        [nameof(SystemdCredential)] => EncryptedStore.MasterKey.FromSystemdCredential(SystemdCredential!),
        var several => throw new InvalidOperationException($"MasterKey names {several.Count} sources ({string.Join(", ", several)}): set exactly one."),
    };

    private static string? Variable(string? name) => string.IsNullOrWhiteSpace(name) ? null : Environment.GetEnvironmentVariable(name);
}
