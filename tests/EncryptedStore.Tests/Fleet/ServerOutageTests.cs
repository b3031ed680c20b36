using System.Diagnostics;
using System.Security.Cryptography;
using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Fleet;

/// <summary>
/// The database server stopped and started again (<c>.ci/db-control.sh</c>) in the middle of a run of saves, deletes
/// and reads on one store instance: while it is down every call fails with <c>UNAVAILABLE</c>, naming host, port and
/// database but never the password; once it is back the same instance works again without reopening, and every save
/// acknowledged before, during or after the outage is there (a <see cref="TokenLedger"/> judges the calls that failed:
/// either outcome is right, once).
/// </summary>
[TestFixture(StoreKind.MySql)]
[TestFixture(StoreKind.PostgreSql)]
[NonParallelizable]
[Category("Slow")]
public sealed class ServerOutageTests(StoreKind kind)
{
    private FleetTables _tables = null!;
    private bool _stopped;

    [SetUp]
    public void SetUp() => _tables = new FleetTables(kind);

    [TearDown]
    public void TearDown()
    {
        if (_stopped)
        {
            // Never leave the server down for the tests that follow.
            FleetServer.Control(_tables.Kind, "start");
        }

        _tables?.Dispose();
    }

    [Test]
    [CancelAfter(180_000)]
    public void ServerStoppedAndStarted_MidRun_UnavailableWhileDownNothingAcknowledgedLostSameInstanceWorks()
    {
        using var store = _tables.Open();
        var ledger = new TokenLedger();
        var tokens = Enumerable.Range(0, 20).Select(i => Token($"before{i}")).ToList();
        store.SaveTokens(tokens);
        tokens.ForEach(ledger.Saved);

        var (known, victim, during) = (tokens[0], tokens[1], Token("during"));
        using var worker = new OutageWorker(store, ledger, tokens);
        worker.Start();
        worker.WaitForSuccesses(20);

        _stopped = true;
        FleetServer.Control(_tables.Kind, "stop");
        var whileDown = new List<TestDelegate>
        {
            () => store.FindTokenById(known.Id!),
            () => store.FindToken(new OAuthToken { UserSignature = known.UserSignature, ClientId = known.ClientId }),
            () => store.GetTokens(),
            () => store.SaveToken(during),
            () => store.DeleteToken(victim.Id!),
        };
        var failures = whileDown.Select(call => (Exception)Assert.Throws<TokenStoreException>(call)!).ToList();
        worker.WaitForFailures(10);

        FleetServer.Control(_tables.Kind, "start");
        _stopped = false;
        var afterRestart = Stopwatch.StartNew();
        var again = Token("after");
        store.SaveToken(again);
        var firstCallAfter = afterRestart.Elapsed;
        worker.WaitForSuccesses(worker.Successes + 20);
        worker.Stop();
        ledger.Saved(again);

        // A call that failed while down may or may not have taken effect: the ledger accepts either, once.
        worker.RecordUncertain();
        ledger.SaveFailed(during);
        ledger.DeleteFailed(victim.Id!);
        var check = ledger.Check(store);
        using var fresh = _tables.Open();
        var freshCheck = ledger.Check(fresh);
        var codes = failures.Concat(worker.Failures).Select(e => e is TokenStoreException t ? t.Code : e.ToString()).Distinct().ToList();
        TestContext.Out.WriteLine($"{kind}: {worker.Successes} calls succeeded, {worker.Failures.Count} failed while down, first call after restart took {firstCallAfter.TotalMilliseconds:F0} ms; "
            + $"{ledger.FailedCallsThatTookEffect} failed calls took effect; message: {failures[0].Message}");
        Assert.Multiple(() =>
        {
            Assert.That(codes, Is.EqualTo(new[] { TokenStoreErrorCodes.Unavailable }), "every call while down fails with UNAVAILABLE");
            foreach (var failure in failures.Concat(worker.Failures))
            {
                Assert.That(failure.Message, Does.Contain(_tables.Database.Server), "the message names host, port and database");
                if (FleetServer.Password(_tables.Database) is { Length: > 0 } password)
                {
                    Assert.That(failure.ToString(), Does.Not.Contain(password), "the password appears nowhere");
                }
            }

            Assert.That(check.Problems, Is.Empty, "the same instance after the restart");
            Assert.That(freshCheck.Problems, Is.Empty, "a new instance");
            Assert.That(StoreFixture.Fields(store.FindTokenById(again.Id!)), Is.EqualTo(StoreFixture.Fields(again)));
            Assert.That(store.Verify().Problems, Is.Empty);
        });
    }

