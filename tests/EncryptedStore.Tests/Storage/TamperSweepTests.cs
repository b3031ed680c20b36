using System.Buffers.Binary;
using EncryptedStore.Internal;
using EncryptedStore.Tests.Support;
using LiteDB;

namespace EncryptedStore.Tests.Storage;

/// <summary>
/// Flips one byte at seeded offsets in every LiteDB page of a closed store, then opens the damaged copy
/// and reads everything back: each open and read must give exactly the original data or fail with a
/// <see cref="TokenStoreException"/>, never other data and never another exception type. Two kinds of
/// damage to LiteDB's indexes stay silent in reads (a lookup that misses, a listing that leaves records
/// out, as if they had been deleted); <see cref="EncryptedTokenStore.Verify"/> must report those.
/// </summary>
[Category("Slow")]
public class TamperSweepTests
{
    private const int PageSize = 8192;
    private const int PageHeaderSize = 32;
    private const int SlotSize = 4;
    private const int TokenCount = 20;
    private const int ContentFlipsPerPage = 10;
    private const int DefaultSeed = 24301;

    // LiteDB page layout (LiteDB/Engine/Pages/BasePage.cs, HeaderPage.cs).
    private const int PageTypeOffset = 4;
    private const int CollectionIdOffset = 19;
    private const int NextFreePositionOffset = 28;
    private const int HighestIndexOffset = 30;
    private const int HeaderCollectionsOffset = 192;

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void OpenAndReadAll_OneByteFlippedInAnyPage_ReturnsOriginalDataOrThrowsTokenStoreException()
    {
        var originalPath = _dir.File("original.db");
        var expected = CreateStore(originalPath);
        Assert.That(File.Exists(_dir.File("original-log.db")), Is.False, "every page must be in the data file, not a log");
        var original = File.ReadAllBytes(originalPath);
        var pages = DescribePages(original);

        // Another seed: dotnet test ... -- TestRunParameters.Parameter(name="TamperSeed", value="7")
        var seed = TestContext.Parameters.Get("TamperSeed", DefaultSeed);
        var random = new Random(seed);
        var flipsByOutcome = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var flipsByPageKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var readsByOutcome = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var violations = new List<string>();
        var pagesHidingRecords = new HashSet<string>(StringComparer.Ordinal);
        var copyPath = _dir.File("copy.db");
        foreach (var page in pages)
        {
            foreach (var offset in FlipOffsets(original, page, random))
            {
                var damaged = (byte[])original.Clone();
                damaged[offset] ^= (byte)random.Next(1, 256);
                File.Delete(copyPath);
                File.Delete(_dir.File("copy-log.db"));
                StoreFiles.WriteOwnerOnly(copyPath, damaged);

                var attempt = new Attempt();
                OpenAndReadAll(copyPath, expected, attempt);

                // A LiteDB transaction finalizer that fails (LiteDB #2828) ends the process: make it run
                // here, in the flip that caused it, rather than in some later test.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Increment(flipsByOutcome, attempt.Outcome);
                Increment(flipsByPageKind, page.Kind);
                foreach (var (outcome, count) in attempt.Reads)
                {
                    Increment(readsByOutcome, outcome, count);
                }

                if (attempt.Reads.ContainsKey("records missing"))
                {
                    pagesHidingRecords.Add(page.Kind);
                }

                violations.AddRange(attempt.Violations.Select(v => $"page {page.Number} ({page.Kind}) offset {offset}: {v}"));
            }
        }

        var flips = flipsByOutcome.Values.Sum();
        TestContext.Out.WriteLine($"seed {seed}: {pages.Count} pages, {flips} flips");
        TestContext.Out.WriteLine("flips by page: " + string.Join(", ", flipsByPageKind.Select(p => $"{p.Key} {p.Value}")));
        TestContext.Out.WriteLine("flips by outcome: " + string.Join(", ", flipsByOutcome.Select(p => $"{p.Key} {p.Value}")));
        TestContext.Out.WriteLine("reads by outcome: " + string.Join(", ", readsByOutcome.Select(p => $"{p.Key} {p.Value}")));
        foreach (var violation in violations)
        {
            TestContext.Out.WriteLine("violation: " + violation);
        }

        Assert.Multiple(() =>
        {
            Assert.That(violations, Is.Empty);
            Assert.That(
                pages.Select(p => p.Kind).ToList(),
                Does.Contain("header").And.Contain("tokens data").And.Contain("keyring data").And.Contain("keys data").And.Contain("meta data"),
                "the sweep must cover the header, records, key ring, key list and metadata");
            Assert.That(flipsByOutcome.Keys, Has.Some.Not.EqualTo("exact"), "some flips must be detected");
            Assert.That(pagesHidingRecords.Where(k => k != "tokens index"), Is.Empty, "only a damaged index may hide records without an error");
        });
    }

