using EncryptedStore.Keys.Sources;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// The macOS Keychain and Windows DPAPI cannot run on this Linux CI. Their code compiles here and, called on the wrong
/// platform, fails with <c>MASTER_KEY_UNAVAILABLE</c> and a sentence, never a DllNotFoundException or a fallback.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class OtherPlatformTests
{
    [Test]
    public void MacKeychain_OnLinux_ThrowsMasterKeyUnavailable()
    {
        Assume.That(OperatingSystem.IsMacOS(), Is.False, "runs where the Keychain does not exist");
#pragma warning disable CA1416 // The point: the macOS-only code called elsewhere.
        var keychain = new MacKeychainStore();
        Assert.Multiple(() =>
        {
            Assert.That(() => keychain.Read("app"), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("macOS only"));
            Assert.That(() => keychain.Create("app", new byte[32]), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable));
            Assert.That(() => keychain.Delete("app"), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable));
        });
#pragma warning restore CA1416
    }

    [Test]
    public void Dpapi_OnLinux_ThrowsMasterKeyUnavailable()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "runs where DPAPI does not exist");
#pragma warning disable CA1416 // The point: the Windows-only code called elsewhere.
        using var dpapi = new DpapiKeyWrapper("app", OsKeyStoreScope.CurrentUser);
        Assert.Multiple(() =>
        {
            Assert.That(() => dpapi.Wrap(new byte[32]), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("Windows only"));
            Assert.That(() => dpapi.Unwrap(new WrappedKeyEntry(DpapiKeyWrapper.Kind, "DPAPI", "CurrentUser:app", "app", new byte[64], null)),
                StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable));
        });
#pragma warning restore CA1416
    }

    [Test]
    public void FromOsKeyStore_MachineScopeOffWindows_ThrowsMasterKeyUnavailable()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "the machine scope exists with DPAPI");

        Assert.That(() => MasterKey.FromOsKeyStore("app", new OsKeyStoreOptions { Scope = OsKeyStoreScope.LocalMachine }),
            StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contain("Windows only"));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void FromOsKeyStore_BlankName_ThrowsArgumentException(string name)
    {
        Assert.That(() => MasterKey.FromOsKeyStore(name), Throws.ArgumentException);
    }

    [Test]
    public void FromOsKeyStore_ControlCharacterInName_ThrowsInvalidMasterKey()
    {
        Assert.That(() => MasterKey.FromOsKeyStore("app\n"), StoreError.WithCode(TokenStoreErrorCodes.InvalidMasterKey));
    }
}
