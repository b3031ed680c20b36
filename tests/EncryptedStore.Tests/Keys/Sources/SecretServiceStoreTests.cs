using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Keys.Sources;
using EncryptedStore.Tests.Support;
using NUnit.Framework.Constraints;
using Tmds.DBus.Protocol;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// <see cref="SecretServiceStore"/> against a real gnome-keyring on a private session bus (<see cref="SecretServiceSession"/>).
/// Tests that only add items of their own account share the fixture's session; tests that lock the keyring or need a
/// bus without one start their own.
/// </summary>
[Platform("Linux")]
[SupportedOSPlatform("linux")]
[Parallelizable(ParallelScope.All)]
public sealed class SecretServiceStoreTests : SecretServiceFixture
{
    // ---- Read, Create, Delete --------------------------------------------------------------------

    [Test]
    public void Create_NewAccount_ReturnsTheSecretAndReadReturnsItToo()
    {
        var store = new SecretServiceStore(Session.BusAddress);
        var account = NewAccount();
        var secret = NewSecret();

        var created = store.Create(account, secret);

        Assert.Multiple(() =>
        {
            Assert.That(created, Is.EqualTo(secret));
            Assert.That(store.Read(account), Is.EqualTo(secret));
            Assert.That(new SecretServiceStore(Session.BusAddress).Read(account), Is.EqualTo(secret), "another instance");
        });
    }

    [Test]
    public void Read_MissingAccount_ReturnsNull()
    {
        var store = new SecretServiceStore(Session.BusAddress);

        Assert.That(store.Read(NewAccount()), Is.Null);
    }

