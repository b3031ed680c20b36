// The classic SecKeychain*GenericPassword API is used rather than SecItem*: it takes the service and account as
// plain UTF-8 buffers and returns the secret as one buffer, so no CFDictionary/CFString/CFData has to be built,
// retained and released around every call. Apple marks it deprecated but it still works on current macOS,
// and with a null keychain it reads the user's search list and adds to the default (login) keychain.
// This code path is not run by this project's CI (Linux only); it was written against Apple's documented signatures.
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Internal;
using static EncryptedStore.Keys.Sources.MacKeychainNative;

namespace EncryptedStore.Keys.Sources;

/// <summary>Keeps secrets as generic passwords (service <see cref="IOsSecretStore.Service"/>) in the user's login Keychain.</summary>
/// <remarks>Stateless, so safe to use from several threads.</remarks>
[SupportedOSPlatform("macos")]
internal sealed unsafe class MacKeychainStore : IOsSecretStore
{
    private const string StoreName = "macOS login Keychain";

    // Another process may delete the item between our add and our read; retry that race a few times, no more.
    private const int CreateAttempts = 3;

    private static readonly byte[] ServiceUtf8 = Encoding.UTF8.GetBytes(IOsSecretStore.Service);

    public string Name => StoreName;

    public byte[]? Read(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        RequireMacOS();
        var accountUtf8 = Encoding.UTF8.GetBytes(account);
        uint length = 0;
        void* data = null;
        int status;
        fixed (byte* service = ServiceUtf8)
        fixed (byte* accountName = accountUtf8)
        {
            status = SecKeychainFindGenericPassword(
                IntPtr.Zero, (uint)ServiceUtf8.Length, service, (uint)accountUtf8.Length, accountName, &length, &data, null);
        }

        try
        {
            if (status == ErrSecItemNotFound)
            {
                return null;
            }

            ThrowOnFailure(status, "reading a secret");
            var buffer = new Span<byte>(data, checked((int)length));
            var secret = buffer.ToArray();
            CryptographicOperations.ZeroMemory(buffer);
            return secret;
        }
        finally
        {
            if (data != null)
            {
                _ = SecKeychainItemFreeContent(IntPtr.Zero, data);
            }
        }
    }

    public byte[] Create(string account, ReadOnlySpan<byte> secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        RequireMacOS();
        var accountUtf8 = Encoding.UTF8.GetBytes(account);
        for (var attempt = 0; attempt < CreateAttempts; attempt++)
        {
            int status;
            fixed (byte* service = ServiceUtf8)
            fixed (byte* accountName = accountUtf8)
            fixed (byte* password = secret)
            {
                status = SecKeychainAddGenericPassword(
                    IntPtr.Zero, (uint)ServiceUtf8.Length, service, (uint)accountUtf8.Length, accountName,
                    (uint)secret.Length, password, null);
            }

            if (status != ErrSecDuplicateItem)
            {
                ThrowOnFailure(status, "adding a secret");
                return secret.ToArray();
            }

            // Another process added one first: converge on theirs.
            if (Read(account) is { } existing)
            {
                return existing;
            }
        }

        throw Errors.MasterKeyUnavailable(
            $"The {StoreName} kept reporting an existing item for '{account}' that could then not be read. " +
            "Another process may be adding and deleting it; retry when it is done.");
    }

    public bool Delete(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        RequireMacOS();
        var accountUtf8 = Encoding.UTF8.GetBytes(account);
        var deleted = false;
        while (true)
        {
            var item = IntPtr.Zero;
            int status;
            fixed (byte* service = ServiceUtf8)
            fixed (byte* accountName = accountUtf8)
            {
                status = SecKeychainFindGenericPassword(
                    IntPtr.Zero, (uint)ServiceUtf8.Length, service, (uint)accountUtf8.Length, accountName, null, null, &item);
            }

            try
            {
                if (status == ErrSecItemNotFound)
                {
                    return deleted;
                }

                ThrowOnFailure(status, "finding a secret to delete");
                var deleteStatus = SecKeychainItemDelete(item);

                // Another process deleted it between our find and our delete: look again.
                if (deleteStatus != ErrSecItemNotFound)
                {
                    ThrowOnFailure(deleteStatus, "deleting a secret");
                    deleted = true;
                }
            }
            finally
            {
                if (item != IntPtr.Zero)
                {
                    CFRelease(item);
                }
            }
        }
    }

    /// <summary>On another platform the Security framework is absent: a clear code rather than a DllNotFoundException.</summary>
    private static void RequireMacOS()
    {
        if (!OperatingSystem.IsMacOS())
        {
            throw Errors.MasterKeyUnavailable($"The macOS Keychain exists on macOS only; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}. Use this platform's OS key store, a certificate or a key file.");
        }
    }

    private static void ThrowOnFailure(int status, string operation)
    {
        switch (status)
        {
            case ErrSecSuccess:
                return;
            case ErrSecInteractionNotAllowed or ErrSecAuthFailed:
                throw Errors.MasterKeyLocked(StoreName);
            case ErrSecNoSuchKeychain or ErrSecNotAvailable:
                throw Errors.MasterKeyUnavailable(
                    $"The {StoreName} is not available while {operation} (OSStatus {status}): this session has no default keychain. " +
                    "Run in a logged-in macOS user session with a login keychain (see Keychain Access), or use another master key source.");
            default:
                throw Errors.MasterKeyUnavailable(
                    $"The {StoreName} failed while {operation} (OSStatus {status}). " +
                    $"Run 'security error {status}' for the reason, fix it and retry, or use another master key source.");
        }
    }
}
