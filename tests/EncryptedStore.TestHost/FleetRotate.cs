using System.Diagnostics;

namespace EncryptedStore.TestHost;

/// <summary>
/// <c>fleet-rotate STORE KEYHEX BATCH</c>: opens the database store, prints "opened rotating=True|False" (a rotation in progress or not), rotates the data and index keys in
/// batches of BATCH records and prints "progress SCANNED REWRITTEN TIMESTAMP" after each batch (the timestamp on the
/// machine-wide monotonic clock, so the test can tell whether two processes rewrote records at the same time), then
/// "done RESUMED REWRITTEN" (or "failed CODE: MESSAGE").
/// </summary>
internal static class FleetRotate
{
    public static int Run(string spec, byte[] key, int batchSize)
    {
        using var store = FleetStore.Open(spec, key, TimeSpan.FromSeconds(120));
        Console.WriteLine($"opened rotating={store.GetStatistics().RotationInProgress}");
        try
        {
            var result = store.RotateKeys(
                new KeyRotationOptions { RotateIndexKey = true, BatchSize = batchSize },
                new Progress(p => Console.WriteLine($"progress {p.RecordsScanned} {p.RecordsRewritten} {Stopwatch.GetTimestamp()}")));
            Console.WriteLine($"done {result.Resumed} {result.RecordsRewritten}");
            return 0;
        }
        catch (TokenStoreException e)
        {
            // The test shows this line when the rotation fails (the message names no secret).
            Console.WriteLine($"failed {e.Code}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Reports on the calling thread, so a line is printed before the next batch starts.</summary>
    private sealed class Progress(Action<KeyRotationProgress> report) : IProgress<KeyRotationProgress>
    {
        public void Report(KeyRotationProgress value) => report(value);
    }
}
