namespace EncryptedStore.Benchmarks.Soak;

/// <summary>What a soak run does; see <see cref="SoakRunner"/>.</summary>
internal sealed class SoakOptions
{
    /// <summary>How long the worker threads run. Default 60 seconds.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Worker threads on the one store. Default 4.</summary>
    public int Threads { get; init; } = 4;

    /// <summary>Shared read-only tokens saved before the run (every thread reads them, none writes them). Default 1,000.</summary>
    public int SharedTokens { get; init; } = 1_000;

    /// <summary>User slots each thread owns and alone writes (each holds a token or none). Default 64.</summary>
    public int SlotsPerThread { get; init; } = 64;

    /// <summary>The store file, created when missing; null for a new file in a temporary folder, deleted afterwards.</summary>
    public string? StorePath { get; init; }

    /// <summary>The store's <c>FlushToDisk</c>. Default true, as applications run it.</summary>
    public bool FlushToDisk { get; init; } = true;

    /// <summary>Whether <see cref="SoakMaintenance"/> rotates the keys, compacts and changes the master key during the run, then closes, reopens and verifies. Default true.</summary>
    public bool Maintenance { get; init; } = true;

    /// <summary>A Markdown file the <c>soak</c> command writes the report to when the run ends; null for none.</summary>
    public string? ReportFile { get; init; }

    /// <summary>How often a progress line is written and a memory sample taken while the run lasts; <see cref="TimeSpan.Zero"/> for none. Default 10 seconds.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);
}
