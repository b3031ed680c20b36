using EncryptedStore.Tests.Keys.Sources;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.DependencyInjection;

public partial class ServiceCollectionTests
{
    [Test]
    public void AddEncryptedTokenStore_Resolved_IsOneSingletonForBothServiceTypes()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        var builder = services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = dir.File("tokens.db");
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<EncryptedTokenStore>();

        Assert.Multiple(() =>
        {
            Assert.That(builder.Services, Is.SameAs(services));
            Assert.That(provider.GetRequiredService<ITokenStore>(), Is.SameAs(store));
            Assert.That(provider.GetRequiredService<EncryptedTokenStore>(), Is.SameAs(store));
            Assert.That(store.FilePath, Is.EqualTo(dir.File("tokens.db")));
        });
    }

    [Test]
    [Category("Slow")]
    public void AddEncryptedTokenStore_ProviderDisposed_ClosesTheStoreSoTheFileReopens()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = path;
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ITokenStore>();
        var token = StoreFixture.Token("alice@example.com");
        store.SaveToken(token);
        Assert.That(() => StoreFixture.Open(path).Dispose(), StoreError.WithCode(TokenStoreErrorCodes.StoreLocked), "held open by the container");

        provider.Dispose();

        Assert.That(() => store.GetTokens(), Throws.TypeOf<ObjectDisposedException>());
        using var reopened = StoreFixture.Open(path);
        Assert.That(StoreFixture.Fields(reopened.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
    }

    [Test]
    public void AddEncryptedTokenStore_TimeProviderRegistered_StoreUsesIt()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        var created = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(created));
        services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = path;
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<ITokenStore>();
        }

        using var db = StoreFiles.OpenPlain(path);
        Assert.That(db.GetCollection("meta").FindById("store")["created"].AsDateTime.ToUniversalTime(), Is.EqualTo(created.UtcDateTime));
    }

    [Test]
    public void AddEncryptedTokenStore_InMemoryWithoutMasterKey_Works()
    {
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(o => o.FilePath = EncryptedTokenStoreOptions.InMemory);
        using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ITokenStore>();
        var token = StoreFixture.Token("alice@example.com");

        store.SaveToken(token);

        Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
    }

    [Test]
    public void AddEncryptedTokenStore_NullArguments_ThrowArgumentNullException()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ((IServiceCollection)null!).AddEncryptedTokenStore(_ => { }), Throws.ArgumentNullException);
            Assert.That(() => new ServiceCollection().AddEncryptedTokenStore((Action<EncryptedTokenStoreOptions>)null!), Throws.ArgumentNullException);
        });
    }

    [Test]
    public void AddEncryptedTokenStore_CalledTwice_ThrowsAndKeepsTheFirstRegistration()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = dir.File("first.db");
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        var registrations = services.Count;

        var error = Assert.Throws<InvalidOperationException>(() => services.AddEncryptedTokenStore(o => o.FilePath = dir.File("second.db")));

        using var provider = services.BuildServiceProvider();
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.StartWith("AddEncryptedTokenStore was already called for this service collection; one store per container"));
            Assert.That(services, Has.Count.EqualTo(registrations), "the failed call registered nothing");
            Assert.That(provider.GetRequiredService<EncryptedTokenStore>().FilePath, Is.EqualTo(dir.File("first.db")));
        });
    }

    [Test]
    public void AddEncryptedTokenStore_StoreRegisteredByHand_Throws()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory }));

        Assert.That(() => services.AddEncryptedTokenStore(o => o.FilePath = EncryptedTokenStoreOptions.InMemory), Throws.InvalidOperationException);
    }

    [Test]
    public void AddEncryptedTokenStore_OnlyAKeyedStoreRegistered_Registers()
    {
        var services = new ServiceCollection();
        services.AddKeyedSingleton("other", (_, _) => new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory }));

        services.AddEncryptedTokenStore(o => o.FilePath = EncryptedTokenStoreOptions.InMemory);

        using var provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<ITokenStore>(), Is.SameAs(provider.GetRequiredService<EncryptedTokenStore>()));
    }

    [Test]
    public void ProtectWithCertificate_Resolved_StoreReopensWithTheSameCertificateOnly()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tokens.db");
        using var certificate = TestCertificates.Rsa();
        var services = new ServiceCollection();
        services.AddEncryptedTokenStore(o => o.FilePath = path).ProtectWithCertificate(certificate);
        using (var provider = services.BuildServiceProvider())
        {
            provider.GetRequiredService<ITokenStore>().SaveToken(StoreFixture.Token("a@example.com"));
        }

        using var key = MasterKey.FromCertificate(certificate);
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = key });
        Assert.Multiple(() =>
        {
            Assert.That(store.GetTokens(), Has.Count.EqualTo(1));
            Assert.That(File.Exists(MasterKey.WrappedKeyPathFor(path)), Is.True);
        });
    }

    [Test]
    public void ProtectWith_TwiceOrWithAMasterKeyOption_ThrowsInvalidOperationException()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        var builder = services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = dir.File("tokens.db");
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        }).ProtectWithKeyFile(dir.File("master.key"));
        MasterKey.CreateKeyFile(dir.File("master.key"));
        using var provider = services.BuildServiceProvider();

        Assert.Multiple(() =>
        {
            Assert.That(() => builder.ProtectWithOsKeyStore("app"), Throws.InvalidOperationException);
            Assert.That(() => provider.GetRequiredService<EncryptedTokenStore>(), Throws.InvalidOperationException.With.Message.Contain("choose one"));
        });
    }
}
