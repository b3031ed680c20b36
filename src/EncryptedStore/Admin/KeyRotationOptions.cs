using System.Globalization;

namespace EncryptedStore;

/// <summary>What <see cref="EncryptedTokenStore.RotateKeys"/> does. Checked when the rotation starts.</summary>
public sealed class KeyRotationOptions
{
    internal const int DefaultBatchSize = 1000;
    internal const int MinBatchSize = 1;
    internal const int MaxBatchSize = 100_000;

    /// <summary>
    /// Also make a new blind-index key and recompute every record's lookup hashes under it.
    /// Default false: only the data key is rotated.
    /// </summary>
    public bool RotateIndexKey { get; set; }

    /// <summary>Records rewritten per transaction, from 1 to 100,000. Default 1,000. Saves wait at most one batch.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    internal void Validate()
    {
        if (BatchSize is < MinBatchSize or > MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(BatchSize),
                BatchSize,
                string.Create(CultureInfo.InvariantCulture, $"{nameof(BatchSize)} must be between {MinBatchSize:N0} and {MaxBatchSize:N0}."));
        }
    }
}
