using EncryptedStore.Tests.Cli;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>One process holds a store at a time; the others wait for it, up to their lock timeout.</summary>
public class StoreLockTests
{
    private TempDirectory _dir = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _path = _dir.File("tokens.db");
        using var store = StoreFixture.Open(_path);
        store.SaveToken(StoreFixture.Token("a@example.com"));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void Open_HeldByAnotherProcessWithZeroTimeout_FailsAtOnceWithStoreLocked()
    {
        using var holder = ChildProcess.StartTestHost("hold", _path, Convert.ToHexString(StoreFixture.Key));
        Assert.That(holder.WaitForLine("opened"), Is.Not.Null);

        var error = Assert.Throws<TokenStoreException>(() => Open(TimeSpan.Zero));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
            Assert.That(error.Message, Does.Contain(_path));
        });
    }

    [Test]
    public void Open_HeldByAnotherProcessThatLetsGo_WaitsAndSucceeds()
    {
        using var holder = ChildProcess.StartTestHost("hold", _path, Convert.ToHexString(StoreFixture.Key));
        Assert.That(holder.WaitForLine("opened"), Is.Not.Null);

        var opening = Task.Run(() =>
        {
            using var store = Open(TimeSpan.FromSeconds(60));
            return store.GetTokens().Count;
        });
        holder.WriteLine("release");
        Assert.Multiple(() =>
        {
            Assert.That(opening.Result, Is.EqualTo(1));
            Assert.That(holder.WaitForLine("closed"), Is.Not.Null);
        });
    }

    [Test]
    public void Open_HeldByAnotherProcessForLongerThanTheTimeout_FailsWithStoreLockedAndTheStoreIsIntact()
    {
        using (var holder = ChildProcess.StartTestHost("hold", _path, Convert.ToHexString(StoreFixture.Key)))
        {
            Assert.That(holder.WaitForLine("opened"), Is.Not.Null);
            var error = Assert.Throws<TokenStoreException>(() => Open(TimeSpan.FromMilliseconds(300)));
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
            holder.WriteLine("release");
            Assert.That(holder.WaitForLine("closed"), Is.Not.Null);
        }

        using var store = Open(TimeSpan.Zero);
        Assert.That(store.Verify().IsHealthy, Is.True);
    }

    [Test]
    public void Options_LockTimeoutOutOfRange_IsRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Open(TimeSpan.FromSeconds(-1)));
            Assert.Throws<ArgumentOutOfRangeException>(() => Open(TimeSpan.FromHours(1)));
        });
    }

    [Test]
    [Category("Slow")]
    public void CliCommands_StartedAtOnceAgainstOneStore_AllSucceed()
    {
        using var sandbox = CliSandbox.Create();
        var runs = Enumerable.Range(0, 4)
            .Select(i => Task.Run(() => sandbox.RunWithInput(
                $"{{\"user_name\":\"user{i}@example.com\",\"client_id\":\"1000.C\",\"refresh_token\":\"1000.refresh.{i}\"}}", "put", "--json")))
            .ToArray();
        Task.WaitAll(runs);
        Assert.Multiple(() =>
        {
            Assert.That(runs.Select(r => r.Result.ExitCode), Is.All.EqualTo(0), string.Join("\n", runs.Select(r => r.Result.ToString())));
            Assert.That(sandbox.Tokens(), Has.Count.EqualTo(4));
        });
    }

    private EncryptedTokenStore Open(TimeSpan lockTimeout) => new(new EncryptedTokenStoreOptions
    {
        FilePath = _path,
        MasterKey = MasterKey.FromBytes(StoreFixture.Key),
        LockTimeout = lockTimeout,
    });
}
