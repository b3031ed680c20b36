using EncryptedStore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static EncryptedStore.Tests.DependencyInjection.ConfigurationSupport;

namespace EncryptedStore.Tests.DependencyInjection;

/// <summary>
/// <c>AddEncryptedTokenStore(IConfiguration)</c>: the settings bound from configuration open the store, and every problem
/// fails the host's start (<see cref="IStartupValidator"/>, what a host runs for <c>ValidateOnStart</c>) in one exception.
/// </summary>
public class EncryptedTokenStoreSettingsTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void AddEncryptedTokenStore_ConfigurationWithKeyFile_OpensTheStoreWithThoseSettings()
    {
        var path = _dir.File("tokens.db");
        var keyFile = WriteKeyFile(_dir.File("master.key"), StoreFixture.Key);
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section(
            "TokenStore",
            ("FilePath", path),
            ("CacheSize", "0"),
            ("FlushToDisk", "false"),
            ("UseSaveJournal", "false"),
            ("KeyLifetime", "30.00:00:00"),
            ("LockTimeout", "00:00:02"),
            ("Sharing", "Shared"),
            ("MasterKey:KeyFile", keyFile)));
        var token = StoreFixture.Token("alice@example.com");
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            var settings = provider.GetRequiredService<IOptions<EncryptedTokenStoreSettings>>().Value;
            var store = provider.GetRequiredService<EncryptedTokenStore>();
            store.SaveToken(token);
            store.FindTokenById(token.Id!);

            Assert.Multiple(() =>
            {
                Assert.That(store.FilePath, Is.EqualTo(path));
                Assert.That(store.CachedTokenCount, Is.Zero, "CacheSize 0");
                Assert.That(store.Journal, Is.Null, "UseSaveJournal false, and shared mode");
                Assert.That(File.Exists(path[..^3] + "-lock.db"), Is.True, "shared mode's lock file");
                Assert.That(settings.KeyLifetime, Is.EqualTo(TimeSpan.FromDays(30)));
                Assert.That(settings.LockTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
                Assert.That(settings.FlushToDisk, Is.False);
                Assert.That(provider.GetRequiredService<ITokenStore>(), Is.SameAs(store));
            });
        }

        using var reopened = StoreFixture.Open(path);
        Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
    }

    [Test]
    public void AddEncryptedTokenStore_PassphraseEnvironmentVariable_ReadsTheKeyFromIt()
    {
        var path = _dir.File("tokens.db");
        var variable = "ES_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "base64:" + Convert.ToBase64String(StoreFixture.Key));
        try
        {
            var services = new ServiceCollection();
            services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", path), ("MasterKey:PassphraseEnvironmentVariable", variable)));
            using (var provider = services.BuildServiceProvider())
            {
                provider.GetRequiredService<IStartupValidator>().Validate();
                provider.GetRequiredService<ITokenStore>().SaveToken(StoreFixture.Token("alice@example.com"));
            }

            using var reopened = StoreFixture.Open(path);
            Assert.That(reopened.GetTokens(), Has.Count.EqualTo(1));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Test]
    public void AddEncryptedTokenStore_ConfigureAction_RunsAfterTheConfigurationIsApplied()
    {
        var path = _dir.File("tokens.db");
        var keyFile = WriteKeyFile(_dir.File("master.key"), StoreFixture.Key);
        EncryptedTokenStoreOptions? seen = null;
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(
            Section("TokenStore", ("FilePath", path), ("CacheSize", "50"), ("MasterKey:KeyFile", keyFile)),
            o =>
            {
                seen = new EncryptedTokenStoreOptions { FilePath = o.FilePath, CacheSize = o.CacheSize, MasterKey = o.MasterKey };
                o.CacheSize = 0;
            });
        using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<EncryptedTokenStore>();
        var token = StoreFixture.Token("alice@example.com");
        store.SaveToken(token);
        store.FindTokenById(token.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(seen?.FilePath, Is.EqualTo(path));
            Assert.That(seen?.CacheSize, Is.EqualTo(50));
            Assert.That(seen?.MasterKey, Is.Not.Null, "the key named by the configuration");
            Assert.That(store.CachedTokenCount, Is.Zero, "the action's CacheSize wins");
        });
    }

    [Test]
    public void ValidateOnStart_EveryProblem_ListedInOneExceptionAndNoFileMade()
    {
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section(
            "TokenStore",
            ("CacheSize", "-1"),
            ("KeyLifetime", "1.00:00:00"),
            ("LockTimeout", "00:20:00"),
            ("Sharing", "7"),
            ("MasterKey:KeyFile", _dir.File("master.key")),
            ("MasterKey:OsKeyName", "myapp")));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Multiple(() =>
        {
            Assert.That(error.Failures, Has.Exactly(6).Items, error.Message);
            Assert.That(error.Message, Does.Contain("TokenStore:FilePath is required"));
            Assert.That(error.Message, Does.Contain("TokenStore:CacheSize must be 0 (no cache) or more, not -1"));
            Assert.That(error.Message, Does.Contain("TokenStore:KeyLifetime must be at least 7.00:00:00 (7 days), not 1.00:00:00"));
            Assert.That(error.Message, Does.Contain("TokenStore:LockTimeout must be from 00:00:00 to 00:10:00, not 00:20:00"));
            Assert.That(error.Message, Does.Contain("TokenStore:Sharing must be \"Exclusive\" or \"Shared\", not 7"));
            Assert.That(error.Message, Does.Contain("TokenStore:MasterKey names 2 sources (KeyFile, OsKeyName): set exactly one"));
            Assert.That(Directory.EnumerateFileSystemEntries(_dir.Path), Is.Empty);
        });
    }

    [Test]
    public void ValidateOnStart_NoMasterKeySource_FailsNamingTheSourcesAndProtectWith()
    {
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", _dir.File("tokens.db"))));
        using var provider = services.BuildServiceProvider();

        Assert.That(
            () => provider.GetRequiredService<IStartupValidator>().Validate(),
            Throws.TypeOf<OptionsValidationException>().With.Message.EqualTo(
                "TokenStore:MasterKey names no source: set exactly one of KeyFile, PassphraseEnvironmentVariable, OsKeyName, CertificateFile, " +
                "CertificateThumbprint or SystemdCredential, or choose the key in code with a ProtectWith… call on the builder"));
    }

    [TestCase("MasterKey:KeyFile", "missing.key", "TokenStore:MasterKey:KeyFile names 'missing.key', which does not exist")]
    [TestCase("MasterKey:CertificateFile", "missing.pfx", "TokenStore:MasterKey:CertificateFile names 'missing.pfx', which does not exist")]
    [TestCase("MasterKey:PassphraseEnvironmentVariable", "ES_TEST_UNSET_VARIABLE_5f0c", "TokenStore:MasterKey:PassphraseEnvironmentVariable names the environment variable 'ES_TEST_UNSET_VARIABLE_5f0c', which is not set")]
    [TestCase("MasterKey:CertificatePasswordEnvironmentVariable", "PFX_PASSWORD", "TokenStore:MasterKey:CertificatePasswordEnvironmentVariable applies to CertificateFile only, which is not set")]
    public void ValidateOnStart_MissingFileOrVariable_FailsNamingIt(string setting, string value, string expected)
    {
        var keyFile = WriteKeyFile(_dir.File("master.key"), StoreFixture.Key);
        var values = setting == "MasterKey:CertificatePasswordEnvironmentVariable"
            ? new[] { ("FilePath", (string?)_dir.File("tokens.db")), ("MasterKey:KeyFile", keyFile), (setting, value) }
            : [("FilePath", _dir.File("tokens.db")), (setting, value)];
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", values));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(error.Failures, Has.One.StartsWith(expected));
    }

    [Test]
    public void ValidateOnStart_SourceInConfigurationAndProtectWithCall_FailsChooseOne()
    {
        var keyFile = WriteKeyFile(_dir.File("master.key"), StoreFixture.Key);
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", _dir.File("tokens.db")), ("MasterKey:KeyFile", keyFile)))
            .ProtectWithKeyFile(keyFile);
        using var provider = services.BuildServiceProvider();

        Assert.That(
            () => provider.GetRequiredService<IStartupValidator>().Validate(),
            Throws.TypeOf<OptionsValidationException>().With.Message.EqualTo(
                "TokenStore:MasterKey:KeyFile is set and a ProtectWith… call chose the master key in code too: choose one"));
    }

    [Test]
    public void ValidateOnStart_NoSourceButProtectWithMasterKey_PassesAndOpensWithThatKey()
    {
        var path = _dir.File("tokens.db");
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", path)))
            .ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.Key));
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            provider.GetRequiredService<ITokenStore>().SaveToken(StoreFixture.Token("alice@example.com"));
        }

        using var reopened = StoreFixture.Open(path);
        Assert.That(reopened.GetTokens(), Has.Count.EqualTo(1));
    }

    [Test]
    public void ValidateOnStart_InMemoryWithoutMasterKey_Passes()
    {
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", EncryptedTokenStoreOptions.InMemory)));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.That(provider.GetRequiredService<EncryptedTokenStore>().FilePath, Is.EqualTo(EncryptedTokenStoreOptions.InMemory));
    }

    [Test]
    public void Resolve_InvalidSettingsWithoutAHost_ThrowsTheSameValidationException()
    {
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(Section("TokenStore", ("KeyLifetime", "3.00:00:00")));
        using var provider = services.BuildServiceProvider();

        Assert.That(
            () => provider.GetRequiredService<ITokenStore>(),
            Throws.TypeOf<OptionsValidationException>().With.Message.Contain("TokenStore:FilePath is required").And.Message.Contain("TokenStore:KeyLifetime"));
    }

    [Test]
    public void Resolve_ConfigureActionSetsAMasterKeyTheConfigurationNamesToo_ThrowsChooseOne()
    {
        var keyFile = WriteKeyFile(_dir.File("master.key"), StoreFixture.Key);
        using var other = MasterKey.FromBytes(StoreFixture.OtherKey);
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(
            Section("TokenStore", ("FilePath", _dir.File("tokens.db")), ("MasterKey:KeyFile", keyFile)),
            o => o.MasterKey = other);
        using var provider = services.BuildServiceProvider();

        Assert.That(() => provider.GetRequiredService<ITokenStore>(), Throws.InvalidOperationException.With.Message.Contain("choose one"));
    }

    [Test]
    public void MasterKeySettings_StringProperties_NameASourceNeverHoldASecret()
    {
        var names = typeof(MasterKeySettings).GetProperties().Where(p => p.PropertyType == typeof(string)).Select(p => p.Name).ToList();

        Assert.That(names, Has.All.Match("(File|Variable|Name|Thumbprint|Credential)$"));
    }

    [Test]
    public void AddEncryptedTokenStore_NullConfiguration_ThrowsArgumentNullException()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new ServiceCollection().AddEncryptedTokenStore((Microsoft.Extensions.Configuration.IConfiguration)null!), Throws.ArgumentNullException);
            Assert.That(() => new ServiceCollection().AddEncryptedTokenStore(Section("TokenStore"), null!), Throws.ArgumentNullException);
        });
    }
}