    /// <summary>Opens the damaged store and runs every read, recording each outcome; a violation is wrong data or a foreign exception.</summary>
    private static void OpenAndReadAll(string path, Dictionary<string, OAuthToken> expected, Attempt attempt)
    {
        EncryptedTokenStore store;
        try
        {
            store = StoreFixture.Open(path);
        }
        catch (Exception e)
        {
            attempt.Failed("open", e);
            return;
        }

        using (store)
        {
            attempt.Read("GetTokens", () =>
            {
                var all = store.GetTokens().Cast<OAuthToken>().ToList();
                if (!all.All(t => t.Id is not null && expected.TryGetValue(t.Id, out var e) && Same(t, e)) || all.DistinctBy(t => t.Id).Count() != all.Count)
                {
                    return $"GetTokens returned {all.Count} tokens that differ from the {expected.Count} saved";
                }

                if (all.Count < expected.Count)
                {
                    attempt.RecordsMissing();
                }

                return null;
            });
            foreach (var (id, token) in expected)
            {
                attempt.Read("FindTokenById", () => Same((OAuthToken)store.FindTokenById(id), token) ? null : $"FindTokenById('{id}') returned other data");
                attempt.Read("FindToken", () =>
                {
                    var query = new OAuthToken { UserSignature = new UserSignature(token.UserSignature!.Name), ClientId = token.ClientId };
                    if (store.FindToken(query) is null)
                    {
                        // A damaged blind-index node: the lookup misses, as for an unknown user. Not a violation.
                        attempt.Missed();
                        return null;
                    }

                    return Same(query, token) ? null : $"FindToken for '{id}' returned other data";
                });
            }

            attempt.Read("Verify", () =>
            {
                var verification = store.Verify();
                if (!verification.IsHealthy)
                {
                    attempt.ProblemsReported();
                    return null;
                }

                // Verify is where damage that reads do not notice (a hidden record, a lookup that misses) must show.
                return verification.RecordsChecked != expected.Count ? $"Verify checked {verification.RecordsChecked} of {expected.Count} records and found nothing wrong"
                    : attempt.Reads.ContainsKey("no match") || attempt.Reads.ContainsKey("records missing") ? "Verify found nothing wrong although a lookup missed or a listing was short"
                    : null;
            });
        }
    }

    private static Dictionary<string, OAuthToken> CreateStore(string path)
    {
        using var store = StoreFixture.Open(path);
        var tokens = Enumerable.Range(0, TokenCount)
            .Select(i => StoreFixture.Token($"user{i}@example.com", i % 2 == 0 ? "1000.CLIENTA" : "1000.CLIENTB", suffix: $".{i}"))
            .ToList();
        store.SaveTokens(tokens);
        return tokens.ToDictionary(t => t.Id!, t => t, StringComparer.Ordinal);
    }

    private static bool Same(OAuthToken actual, OAuthToken expected) =>
        actual.Id == expected.Id && Enumerable.Range(0, TokenFields.Names.Length).All(i => TokenFields.Get(actual, i) == TokenFields.Get(expected, i));

