using System.Globalization;
using EncryptedStore.Internal;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    /// <summary>
    /// Deletes, in one transaction, every token whose access token expired more than
    /// <paramref name="olderThan"/> ago and that has no refresh token (null or empty) to renew it: a
    /// refresh token keeps a token alive however long ago its access token expired. The expiry is
    /// <see cref="OAuthToken.ExpiresIn"/> read as absolute Unix epoch milliseconds in decimal (the SDK's
    /// meaning); a token whose <c>ExpiresIn</c> is missing or not such a number is kept. "Now" comes from
    /// <see cref="EncryptedTokenStoreOptions.TimeProvider"/>.
    /// </summary>
    /// <param name="olderThan">How long after its expiry a token is kept; <see cref="TimeSpan.Zero"/> deletes every expired one.</param>
    /// <returns>How many tokens were deleted.</returns>
    /// <remarks>
    /// Thread-safe: serialised with saves and deletes, while lookups go on. Decrypts every record to
    /// read its expiry, so it takes time proportional to the store.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="olderThan"/> is negative.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INTEGRITY</c> when a record was tampered with, or <c>KEY_UNAVAILABLE</c> when one is under a
    /// revoked key: its expiry cannot be read, and nothing is deleted.
    /// </exception>
    public int PurgeExpired(TimeSpan olderThan)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(olderThan, TimeSpan.Zero);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var lease = Hold();

            // In milliseconds, where now minus any TimeSpan stays far inside a long (a DateTimeOffset would not).
            var cutoff = checked(_time.GetUtcNow().ToUnixTimeMilliseconds() - (olderThan.Ticks / TimeSpan.TicksPerMillisecond));
            List<string> purged = [];
            _cache?.BeginWrite();
            try
            {
                purged = InTransaction(() =>
                {
                    var expired = Scan(() => _records.FindAll().ToList())
                        .Select(Decrypt)
                        .Where(token => IsPurgeable(token, cutoff))
                        .Select(token => token.Id!)
                        .ToList();
                    foreach (var id in expired)
                    {
                        Mutate(() => _records.Delete(id), "purging expired tokens");
                    }

                    return expired;
                });
            }
            finally
            {
                _cache?.EndWrite(purged);
            }

            foreach (var id in purged)
            {
                Log.TokenDeleted(_logger, id);
            }

            Log.ExpiredTokensPurged(_logger, purged.Count, olderThan);
            return purged.Count;
        }
    }

    /// <summary>True when the token expired before <paramref name="cutoff"/> (Unix epoch milliseconds) and has no refresh token.</summary>
    private static bool IsPurgeable(OAuthToken token, long cutoff) =>
        string.IsNullOrEmpty(token.RefreshToken)
        && long.TryParse(token.ExpiresIn, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var expires)
        && expires < cutoff;
}
