using EncryptedStore.Internal;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The OS key store of this platform: the Secret Service on Linux, the login Keychain on macOS, DPAPI on Windows
/// (which keeps nothing itself: the protected key lives beside the store). Elsewhere, and for a scope the platform
/// does not have, a clear <c>MASTER_KEY_UNAVAILABLE</c>, never a fallback to something weaker.
/// </summary>
internal static class OsKeyStores
{
    public const int MaxNameLength = 200;

    public static MasterKeySource SourceFor(string name, OsKeyStoreOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            return new WrappedKeySource(new DpapiKeyWrapper(name, options.Scope), options.CreateIfMissing);
        }

        return new OsSecretKeySource(SecretStore(options), name, options.CreateIfMissing);
    }

    public static bool Delete(string name, OsKeyStoreOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            throw Errors.MasterKeyUnavailable($"On Windows a DPAPI-protected master key is kept beside its store (NAME-masterkey.json), not in an OS key store: delete that file to delete the key '{name}'.");
        }

        return SecretStore(options).Delete(name);
    }

    public static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            throw Errors.InvalidMasterKey($"an OS key store name needs 1 to {MaxNameLength} characters and no control characters.");
        }
    }

    private static IOsSecretStore SecretStore(OsKeyStoreOptions options)
    {
        if (options.Scope != OsKeyStoreScope.CurrentUser)
        {
            throw Errors.MasterKeyUnavailable($"The OS key store of this platform keeps keys per user; the {options.Scope} scope exists with DPAPI on Windows only.");
        }

        if (OperatingSystem.IsLinux())
        {
            return new SecretServiceStore(options.SessionBusAddress);
        }

        if (OperatingSystem.IsMacOS())
        {
            return new MacKeychainStore();
        }

        throw Errors.MasterKeyUnavailable($"This platform ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}) has no OS key store that EncryptedStore supports (the Secret Service on Linux, the Keychain on macOS, DPAPI on Windows); use a key file, a certificate or a passphrase.");
    }
}
