using EncryptedStore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static EncryptedStore.Tests.DependencyInjection.ConfigurationSupport;

namespace EncryptedStore.Tests.DependencyInjection;

/// <summary><c>AddKeyedEncryptedTokenStore</c>: several stores in one container, each on its own file, options and key.</summary>
public partial class ServiceCollectionTests
{
    [Test]
    [Category("Slow")]
    public void AddKeyedEncryptedTokenStore_TwoStoresOnTwoFiles_AreIndependentAndDisposedWithTheContainer()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        services.AddKeyedEncryptedTokenStore("a", o =>
        {
            o.FilePath = dir.File("a.db");
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        services.AddKeyedEncryptedTokenStore("b", o => o.FilePath = dir.File("b.db")).ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.OtherKey));
        var provider = services.BuildServiceProvider();
        var a = provider.GetRequiredKeyedService<EncryptedTokenStore>("a");
        var b = provider.GetRequiredKeyedService<EncryptedTokenStore>("b");
        var token = StoreFixture.Token("alice@example.com");

        a.SaveToken(token);

        Assert.Multiple(() =>
        {
            Assert.That(b, Is.Not.SameAs(a));
            Assert.That(provider.GetRequiredKeyedService<ITokenStore>("a"), Is.SameAs(a));
            Assert.That(provider.GetRequiredKeyedService<ITokenStore>("b"), Is.SameAs(b));
            Assert.That(provider.GetService<EncryptedTokenStore>(), Is.Null, "no store that is not keyed");
            Assert.That(a.FilePath, Is.EqualTo(dir.File("a.db")));
            Assert.That(b.FilePath, Is.EqualTo(dir.File("b.db")));
            Assert.That(b.TryFindTokenById(token.Id!), Is.Null);
            Assert.That(b.GetTokens(), Is.Empty);
        });

