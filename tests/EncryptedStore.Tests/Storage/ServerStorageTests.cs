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
        // Skipped without the server's variable, failed instead where ENCRYPTEDSTORE_REQUIRE_SERVERS=1 (CI).
        _connectionString = TestServers.Require(kind == TokenDatabaseKind.MySql ? StoreKind.MySql : StoreKind.PostgreSql);
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
    public void Tamper_PayloadsSwappedBetweenRowsInTheDatabase_AreIntegrityFailures()
    {
        using var store = Open();
        var ann = StoreFixture.Token("ann@example.com");
        var bob = StoreFixture.Token("bob@example.com");
        store.SaveTokens([ann, bob]);
        var records = Quote(_prefix + "records");
        using (var connection = Connect())
        {
            var payloads = new Dictionary<string, byte[]>();
            using (var read = connection.CreateCommand())
            {
                read.CommandText = $"SELECT id, payload FROM {records}";
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    payloads[reader.GetString(0)] = (byte[])reader.GetValue(1);
                }
            }

            foreach (var (id, other) in new[] { (ann.Id!, bob.Id!), (bob.Id!, ann.Id!) })
            {
                using var write = connection.CreateCommand();
                write.CommandText = $"UPDATE {records} SET payload = @payload WHERE id = @id";
                AddParameter(write, "payload", payloads[other]);
                AddParameter(write, "id", id);
                write.ExecuteNonQuery();
            }
        }

        var error = Assert.Throws<TokenStoreException>(() => store.FindTokenById(ann.Id!));
        var verification = store.Verify();
        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.Integrity));
            Assert.That(verification.Problems.Select(p => p.RecordId), Is.EquivalentTo(new[] { ann.Id, bob.Id }));
            Assert.That(verification.Problems.Select(p => p.Code), Is.All.EqualTo(TokenStoreErrorCodes.Integrity));
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
    public void Open_ConnectionStringTheDriverRefuses_IsAnArgumentExceptionWithoutThePassword()
    {
        const string password = "Not-A-Real-Password-8472";
        var connectionString = $"Server=127.0.0.1;Database=encryptedstore_test;Password={password};No Such Option={password}";
        var database = kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(connectionString, _prefix) : TokenDatabase.PostgreSql(connectionString, _prefix);

        var error = Assert.Throws<ArgumentException>(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions { Database = database, MasterKey = MasterKey.FromBytes(StoreFixture.Key) }).Dispose());
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("127.0.0.1").And.Contain("not accepted"));
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
    public void Save_WhileAnotherSessionHoldsTheStoreRowPastTheLockTimeout_IsStoreLocked()
    {
        using var store = Open(lockTimeout: TimeSpan.FromSeconds(1));
        var token = StoreFixture.Token("ann@example.com");
        store.SaveToken(token);
        using var holder = Connect(_connectionString.TrimEnd(';') + ";Application Name=encryptedstore-test-holder");
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = $"{(kind == TokenDatabaseKind.MySql ? "START TRANSACTION" : "BEGIN")}; SELECT id FROM {Quote(_prefix + "store")} WHERE id = 1 FOR UPDATE";
            begin.ExecuteNonQuery();
        }

        var error = Assert.Throws<TokenStoreException>(() => store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" }));
        using (var rollback = holder.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        Assert.Multiple(() =>
        {
            Assert.That(error!.Code, Is.EqualTo(TokenStoreErrorCodes.StoreLocked));
            Assert.That(((OAuthToken)store.FindTokenById(token.Id!)).AccessToken, Is.EqualTo(token.AccessToken), "readers never wait for the lock");
            Assert.DoesNotThrow(() => store.SaveToken(new OAuthToken { Id = token.Id, AccessToken = "1000.access.renewed" }), "free again");
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

    [Test]
    public void UpsertRecords_SameIdTwiceInOneCall_EndsAsTheLastAndUniqueValuesMove()
    {
        using var storage = ServerStorage.Open(Database(), TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeProvider.System, NullLogger.Instance);
        using (var transaction = storage.BeginTransaction())
        {
            storage.UpsertRecords([Record("a", 1), Record("b", 2), Record("a", 3)]);
            transaction.Commit();
        }

        var clash = Record("c", 2);
        using (var transaction = storage.BeginTransaction())
        {
            Assert.That(storage.TryUpsertRecord(clash), Is.False, "b holds that access token hash");
            Assert.That(storage.TryUpsertRecord(Record("b", 4)), Is.True, "the transaction goes on after a refused value");
            Assert.That(storage.TryUpsertRecord(clash), Is.True, "b gave the value up");
            transaction.Commit();
        }

        Assert.Multiple(() =>
        {
            Assert.That(storage.FindRecord("a")!.Payload, Is.EqualTo(new byte[] { 3 }));
            Assert.That(storage.FindRecord(Crypto.BlindIndex.AccessToken, Hash(2))?.Id, Is.EqualTo("c"));
            Assert.That(storage.FindConflict("d", Record("d", 4).Hashes), Is.EqualTo(Crypto.BlindIndex.AccessToken));
            Assert.That(storage.FindConflict("b", Record("b", 4).Hashes), Is.Null);
            Assert.That(storage.CountRecords(), Is.EqualTo(3));
        });
    }

    private static byte[] Hash(int value) => SHA256.HashData([(byte)value]);

    private static StoredRecord Record(string id, int value)
    {
        var hashes = new IndexHashes { [Crypto.BlindIndex.AccessToken] = Hash(value) };
        return new StoredRecord(id, 1, 1, [(byte)value], hashes);
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

    private TokenDatabase Database() =>
        kind == TokenDatabaseKind.MySql ? TokenDatabase.MySql(_connectionString, _prefix) : TokenDatabase.PostgreSql(_connectionString, _prefix);

    private EncryptedTokenStore Open(byte[]? key = null, TimeProvider? time = null, TimeSpan? maxStaleness = null, TimeSpan? lockTimeout = null) => new(new EncryptedTokenStoreOptions
    {
        LockTimeout = lockTimeout ?? EncryptedTokenStoreOptions.DefaultLockTimeout,
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

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
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
    /// <summary>
    /// Kills every idle connection of the test user to the test database but the killer's own: the store's pools (whose
    /// connection strings the store tunes, so they are not the test's) and the test's own, which is then cleared.
    /// </summary>
    private void KillPooledConnections()
    {
        using (var admin = Connect(_connectionString.TrimEnd(';') + ";Application Name=encryptedstore-test-admin"))
        {
            var ids = new List<long>();
            using (var list = admin.CreateCommand())
            {
                list.CommandText = kind == TokenDatabaseKind.MySql
                    ? "SELECT id FROM information_schema.PROCESSLIST WHERE user = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND db = DATABASE() AND command = 'Sleep' AND id <> CONNECTION_ID()"
                    : "SELECT pid FROM pg_stat_activity WHERE usename = current_user AND datname = current_database() AND state = 'idle' AND pid <> pg_backend_pid()";
                using var reader = list.ExecuteReader();
                while (reader.Read())
                {
                    ids.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            Assert.That(ids, Is.Not.Empty, "the store's pooled connections are there to kill");
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

        using var own = kind == TokenDatabaseKind.MySql ? (DbConnection)new MySqlConnection(_connectionString) : new NpgsqlConnection(_connectionString);
        if (own is MySqlConnection mySql)
        {
            MySqlConnection.ClearPool(mySql);
        }
        else
        {
            NpgsqlConnection.ClearPool((NpgsqlConnection)own);
        }
    }
}
