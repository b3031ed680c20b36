using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Internal;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// Windows: wraps the master key with DPAPI (<see cref="ProtectedData"/>) for the current user or the machine, with
/// the key's name as extra entropy. The protected blob lives in the file beside the store. Not run by this project's
/// CI (Linux); on other platforms it is never constructed (see <see cref="OsKeyStores"/>).
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class DpapiKeyWrapper(string name, OsKeyStoreScope scope) : KeyWrapper
{
    public const string Kind = "dpapi";

    public override string Description => $"DPAPI key '{name}' ({Scope})";

    private DataProtectionScope Scope => scope == OsKeyStoreScope.LocalMachine ? DataProtectionScope.LocalMachine : DataProtectionScope.CurrentUser;

    private string Recipient => $"{Scope}:{name}";

    public override bool Matches(WrappedKeyEntry entry) => entry.Kind == Kind && entry.Recipient == Recipient;

    public override WrappedKeyEntry Wrap(ReadOnlySpan<byte> key)
    {
        RequireWindows();
        try
        {
            return new WrappedKeyEntry(Kind, "DPAPI", Recipient, name, ProtectedData.Protect(key.ToArray(), Entropy(), Scope), null);
        }
        catch (CryptographicException e)
        {
            throw Errors.MasterKeyUnavailable($"DPAPI refused to protect the master key '{name}' ({e.Message}).", e);
        }
    }

    public override byte[] Unwrap(WrappedKeyEntry entry)
    {
        RequireWindows();
        try
        {
            return ProtectedData.Unprotect(entry.WrappedKey, Entropy(), Scope);
        }
        catch (CryptographicException e)
        {
            throw Errors.WrongKey($"DPAPI cannot unprotect the master key '{name}' ({e.Message}): it was protected for another Windows user or machine, or the file beside the store was altered.");
        }
    }

    /// <summary>DPAPI exists on Windows only: elsewhere a clear code rather than a PlatformNotSupportedException.</summary>
    private static void RequireWindows()
    {
        if (!OperatingSystem.IsWindows())
        {
            throw Errors.MasterKeyUnavailable($"DPAPI exists on Windows only; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}. Use this platform's OS key store, a certificate or a key file.");
        }
    }

    private byte[] Entropy() => Encoding.UTF8.GetBytes("EncryptedStore master key v1|" + name);
}
