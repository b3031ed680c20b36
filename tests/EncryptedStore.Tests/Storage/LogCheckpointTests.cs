using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// LiteDB checkpoints its log after a commit only when no reader is inside a call at that instant, so
/// under a steady stream of lookups it never does. The store checkpoints itself after a write once the
/// log passes 8 MB; these tests write far more than that while another thread keeps reading the file.
/// </summary>
[Category("Slow")]
public class LogCheckpointTests : StoreFolderTest
{
    /// <summary>LiteDB's own threshold (1,000 pages of 8 KiB), which the store uses too.</summary>
    private const long CheckpointBytes = 1000 * 8192;

    /// <summary>One commit may take the log past the threshold before the checkpoint that follows it.</summary>
    private const long CommitMargin = 1024 * 1024;

    [Test]
    public void Saves_WhileAnotherThreadReadsTheFile_KeepTheLogNearEightMegabytes()
    {
        using var store = OpenUncached();
        var tokens = Enumerable.Range(0, 200).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        store.SaveTokens(tokens);
        var ids = tokens.Select(t => t.Id!).ToArray();

        // Three readers, so that one is nearly always inside a call: LiteDB's own attempt then never succeeds.
        var readers = Enumerable.Range(0, 3).Select(i => new BusyReader(store, ids, seed: i)).ToList();
        var log = new FileInfo(StorePaths.LogPathFor(Path.GetFullPath(StorePath)));
        long longest = 0, written = 0;
        for (var round = 0; written < 4 * CheckpointBytes; round++)
        {
            var token = tokens[round % tokens.Count];
            token.AccessToken = $"1000.access.{round}.{token.UserSignature!.Name}";
            var before = Length(log);
            store.SaveToken(token);
            var after = Length(log);
            written += Math.Max(0, after - before);
            longest = Math.Max(longest, after);
        }

        readers.ForEach(r => r.Stop());
        Assert.Multiple(() =>
        {
            Assert.That(readers.SelectMany(r => r.Errors), Is.Empty, "the readers' calls");
            Assert.That(readers.Select(r => r.Answers), Has.All.GreaterThan(100), "the readers were reading throughout");
            Assert.That(longest, Is.LessThanOrEqualTo(CheckpointBytes + CommitMargin), $"longest log, after {written:N0} bytes of commits");
            Assert.That(StoreFixture.Fields(store.FindTokenById(tokens[^1].Id!)), Is.EqualTo(StoreFixture.Fields(tokens[^1])));
        });
    }

    [Test]
    public void RotateKeys_WhileAnotherThreadReadsTheFile_KeepsTheLogNearEightMegabytesBetweenBatches()
    {
        using var store = OpenUncached();
        var tokens = Enumerable.Range(0, 3000).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        foreach (var chunk in tokens.Chunk(1000))
        {
            store.SaveTokens(chunk);
        }

        using var reader = new BusyReader(store, tokens.Select(t => t.Id!).ToArray(), seed: 0);
        var log = new FileInfo(StorePaths.LogPathFor(Path.GetFullPath(StorePath)));
        long longest = 0;
        var batches = 0;
        var result = store.RotateKeys(
            new KeyRotationOptions { RotateIndexKey = true, BatchSize = 100 },
            new InlineProgress<KeyRotationProgress>(_ =>
            {
                batches++;
                longest = Math.Max(longest, Length(log));
            }));
        reader.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(result.RecordsRewritten, Is.EqualTo(3000));
            Assert.That(batches, Is.GreaterThanOrEqualTo(30));
            Assert.That(reader.Errors, Is.Empty, "the reader's calls");
            Assert.That(reader.Answers, Is.GreaterThan(100), "the reader was reading throughout");
            Assert.That(longest, Is.LessThanOrEqualTo(CheckpointBytes + CommitMargin), "longest log between batches");
            Assert.That(store.Verify().IsHealthy, Is.True);
        });
    }

    private EncryptedTokenStore OpenUncached() =>
        new(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), CacheSize = 0 });

    private static long Length(FileInfo file)
    {
        file.Refresh();
        return file.Exists ? file.Length : 0;
    }

    /// <summary>Calls <c>FindTokenById</c> in a loop on its own thread (the cache is off, so every call reads LiteDB).</summary>
    private sealed class BusyReader : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public BusyReader(EncryptedTokenStore store, string[] ids, int seed)
        {
            _thread = new Thread(() =>
            {
                var random = new Random(seed);
                while (!_stop)
                {
                    try
                    {
                        store.FindTokenById(ids[random.Next(ids.Length)]);
                        Answers++;
                    }
                    catch (Exception e)
                    {
                        Errors.Add(e.GetType().Name + ": " + e.Message);
                    }
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public long Answers { get; private set; }

        public List<string> Errors { get; } = [];

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose() => Stop();
    }
}
