using System.Globalization;
using System.Security.Cryptography;
using EncryptedStore.Caching;
using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tokens;

/// <summary>
/// The contract's writes: upserts by the merge rule, deletes and the purge of expired tokens. An update
/// by id, and an insert, that need no duplicate check the storage must make go through the save journal; on a database
/// server, an update by id is one conditional statement (after one read when the token is not cached);
/// everything else is one transaction of the write pipeline.
/// </summary>
internal sealed class TokenWriter(
    WritePipeline pipeline, StoreKeys keys, RecordSealer sealer, TokenMatcher matcher, TokenCache? cache, JournaledWriter? journal, KeyRotation rotation, ILogger logger)
{
    private ITokenStorage Storage => pipeline.Storage;

    /// <summary>Saves one validated token; fills its id and null properties from the stored record.</summary>
    public void Save(OAuthToken incoming)
    {
        var started = StoreMetrics.Start(StoreMetrics.SaveDuration);
        JournalTicket? unsynced = null;
        var quickOperation = incoming.Id is null ? SaveOperation.Insert : SaveOperation.Update;
        var quick = pipeline.Serialized(() =>
        {
            if ((TryUpdateById(incoming, ref unsynced) ?? TryInsertByJournal(incoming, ref unsynced)) is { } saved)
            {
                TokenFields.FillNulls(incoming, saved);
                incoming.Id = saved.Id;
                return quickOperation;
            }

            var (id, merged, inserted) = Write([incoming])[0];
            TokenFields.FillNulls(incoming, merged);
            incoming.Id = id;
            Log.TokenSaved(logger, id, inserted ? "inserted" : "updated");
            StoreMetrics.Saved(started, SavePath.Transactional, inserted ? SaveOperation.Insert : SaveOperation.Update, 1);
            return (SaveOperation?)null;
        },
        checkFirst: !Storage.ObservesWithReads);
        if (quick is { } operation)
        {
            // Outside the write lock: the saves written meanwhile share this fdatasync (group commit).
            if (unsynced is { } ticket)
            {
                journal!.WaitDurable(ticket);
            }

            Log.TokenSaved(logger, incoming.Id!, operation == SaveOperation.Insert ? "inserted" : "updated");
            StoreMetrics.Saved(started, journal is null ? SavePath.Transactional : SavePath.Journal, operation, 1);
        }
    }

    /// <summary>Saves validated tokens in one transaction: all of them, or none.</summary>
    public void SaveAll(IReadOnlyList<OAuthToken> incoming)
    {
        var started = StoreMetrics.Start(StoreMetrics.SaveDuration);
        var inserted = pipeline.Serialized(() =>
        {
            var written = Write(incoming);
            for (var i = 0; i < incoming.Count; i++)
            {
                TokenFields.FillNulls(incoming[i], written[i].Merged);
                incoming[i].Id = written[i].Id;
            }

            return written.Count(w => w.Inserted);
        });
        StoreMetrics.Counted(SavePath.Transactional, SaveOperation.Insert, inserted);
        StoreMetrics.Saved(started, SavePath.Transactional, SaveOperation.Update, incoming.Count - inserted);
    }

    public void Delete(string id)
    {
        var started = StoreMetrics.Start(StoreMetrics.SaveDuration);
        var deleted = pipeline.Write("deleting a token", scope =>
        {
            scope.Touch(id);
            return Storage.DeleteRecord(id);
        },
        deferCheckpoint: true);
        if (deleted)
        {
            Log.TokenDeleted(logger, id);
        }

        StoreMetrics.Saved(started, SavePath.Transactional, SaveOperation.Delete, deleted ? 1 : 0);
    }

    public void DeleteAll()
    {
        var started = StoreMetrics.Start(StoreMetrics.SaveDuration);
        var count = pipeline.Write("deleting tokens", scope =>
        {
            scope.TouchAll();
            return Storage.DeleteAllRecords();
        });
        Log.AllTokensDeleted(logger, count);
        StoreMetrics.Saved(started, SavePath.Transactional, SaveOperation.Delete, count);
    }

    /// <summary>See <see cref="EncryptedTokenStore.PurgeExpired"/>; <paramref name="cutoff"/> is in Unix epoch milliseconds.</summary>
    public int PurgeExpired(long cutoff, TimeSpan olderThan)
    {
        var started = StoreMetrics.Start(StoreMetrics.SaveDuration);
        var purged = pipeline.Write("purging expired tokens", scope =>
        {
            List<StoredRecord> records;
            using (pipeline.BeginScan())
            {
                records = [.. Storage.ReadAllRecords()];
            }

            var expired = records.Select(sealer.Open).Where(token => IsPurgeable(token, cutoff)).Select(token => token.Id!).ToList();
            foreach (var id in expired)
            {
                scope.Touch(id);
                Storage.DeleteRecord(id);
            }

            return expired;
        });
        foreach (var id in purged)
        {
            Log.TokenDeleted(logger, id);
        }

        Log.ExpiredTokensPurged(logger, purged.Count, olderThan);
        StoreMetrics.Saved(started, SavePath.Transactional, SaveOperation.Delete, purged.Count);
        return purged.Count;
    }

    /// <summary>True when the token expired before <paramref name="cutoff"/> (Unix epoch milliseconds) and has no refresh token.</summary>
    private static bool IsPurgeable(OAuthToken token, long cutoff) =>
        string.IsNullOrEmpty(token.RefreshToken)
        && long.TryParse(token.ExpiresIn, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var expires)
        && expires < cutoff;

    private static OAuthToken Merge(OAuthToken incoming, OAuthToken? stored, string id)
    {
        var merged = new OAuthToken();
        TokenFields.FillNulls(merged, incoming);
        if (stored is not null)
        {
            TokenFields.FillNulls(merged, stored);
        }

        merged.Id = id;
        return merged;
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether the save changes what <paramref name="index"/> holds for the record (its key being the same).</summary>
    private static bool ChangesLookupValue(BlindIndex index, OAuthToken stored, OAuthToken merged) => index switch
    {
        BlindIndex.UserClient => !string.Equals(stored.UserSignature?.Name, merged.UserSignature?.Name, StringComparison.Ordinal)
            || !string.Equals(TokenFields.NullIfEmpty(stored.ClientId), TokenFields.NullIfEmpty(merged.ClientId), StringComparison.Ordinal),
        BlindIndex.AccessToken => !string.Equals(TokenFields.NullIfEmpty(stored.AccessToken), TokenFields.NullIfEmpty(merged.AccessToken), StringComparison.Ordinal),
        BlindIndex.RefreshToken => !string.Equals(TokenFields.NullIfEmpty(stored.RefreshToken), TokenFields.NullIfEmpty(merged.RefreshToken), StringComparison.Ordinal),
        BlindIndex.GrantToken => !string.Equals(TokenFields.NullIfEmpty(stored.GrantToken), TokenFields.NullIfEmpty(merged.GrantToken), StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>
    /// Under the write lock: an update by id without the ordinary transaction, outside a rotation and when no scheduled
    /// rotation is due, merged with the stored state (<see cref="StoredForUpdate"/>) and committed by the save journal
    /// (a file: only when every lookup value it changes is free) or by one conditional statement (a database server: only
    /// while the storage is still at what that state belongs to). Returns the merged token, or null for the ordinary path;
    /// a journaled save sets <paramref name="unsynced"/>, which the caller waits for outside the write lock.
    /// </summary>
    private OAuthToken? TryUpdateById(OAuthToken incoming, ref JournalTicket? unsynced)
    {
        if (incoming.Id is not { } id || (journal is null && !Storage.ObservesWithReads))
        {
            return null;
        }

        // First the counters, then what is read against them: a catch-up in between makes the commit's condition fail.
        var synchronizedAt = Storage.SynchronizedAt;
        var state = keys.State;
        if (RotationAhead(state) || StoredForUpdate(id, state) is not { } stored)
        {
            return null;
        }

        var merged = Merge(incoming, stored, id);
        var sealedRecord = RecordSealer.Seal(id, merged, state.Keys.Data, state.Keys.Index);
        if (journal is null)
        {
            return pipeline.TryReplace(sealedRecord, synchronizedAt, new CachedToken(merged)) ? merged : null;
        }

        unsynced = journal.TrySave(sealedRecord, new CachedToken(merged), IndexHashes.Unique.Where(index => ChangesLookupValue(index, stored, merged)).ToList());
        return unsynced is null ? null : merged;
    }

    /// <summary>
    /// Under the write lock: a token without id inserted through the save journal, outside a rotation and when no
    /// scheduled rotation is due, when every unique lookup value its record holds is free. The contract's merge rule
    /// finds a stored token only by one of those values (<see cref="TokenMatcher.MatchesByUniqueValue"/>), so then it
    /// finds none, and the ordinary path would insert the same token (with another random id). Null for the ordinary
    /// path: a value is taken (a match to merge with, or a duplicate to refuse exactly as it does), the journal's
    /// region is full, or the applier failed.
    /// </summary>
    private OAuthToken? TryInsertByJournal(OAuthToken incoming, ref JournalTicket? unsynced)
    {
        if (journal is null || incoming.Id is not null || !TokenMatcher.MatchesByUniqueValue(incoming))
        {
            return null;
        }

        var state = keys.State;
        if (RotationAhead(state))
        {
            return null;
        }

        var id = NewId();
        var merged = Merge(incoming, null, id);
        unsynced = journal.TrySave(RecordSealer.Seal(id, merged, state.Keys.Data, state.Keys.Index), new CachedToken(merged), IndexHashes.Unique);
        return unsynced is null ? null : merged;
    }

    /// <summary>Whether a rotation runs or a scheduled one is due: a save then takes the ordinary path, which rotates on schedule.</summary>
    private bool RotationAhead(StoreState state) => state.IsRotating || rotation.IsDue(state);

    /// <summary>
    /// The stored state an update by id merges with: a pending journaled save, the cached token, or the record (on a
    /// database server read with the counters). Null for an insert, a record under another index key, or when another
    /// instance wrote since: the ordinary path's checks are needed then.
    /// </summary>
    private OAuthToken? StoredForUpdate(string id, StoreState state)
    {
        if (journal?.FindPending(id) is { } pending)
        {
            return pending.ToToken();
        }

        if (cache?.Get(id) is { } cached)
        {
            return cached.ToToken();
        }

        return Storage.FindRecord(id) is { } record && !pipeline.CaughtUp() && record.IndexKeyVersion == state.Keys.Index.Version
            ? sealer.Open(record)
            : null;
    }

    private List<(string Id, OAuthToken Merged, bool Inserted)> Write(IReadOnlyList<OAuthToken> tokens)
    {
        try
        {
            rotation.RotateOnSchedule();
            return pipeline.Write("saving tokens", scope => tokens.Select(token => WriteOne(token, scope)).ToList(), deferCheckpoint: true);
        }
        catch (TokenStoreException e)
        {
            Log.SaveRefused(logger, e.Code);
            throw;
        }
    }

    /// <summary>Upserts one token inside the write's transaction.</summary>
    private (string Id, OAuthToken Merged, bool Inserted) WriteOne(OAuthToken incoming, WriteScope scope)
    {
        OAuthToken? stored = null;
        if (incoming.Id is { } givenId && Storage.FindRecord(givenId) is { } byId)
        {
            stored = sealer.Open(byId);
        }

        stored ??= matcher.Match(incoming, useCache: false)?.ToToken();
        var id = stored?.Id ?? incoming.Id ?? NewId();
        var merged = Merge(incoming, stored, id);
        var active = keys.State.Keys;
        var record = RecordSealer.Seal(id, merged, active.Data, active.Index);
        if (!Storage.TryUpsertRecord(record))
        {
            throw Errors.Duplicate(Storage.FindConflict(id, record.Hashes) is { } taken ? BlindIndexNames.Describe(taken) : "lookup value");
        }

        scope.Touch(id);
        journal?.Note(record);
        if (active.PreviousIndex is { } previous
            && Storage.FindConflict(id, RecordSealer.ComputeHashes(id, merged, previous)) is { } conflict)
        {
            // Mid-rotation, records not yet rewritten carry the previous index's hashes.
            throw Errors.Duplicate(BlindIndexNames.Describe(conflict));
        }

        return (id, merged, stored is null);
    }
}
