namespace EncryptedStore;

/// <summary>The outcome of <see cref="EncryptedTokenStore.Verify"/>.</summary>
public sealed class StoreVerification
{
    internal StoreVerification(int recordsChecked, int keysChecked, IReadOnlyList<StoreProblem> problems)
    {
        RecordsChecked = recordsChecked;
        KeysChecked = keysChecked;
        Problems = problems;
    }

    /// <summary>How many token records were decrypted and checked.</summary>
    public int RecordsChecked { get; }

    /// <summary>How many key versions were unwrapped and checked.</summary>
    public int KeysChecked { get; }

    /// <summary>Every problem found; empty when the store is healthy.</summary>
    public IReadOnlyList<StoreProblem> Problems { get; }

    /// <summary>True when nothing is wrong.</summary>
    public bool IsHealthy => Problems.Count == 0;
}