    /// <summary>Offsets to flip in one page: one in its header, a few in its used content, one in its slot footer.</summary>
    private static List<int> FlipOffsets(byte[] file, PageInfo page, Random random)
    {
        var start = page.Number * PageSize;
        var offsets = new List<int> { start + random.Next(PageHeaderSize) };
        var contentEnd = page.Type == 1
            ? HeaderCollectionsOffset + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(start + HeaderCollectionsOffset))
            : Math.Clamp((int)BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(start + NextFreePositionOffset)), PageHeaderSize + 1, PageSize);
        for (var i = 0; i < ContentFlipsPerPage; i++)
        {
            offsets.Add(start + random.Next(PageHeaderSize, contentEnd));
        }

        if (page.Type != 1)
        {
            var slots = (file[start + HighestIndexOffset] + 1) * SlotSize;
            offsets.Add(start + PageSize - 1 - random.Next(Math.Min(slots, PageSize - contentEnd)));
        }

        return offsets;
    }

    /// <summary>Names each page by its LiteDB type and, for collection, index and data pages, the collection it belongs to.</summary>
    private static List<PageInfo> DescribePages(byte[] file)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(HeaderCollectionsOffset));
        var collections = BsonSerializer.Deserialize(file.AsSpan(HeaderCollectionsOffset, length).ToArray())
            .ToDictionary(p => (uint)p.Value.AsInt32, p => p.Key);
        var pages = new List<PageInfo>();
        for (var number = 0; number < file.Length / PageSize; number++)
        {
            var type = file[number * PageSize + PageTypeOffset];
            var collection = collections.GetValueOrDefault(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(number * PageSize + CollectionIdOffset)), "?");
            var kind = type switch
            {
                0 => "empty",
                1 => "header",
                2 => $"{collection} collection",
                3 => $"{collection} index",
                4 => $"{collection} data",
                _ => "unknown",
            };
            pages.Add(new PageInfo(number, type, kind));
        }

        return pages;
    }

    private static void Increment(SortedDictionary<string, int> counts, string key, int by = 1) =>
        counts[key] = counts.GetValueOrDefault(key) + by;

    private sealed record PageInfo(int Number, byte Type, string Kind);

    /// <summary>The outcomes of one damaged copy: per read, and overall (the first failure, else "exact").</summary>
    private sealed class Attempt
    {
        private string? _detected;

        public string Outcome { get; private set; } = "exact";

        public SortedDictionary<string, int> Reads { get; } = new(StringComparer.Ordinal);

        public List<string> Violations { get; } = [];

        public void Read(string what, Func<string?> read)
        {
            _detected = null;
            try
            {
                if (read() is { } problem)
                {
                    Record("wrong data");
                    Violations.Add(problem);
                }
                else
                {
                    Record(_detected ?? "exact");
                }
            }
            catch (Exception e)
            {
                Failed(what, e);
            }
        }

        /// <summary>The read gave no data without an error (a lookup that found nothing).</summary>
        public void Missed() => _detected = "no match";

        /// <summary>The read returned some of the records, each exact, and no error: a damaged id index hides the others.</summary>
        public void RecordsMissing() => _detected = "records missing";

        /// <summary>The read reported the damage in its result (<see cref="StoreVerification.Problems"/>).</summary>
        public void ProblemsReported() => _detected = "problems reported";

        public void Failed(string what, Exception e)
        {
            if (e is TokenStoreException store)
            {
                Record(store.Code);
                return;
            }

            Record(e.GetType().Name);
            Violations.Add($"{what} threw {e.GetType().Name}: {e.Message}");
            TestContext.Out.WriteLine(e);
        }

        private void Record(string outcome)
        {
            Reads[outcome] = Reads.GetValueOrDefault(outcome) + 1;
            if (Outcome == "exact")
            {
                Outcome = outcome;
            }
        }
    }
}
