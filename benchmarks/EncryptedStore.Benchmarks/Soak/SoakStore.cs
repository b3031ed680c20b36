namespace EncryptedStore.Benchmarks.Soak;

/// <summary>
/// The soak's one store, which maintenance may close and reopen (compaction) or re-key (master-key change)
/// while the worker threads run: each operation holds the read side of a lock, a close-and-reopen the write
/// side, so no operation ever meets a disposed store. Keeps every master key it was given until disposed.
/// </summary>
internal sealed class SoakStore : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly List<MasterKey> _keys = [];
    private readonly bool _flushToDisk;

    public SoakStore(string path, MasterKey masterKey, bool flushToDisk)
    {
        Path = path;
        _flushToDisk = flushToDisk;
        _keys.Add(masterKey);
        Current = Open(masterKey);
    }

    public string Path { get; }

    /// <summary>The open store; use it only between <see cref="EnterOperation"/> and <see cref="ExitOperation"/> (or inside <see cref="Exclusive"/>).</summary>
    public EncryptedTokenStore Current { get; private set; }

    /// <summary>The master key in force.</summary>
    public MasterKey MasterKey => _keys[^1];

    /// <summary>The master keys replaced by <see cref="ChangeMasterKey"/>, oldest first.</summary>
    public IReadOnlyList<MasterKey> FormerMasterKeys => _keys[..^1];

    public void EnterOperation() => _lock.EnterReadLock();

    public void ExitOperation() => _lock.ExitReadLock();

    /// <summary>Runs <paramref name="work"/> with no operation in flight; <see cref="Current"/> is open before and after.</summary>
    public void Exclusive(Action work)
    {
        _lock.EnterWriteLock();
        try
        {
            work();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Inside <see cref="Exclusive"/>: closes the store, runs <paramref name="whileClosed"/>, reopens it with the key in force.</summary>
    public void CloseAndReopen(Action whileClosed)
    {
        Current.Dispose();
        try
        {
            whileClosed();
        }
        finally
        {
            Current = Open(MasterKey);
        }
    }

    /// <summary>Changes the store's master key online (operations go on); the new key is used for every later open.</summary>
    public void ChangeMasterKey(MasterKey newMasterKey)
    {
        Current.ChangeMasterKey(newMasterKey);
        _keys.Add(newMasterKey);
    }

    public EncryptedTokenStore Open(MasterKey masterKey) => new(new EncryptedTokenStoreOptions
    {
        FilePath = Path,
        MasterKey = masterKey,
        FlushToDisk = _flushToDisk,
    });

    public void Dispose()
    {
        Current.Dispose();
        _keys.ForEach(k => k.Dispose());
        _lock.Dispose();
    }
}
