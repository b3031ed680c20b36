using EncryptedStore.Storage.LiteDb;

namespace EncryptedStore.TestHost;

/// <summary>
/// <c>compact STORE KEYHEX [pause-before-rename|pause-after-rename]</c>: compacts the store, printing "started",
/// "progress N" after each batch, "copied" once the copy is complete (before it replaces the store), "renamed" once it
/// has, and "done". A pause mode stops at that moment (after printing the line) until the test kills the process.
/// </summary>
internal static class CompactMode
{
    public static int Run(string path, string? pause)
    {
        LiteDbCompaction.BeforeRename = _ => Reached("copied", pause == "pause-before-rename");
        LiteDbCompaction.AfterRename = _ => Reached("renamed", pause == "pause-after-rename");
        Console.WriteLine("started");
        EncryptedTokenStore.Compact(path, new SynchronousProgress(p => Console.WriteLine($"progress {p.RecordsCopied}")));
        Console.WriteLine("done");
        return 0;
    }

    private static void Reached(string line, bool pause)
    {
        Console.WriteLine(line);
        if (pause)
        {
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private sealed class SynchronousProgress(Action<CompactionProgress> report) : IProgress<CompactionProgress>
    {
        public void Report(CompactionProgress value) => report(value);
    }
}
