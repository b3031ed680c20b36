using EncryptedStore.Crypto;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using LiteDB;

namespace EncryptedStore;

public sealed partial class EncryptedTokenStore
{
    /// <summary>Counts tokens, per key version too, and reports the file size and format. Reads every record's key versions (no decryption).</summary>
    public StoreStatistics GetStatistics()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var lease = Hold();
        var dataCounts = new Dictionary<int, int>();
        var indexCounts = new Dictionary<int, int>();
        var total = 0;
        foreach (var document in Scan(() => _records.FindAll().ToList()))
        {
            total++;
            if (TokenRecords.KeyVersions(document) is var (data, index))
            {
                dataCounts[data] = dataCounts.GetValueOrDefault(data) + 1;
                indexCounts[index] = indexCounts.GetValueOrDefault(index) + 1;
            }
        }

        var keys = Read(_keyRing.ListVersions)
            .Select(k => new StoreKeyInfo(
                k.Version,
                k.Purpose,
                k.State,
                k.ProtectionKeyId,
                new DateTimeOffset(DateTime.SpecifyKind(k.Created, DateTimeKind.Utc)),
                (k.Purpose == StoreKeyPurpose.Data ? dataCounts : indexCounts).GetValueOrDefault(k.Version)))
            .ToList();
        return new StoreStatistics(_metadata.Format, total, _file.SizeInBytes, keys);
    }

    /// <summary>
    /// Decrypts every record, recomputes its blind indexes and checks that each lookup index leads back
    /// to it, checks that every lookup index lists the same records as the id index (a damaged index can
    /// hide a record from listings without an error), and unwraps every live key version; reports what
    /// fails instead of throwing. Runs alongside other calls; takes time proportional to the store.
    /// </summary>
    /// <param name="progress">Receives the number of records checked so far, every 1,000 records and at the end.</param>
    public StoreVerification Verify(IProgress<int>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var lease = Hold();
        var problems = new List<StoreProblem>();
        var keysChecked = 0;
        foreach (var version in Read(_keyRing.ListVersions).Where(v => v.State is StoreKeyState.Active or StoreKeyState.Retired))
        {
            keysChecked++;
            try
            {
                if (version.Purpose == StoreKeyPurpose.Data)
                {
                    Read(() => _keyRing.GetDataKey(version.Version));
                }
                else
                {
                    Read(() => _keyRing.GetIndexKey(version.Version));
                }
            }
            catch (TokenStoreException e)
            {
                problems.Add(new StoreProblem(null, e.Code, $"{version.Purpose} key version {version.Version}: {e.Message}"));
            }
        }

        var checkedRecords = 0;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var document in Scan(() => _records.FindAll().ToList()))
        {
            var id = document["_id"].IsString ? document["_id"].AsString : null;
            ids.Add(id ?? string.Empty);
            try
            {
                var token = Read(() => _records.Decrypt(document));
                var (_, indexVersion) = TokenRecords.KeyVersions(document) ?? throw Errors.Integrity($"token record '{id}'");
                foreach (var index in TokenRecords.MismatchedIndexes(document, token, Read(() => _keyRing.GetIndexKey(indexVersion))))
                {
                    problems.Add(new StoreProblem(id, TokenStoreErrorCodes.Integrity, $"the {TokenRecords.FieldName(index)} lookup index does not match the record."));
                }

                foreach (var index in Read(() => _records.UnreachableIndexes(document)))
                {
                    problems.Add(new StoreProblem(id, TokenStoreErrorCodes.Integrity, $"the {TokenRecords.FieldName(index)} lookup index does not lead to the record."));
                }
            }
            catch (TokenStoreException e)
            {
                problems.Add(new StoreProblem(id, e.Code, e.Message));
            }

            if (++checkedRecords % 1000 == 0)
            {
                progress?.Report(checkedRecords);
            }
        }

        foreach (var index in new[] { BlindIndex.UserClient, BlindIndex.AccessToken, BlindIndex.RefreshToken, BlindIndex.GrantToken })
        {
            try
            {
                var listed = Scan(() => _records.IdsListedBy(index));
                if (!listed.SetEquals(ids))
                {
                    problems.Add(new StoreProblem(null, TokenStoreErrorCodes.Integrity, $"the {TokenRecords.FieldName(index)} lookup index and the id index list different records ({listed.Count} and {ids.Count})."));
                }
            }
            catch (TokenStoreException e)
            {
                problems.Add(new StoreProblem(null, e.Code, $"the {TokenRecords.FieldName(index)} lookup index: {e.Message}"));
            }
        }

        progress?.Report(checkedRecords);
        return new StoreVerification(checkedRecords, keysChecked, problems);
    }
}
