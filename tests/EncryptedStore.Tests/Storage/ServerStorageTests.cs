using System.Data.Common;
using System.Security.Cryptography;
using EncryptedStore.Storage;
using EncryptedStore.Storage.Server;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// The store on a real database server, through the public API: MariaDB/MySQL (<c>ENCRYPTEDSTORE_TEST_MYSQL_STORE</c>, or
/// <c>ENCRYPTEDSTORE_TEST_MYSQL</c> with the database <c>encryptedstore_test</c>) and PostgreSQL
/// (<c>ENCRYPTEDSTORE_TEST_POSTGRES</c>); skipped with the reason when the variable is not set. Each test uses tables of
/// its own random prefix, dropped afterwards. Two stores on one database stand for two machines.
/// </summary>
[TestFixture(TokenDatabaseKind.MySql)]
[TestFixture(TokenDatabaseKind.PostgreSql)]
public sealed class ServerStorageTests(TokenDatabaseKind kind)
{
    private static readonly string[] Tables = ["store", "records", "keys", "keyring", "leases"];

    private string _connectionString = null!;
    private string _prefix = null!;

    [SetUp]
    public void SetUp()
    {
        _connectionString = ConnectionString(kind) ?? throw new IgnoreException($"No {kind} server: set {(kind == TokenDatabaseKind.MySql ? "ENCRYPTEDSTORE_TEST_MYSQL_STORE" : "ENCRYPTEDSTORE_TEST_POSTGRES")} (see .ci/).");
        _prefix = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)) + "_";
    }

    [TearDown]
    public void TearDown()
    {
        if (_prefix is not null && _connectionString is not null)
        {
            foreach (var table in Tables)
            {
                Sql($"DROP TABLE IF EXISTS {Quote(_prefix + table)}");
            }
        }
    }

    [Test]
    public void Store_CreateSaveFindDeleteRotateVerify_WorksAndReopens()
    {
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        using (var store = Open())
        {
            store.SaveTokens([ann, bob]);
            store.DeleteToken(bob.Id!);
            var rotation = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
            var verification = store.Verify();

            Assert.Multiple(() =>
            {
                Assert.That(StoreFixture.Fields(store.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)));
                Assert.That(((OAuthToken?)store.FindToken(new OAuthToken { ClientId = ann.ClientId, ClientSecret = ann.ClientSecret, RefreshToken = ann.RefreshToken }))?.Id, Is.EqualTo(ann.Id));
                Assert.That(store.TryFindTokenById(bob.Id!), Is.Null);
                Assert.That(rotation.RecordsRewritten, Is.EqualTo(1));
                Assert.That(verification.IsHealthy, Is.True, string.Join("\n", verification.Problems.Select(p => p.Message)));
                Assert.That(verification.RecordsChecked, Is.EqualTo(1));
                Assert.That(store.FilePath, Does.Contain(_prefix).And.Not.Contain("Password"));
            });
        }

        using var reopened = Open();
        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(reopened.FindTokenById(ann.Id!)), Is.EqualTo(StoreFixture.Fields(ann)));
            Assert.That(((OAuthToken?)reopened.FindToken(new OAuthToken { AccessToken = ann.AccessToken }))?.Id, Is.EqualTo(ann.Id), "found through the rotated index key");
            Assert.That(reopened.GetStatistics().TokenCount, Is.EqualTo(1));
            Assert.That(reopened.GetStatistics().FileSizeBytes, Is.GreaterThan(0));
        });
    }

    [Test]
    public void TwoInstances_SaveAndDeleteInOne_SeenByTheOtherAtOnce()
    {
        using var a = Open();
        using var b = Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        Assert.That(b.FindTokenById(token.Id!), Is.Not.Null, "b's cache is warm now");

        a.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" });
        Assert.That(((OAuthToken)b.FindTokenById(token.Id!)).AccessToken, Is.EqualTo("1000.access.renewed"));

        a.DeleteToken(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(b.TryFindTokenById(token.Id!), Is.Null);
            Assert.That(b.FindToken(new OAuthToken { AccessToken = "1000.access.renewed" }), Is.Null);
        });
    }

    [Test]
    public void TwoInstances_SameUserAndClient_SecondIsRefusedAsDuplicate()
    {
        using var a = Open();
        using var b = Open();
        a.SaveToken(StoreFixture.Token("ann@example.com"));
        var clash = StoreFixture.Token("bob@example.com");
        clash.RefreshToken = StoreFixture.Token("ann@example.com").RefreshToken;

        var error = Assert.Throws<TokenStoreException>(() => b.SaveToken(clash));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.DuplicateToken));
            Assert.That(b.GetTokens(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Open_NewerSchemaVersion_IsRefusedAsUnsupported()
    {
        Open().Dispose();
        Sql($"UPDATE {Quote(_prefix + "store")} SET schema_version = 2 WHERE id = 1");

        var error = Assert.Throws<TokenStoreException>(() => Open().Dispose());
        Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.UnsupportedVersion));
    }

    [Test]
    public void Open_WrongMasterKey_FailsAndChangesNothing()
    {
        using (var store = Open())
        {
            store.SaveToken(StoreFixture.Token("ann@example.com"));
        }

        var before = Dump();

        var error = Assert.Throws<TokenStoreException>(() => Open(StoreFixture.OtherKey).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.WrongKey));
            Assert.That(Dump(), Is.EqualTo(before));
        });
    }

    [Test]
    public void Open_MissingRecordsTable_IsAnIntegrityFailureNamingIt()
    {
        Open().Dispose();
        Sql($"DROP TABLE {Quote(_prefix + "records")}");

        var error = Assert.Throws<TokenStoreException>(() => Open().Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
            Assert.That(error.Message, Does.Contain(_prefix + "records"));
        });
    }

    [Test]
    public void Open_ServerUnreachable_IsUnavailableWithoutThePassword()
    {
        const string password = "Not-A-Real-Password-8472";
        var database = kind == TokenDatabaseKind.MySql
            ? TokenDatabase.MySql($"Server=127.0.0.1;Port=1;Database=encryptedstore_test;User ID=nobody;Password={password};Connection Timeout=5", _prefix)
            : TokenDatabase.PostgreSql($"Host=127.0.0.1;Port=1;Database=encryptedstore_test;Username=nobody;Password={password};Timeout=5", _prefix);

        var error = Assert.Throws<TokenStoreException>(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions { Database = database, MasterKey = MasterKey.FromBytes(StoreFixture.Key) }).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.Unavailable));
            Assert.That(error.Message, Does.Contain("127.0.0.1:1/encryptedstore_test"));
            Assert.That(error.ToString(), Does.Not.Contain(password));
        });
    }

    [Test]
    public void Lookups_AfterTheServerKilledEveryConnection_ReconnectByThemselves()
    {
        using var store = Open();
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        Assert.That(store.FindTokenById(token.Id!), Is.Not.Null, "the pool holds an idle connection now");

        KillPooledConnections();

        Assert.Multiple(() =>
        {
            Assert.That(StoreFixture.Fields(store.FindTokenById(token.Id!)), Is.EqualTo(StoreFixture.Fields(token)));
            Assert.DoesNotThrow(() => store.SaveToken(StoreFixture.Token("bob@example.com")));
        });
    }

    [Test]
    public void BoundedStaleness_ServesTheCacheUntilMaxStalenessPasses()
    {
        var time = new FakeTimeProvider();
        using var a = Open();
        using var b = Open(time: time, maxStaleness: TimeSpan.FromSeconds(1));
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        Assert.That(b.FindTokenById(token.Id!), Is.Not.Null);

        a.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" });
        var within = ((OAuthToken)b.FindTokenById(token.Id!)).AccessToken;
        time.Advance(TimeSpan.FromSeconds(1));
        var after = ((OAuthToken)b.FindTokenById(token.Id!)).AccessToken;

        Assert.Multiple(() =>
        {
            Assert.That(within, Is.EqualTo(token.AccessToken), "within the bound, the cached copy");
            Assert.That(after, Is.EqualTo("1000.access.renewed"), "past the bound, the server's");
        });
    }

    [Test]
    public void Leases_OneHolderAtATime_ExpiredOrReleasedLeasesPassOn()
    {
        var database = Database();
        using var storage = ServerStorage.Open(database, TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeProvider.System, NullLogger.Instance);

        Assert.Multiple(() =>
        {
            Assert.That(storage.TryTakeLease("rotation", "host-a", TimeSpan.FromMinutes(5)), Is.True, "free");
            Assert.That(storage.TryTakeLease("rotation", "host-b", TimeSpan.FromMinutes(5)), Is.False, "held by host-a");
            Assert.That(storage.TryTakeLease("rotation", "host-a", TimeSpan.FromMinutes(5)), Is.True, "renewed by its holder");
            Assert.That(storage.TryTakeLease("other", "host-b", TimeSpan.FromMinutes(5)), Is.True, "another name");
        });

        storage.ReleaseLease("rotation", "host-b");
        Assert.That(storage.TryTakeLease("rotation", "host-b", TimeSpan.FromMinutes(5)), Is.False, "a release by a non-holder does nothing");
        storage.ReleaseLease("rotation", "host-a");
        Assert.That(storage.TryTakeLease("rotation", "host-b", TimeSpan.Zero), Is.True, "released");
        Assert.That(storage.TryTakeLease("rotation", "host-c", TimeSpan.FromMinutes(5)), Is.True, "host-b's lease expired at once");
    }

    [Test]
    public void TwoInstances_RefreshTheSameTokenAtOnce_NoLostUpdateAndNoStaleRead()
    {
        const int Saves = 40;
        using var a = Open();
        using var b = Open();
        var token = StoreFixture.Token("ann@example.com");
        a.SaveToken(token);
        var acknowledged = 0;
        var staleReads = new List<string>();

        // a renews the access token, b the refresh token, of one token: each save merges its own field into the stored record.
        var writerA = Task.Run(() =>
        {
            for (var i = 1; i <= Saves; i++)
            {
                a.SaveToken(new OAuthToken { Id = token.Id, AccessToken = $"access-{i}" });
                Volatile.Write(ref acknowledged, i);
            }
        });
        var writerB = Task.Run(() =>
        {
            for (var i = 1; i <= Saves; i++)
            {
                b.SaveToken(new OAuthToken { Id = token.Id, RefreshToken = $"refresh-{i}" });
            }
        });
        var reader = Task.Run(() =>
        {
            while (!writerA.IsCompleted)
            {
                var floor = Volatile.Read(ref acknowledged);
                var seen = ((OAuthToken)b.FindTokenById(token.Id!)).AccessToken!;
                var number = seen.StartsWith("access-", StringComparison.Ordinal) ? int.Parse(seen["access-".Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;
                if (number < floor)
                {
                    staleReads.Add($"read {seen} after access-{floor} was acknowledged");
                }
            }
        });
        Task.WaitAll(writerA, writerB, reader);

        var final = (OAuthToken)b.FindTokenById(token.Id!);
        Assert.Multiple(() =>
        {
            Assert.That(final.AccessToken, Is.EqualTo($"access-{Saves}"));
            Assert.That(final.RefreshToken, Is.EqualTo($"refresh-{Saves}"));
            Assert.That(final.ClientSecret, Is.EqualTo(token.ClientSecret));
            Assert.That(staleReads, Is.Empty);
        });
    }

    [Test]
    public void RotateKeys_MoreTokensThanAPageAndABatch_RewritesEveryOneAndVerifies()
    {
        const int Count = 1_234;
        using var store = Open();
        var tokens = Enumerable.Range(0, Count).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        store.SaveTokens(tokens);

        var rotation = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = 500 });
        var verification = store.Verify();

        Assert.Multiple(() =>
        {
            Assert.That(rotation.RecordsRewritten, Is.EqualTo(Count));
            Assert.That(verification.RecordsChecked, Is.EqualTo(Count));
            Assert.That(verification.IsHealthy, Is.True, string.Join("\n", verification.Problems.Take(5).Select(p => p.Message)));
            Assert.That(((OAuthToken?)store.FindToken(new OAuthToken { AccessToken = tokens[Count - 1].AccessToken }))?.Id, Is.EqualTo(tokens[Count - 1].Id));
            Assert.That(store.GetTokens(), Has.Count.EqualTo(Count));
        });
    }

    [Test]
    public void BeginTransaction_AnotherInstanceCreatedTheStoreMeanwhile_SaysSoAndWritesNothing()
    {
        using var first = ServerStorage.Open(Database(), TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeProvider.System, NullLogger.Instance);
        using var second = ServerStorage.Open(Database(), TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeProvider.System, NullLogger.Instance);
        Assert.That((first.ReadFormat(), second.ReadFormat()), Is.EqualTo(((int?)null, (int?)null)), "both see an empty store");
        using (var transaction = first.BeginTransaction())
        {
            first.WriteMetadata(Metadata());
            first.CreateSchema();
            transaction.Commit();
        }

        var before = Dump();
        Assert.Multiple(() =>
        {
            Assert.Throws<StoreCreatedConcurrentlyException>(() => second.BeginTransaction().Dispose());
            Assert.That(second.ReadFormat(), Is.EqualTo(StoreMetadata.CurrentFormat));
            Assert.That(Dump(), Is.EqualTo(before));
        });
    }

    private static StoreMetadata Metadata() => new()
    {
        Format = StoreMetadata.CurrentFormat,
        StoreId = new byte[StoreMetadata.StoreIdLength],
        KeyKind = MasterKeyKind.Key,
        Iterations = 1,
        Salt = new byte[StoreMetadata.SaltLength],
        KeyCheck = [1, 2, 3],
        Created = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc),
        DataKeyVersion = 1,
        IndexKeyVersion = 2,
    };

    private static string? ConnectionString(TokenDatabaseKind kind)
    {
        if (kind == TokenDatabaseKind.PostgreSql)
        {
            return Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_TEST_POSTGRES");
        }

        return Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_TEST_MYSQL_STORE")
            ?? (Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_TEST_MYSQL") is { Length: > 0 } server ? server.TrimEnd(';') + ";Database=encryptedstore_test" : null);
    }

    private TokenDatabase Database() =>
        kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(_connectionString, _prefix) : TokenDatabase.PostgreSql(_connectionString, _prefix);

    private EncryptedTokenStore Open(byte[]? key = null, TimeProvider? time = null, TimeSpan? maxStaleness = null) => new(new EncryptedTokenStoreOptions
    {
        Database = Database(),
        MasterKey = MasterKey.FromBytes(key ?? StoreFixture.Key),
        TimeProvider = time ?? TimeProvider.System,
        MaxStaleness = maxStaleness ?? TimeSpan.Zero,
    });

    private string Quote(string name) => kind == TokenDatabaseKind.MySql ? $"`{name}`" : $"\"{name}\"";

    private DbConnection Connect(string? connectionString = null)
    {
        connectionString ??= _connectionString;
        DbConnection connection = kind == TokenDatabaseKind.MySql ? new MySqlConnection(connectionString) : new NpgsqlConnection(connectionString);
        connection.Open();
        return connection;
    }

    private void Sql(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Every row of every table of the store, as text, in a stable order.</summary>
    private List<string> Dump()
    {
        using var connection = Connect();
        var rows = new List<string>();
        foreach (var table in Tables)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {Quote(_prefix + table)}";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(table + ": " + string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) is byte[] bytes ? Convert.ToHexString(bytes) : reader.GetValue(i).ToString())));
            }
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    /// <summary>
    /// Ends, on the server, the connections of the store's pool (as a server restart or a failover would): takes a few
    /// connections from that pool at once (its idle ones among them), notes their server ids, returns them, and kills
    /// those ids from a connection of another pool. Connections of other processes are left alone.
    /// </summary>
    private void KillPooledConnections()
    {
        var pooled = Enumerable.Range(0, 4).Select(_ => Connect()).ToList();
        var ids = pooled.Select(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = kind == TokenDatabaseKind.MySql ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }).ToList();
        pooled.ForEach(c => c.Dispose());

        using var admin = Connect(_connectionString.TrimEnd(';') + ";Application Name=encryptedstore-test-admin");
        foreach (var id in ids)
        {
            using var kill = admin.CreateCommand();
            kill.CommandText = kind == TokenDatabaseKind.MySql ? "KILL CONNECTION @id" : "SELECT pg_terminate_backend(@id::integer)";
            var parameter = kill.CreateParameter();
            parameter.ParameterName = "id";
            parameter.Value = id;
            kill.Parameters.Add(parameter);
            kill.ExecuteNonQuery();
        }
    }
}
