namespace EncryptedStore.Benchmarks.Soak;

/// <summary>A sample taken while a soak runs: operations and errors so far, the process's working set, and the managed heap after a full collection.</summary>
internal sealed record SoakMemorySample(TimeSpan At, long Operations, long Errors, long WorkingSet, long ManagedHeap);
