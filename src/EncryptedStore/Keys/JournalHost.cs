using System.Globalization;
using System.Security.Cryptography;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// The save journal's ties to the keys: its epoch and watermark in the authenticated metadata, its MAC key
/// (derived from the master key), and the replay at open, which applies only entries that were written with
/// the master key, in this journal, after the last applied one, and whose records decrypt and index correctly.
/// </summary>
/// <remarks>Its metadata changes are transactions of their own: the journal's work stands outside the write pipeline (see ARCHITECTURE.md).</remarks>
internal sealed class JournalHost(ITokenStorage storage, StoreKeys keys, TimeProvider time, ILogger logger) : IJournalHost
{
    private const string MacPurpose = "journal";

    public (byte[] Epoch, byte[] MacKey) BeginEpoch()
    {
        var epoch = RandomNumberGenerator.GetBytes(StoreMetadata.JournalEpochLength);
        Commit(keys.State.Metadata with { JournalEpoch = epoch, JournalApplied = 0 }, records: null);
        return (epoch, keys.KeyEncryptionKey.DeriveSubkey(MacPurpose));
    }

    public void ApplyBatch(IReadOnlyList<StoredRecord> records, IReadOnlyList<string> replaced, long lastSequence) =>
        Commit(keys.State.Metadata with { JournalApplied = lastSequence }, records, replaced);

    /// <summary>
    /// At open, with the keys checked: applies what a process that died left in the journal, then deletes it. A
    /// journal that is not this store's current one, or holds an entry that does not check out, is renamed aside
    /// (quarantined) and nothing of it is applied. Returns how many entries were applied.
    /// </summary>
    public int Replay(RecordSealer sealer)
    {
        var path = StorePaths.JournalPathFor(storage.Path);
        var metadata = keys.State.Metadata;
        var macKey = keys.KeyEncryptionKey.DeriveSubkey(MacPurpose);
        JournalContents contents;
        try
        {
            contents = SaveJournal.Read(path, metadata.StoreId, metadata.JournalEpoch, macKey);
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.UnsafeFile)
        {
            Quarantine(path, e.Message);
            return 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(macKey);
        }

        if (!contents.Exists)
        {
            return 0;
        }

        if (!contents.Belongs)
        {
            Quarantine(path, "it is not this store's current journal");
            return 0;
        }

        var fresh = contents.Entries.Where(e => e.Sequence > metadata.JournalApplied).ToList();
        var records = new List<StoredRecord>(fresh.Count);
        foreach (var entry in fresh)
        {
            if (Checked(storage.DeserializeRecord(entry.Record), sealer) is not { } record)
            {
                Quarantine(path, $"entry {entry.Sequence} does not decrypt or index as its record should");
                return 0;
            }

            records.Add(record);
        }

        if (records.Count > 0)
        {
            Commit(metadata with { JournalApplied = fresh[^1].Sequence }, records);
        }

        File.Delete(path);
        return records.Count;
    }

    /// <summary>The record when it decrypts and its blind indexes are the ones its token gives; null otherwise.</summary>
    private static StoredRecord? Checked(StoredRecord? record, RecordSealer sealer)
    {
        try
        {
            return record is not null && sealer.MismatchedIndexes(record, sealer.Open(record)).Count == 0 ? record : null;
        }
        catch (TokenStoreException)
        {
            return null;
        }
    }

    private void Commit(StoreMetadata metadata, IReadOnlyList<StoredRecord>? records, IReadOnlyList<string>? replaced = null)
    {
        StoreMetadata written;
        using (var transaction = storage.BeginTransaction())
        {
            foreach (var id in replaced ?? [])
            {
                storage.DeleteRecord(id);
            }

            if (records is not null)
            {
                storage.UpsertRecords(records);
            }

            written = keys.Write(metadata);
            transaction.Commit();
        }

        keys.Publish(written);
    }

    private void Quarantine(string path, string reason)
    {
        var aside = $"{path}.quarantined-{time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        File.Move(path, aside, overwrite: true);
        Log.JournalQuarantined(logger, path, aside, reason);
    }
}
