using System.Globalization;

namespace EncryptedStore.TestHost;

/// <summary>
/// A child process for the tests that are about processes: it opens a real store and works on it
/// until the test kills it. Usage: <c>EncryptedStore.TestHost COMMAND STORE KEYHEX [ARGS]</c>.
/// Every line it prints is a fact the test may rely on (e.g. "progress 300" once that much is durable).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: COMMAND STORE KEYHEX [ARGS]");
            return 2;
        }

        var (command, path, key) = (args[0], args[1], Convert.FromHexString(args[2]));
        try
        {
            return command switch
            {
                "rotate" => Rotate(path, key, rotateIndex: args.Length > 3 && args[3] == "index", batchSize: args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 100),
                "change-master-key" => ChangeMasterKey(path, key, Convert.FromHexString(args[3])),
                "open" => Open(path, key),
                "hold" => Hold(path, key),
                "save-loop" => SaveLoop(path, key, int.Parse(args[3], CultureInfo.InvariantCulture), shared: args.Length > 4 && args[4] == "shared"),
                "journal-insert-loop" => JournalInsertLoop(path, key, pauseApplier: args.Length > 3 && args[3] == "paused"),
                "journal-save-loop" => JournalSaveLoop(path, key, int.Parse(args[3], CultureInfo.InvariantCulture), pauseApplier: args.Length > 4 && args[4] == "paused"),
                "shared-mix" => SharedMix.Run(path, key, Int(args[3]), Int(args[4]), Int(args[5]), Int(args[6]), args[7], readsOnly: args.Length > 8 && args[8] == "reads-only"),
                "shared-hold" => HoldShared(path, key),
                "compact" => CompactMode.Run(path, args.Length > 3 ? args[3] : null),
                "fleet-mix" => FleetMix.Run(path, key, Int(args[3]), Int(args[4]), Int(args[5]), args[6], readsOnly: args.Length > 7 && args[7] == "reads-only"),
                "fleet-batches" => FleetBatches.Run(path, key, Int(args[3])),
                "fleet-rotate" => FleetRotate.Run(path, key, Int(args[3])),
                _ => Unknown(command),
            };
        }
        catch (TokenStoreException e)
        {
            Console.WriteLine($"error {e.Code}");
            return 1;
        }
    }

    private static int Rotate(string path, byte[] key, bool rotateIndex, int batchSize)
    {
        using var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key) });
        Console.WriteLine("opened");
        var result = store.RotateKeys(
            new KeyRotationOptions { RotateIndexKey = rotateIndex, BatchSize = batchSize },
            new SynchronousProgress(p => Console.WriteLine($"progress {p.RecordsScanned}")));
        Console.WriteLine($"done {result.RecordsRewritten}");
        return 0;
    }

    private static int ChangeMasterKey(string path, byte[] key, byte[] newKey)
    {
        using var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key) });
        Console.WriteLine("opened");
        store.ChangeMasterKey(MasterKey.FromBytes(newKey));
        Console.WriteLine("done");
        return 0;
    }

    private static int Open(string path, byte[] key)
    {
        using var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key) });
        Console.WriteLine($"opened {store.GetTokens().Count}");
        return 0;
    }

    /// <summary>
    /// Saves forever, 50 users in turn, each save's access token naming its sequence number; prints
    /// "ack N" only after SaveToken(N) has returned, i.e. once the save is durable.
    /// </summary>
    private static int SaveLoop(string path, byte[] key, int start, bool shared)
    {
        using var store = Open(new EncryptedTokenStoreOptions
        {
            FilePath = path,
            MasterKey = MasterKey.FromBytes(key),
            LockTimeout = TimeSpan.FromSeconds(30),
            Sharing = shared ? StoreSharing.Shared : StoreSharing.Exclusive,
        });
        Console.WriteLine("opened");
        for (var sequence = start; ; sequence++)
        {
            var user = sequence % 50;
            store.SaveToken(CrashTestToken($"user{user}@example.com", $"1000.refresh.{user}", $"1000.access.{sequence}"));
            Console.WriteLine($"ack {sequence}");
        }
    }

    /// <summary>
    /// Updates 50 tokens by id, round robin, forever, printing "ack N" after each save returns: the tokens
    /// are found by user (or inserted on the first run), then every save goes through the save journal. With
    /// <paramref name="pauseApplier"/> nothing is applied to LiteDB, so a kill leaves every save in the journal.
    /// </summary>
    private static int JournalSaveLoop(string path, byte[] key, int start, bool pauseApplier)
    {
        using var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key), LockTimeout = TimeSpan.FromSeconds(30) });
        store.Journal!.Paused = pauseApplier;
        var tokens = new OAuthToken[50];
        for (var user = 0; user < tokens.Length; user++)
        {
            var query = new OAuthToken { UserSignature = new UserSignature($"user{user}@example.com"), ClientId = "1000.CRASHTEST" };
            if (store.FindToken(query) is OAuthToken found)
            {
                tokens[user] = found;
                continue;
            }

            tokens[user] = CrashTestToken($"user{user}@example.com", $"1000.refresh.{user}", $"1000.access.start.{user}");
            store.SaveToken(tokens[user]);
        }

        Console.WriteLine("opened");
        for (var sequence = start; ; sequence++)
        {
            var token = tokens[sequence % 50];
            token.AccessToken = $"1000.access.{sequence}";
            store.SaveToken(token);
            Console.WriteLine($"ack {sequence} {store.Journal!.JournaledSaveCount}");
        }
    }

    /// <summary>Inserts a new token per sequence number (user <c>insertN@example.com</c>) and acknowledges each on stdout.</summary>
    private static int JournalInsertLoop(string path, byte[] key, bool pauseApplier)
    {
        using var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key) });
        store.Journal!.Paused = pauseApplier;
        Console.WriteLine("opened");
        for (var sequence = 0; ; sequence++)
        {
            store.SaveToken(CrashTestToken($"insert{sequence}@example.com", $"1000.refresh.insert.{sequence}", $"1000.access.insert.{sequence}"));
            Console.WriteLine($"ack {sequence} {store.Journal!.JournaledSaveCount}");
        }
    }

    /// <summary>A token of the crash tests' client (<c>1000.CRASHTEST</c>) for <paramref name="user"/>.</summary>
    private static OAuthToken CrashTestToken(string user, string refreshToken, string accessToken) => new()
    {
        UserSignature = new UserSignature(user),
        ClientId = "1000.CRASHTEST",
        ClientSecret = "secret",
        RefreshToken = refreshToken,
        AccessToken = accessToken,
        ExpiresIn = "1767225600000",
    };

    /// <summary>Holds the store open until a line arrives on stdin.</summary>
    private static int Hold(string path, byte[] key)
    {
        using (var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key) }))
        {
            Console.WriteLine("opened");
            Console.ReadLine();
        }

        Console.WriteLine("closed");
        return 0;
    }

    /// <summary>Opens the store in shared mode, saves a token, prints its id, and keeps the store open until a line arrives on stdin.</summary>
    private static int HoldShared(string path, byte[] key)
    {
        using (var store = Open(new EncryptedTokenStoreOptions { FilePath = path, MasterKey = MasterKey.FromBytes(key), Sharing = StoreSharing.Shared }))
        {
            var token = new OAuthToken { UserSignature = new UserSignature("holder@example.com"), ClientId = "1000.HOLD", AccessToken = "1000.access.holder" };
            store.SaveToken(token);
            Console.WriteLine($"opened {token.Id}");
            Console.ReadLine();
            Console.WriteLine($"sees {store.GetTokens().Count}");
        }

        Console.WriteLine("closed");
        return 0;
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static EncryptedTokenStore Open(EncryptedTokenStoreOptions options)
    {
        Console.Out.Flush();
        return new EncryptedTokenStore(options);
    }

    private static int Unknown(string command)
    {
        Console.Error.WriteLine($"unknown command {command}");
        return 2;
    }

    /// <summary>Reports on the calling thread, so a line is printed before the next batch starts.</summary>
    private sealed class SynchronousProgress(Action<KeyRotationProgress> report) : IProgress<KeyRotationProgress>
    {
        public void Report(KeyRotationProgress value) => report(value);
    }
}
