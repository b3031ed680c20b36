using EncryptedStore.Storage;

namespace EncryptedStore.Keys;

/// <summary>
/// The store's state at one moment: its metadata and the keys it names, unwrapped. Immutable and swapped
/// as a whole (<see cref="StoreKeys.Publish"/>) after the transaction that changed it commits, or when
/// another process changed it, so a call never sees half a change.
/// </summary>
internal sealed record StoreState(StoreMetadata Metadata, ActiveKeys Keys)
{
    /// <summary>True while a rotation rewrites records (see <see cref="StoreMetadata.Rotation"/>).</summary>
    public bool IsRotating => Metadata.Rotation is not null;
}
