namespace EncryptedStore.Keys;

/// <summary>
/// The master key a new store, or a master-key change, is about to use. <see cref="Commit"/> after the store committed
/// makes the file beside the store match the key now in force (the new wrapped key only, or no file); disposing
/// without it undoes what <see cref="MasterKey"/> prepared (a wrapped key added beside the store).
/// </summary>
internal sealed class PendingMasterKey(MasterKey key, bool ownsKey, Action commit, Action abandon) : IDisposable
{
    private bool _done;

    public MasterKey Key { get; } = key;

    public void Commit()
    {
        _done = true;
        commit();
    }

    public void Dispose()
    {
        if (!_done)
        {
            _done = true;
            try
            {
                abandon();
            }
            catch (TokenStoreException)
            {
                // Best effort: a wrapped key left beside the store unwraps to a key that opens nothing.
            }
        }

        if (ownsKey)
        {
            Key.Dispose();
        }
    }
}
