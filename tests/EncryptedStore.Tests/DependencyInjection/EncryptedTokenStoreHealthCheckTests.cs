using EncryptedStore.DependencyInjection;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static EncryptedStore.Tests.DependencyInjection.ConfigurationSupport;

namespace EncryptedStore.Tests.DependencyInjection;

/// <summary>The health check, run as a host runs it: through <see cref="HealthCheckService"/>.</summary>
public class EncryptedTokenStoreHealthCheckTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task CheckHealthAsync_GoodStoreNotYetOpened_OpensItAndIsHealthy()
    {
        var path = _dir.File("tokens.db");
        var services = new ServiceCollection().AddLogging();
        services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = path;
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        services.AddHealthChecks().AddEncryptedTokenStore();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["encryptedstore"];
        Assert.Multiple(() =>
        {
            Assert.That(report.Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(entry.Description, Is.EqualTo("The token store is open and answers lookups."));
            Assert.That(File.Exists(path), Is.True, "the check opened the store");
        });
    }

    [Test]
    public async Task CheckHealthAsync_WrongKey_UnhealthyWithWrongKeyCodeAndNoSecret()
    {
        var path = _dir.File("tokens.db");
        StoreFixture.Open(path).Dispose();
        var keyFile = WriteKeyFile(_dir.File("other.key"), StoreFixture.OtherKey);
        var services = new ServiceCollection().AddLogging();
        services.AddEncryptedTokenStore(Section("TokenStore", ("FilePath", path), ("MasterKey:KeyFile", keyFile)));
        services.AddHealthChecks().AddEncryptedTokenStore(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["encryptedstore"];
        var produced = string.Join("\n", entry.Description, entry.Exception, string.Join(",", entry.Data.Select(d => $"{d.Key}={d.Value}")));
        Assert.Multiple(() =>
        {
            Assert.That(report.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(entry.Description, Does.StartWith("The token store failed: WRONG_KEY: The master key does not open this store."));
            Assert.That(entry.Data[EncryptedTokenStoreHealthCheck.CodeKey], Is.EqualTo(TokenStoreErrorCodes.WrongKey));
            Assert.That(entry.Exception, Is.TypeOf<TokenStoreException>());
            Assert.That(entry.Tags.ToList(), Is.EqualTo(new List<string> { "ready" }));
            foreach (var key in new[] { StoreFixture.Key, StoreFixture.OtherKey })
            {
                Assert.That(produced, Does.Not.Contain(Convert.ToHexString(key)).IgnoreCase);
                Assert.That(produced, Does.Not.Contain(Convert.ToBase64String(key)));
            }
        });
    }

    [Test]
    public async Task CheckHealthAsync_StoreLockedThenReleased_UnhealthyThenHealthy()
    {
        var path = _dir.File("tokens.db");
        var holder = StoreFixture.Open(path);
        var services = new ServiceCollection().AddLogging();
        services.AddEncryptedTokenStore(o =>
        {
            o.FilePath = path;
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
            o.LockTimeout = TimeSpan.Zero;
        });
        services.AddHealthChecks().AddEncryptedTokenStore(failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();

        var locked = await health.CheckHealthAsync();
        holder.Dispose();
        var released = await health.CheckHealthAsync();

        Assert.Multiple(() =>
        {
            Assert.That(locked.Status, Is.EqualTo(HealthStatus.Degraded), "the registration's failure status");
            Assert.That(locked.Entries["encryptedstore"].Data[EncryptedTokenStoreHealthCheck.CodeKey], Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
            Assert.That(released.Status, Is.EqualTo(HealthStatus.Healthy), "a store that failed to open is opened again at the next check");
        });
    }

    [Test]
    public async Task CheckHealthAsync_KeyedStores_EachCheckedUnderItsOwnName()
    {
        StoreFixture.Open(_dir.File("b.db")).Dispose();
        var services = new ServiceCollection().AddLogging();
        services.AddKeyedEncryptedTokenStore("a", o =>
        {
            o.FilePath = _dir.File("a.db");
            o.MasterKey = MasterKey.FromBytes(StoreFixture.Key);
        });
        services.AddKeyedEncryptedTokenStore("b", o => o.FilePath = _dir.File("b.db")).ProtectWithMasterKey(_ => MasterKey.FromBytes(StoreFixture.OtherKey));
        services.AddHealthChecks()
            .AddEncryptedTokenStore("store-a", serviceKey: "a")
            .AddEncryptedTokenStore("store-b", serviceKey: "b");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Entries["store-a"].Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(report.Entries["store-b"].Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(report.Entries["store-b"].Data[EncryptedTokenStoreHealthCheck.CodeKey], Is.EqualTo(TokenStoreErrorCodes.WrongKey));
        });
    }

    [Test]
    public async Task CheckHealthAsync_NoStoreRegistered_UnhealthyNamingTheCall()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddEncryptedTokenStore(serviceKey: "missing");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.That(report.Entries["encryptedstore"].Description, Does.Contain("AddKeyedEncryptedTokenStore"));
    }

    [Test]
    public void AddEncryptedTokenStore_BlankName_ThrowsArgumentException()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.That(() => builder.AddEncryptedTokenStore(" "), Throws.ArgumentException);
    }
}
