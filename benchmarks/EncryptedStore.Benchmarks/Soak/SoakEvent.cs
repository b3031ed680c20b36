namespace EncryptedStore.Benchmarks.Soak;

/// <summary>One maintenance step of a soak run: what, when it began (from the start of the run), how long it took, and what it found.</summary>
internal sealed record SoakEvent(string Name, TimeSpan At, TimeSpan Took, string Outcome, bool Failed);
