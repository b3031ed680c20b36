namespace EncryptedStore;

/// <summary>Whose master key an OS key store keeps: see <see cref="OsKeyStoreOptions.Scope"/>.</summary>
public enum OsKeyStoreScope
{
    /// <summary>The current user's: the Secret Service's default collection, the login Keychain, DPAPI for the user.</summary>
    CurrentUser = 0,

    /// <summary>The machine's, readable by every process on it: DPAPI's machine scope, on Windows only.</summary>
    LocalMachine = 1,
}
