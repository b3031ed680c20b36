using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Cli.Keys;

/// <summary>
/// The master key the user gave, as the library's <see cref="EncryptedStore.MasterKey"/> for opening the
/// store, plus the raw secret when the CLI holds one (a key file, an environment value, a passphrase, a systemd
/// credential), which it needs to derive the key of an encrypted backup (see <see cref="Backup.BackupFile"/>).
/// A key kept in an OS key store or wrapped to a certificate has none here. <see cref="Dispose"/> clears both.
/// </summary>
internal sealed class KeySource : IDisposable
{
    private const string EnvironmentKeyPrefix = "base64:";

    private readonly byte[] _material;

    private KeySource(KeyKind? kind, byte[] material, MasterKey masterKey, string description)
    {
        Kind = kind;
        _material = material;
        MasterKey = masterKey;
        Description = description;
    }

    /// <summary>What the raw secret is; null when the CLI holds none (see <see cref="HasMaterial"/>).</summary>
    public KeyKind? Kind { get; }

    /// <summary>Whether <see cref="Material"/> holds the secret: false for an OS key store or a certificate.</summary>
    public bool HasMaterial => Kind is not null;

    /// <summary>The key for <see cref="EncryptedTokenStoreOptions.MasterKey"/>.</summary>
    public MasterKey MasterKey { get; }

    /// <summary>Where the key came from, e.g. <c>key file 'master.key'</c>; never the secret.</summary>
    public string Description { get; }

    /// <summary>The raw secret: key bytes, or the passphrase's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Material => _material;

    /// <exception cref="TokenStoreException"><c>INVALID_MASTER_KEY</c> when the file is missing or of the wrong size.</exception>
    public static KeySource FromKeyFile(string path)
    {
        var masterKey = MasterKey.FromKeyFile(path);
        try
        {
            return new KeySource(KeyKind.KeyBytes, File.ReadAllBytes(path), masterKey, $"key file '{path}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            masterKey.Dispose();
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidMasterKey, $"The master key is not usable: key file '{path}' cannot be read ({e.GetType().Name}).", e);
        }
    }

    /// <summary>
    /// The key in environment variable <paramref name="name"/>: raw key bytes when the value starts with
    /// <c>base64:</c>, else a passphrase; the library's rule, so the store and the backup agree.
    /// </summary>
    /// <exception cref="TokenStoreException"><c>INVALID_MASTER_KEY</c> when the variable is unset, empty or malformed.</exception>
    public static KeySource FromEnvironment(string name)
    {
        var masterKey = MasterKey.FromEnvironment(name);
        var value = Environment.GetEnvironmentVariable(name) ?? string.Empty;
        var isKey = value.StartsWith(EnvironmentKeyPrefix, StringComparison.Ordinal);
        var material = isKey ? Convert.FromBase64String(value[EnvironmentKeyPrefix.Length..]) : Encoding.UTF8.GetBytes(value);
        return new KeySource(isKey ? KeyKind.KeyBytes : KeyKind.Passphrase, material, masterKey, $"environment variable '{name}'");
    }

    /// <exception cref="TokenStoreException"><c>INVALID_MASTER_KEY</c> when the passphrase is too short.</exception>
    public static KeySource FromPassphrase(string passphrase) =>
        new(KeyKind.Passphrase, Encoding.UTF8.GetBytes(passphrase), MasterKey.FromPassphrase(passphrase), "passphrase prompt");

    /// <summary>The key kept in the OS key store under <paramref name="name"/>; made when missing only if <paramref name="create"/>.</summary>
    public static KeySource FromOsKeyStore(string name, bool create) =>
        new(null, [], MasterKey.FromOsKeyStore(name, new OsKeyStoreOptions { CreateIfMissing = create }), $"OS key store key '{name}'");

    /// <summary>The key wrapped to the certificate in <paramref name="path"/> (PKCS#12 or PEM), its password from <paramref name="passwordVariable"/>.</summary>
    /// <exception cref="CliException">Usage error when the password variable is not set.</exception>
    public static KeySource FromCertificateFile(string path, string? passwordVariable)
    {
        string? password = null;
        if (passwordVariable is not null)
        {
            password = Environment.GetEnvironmentVariable(passwordVariable)
                ?? throw CliException.Usage($"environment variable '{passwordVariable}' (the certificate's password) is not set.");
        }

        return new(null, [], MasterKey.FromCertificateFile(path, password), $"certificate file '{path}'");
    }

    /// <summary>The key wrapped to the certificate with <paramref name="thumbprint"/> in the current user's certificate store.</summary>
    public static KeySource FromCertificateStore(string thumbprint) =>
        new(null, [], MasterKey.FromCertificateStore(thumbprint), $"certificate {thumbprint} (current user's store)");

    /// <summary>The key in the systemd credential <paramref name="name"/> (<c>$CREDENTIALS_DIRECTORY/name</c>).</summary>
    public static KeySource FromSystemdCredential(string name)
    {
        var masterKey = MasterKey.FromSystemdCredential(name);
        try
        {
            var path = Path.Combine(Environment.GetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable)!, name);
            return new KeySource(KeyKind.KeyBytes, File.ReadAllBytes(path), masterKey, $"systemd credential '{name}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            masterKey.Dispose();
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidMasterKey, $"The master key is not usable: systemd credential '{name}' cannot be read ({e.Message}).", e);
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_material);
        MasterKey.Dispose();
    }

    public override string ToString() => Description;
}
