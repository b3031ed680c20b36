using EncryptedStore.Crypto;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;

namespace EncryptedStore.Tokens;

/// <summary>Statistics and verification: reads of every record that report rather than throw.</summary>
internal sealed class StoreInspector(WritePipeline pipeline, StoreKeys keys, RecordSealer sealer)
{
    private const int ProgressInterval = 1000;

    private ITokenStorage Storage => pipeline.Storage;

    /// <summary>See <see cref="EncryptedTokenStore.GetStatistics"/>.</summary>
    public StoreStatistics GetStatistics()
    {
        using var lease = pipeline.Hold();
        var dataCounts = new Dictionary<int, int>();
        var indexCounts = new Dictionary<int, int>();
        var total = 0;
        using (pipeline.BeginScan())
        {
            foreach (var record in Storage.ReadAllRecords())
            {
                total++;
                if (record.KeyVersions is var (data, index))
                {
                    dataCounts[data] = dataCounts.GetValueOrDefault(data) + 1;
                    indexCounts[index] = indexCounts.GetValueOrDefault(index) + 1;
                }
            }
        }

        var versions = keys.Ring.ListVersions()
            .Select(k => new StoreKeyInfo(
                k.Version,
                k.Purpose,
                k.State,
                k.ProtectionKeyId,
                new DateTimeOffset(DateTime.SpecifyKind(k.Created, DateTimeKind.Utc)),
                (k.Purpose == StoreKeyPurpose.Data ? dataCounts : indexCounts).GetValueOrDefault(k.Version)))
            .ToList();
        return new StoreStatistics(keys.State.Metadata.Format, total, Storage.SizeInBytes, versions, keys.State.Metadata.Rotation is not null);
    }

    /// <summary>See <see cref="EncryptedTokenStore.Verify"/>.</summary>
    public StoreVerification Verify(IProgress<int>? progress)
    {
        using var activity = StoreTracing.Start(StoreTracing.Verify, Storage.Path);
        try
        {
            var verification = VerifyAll(progress);
            activity?.SetTag(StoreTracing.RecordsChecked, verification.RecordsChecked).SetTag(StoreTracing.KeysChecked, verification.KeysChecked)
                .SetTag(StoreTracing.Problems, verification.Problems.Count);
            return verification;
        }
        catch (Exception e)
        {
            StoreTracing.Fail(activity, e);
            throw;
        }
    }

    private StoreVerification VerifyAll(IProgress<int>? progress)
    {
        using var lease = pipeline.Hold();
        var problems = new List<StoreProblem>();
        var keysChecked = 0;
        foreach (var version in keys.Ring.ListVersions().Where(v => v.State is StoreKeyState.Active or StoreKeyState.Retired))
        {
            keysChecked++;
            try
            {
                if (version.Purpose == StoreKeyPurpose.Data)
                {
                    keys.Ring.GetDataKey(version.Version);
                }
                else
                {
                    keys.Ring.GetIndexKey(version.Version);
                }
            }
            catch (TokenStoreException e)
            {
                problems.Add(new StoreProblem(null, e.Code, $"{version.Purpose} key version {version.Version}: {e.Message}"));
            }
        }

        List<StoredRecord> records;
        using (pipeline.BeginScan())
        {
            records = [.. Storage.ReadAllRecords()];
        }

        var checkedRecords = 0;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            ids.Add(record.Id);
            CheckRecord(record, problems);
            if (++checkedRecords % ProgressInterval == 0)
            {
                progress?.Report(checkedRecords);
            }
        }

        foreach (var index in IndexHashes.Unique)
        {
            try
            {
                HashSet<string> listed;
                using (pipeline.BeginScan())
                {
                    listed = Storage.IdsListedBy(index);
                }

                if (!listed.SetEquals(ids))
                {
                    problems.Add(new StoreProblem(null, TokenStoreErrorCodes.Integrity, $"the {BlindIndexNames.Describe(index)} lookup index and the id index list different records ({listed.Count} and {ids.Count})."));
                }
            }
            catch (TokenStoreException e)
            {
                problems.Add(new StoreProblem(null, e.Code, $"the {BlindIndexNames.Describe(index)} lookup index: {e.Message}"));
            }
        }

        progress?.Report(checkedRecords);
        return new StoreVerification(checkedRecords, keysChecked, problems);
    }

    private void CheckRecord(StoredRecord record, List<StoreProblem> problems)
    {
        var id = record.Id.Length > 0 ? record.Id : null;
        try
        {
            var token = sealer.Open(record);
            if (record.KeyVersions is null)
            {
                throw Errors.Integrity($"token record '{id}'");
            }

            foreach (var index in sealer.MismatchedIndexes(record, token))
            {
                problems.Add(new StoreProblem(id, TokenStoreErrorCodes.Integrity, $"the {BlindIndexNames.Describe(index)} lookup index does not match the record."));
            }

            foreach (var index in Storage.UnreachableIndexes(record))
            {
                problems.Add(new StoreProblem(id, TokenStoreErrorCodes.Integrity, $"the {BlindIndexNames.Describe(index)} lookup index does not lead to the record."));
            }
        }
        catch (TokenStoreException e)
        {
            problems.Add(new StoreProblem(id, e.Code, e.Message));
        }
    }
}
