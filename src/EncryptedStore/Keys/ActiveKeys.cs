using EncryptedStore.Crypto;

namespace EncryptedStore.Keys;

/// <summary>
/// The keys in use at one moment, swapped as a whole so a lookup never sees half a rotation: new
/// writes use <see cref="Data"/> and <see cref="Index"/>; while an index rotation runs, lookups also
/// try <see cref="PreviousIndex"/>.
/// </summary>
internal sealed record ActiveKeys(DataKey Data, BlindIndexKey Index, BlindIndexKey? PreviousIndex, DateTime DataKeyCreated)
{
    /// <summary>
    /// The index keys a lookup must try. Mid-rotation the previous one comes first: a record only ever
    /// moves from the previous index to the current one, so a record missed under the previous index
    /// has already moved and the current index finds it. The other order could miss a record that
    /// moves between the two queries.
    /// </summary>
    public IEnumerable<BlindIndexKey> LookupIndexKeys()
    {
        if (PreviousIndex is not null)
        {
            yield return PreviousIndex;
        }

        yield return Index;
    }
}