        provider.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(() => a.GetTokens(), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => b.GetTokens(), Throws.TypeOf<ObjectDisposedException>());
        });
        using var reopenedA = StoreFixture.Open(dir.File("a.db"));
        using var reopenedB = StoreFixture.Open(dir.File("b.db"), StoreFixture.OtherKey);
        Assert.Multiple(() =>
        {
            Assert.That(reopenedA.GetTokens(), Has.Count.EqualTo(1));
            Assert.That(reopenedB.GetTokens(), Is.Empty);
        });
    }

    [Test]
    public void AddKeyedEncryptedTokenStore_FromKeyedServicesAttribute_InjectsThatStore()
    {
        var services = new ServiceCollection();
        services.AddKeyedEncryptedTokenStore("tenant-a", o => o.FilePath = EncryptedTokenStoreOptions.InMemory);
        services.AddKeyedEncryptedTokenStore("tenant-b", o => o.FilePath = EncryptedTokenStoreOptions.InMemory);
        services.AddEncryptedTokenStore(o => o.FilePath = EncryptedTokenStoreOptions.InMemory);
        services.AddSingleton<TenantBClient>();
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<TenantBClient>();

        Assert.Multiple(() =>
        {
            Assert.That(client.Store, Is.SameAs(provider.GetRequiredKeyedService<ITokenStore>("tenant-b")));
            Assert.That(client.Store, Is.Not.SameAs(provider.GetRequiredKeyedService<ITokenStore>("tenant-a")));
            Assert.That(client.Store, Is.Not.SameAs(provider.GetRequiredService<ITokenStore>()));
        });
    }

    [Test]
    public void AddKeyedEncryptedTokenStore_FromConfiguration_BindsEachSectionAndValidatesEachAtStart()
    {
        using var dir = new TempDirectory();
        var keyFile = WriteKeyFile(dir.File("master.key"), StoreFixture.Key);
        var stores = Section(
            "Stores",
            ("a:FilePath", dir.File("a.db")),
            ("a:MasterKey:KeyFile", keyFile),
            ("b:MasterKey:KeyFile", keyFile));
        var services = new ServiceCollection();
        services.AddKeyedEncryptedTokenStore("a", stores.GetSection("a"));
        services.AddKeyedEncryptedTokenStore("b", stores.GetSection("b"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Multiple(() =>
        {
            Assert.That(error.OptionsName, Is.EqualTo("b"));
            Assert.That(error.Failures.ToList(), Is.EqualTo(new List<string> { "Stores:b:FilePath is required (the path of the store file, or \":memory:\")" }));
            Assert.That(provider.GetRequiredService<IOptionsMonitor<EncryptedTokenStoreSettings>>().Get("a").FilePath, Is.EqualTo(dir.File("a.db")));
            Assert.That(provider.GetRequiredKeyedService<EncryptedTokenStore>("a").FilePath, Is.EqualTo(dir.File("a.db")));
        });
    }

    [Test]
    public void AddKeyedEncryptedTokenStore_SameKeyOrSameStringForm_ThrowsAndRegistersNothing()
    {
        var services = new ServiceCollection();
        services.AddKeyedEncryptedTokenStore(1, o => o.FilePath = EncryptedTokenStoreOptions.InMemory);
        var registrations = services.Count;

        Assert.Multiple(() =>
        {
            Assert.That(() => services.AddKeyedEncryptedTokenStore(1, o => o.FilePath = EncryptedTokenStoreOptions.InMemory), Throws.InvalidOperationException);
            Assert.That(() => services.AddKeyedEncryptedTokenStore("1", Section("Store")), Throws.InvalidOperationException.With.Message.Contain("'1'"));
            Assert.That(services, Has.Count.EqualTo(registrations));
        });
    }

    [Test]
    public void AddKeyedEncryptedTokenStore_BadKey_Throws()
    {
        var services = new ServiceCollection();

        Assert.Multiple(() =>
        {
            Assert.That(() => services.AddKeyedEncryptedTokenStore(null!, _ => { }), Throws.ArgumentNullException);
            Assert.That(() => services.AddKeyedEncryptedTokenStore(KeyedService.AnyKey, _ => { }), Throws.ArgumentException);
            Assert.That(() => services.AddKeyedEncryptedTokenStore(" ", _ => { }), Throws.ArgumentException);
            Assert.That(services, Is.Empty);
        });
    }

    [Test]
    public void ProtectWith_OnKeyedBuilders_ChoosesEachStoresOwnKey()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        var a = services.AddKeyedEncryptedTokenStore("a", o => o.FilePath = dir.File("a.db")).ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.Key));
        var b = services.AddKeyedEncryptedTokenStore("b", o => o.FilePath = dir.File("b.db")).ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.OtherKey));
        services.AddEncryptedTokenStore(o => o.FilePath = dir.File("default.db")).ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.Key));
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredKeyedService<ITokenStore>("a").SaveToken(StoreFixture.Token("a@example.com"));
            provider.GetRequiredKeyedService<ITokenStore>("b").SaveToken(StoreFixture.Token("b@example.com"));
            provider.GetRequiredService<ITokenStore>();
        }

        Assert.Multiple(() =>
        {
            Assert.That(a.ServiceKey, Is.EqualTo("a"));
            Assert.That(() => b.ProtectWithKeyFile(dir.File("master.key")), Throws.InvalidOperationException, "b has a key already");
            Assert.That(() => StoreFixture.Open(dir.File("b.db")).Dispose(), StoreError.WithCode(TokenStoreErrorCodes.WrongKey));
        });
        using var reopenedB = StoreFixture.Open(dir.File("b.db"), StoreFixture.OtherKey);
        Assert.That(reopenedB.GetTokens(), Has.Count.EqualTo(1));
    }

    private sealed class TenantBClient([FromKeyedServices("tenant-b")] ITokenStore store)
    {
        public ITokenStore Store { get; } = store;
    }
}
