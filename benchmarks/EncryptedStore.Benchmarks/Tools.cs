using EncryptedStore.Storage.LiteDb;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Infrastructure;
using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;

namespace EncryptedStore.Benchmarks;

/// <summary>Commands beside the benchmarks: building the store cache, and a rough profile of the encrypted read path.</summary>
internal static class Tools
{
    public static int Prepare(IReadOnlyList<int> sizes)
    {
        Console.WriteLine($"Cache folder: {StoreCache.Folder}");
        foreach (var size in sizes)
        {
            foreach (var kind in new[] { StoreKind.PlainLiteDb, StoreKind.Sqlite, StoreKind.Encrypted })
            {
                Report(kind, size);
            }
        }

        Report(StoreKind.EncryptedPassphrase, 1_000);
        return 0;

        static void Report(StoreKind kind, int size)
        {
            var path = StoreCache.GetOrBuild(kind, size, out var buildTime);
            var built = buildTime is { } time ? $"built in {time.TotalSeconds:F1} s" : "cached";
            Console.WriteLine($"{kind,-20} {size,8:N0} tokens  {new FileInfo(path).Length / 1024.0 / 1024.0,7:F1} MiB  {built}");
        }
    }

    private static bool _quiet;

    /// <summary>
    /// Times the pieces of the encrypted read and write paths one by one with a Stopwatch loop, to show
    /// where the time goes. Everything runs twice and only the second pass is printed, so the code is
    /// fully jitted (tier 1) when measured. Rough numbers (no statistics, no isolation); the benchmarks
    /// are the reference.
    /// </summary>
    public static int Profile(int size)
    {
        var tokens = DataSets.Tokens(size);
        var ids = DataSets.Targets(size, 1024).Select(i => tokens[i].Id!).ToArray();
        for (var pass = 0; pass < 2; pass++)
        {
            _quiet = pass == 0;
            using var workspace = new StoreWorkspace();
            ProfilePass(workspace, size, tokens, ids);
        }

        var stopwatch = Stopwatch.StartNew();
        using (var passphrase = MasterKey.FromPassphrase(BenchmarkKeys.Passphrase))
        {
            _ = passphrase.DeriveKeyEncryptionKey(RandomNumberGenerator.GetBytes(32), MasterKey.Pbkdf2Iterations);
        }

        Console.WriteLine($"PBKDF2-HMAC-SHA256, {MasterKey.Pbkdf2Iterations:N0} iterations (paid on every open with a passphrase): {stopwatch.Elapsed.TotalMilliseconds:F0} ms");
        return 0;
    }

    private static void ProfilePass(StoreWorkspace workspace, int size, List<OAuthToken> tokens, string[] ids)
    {
        var sample = tokens[0];
        Print($"Encrypted store, {size:N0} tokens, µs per operation (allocated bytes per operation)");
        var byAccess = DataSets.Targets(size, 1024).Select(i => tokens[i].AccessToken!).ToArray();

        var encryptedPath = workspace.CopyOf(StoreKind.Encrypted, size);
        using (var store = new EncryptedTokenStore(BenchmarkKeys.Options(encryptedPath)))
        {
            Measure("EncryptedTokenStore.FindTokenById", i => store.FindTokenById(ids[i & 1023]));
            Measure("EncryptedTokenStore.FindToken(access token), 1,024 values seen before", i => store.FindToken(new OAuthToken { AccessToken = byAccess[i & 1023] }));
            Measure($"EncryptedTokenStore.GetTokens ({size:N0} tokens)", _ => store.GetTokens(), warmup: 2, minimumCount: 5);
        }

        using (var file = LiteDbFiles.Open(encryptedPath, flushToDisk: true, TimeSpan.Zero, shared: false))
        {
            Measure("  LiteDB FindById on the encrypted file", i => file.Records.FindById(ids[i & 1023]));
            Measure("  LiteDB FindAll().ToList() on the encrypted file", _ => file.Records.FindAll().ToList(), warmup: 2, minimumCount: 5);
            var document = file.Records.FindById(ids[0]);
            var hashes = ids.Select(id => file.Records.FindById(id)["a"]).ToArray();
            Measure("  LiteDB FindOne(\"a = @0\", hash) (parameterized)", i => file.Records.FindOne("$.a = @0", hashes[i & 1023]));
            Measure("  LiteDB FindOne(Query.EQ(\"a\", hash)), same hash (compiled once)", _ => file.Records.FindOne(LiteDB.Query.EQ("a", hashes[0])));

            // As the store does it: Query.EQ with a value it has not seen before, so LiteDB parses and
            // compiles a new expression and keeps it in its static cache. Fresh random hashes (misses).
            var fresh = Enumerable.Range(0, 50_000).Select(_ => new LiteDB.BsonValue(RandomNumberGenerator.GetBytes(32))).ToArray();
            Measure("  LiteDB FindOne(Query.EQ(\"a\", hash)), new hash each call (what the store did before it passed parameters)", i => file.Records.FindOne(LiteDB.Query.EQ("a", fresh[i % fresh.Length])), warmup: 0, minimumCount: 1);
            Print($"  (encrypted document: {document.Keys.Count} fields, ciphertext {document["ct"].AsBinary.Length} bytes)");
        }

        var plainPath = workspace.CopyOf(StoreKind.PlainLiteDb, size);
        using (var plain = new PlainLiteDbTokenStore(plainPath))
        {
            Measure("PlainLiteDbTokenStore.FindTokenById (for comparison)", i => plain.FindTokenById(ids[i & 1023]));
            Measure($"PlainLiteDbTokenStore.GetTokens ({size:N0} tokens, for comparison)", _ => plain.GetTokens(), warmup: 2, minimumCount: 5);
        }

        ProfileWrites(workspace, size, tokens);

        var storeId = RandomNumberGenerator.GetBytes(16);
        using var dataKey = new DataKey(1, RandomNumberGenerator.GetBytes(32), storeId);
        var payload = TokenFields.Encode(sample);
        var sealedPayload = dataKey.Encrypt(payload, sample.Id!);
        Measure("  Guard.Id (id validation)", _ => Guard.Id(sample.Id, "id"));
        Measure("  DataKey.Decrypt (AES-256-GCM, AAD, copy)", _ => dataKey.Decrypt(sealedPayload, sample.Id!));
        Measure("  TokenFields.Decode (UTF-8 to 9 strings)", _ => TokenFields.Decode(payload, sample.Id!));
        Measure("  TokenFields.Encode", _ => TokenFields.Encode(sample));
        Measure("  DataKey.Encrypt", _ => dataKey.Encrypt(payload, sample.Id!));

        using var indexKey = new BlindIndexKey(1, RandomNumberGenerator.GetBytes(32));
        Measure("  BlindIndexKey.Compute (HMAC-SHA256 of an access token)", _ => indexKey.Compute(BlindIndex.AccessToken, sample.AccessToken!));
        Measure("  BlindIndexKey.ComputeUserClient", _ => indexKey.ComputeUserClient(sample.UserSignature!.Name, sample.ClientId));
        Measure("  HMACSHA256.HashData (one-shot, for comparison)", _ => HMACSHA256.HashData(storeId, System.Text.Encoding.UTF8.GetBytes(sample.AccessToken!)));
    }

