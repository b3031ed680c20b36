using System.Diagnostics.CodeAnalysis;

namespace EncryptedStore;

/// <summary>Settings for <see cref="MasterKey.FromOsKeyStore(string, OsKeyStoreOptions)"/>.</summary>
public sealed class OsKeyStoreOptions
{
    /// <summary>
    /// Whose key: <see cref="OsKeyStoreScope.CurrentUser"/> (default) or <see cref="OsKeyStoreScope.LocalMachine"/>,
    /// which exists only with DPAPI on Windows (elsewhere it is refused with <c>MASTER_KEY_UNAVAILABLE</c>).
    /// </summary>
    public OsKeyStoreScope Scope { get; set; } = OsKeyStoreScope.CurrentUser;

    /// <summary>
    /// Whether a missing key may be made: true (default) makes 32 random bytes and keeps them the first time a store is
    /// created with the name (or a store changes its master key to it). False refuses with <c>MASTER_KEY_NOT_FOUND</c>,
    /// so a mistyped name cannot silently start an empty store. Opening an existing store never makes a key.
    /// </summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>
    /// Linux: the D-Bus address of the session bus that carries the Secret Service. Null (default) reads
    /// <c>DBUS_SESSION_BUS_ADDRESS</c>, as libsecret does. Ignored elsewhere.
    /// </summary>
    [SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "A D-Bus address is not a URI.")]
    public string? SessionBusAddress { get; set; }
}
