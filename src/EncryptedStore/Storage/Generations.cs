namespace EncryptedStore.Storage;

/// <summary>
/// The change counters of a database store's row: <see cref="Data"/> grows with every committed change,
/// <see cref="State"/> with every change of the metadata, the key list or the key ring. The seam names them
/// (<see cref="ITokenStorage.SynchronizedAt"/>) for a write that applies only while nothing changed since.
/// </summary>
internal readonly record struct Generations(long Data, long State)
{
    /// <summary>Before anything was observed: differs from every generation the server holds.</summary>
    public static readonly Generations None = new(-1, -1);
}
