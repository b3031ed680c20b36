using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// The maintenance of a soak run, on its own thread while the workers go on: a key rotation (data and index keys,
/// online) at 15% of the run, a compaction (close, compact, reopen) at 40%, and a master-key change (online) at 65%;
/// after the workers stop, <see cref="Finish"/> closes the store, checks that the replaced master key no longer
/// opens it, reopens it with the new one and runs <c>Verify</c>. Each step is recorded as a <see cref="SoakEvent"/>.
/// </summary>
internal sealed class SoakMaintenance(SoakStore store, TimeSpan duration, Stopwatch clock)
{
    private readonly List<SoakEvent> _events = [];

    public IReadOnlyList<SoakEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Runs the three steps at their moments; returns early (skipping the rest) when <paramref name="stop"/> is cancelled.</summary>
    public void Run(CancellationToken stop)
    {
        foreach (var (fraction, step) in new (double, Action)[] { (0.15, Rotate), (0.40, Compact), (0.65, ChangeMasterKey) })
        {
            var wait = duration * fraction - clock.Elapsed;
            if (wait > TimeSpan.Zero && stop.WaitHandle.WaitOne(wait))
            {
                return;
            }

            step();
        }
    }

    /// <summary>After the workers stopped: close, the replaced key must be refused, reopen with the current key, <c>Verify</c>.</summary>
    public void Finish() => Record("close, old master key refused, reopen, Verify", () =>
    {
        var outcome = string.Empty;
        store.Exclusive(() => store.CloseAndReopen(() =>
        {
            foreach (var former in store.FormerMasterKeys)
            {
                try
                {
                    using var refused = store.Open(former);
                    throw new InvalidOperationException("a replaced master key still opened the store");
                }
                catch (TokenStoreException e)
                {
                    outcome = $"replaced key refused ({e.Code}); ";
                }
            }
        }));
        var verification = store.Current.Verify();
        return verification.IsHealthy
            ? outcome + string.Create(CultureInfo.InvariantCulture, $"reopened; Verify healthy, {verification.RecordsChecked:N0} records, {verification.KeysChecked} keys")
            : throw new InvalidOperationException($"Verify found {verification.Problems.Count} problems, first: {verification.Problems[0]}");
    });

    private void Rotate() => Record("RotateKeys (data and index keys, online)", () =>
    {
        store.EnterOperation();
        try
        {
            var result = store.Current.RotateKeys(new KeyRotationOptions { RotateIndexKey = true });
            return result.FailedRecordIds.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{result.RecordsRewritten:N0} of {result.RecordsScanned:N0} records rewritten, data key v{result.DataKeyVersion}, index key v{result.IndexKeyVersion}")
                : throw new InvalidOperationException($"{result.FailedRecordIds.Count} records failed to rotate");
        }
        finally
        {
            store.ExitOperation();
        }
    });

    private void Compact() => Record("Compact (close, compact, reopen)", () =>
    {
        var outcome = string.Empty;
        store.Exclusive(() => store.CloseAndReopen(() =>
        {
            var before = new FileInfo(store.Path).Length;
            EncryptedTokenStore.Compact(store.Path);
            var after = new FileInfo(store.Path).Length;
            var leftovers = Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(store.Path))!, Path.GetFileName(store.Path) + ".compact*");
            outcome = leftovers.Length == 0
                ? string.Create(CultureInfo.InvariantCulture, $"file {Mib(before)} MiB -> {Mib(after)} MiB, no temporary file left")
                : throw new InvalidOperationException($"compaction left {string.Join(", ", leftovers.Select(Path.GetFileName))}");
        }));
        return outcome;
    });

    private void ChangeMasterKey() => Record("ChangeMasterKey (online)", () =>
    {
        var newKey = MasterKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        store.EnterOperation();
        try
        {
            store.ChangeMasterKey(newKey);
        }
        catch
        {
            newKey.Dispose();
            throw;
        }
        finally
        {
            store.ExitOperation();
        }

        return "new random key in force";
    });

    private void Record(string name, Func<string> step)
    {
        var at = clock.Elapsed;
        SoakEvent soakEvent;
        try
        {
            var outcome = step();
            soakEvent = new SoakEvent(name, at, clock.Elapsed - at, outcome, Failed: false);
        }
#pragma warning disable CA1031 // A failed step is reported as an error of the run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var what = e is TokenStoreException t ? $"{t.Code} {t.Message}" : $"{e.GetType().Name} {e.Message}";
            soakEvent = new SoakEvent(name, at, clock.Elapsed - at, what, Failed: true);
        }

        lock (_events)
        {
            _events.Add(soakEvent);
        }
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