    private static void Print(string line)
    {
        if (!_quiet)
        {
            Console.WriteLine(line);
        }
    }

    /// <summary>SaveToken (update of an existing token) on disk and on a RAM disk, to separate the fsync from the rest.</summary>
    private static void ProfileWrites(StoreWorkspace workspace, int size, List<OAuthToken> tokens)
    {
        var target = Baselines.TokenCopy.Clone(tokens[size / 2]);
        var values = Enumerable.Range(0, 1024).Select(_ => "1000." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))).ToArray();
        var ramFolder = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", $"profile-{Environment.ProcessId}") : null;
        try
        {
            foreach (var (where, folder) in new[] { ("disk", workspace.Folder), ("RAM disk", ramFolder) })
            {
                if (folder is null)
                {
                    continue;
                }

                Directory.CreateDirectory(folder);
                foreach (var kind in new[] { StoreKind.Encrypted, StoreKind.PlainLiteDb })
                {
                    var path = StoreCache.CopyTo(kind, size, folder);
                    var store = kind == StoreKind.Encrypted
                        ? (ITokenStore)new EncryptedTokenStore(BenchmarkKeys.Options(path))
                        : new PlainLiteDbTokenStore(path);
                    try
                    {
                        Measure($"{store.GetType().Name}.SaveToken update ({where})", i =>
                        {
                            target.AccessToken = values[i & 1023];
                            store.SaveToken(target);
                        }, warmup: 200, minimumCount: 200);
                    }
                    finally
                    {
                        ((IDisposable)store).Dispose();
                    }
                }
            }
        }
        finally
        {
            if (ramFolder is not null && Directory.Exists(ramFolder))
            {
                Directory.Delete(ramFolder, recursive: true);
            }
        }
    }

    private static void Measure(string name, Func<int, object?> operation, int warmup = 2_000, int minimumCount = 1_000)
    {
        for (var i = 0; i < warmup; i++)
        {
            operation(i);
        }

        var iterations = 1;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.ElapsedMilliseconds < 50)
        {
            operation(iterations++);
        }

        // Aim for about half a second per line.
        var count = Math.Min(40_000, Math.Max(minimumCount, (int)(iterations * 10L)));
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        stopwatch.Restart();
        // Indices continue after the calibration's, so an operation that must see new values gets them.
        for (var i = 0; i < count; i++)
        {
            operation(iterations + i);
        }

        stopwatch.Stop();
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / count;
        Print(string.Create(CultureInfo.InvariantCulture, $"{name,-60} {stopwatch.Elapsed.TotalMicroseconds / count,9:F2} µs  ({allocated} B)"));
    }

    private static void Measure(string name, Action<int> operation, int warmup = 2_000, int minimumCount = 1_000) => Measure(name, i =>
    {
        operation(i);
        return null;
    }, warmup, minimumCount);
}