    [Test]
    public void Create_AccountThatExists_ReturnsTheFirstSecretAndAddsNoItem()
    {
        var store = new SecretServiceStore(Session.BusAddress);
        var account = NewAccount();
        var first = NewSecret();
        store.Create(account, first);

        var second = store.Create(account, NewSecret());

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(store.Read(account), Is.EqualTo(first));
            Assert.That(Session.CountItems(account), Is.EqualTo(1));
        });
    }

    [Test]
    public void Create_ThenSecretToolLookup_PrintsTheSameBytes()
    {
        var store = new SecretServiceStore(Session.BusAddress);
        var account = NewAccount();
        var secret = NewSecret();
        store.Create(account, secret);

        Assert.That(Session.ReadWithSecretTool(account), Is.EqualTo(secret));
    }

    [Test]
    public void Delete_ExistingAccount_ReturnsTrueAndTheSecretIsGone()
    {
        var store = new SecretServiceStore(Session.BusAddress);
        var account = NewAccount();
        store.Create(account, NewSecret());

        var deleted = store.Delete(account);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.True);
            Assert.That(store.Read(account), Is.Null);
            Assert.That(Session.ReadWithSecretTool(account), Is.Null);
        });
    }

    [Test]
    public void Delete_MissingAccount_ReturnsFalse()
    {
        var store = new SecretServiceStore(Session.BusAddress);

        Assert.That(store.Delete(NewAccount()), Is.False);
    }

    [Test]
    public void Delete_OtherAccount_LeavesThisOne()
    {
        var store = new SecretServiceStore(Session.BusAddress);
        var account = NewAccount();
        var secret = NewSecret();
        store.Create(account, secret);
        store.Create(account + "-other", NewSecret());

        store.Delete(account + "-other");

        Assert.That(store.Read(account), Is.EqualTo(secret));
    }

    [Test]
    [CancelAfter(120_000)]
    public void Create_SameAccountFromSeveralStoresAtOnce_AllConvergeOnOneSecretAndOneItem()
    {
        const int Racers = 4;
        const int Rounds = 5;
        for (var round = 0; round < Rounds; round++)
        {
            var account = NewAccount();
            using var start = new Barrier(Racers);
            var racers = Enumerable.Range(0, Racers).Select(_ => Task.Factory.StartNew(
                () =>
                {
                    var store = new SecretServiceStore(Session.BusAddress);
                    var secret = NewSecret();
                    return start.SignalAndWait(TimeSpan.FromSeconds(30))
                        ? store.Create(account, secret)
                        : throw new TimeoutException("the racers did not all start");
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            var results = Task.WhenAll(racers).GetAwaiter().GetResult();

            Assert.Multiple(() =>
            {
                Assert.That(results, Has.All.EqualTo(results[0]), $"round {round}");
                Assert.That(new SecretServiceStore(Session.BusAddress).Read(account), Is.EqualTo(results[0]), $"round {round}");
                Assert.That(Session.CountItems(account), Is.EqualTo(1), $"round {round}: the losers deleted their items");
            });
        }
    }

    // ---- What is kept where ---------------------------------------------------------------------

    [Test]
    public void Create_Secret_AppearsInNoFileOfTheSessionRawHexOrBase64()
    {
        var keyring = Path.Combine(Session.DataHome, "keyrings", "login.keyring");
        var before = File.ReadAllBytes(keyring);
        var secret = NewSecret();

        new SecretServiceStore(Session.BusAddress).Create(NewAccount(), secret);

        var forms = new[]
        {
            secret,
            Encoding.ASCII.GetBytes(Convert.ToHexString(secret)),
            Encoding.ASCII.GetBytes(Convert.ToHexString(secret).ToLowerInvariant()),
            Encoding.ASCII.GetBytes(Convert.ToBase64String(secret)),
        };
        var scanned = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Session.Root, "*", SearchOption.AllDirectories))
        {
            byte[] content;
            try
            {
                content = File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                // The bus's and the keyring's sockets.
                continue;
            }

            scanned.Add(file);
            foreach (var form in forms)
            {
                Assert.That(content.AsSpan().IndexOf(form), Is.EqualTo(-1), $"{file} holds the secret");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(scanned, Does.Contain(keyring));
            Assert.That(File.ReadAllBytes(keyring), Is.Not.EqualTo(before), "gnome-keyring wrote the new item to its file");
        });
    }

    [Test]
    public void CreateAndRead_WatchedOnTheBus_SecretTravelsOnlyEncrypted()
    {
        using var session = SecretServiceSession.Start();
        var secret = NewSecret();
        var algorithms = new ConcurrentQueue<string>();
        var values = new ConcurrentQueue<byte[]>();

        // One CreateItem call and two GetSecret replies (Create reads back the winner; then Read).
        using var expected = new CountdownEvent(3);
        using var monitor = new DBusConnection(session.BusAddress);
        monitor.ConnectAsync().AsTask().GetAwaiter().GetResult();
        monitor.BecomeMonitorAsync((error, message) =>
        {
            using (message)
            {
                if (error is null && SecretOf(message.Message, algorithms) is { } value)
                {
                    values.Enqueue(value);
                    if (!expected.IsSet)
                    {
                        expected.Signal();
                    }
                }
            }
        }).GetAwaiter().GetResult();
        var store = new SecretServiceStore(session.BusAddress);

        var account = NewAccount();
        store.Create(account, secret);
        var read = store.Read(account);

        Assert.Multiple(() =>
        {
            Assert.That(expected.Wait(TimeSpan.FromSeconds(20)), Is.True, "the monitor saw the CreateItem call and both GetSecret replies");
            Assert.That(read, Is.EqualTo(secret));
            Assert.That(algorithms, Is.Not.Empty.And.All.EqualTo("dh-ietf1024-sha256-aes128-cbc-pkcs7"));
            foreach (var value in values)
            {
                Assert.That(value.AsSpan().IndexOf(secret), Is.EqualTo(-1), "a Secret struct carries the plaintext");
            }
        });
    }

    /// <summary>The value of the Secret struct a CreateItem call or a GetSecret reply carries; notes OpenSession's algorithm.</summary>
    private static byte[]? SecretOf(Message message, ConcurrentQueue<string> algorithms)
    {
        var reader = message.GetBodyReader();
        switch (message.SignatureAsString)
        {
            case "sv" when message.MemberAsString == "OpenSession":
                algorithms.Enqueue(reader.ReadString());
                return null;
            case "a{sv}(oayays)b":
                _ = reader.ReadDictionaryOfStringToVariantValue();
                break;
            case "(oayays)":
                break;
            default:
                return null;
        }

        reader.AlignStruct();
        _ = reader.ReadObjectPath();
        _ = reader.ReadArrayOfByte();
        return reader.ReadArrayOfByte();
    }

    // ---- Locked, missing, unreachable -----------------------------------------------------------

    [Test]
    public void Read_CollectionLocked_ThrowsMasterKeyLocked()
    {
        using var session = SecretServiceSession.Start();
        var store = new SecretServiceStore(session.BusAddress);
        var account = NewAccount();
        store.Create(account, NewSecret());
        session.Lock();

        Assert.That(() => store.Read(account), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyLocked));
    }

    [Test]
    public void Create_CollectionLocked_ThrowsMasterKeyLockedAndCreatesNothing()
    {
        using var session = SecretServiceSession.Start();
        var store = new SecretServiceStore(session.BusAddress);
        var account = NewAccount();
        session.Lock();

        Assert.That(() => store.Create(account, NewSecret()), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyLocked));

        session.Unlock();
        Assert.That(store.Read(account), Is.Null);
    }

    [Test]
    public void Delete_CollectionLocked_ThrowsMasterKeyLockedAndDeletesNothing()
    {
        using var session = SecretServiceSession.Start();
        var store = new SecretServiceStore(session.BusAddress);
        var account = NewAccount();
        var secret = NewSecret();
        store.Create(account, secret);
        session.Lock();

        Assert.That(() => store.Delete(account), StoreError.WithCode(TokenStoreErrorCodes.MasterKeyLocked));

        session.Unlock();
        Assert.That(store.Read(account), Is.EqualTo(secret));
    }

    [Test]
    public void Read_LockedThenUnlocked_ReturnsTheSecretAgain()
    {
        using var session = SecretServiceSession.Start();
        var store = new SecretServiceStore(session.BusAddress);
        var account = NewAccount();
        var secret = NewSecret();
        store.Create(account, secret);
        session.Lock();
        session.Unlock();

        Assert.That(store.Read(account), Is.EqualTo(secret));
    }

    [Test]
    public void ReadCreateDelete_NoSecretServiceOnTheBus_ThrowMasterKeyUnavailable()
    {
        using var session = SecretServiceSession.StartWithoutSecretService();
        var store = new SecretServiceStore(session.BusAddress);
        // A constraint resolves once, so each assertion builds its own.
        static IResolveConstraint Unavailable() => StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable)
            .And.Message.Contains("No Secret Service (such as gnome-keyring or KeePassXC) is running");

        Assert.Multiple(() =>
        {
            Assert.That(() => store.Read(NewAccount()), Unavailable());
            Assert.That(() => store.Create(NewAccount(), NewSecret()), Unavailable());
            Assert.That(() => store.Delete(NewAccount()), Unavailable());
        });
    }

    [Test]
    public void Read_NoDefaultCollection_ThrowsMasterKeyUnavailable()
    {
        using var session = SecretServiceSession.StartWithoutDefaultCollection();
        var store = new SecretServiceStore(session.BusAddress);

        Assert.That(
            () => store.Read(NewAccount()),
            StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contains("no default collection"));
    }

    [TestCase(null, TestName = "{m}(null)")]
    [TestCase("", TestName = "{m}(empty)")]
    [TestCase("   ", TestName = "{m}(blank)")]
    [TestCase("unix:path=/nonexistent/es-test/bus", TestName = "{m}(no such socket)")]
    [TestCase("not a D-Bus address", TestName = "{m}(not an address)")]
    [TestCase("nosuchtransport:key=value", TestName = "{m}(unknown transport)")]
    public void Read_BadBusAddress_ThrowsMasterKeyUnavailable(string? address)
    {
        var store = new SecretServiceStore(address, SecretServiceStore.DefaultTimeout);

        Assert.That(
            () => store.Read(NewAccount()),
            StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contains("D-Bus session bus"));
    }

    [Test]
    public void Read_BusThatNeverAnswers_ThrowsMasterKeyUnavailableAfterTheTimeout()
    {
        using var dir = new TempDirectory();
        var path = dir.File("silent-bus");
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        silent.Bind(new UnixDomainSocketEndPoint(path));
        silent.Listen();
        var store = new SecretServiceStore("unix:path=" + path, TimeSpan.FromMilliseconds(300));
        var elapsed = Stopwatch.StartNew();

        Assert.Multiple(() =>
        {
            Assert.That(
                () => store.Read(NewAccount()),
                StoreError.WithCode(TokenStoreErrorCodes.MasterKeyUnavailable).And.Message.Contains("did not answer within 0.3 seconds"));
            Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        });
    }

    [Test]
    public void Failures_WhileCreating_NeverShowTheSecret()
    {
        var secret = Encoding.ASCII.GetBytes("correct horse battery staple 4f1c9e");
        using var locked = SecretServiceSession.Start();
        locked.Lock();
        using var bare = SecretServiceSession.StartWithoutSecretService();
        using var empty = SecretServiceSession.StartWithoutDefaultCollection();
        var stores = new[]
        {
            new SecretServiceStore(locked.BusAddress),
            new SecretServiceStore(bare.BusAddress),
            new SecretServiceStore(empty.BusAddress),
            new SecretServiceStore("unix:path=/nonexistent/es-test/bus"),
            new SecretServiceStore(string.Empty, SecretServiceStore.DefaultTimeout),
        };
        var forms = new[]
        {
            Encoding.ASCII.GetString(secret),
            Convert.ToHexString(secret),
            Convert.ToHexString(secret).ToLowerInvariant(),
            Convert.ToBase64String(secret),
        };

        Assert.Multiple(() =>
        {
            foreach (var store in stores)
            {
                var failure = Assert.Throws<TokenStoreException>(() => store.Create(NewAccount(), secret))!;
                foreach (var form in forms)
                {
                    Assert.That(failure.ToString(), Does.Not.Contain(form), failure.Message);
                }
            }
        });
    }

    [TestCase("")]
    [TestCase(null)]
    public void Read_NoAccount_ThrowsArgumentException(string? account)
    {
        var store = new SecretServiceStore("unix:path=/nonexistent/es-test/bus");

        Assert.That(() => store.Read(account!), Throws.InstanceOf<ArgumentException>());
    }

    private static string NewAccount() => "test-" + Guid.NewGuid().ToString("N");

    private static byte[] NewSecret() => RandomNumberGenerator.GetBytes(32);
}