    private static OAuthToken Token(string tag)
    {
        var token = StoreFixture.Token($"outage.{tag}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}@example.com");
        token.Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return token;
    }

    /// <summary>A thread that saves, refreshes, deletes and reads on the store all along, recording each outcome.</summary>
    private sealed class OutageWorker(EncryptedTokenStore store, TokenLedger ledger, List<OAuthToken> tokens) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Exception> _failures = [];
        private readonly List<(OAuthToken? Saved, string? Deleted)> _uncertain = [];
        private Thread? _thread;
        private int _successes;

        public int Successes => Volatile.Read(ref _successes);

        public List<Exception> Failures
        {
            get
            {
                lock (_failures)
                {
                    return [.. _failures];
                }
            }
        }

        public void Start()
        {
            _thread = new Thread(Run);
            _thread.Start();
        }

        public void WaitForSuccesses(int count) => Wait(() => Successes >= count, $"{count} successful calls");

        public void WaitForFailures(int count) => Wait(() => Failures.Count >= count, $"{count} failed calls");

        public void Stop()
        {
            _stop.Cancel();
            _thread?.Join();
        }

        /// <summary>Tells the ledger about the calls that failed (after <see cref="Stop"/>: the ledger is not thread-safe).</summary>
        public void RecordUncertain()
        {
            foreach (var (saved, deleted) in _uncertain)
            {
                if (saved is not null)
                {
                    ledger.SaveFailed(saved);
                }
                else
                {
                    ledger.DeleteFailed(deleted!);
                }
            }
        }

        public void Dispose()
        {
            Stop();
            _stop.Dispose();
        }

        private void Run()
        {
            var random = new Random(3);
            for (var sequence = 0; !_stop.IsCancellationRequested; sequence++)
            {
                var target = tokens[random.Next(tokens.Count)];
                var roll = random.Next(10);
                var change = StoreFixture.Copy(target);
                change.AccessToken = $"1000.access.outage.{sequence}";
                var inserted = roll == 0 ? Token($"insert{sequence}") : null;
                try
                {
                    switch (roll)
                    {
                        case 0:
                            store.SaveToken(inserted!);
                            Record(() => ledger.Saved(inserted!));
                            tokens.Add(inserted!);
                            break;
                        case < 4:
                            store.SaveToken(change);
                            Record(() => ledger.Saved(change));
                            break;
                        default:
                            _ = store.TryFindTokenById(target.Id!);
                            break;
                    }

                    Interlocked.Increment(ref _successes);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Anything but UNAVAILABLE is a finding; the test reports it rather than losing the thread.
                    lock (_failures)
                    {
                        _failures.Add(e);
                    }

                    if (roll < 4)
                    {
                        _uncertain.Add((roll == 0 ? inserted : change, null));
                    }

                    // A caller backs off a little while the server is away.
                    Thread.Sleep(50);
                }
            }
        }

        private void Record(Action action)
        {
            lock (ledger)
            {
                action();
            }
        }

        private static void Wait(Func<bool> condition, string what)
        {
            var waited = Stopwatch.StartNew();
            while (!condition())
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Assert.Fail($"no {what} within 60 s");
                }

                Thread.Sleep(20);
            }
        }
    }
}
