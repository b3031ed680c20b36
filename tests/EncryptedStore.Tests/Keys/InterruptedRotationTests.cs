using System.Collections.Concurrent;
using EncryptedStore.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tests.Keys;

/// <summary>Opening a store whose rotation a process left unfinished: the open returns, the rotation resumes in the background.</summary>
public sealed class InterruptedRotationTests : StoreFolderTest
{
    private const int RotationResumedEvent = 10;
    private const int RotationFinishedEvent = 12;

    [Test]
    public void Open_InterruptedRotation_ReturnsAndFinishesItOnAnotherThread()
    {
        var tokens = Interrupt(count: 300, batchSize: 100);
        var events = new ThreadRecordingLogger();
        using var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(events));

        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromBytes(StoreFixture.Key), LoggerFactory = factory });
        var openedOn = Environment.CurrentManagedThreadId;
        store.WaitForBackgroundRotation();

        var statistics = store.GetStatistics();
        Assert.Multiple(() =>
        {
            Assert.That(events.ThreadOf(RotationResumedEvent), Is.EqualTo(openedOn), "the open noticed the rotation");
            Assert.That(events.ThreadOf(RotationFinishedEvent), Is.Not.Null.And.Not.EqualTo(openedOn), "the rotation finished off the opening thread");
            Assert.That(statistics.Keys.Where(k => k.RecordCount > 0).Select(k => k.State), Is.All.EqualTo(StoreKeyState.Active));
            Assert.That(statistics.RotationInProgress, Is.False, "finished");
            Assert.That(tokens.Select(t => StoreFixture.Fields(store.FindTokenById(t.Id!))), Is.EqualTo(tokens.Select(StoreFixture.Fields)));
        });
    }

    [Test]
    public void Dispose_RightAfterOpen_StopsTheResumedRotationAndTheNextOpenFinishesIt()
    {
        var tokens = Interrupt(count: 3000, batchSize: 100);

        StoreFixture.Open(StorePath).Dispose();

        using var store = StoreFixture.Open(StorePath);
        store.WaitForBackgroundRotation();
        var statistics = store.GetStatistics();
        Assert.Multiple(() =>
        {
            Assert.That(statistics.TokenCount, Is.EqualTo(tokens.Count));
            Assert.That(statistics.Keys.Where(k => k.RecordCount > 0).Select(k => k.State), Is.All.EqualTo(StoreKeyState.Active));
        });
    }

    [Test]
    public void RotateKeys_WhileTheResumedRotationRuns_WaitsForItThenRotatesAgain()
    {
        Interrupt(count: 300, batchSize: 100);
        using var store = StoreFixture.Open(StorePath);

        var result = store.RotateKeys();

        var statistics = store.GetStatistics();
        var activeData = statistics.Keys.Single(k => k.Purpose == StoreKeyPurpose.Data && k.State == StoreKeyState.Active);
        Assert.Multiple(() =>
        {
            Assert.That(result.Resumed, Is.False, "the interrupted rotation was finished in the background first");
            Assert.That(activeData.Version, Is.EqualTo(result.DataKeyVersion));
            Assert.That(activeData.RecordCount, Is.EqualTo(300));
        });
    }

    /// <summary>Saves tokens, starts an index and data rotation and cancels it after its first batch.</summary>
    private List<OAuthToken> Interrupt(int count, int batchSize)
    {
        var tokens = Enumerable.Range(0, count).Select(i => StoreFixture.Token($"user{i}@example.com")).ToList();
        using var store = StoreFixture.Open(StorePath);
        store.SaveTokens(tokens);
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = batchSize }, new InlineProgress<KeyRotationProgress>(_ => cancel.Cancel()), cancel.Token));
        var stats = store.GetStatistics();
        Assert.That(stats.Keys.Count(k => k.Purpose == StoreKeyPurpose.Data && k.RecordCount > 0), Is.EqualTo(2), "interrupted");
        Assert.That(stats.RotationInProgress, Is.True);
        return tokens;
    }

    /// <summary>Records the thread each log event was written on.</summary>
    private sealed class ThreadRecordingLogger : ILoggerProvider, ILogger
    {
        private readonly ConcurrentDictionary<int, int> _threads = new();

        public int? ThreadOf(int eventId) => _threads.TryGetValue(eventId, out var thread) ? thread : null;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _threads.TryAdd(eventId.Id, Environment.CurrentManagedThreadId);

        public void Dispose()
        {
        }
    }
}
