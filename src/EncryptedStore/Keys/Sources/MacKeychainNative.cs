using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The Security and CoreFoundation calls <see cref="MacKeychainStore"/> uses, declared as Apple documents them.
/// Every parameter is a plain pointer or integer, so the generated stubs marshal nothing and copy nothing.
/// </summary>
[SupportedOSPlatform("macos")]
internal static unsafe partial class MacKeychainNative
{
    private const string Security = "/System/Library/Frameworks/Security.framework/Security";
    private const string CoreFoundation = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";

    internal const int ErrSecSuccess = 0;
    internal const int ErrSecNotAvailable = -25291;
    internal const int ErrSecAuthFailed = -25293;
    internal const int ErrSecNoSuchKeychain = -25294;
    internal const int ErrSecDuplicateItem = -25299;
    internal const int ErrSecItemNotFound = -25300;
    internal const int ErrSecInteractionNotAllowed = -25308;

    // OSStatus SecKeychainFindGenericPassword(CFTypeRef keychainOrArray, UInt32 serviceNameLength, const char *serviceName,
    //     UInt32 accountNameLength, const char *accountName, UInt32 *passwordLength, void **passwordData, SecKeychainItemRef *itemRef);
    [LibraryImport(Security, EntryPoint = "SecKeychainFindGenericPassword")]
    internal static partial int SecKeychainFindGenericPassword(
        IntPtr keychainOrArray, uint serviceNameLength, byte* serviceName, uint accountNameLength, byte* accountName,
        uint* passwordLength, void** passwordData, IntPtr* itemRef);

    // OSStatus SecKeychainAddGenericPassword(SecKeychainRef keychain, UInt32 serviceNameLength, const char *serviceName,
    //     UInt32 accountNameLength, const char *accountName, UInt32 passwordLength, const void *passwordData, SecKeychainItemRef *itemRef);
    [LibraryImport(Security, EntryPoint = "SecKeychainAddGenericPassword")]
    internal static partial int SecKeychainAddGenericPassword(
        IntPtr keychain, uint serviceNameLength, byte* serviceName, uint accountNameLength, byte* accountName,
        uint passwordLength, byte* passwordData, IntPtr* itemRef);

    // OSStatus SecKeychainItemFreeContent(SecKeychainAttributeList *attrList, void *data);
    [LibraryImport(Security, EntryPoint = "SecKeychainItemFreeContent")]
    internal static partial int SecKeychainItemFreeContent(IntPtr attrList, void* data);

    // OSStatus SecKeychainItemDelete(SecKeychainItemRef itemRef);
    [LibraryImport(Security, EntryPoint = "SecKeychainItemDelete")]
    internal static partial int SecKeychainItemDelete(IntPtr itemRef);

    // void CFRelease(CFTypeRef cf);
    [LibraryImport(CoreFoundation, EntryPoint = "CFRelease")]
    internal static partial void CFRelease(IntPtr cf);
}
