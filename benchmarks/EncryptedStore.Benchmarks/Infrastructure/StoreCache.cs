using System.Diagnostics;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Data;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// Prebuilt store files, one per store kind and size, kept between benchmark processes in a cache
/// folder (<c>ENCRYPTEDSTORE_BENCH_CACHE</c>, default <c>$TMPDIR/EncryptedStore.Benchmarks/cache</c>).
/// BenchmarkDotNet runs every benchmark case in a new process with its own global setup; building a
/// 100,000-token encrypted store token by token takes minutes, so it is built once and each setup
/// works on a fresh copy. The file name holds the size, the data set's seed and version, and for the
/// encrypted store the library assembly's module version id, so a changed library or data set never
/// reuses a stale file.
/// </summary>
internal static class StoreCache
{
    /// <summary>Bump when a baseline's file layout changes.</summary>
    private const int BaselineLayoutVersion = 1;

    public static string Folder =>
        Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_BENCH_CACHE") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Path.GetTempPath(), "EncryptedStore.Benchmarks", "cache");

    /// <summary>Copies the cached file of <paramref name="kind"/> and <paramref name="size"/> (building it if missing) into <paramref name="workFolder"/>.</summary>
    public static string CopyTo(StoreKind kind, int size, string workFolder)
    {
        var cached = GetOrBuild(kind, size, out _);
        var target = Path.Combine(workFolder, $"{Guid.NewGuid():N}"[..8] + "-" + Path.GetFileName(cached));
        File.Copy(cached, target);
        return target;
    }

    /// <summary>The cached file for <paramref name="kind"/> and <paramref name="size"/>, built now when missing.</summary>
    public static string GetOrBuild(StoreKind kind, int size, out TimeSpan? buildTime)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, FileName(kind, size));
        buildTime = null;
        if (File.Exists(path))
        {
            return path;
        }

        var building = Path.Combine(Folder, $"building-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building);
        try
        {
            var file = Path.Combine(building, Path.GetFileName(path));
            var stopwatch = Stopwatch.StartNew();
            Build(kind, size, file);
            buildTime = stopwatch.Elapsed;
            File.Move(file, path, overwrite: true);
            return path;
        }
        finally
        {
            Directory.Delete(building, recursive: true);
        }
    }

    private static string FileName(StoreKind kind, int size)
    {
        var data = $"{size}-s{TokenGenerator.DefaultSeed}-d{TokenGenerator.Version}";
        return kind switch
        {
            StoreKind.PlainLiteDb => $"plain-litedb-{data}-l{BaselineLayoutVersion}.db",
            StoreKind.Sqlite => $"article-sqlite-{data}-l{BaselineLayoutVersion}.db",
            StoreKind.Encrypted => $"encrypted-key-{data}-{LibraryVersion()}.db",
            StoreKind.EncryptedPassphrase => $"encrypted-passphrase-{data}-{LibraryVersion()}.db",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "This store kind has no file."),
        };
    }

    private static string LibraryVersion() =>
        typeof(EncryptedTokenStore).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];

    private static void Build(StoreKind kind, int size, string file)
    {
        var tokens = DataSets.Tokens(size);
        switch (kind)
        {
            case StoreKind.PlainLiteDb:
                using (var plain = new PlainLiteDbTokenStore(file))
                {
                    plain.InsertBulk(tokens);
                }

                break;
            case StoreKind.Sqlite:
                new ArticleSqliteTokenStore(file).InsertBulk(tokens);
                break;
            case StoreKind.Encrypted or StoreKind.EncryptedPassphrase:
                // Through the public API, one durable transaction per token: the only way in without
                // reaching into the store's internals, and the same path the SDK takes.
                using (var encrypted = new EncryptedTokenStore(BenchmarkKeys.Options(file, kind == StoreKind.EncryptedPassphrase)))
                {
                    foreach (var token in tokens)
                    {
                        encrypted.SaveToken(token);
                    }
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "This store kind has no file.");
        }

        var log = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + "-log" + Path.GetExtension(file));
        if (File.Exists(log))
        {
            throw new InvalidOperationException($"The {kind} store left a log file after closing; copy it with the data file or checkpoint first.");
        }
    }
}
