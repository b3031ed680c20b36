using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Benchmarks.Baselines;
using EncryptedStore.Benchmarks.Data;
using EncryptedStore.Storage;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>
/// Prebuilt store files, one per store kind and size, kept between benchmark processes in a cache
/// folder (<c>ENCRYPTEDSTORE_BENCH_CACHE</c>, default <c>$TMPDIR/EncryptedStore.Benchmarks/cache</c>).
/// BenchmarkDotNet runs every benchmark case in a new process with its own global setup; building a
/// 100,000-token encrypted store token by token takes minutes, so it is built once and each setup
/// works on a fresh copy. The file name holds the size, the data set's seed and version, the baseline
/// layout version, and for the encrypted store the library's storage format; a cached encrypted file is
/// also opened and checked (one token by id and by blind index) before use, and rebuilt when that
/// fails. A library change that keeps the format and the blind-index keys but changes the record
/// layout is not detected: delete the cache folder then.
/// </summary>
internal static class StoreCache
{
    /// <summary>Bump when a baseline's file layout changes.</summary>
    private const int BaselineLayoutVersion = 1;

    /// <summary>
    /// <c>ENCRYPTEDSTORE_BENCH_CACHE</c>, else a folder of the work tree's own under the temporary folder
    /// (<c>cache-&lt;folder name&gt;-&lt;hash of its path&gt;</c>): two checkouts with different libraries
    /// would otherwise each find the other's files unusable and rebuild them in turn.
    /// </summary>
    public static string Folder =>
        Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_BENCH_CACHE") is { Length: > 0 } folder
            ? folder
            : DefaultFolder.Value;

    private static readonly Lazy<string> DefaultFolder = new(() =>
    {
        var root = RepositoryRoot(AppContext.BaseDirectory) ?? AppContext.BaseDirectory;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..8];
        return Path.Combine(Path.GetTempPath(), "EncryptedStore.Benchmarks", $"cache-{Path.GetFileName(root)}-{hash}");
    });

    /// <summary>
    /// Where stores are built before they move into the cache: a RAM disk when there is one, because
    /// the encrypted store makes every save durable (an fsync per token) and building 100,000 tokens on
    /// a virtual disk takes tens of minutes instead of about a minute. The benchmarks themselves run on
    /// copies in the ordinary temporary folder, on disk.
    /// </summary>
    private static string BuildFolder => Directory.Exists("/dev/shm") ? "/dev/shm" : Folder;

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
            if (IsUsable(kind, path))
            {
                return path;
            }

            File.Delete(path);
        }

        var building = Path.Combine(BuildFolder, $"building-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(building);
        try
        {
            var file = Path.Combine(building, Path.GetFileName(path));
            var stopwatch = Stopwatch.StartNew();
            Build(kind, size, file);
            buildTime = stopwatch.Elapsed;
            // Copy, then rename within the cache folder: the build folder may be another file system.
            var partial = path + $".partial-{Environment.ProcessId}";
            File.Copy(file, partial, overwrite: true);
            File.Move(partial, path, overwrite: true);
            return path;
        }
        finally
        {
            Directory.Delete(building, recursive: true);
        }
    }

    /// <summary>The nearest folder above <paramref name="start"/> that holds the solution (BenchmarkDotNet builds under bin/).</summary>
    public static string? RepositoryRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EncryptedStore.sln")))
            {
                return folder.FullName;
            }
        }

        return null;
    }

    private static string FileName(StoreKind kind, int size)
    {
        var data = $"{size}-s{TokenGenerator.DefaultSeed}-d{TokenGenerator.Version}";
        return kind switch
        {
            StoreKind.PlainLiteDb => $"plain-litedb-{data}-l{BaselineLayoutVersion}.db",
            StoreKind.Sqlite => $"article-sqlite-{data}-l{BaselineLayoutVersion}.db",
            StoreKind.Encrypted => $"encrypted-key-{data}-f{StoreMetadata.CurrentFormat}.db",
            StoreKind.EncryptedPassphrase => $"encrypted-passphrase-{data}-f{StoreMetadata.CurrentFormat}.db",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "This store kind has no file."),
        };
    }

    /// <summary>False when a cached encrypted store no longer opens or answers with the current library.</summary>
    private static bool IsUsable(StoreKind kind, string path)
    {
        if (kind is not (StoreKind.Encrypted or StoreKind.EncryptedPassphrase))
        {
            return true;
        }

        var probe = Path.Combine(Path.GetDirectoryName(path)!, $"probe-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
        try
        {
            File.Copy(path, probe);
            var first = new TokenGenerator().Generate(1)[0];
            using var store = new EncryptedTokenStore(BenchmarkKeys.Options(probe, kind == StoreKind.EncryptedPassphrase));
            return store.TryFindTokenById(first.Id!)?.RefreshToken == first.RefreshToken
                && (store.FindToken(new OAuthToken { AccessToken = first.AccessToken }) as OAuthToken)?.Id == first.Id;
        }
        catch (TokenStoreException)
        {
            return false;
        }
        finally
        {
            File.Delete(probe);
            File.Delete(StorePaths.LogPathFor(probe));
        }
    }

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
                // Through the public API, in transactions of 1,000 tokens (SaveTokens applies SaveToken's
                // rules to each token; one fsync per batch instead of one per token).
                using (var encrypted = new EncryptedTokenStore(BenchmarkKeys.Options(file, kind == StoreKind.EncryptedPassphrase)))
                {
                    foreach (var batch in tokens.Chunk(1000))
                    {
                        encrypted.SaveTokens(batch);
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
