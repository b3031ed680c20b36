using EncryptedStore.Crypto;

namespace EncryptedStore.Keys;

/// <summary>
/// The keys in use at one moment, swapped as a whole so a lookup never sees half a rotation: new
/// writes use <see cref="Data"/> and <see cref="Index"/>; while an index rotation runs, lookups also
/// try <see cref="PreviousIndex"/>.
/// </summary>
internal sealed record ActiveKeys(DataKey Data, BlindIndexKey Index, BlindIndexKey? PreviousIndex, DateTime DataKeyCreated)
{
    /// <summary>The index keys a lookup must try, newest first.</summary>
    public IEnumerable<BlindIndexKey> LookupIndexKeys()
    {
        yield return Index;
        if (PreviousIndex is not null)
        {
            yield return PreviousIndex;
        }
    }
}
