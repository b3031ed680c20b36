using EncryptedStore.Crypto;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>The token records: lookups by id and blind index, scans, upserts and the checks <c>Verify</c> makes.</summary>
internal abstract partial class LiteDbStorage
{
    /// <summary>"field = @0" per blind index: values go in as parameters, so LiteDB compiles each query text once.</summary>
    private static readonly string[] EqualityQueries = [.. IndexHashes.All.Select(i => $"{LiteDbDocuments.FieldName(i)} = @0")];
    private static readonly BsonExpression HolderIdProjection = BsonExpression.Create("{ i: _id }");

    public StoredRecord? FindRecord(string id) => ToRecord(Guarded(() => Records.FindById(id), "reading tokens", writing: false));

    public StoredRecord? FindRecord(BlindIndex index, byte[] hash) =>
        ToRecord(Guarded(() => Records.FindOne(EqualityQueries[(int)index], new BsonValue(hash)), "reading tokens", writing: false));

    public IReadOnlyList<StoredRecord> FindRecords(BlindIndex index, byte[] hash, int limit) =>
        Guarded(() => Records.Find(BsonExpression.Create(EqualityQueries[(int)index], new BsonValue(hash)), 0, limit).ToList(), "reading tokens", writing: false)
            .ConvertAll(LiteDbDocuments.ToRecord);

    public string? FindHolderId(BlindIndex index, byte[] hash) =>
        Guarded(() => Records.Query().Where(EqualityQueries[(int)index], new BsonValue(hash)).Select(HolderIdProjection).FirstOrDefault(), "reading tokens", writing: false)
            is { } found && found["i"].IsString
            ? found["i"].AsString
            : null;

    public BlindIndex? FindConflict(string id, IndexHashes hashes)
    {
        foreach (var index in IndexHashes.Unique)
        {
            if (hashes[index] is { } hash && Guarded(
                () => Records.Exists(BsonExpression.Create($"{LiteDbDocuments.FieldName(index)} = @0 AND _id != @1", new BsonValue(hash), new BsonValue(id))),
                "reading tokens",
                writing: false))
            {
                return index;
            }
        }

        return null;
    }

    public IEnumerable<StoredRecord> ReadAllRecords()
    {
        ReopenIfFailed();
        var began = EngineReopens;
        using var documents = Guarded(() => Records.FindAll().GetEnumerator(), "reading tokens", writing: false);
        while (GuardedRead(documents.MoveNext, "reading tokens", enumerationBegan: began))
        {
            yield return LiteDbDocuments.ToRecord(documents.Current);
        }
    }

    public IReadOnlyList<StoredRecord> ReadRecordsAfter(string? cursor, int limit)
    {
        var after = cursor is null ? BsonValue.MinValue : new BsonValue(cursor);
        return Guarded(() => Records.Find(BsonExpression.Create("_id > @0", after), 0, limit).ToList(), "reading tokens", writing: false)
            .ConvertAll(LiteDbDocuments.ToRecord);
    }

    public int CountRecords() => Guarded(() => Records.Count(), "counting tokens", writing: false);

    public int CountRecordsUnderKey(StoreKeyPurpose purpose, int version) =>
        Guarded(() => Records.Count(BsonExpression.Create($"{LiteDbDocuments.KeyField(purpose)} = @0", version)), "counting tokens", writing: false);

    /// <summary>A file has no counters to condition on: a quick update by id is the save journal's (see <c>JournaledWriter</c>).</summary>
    public Generations? TryReplaceIfUnchanged(StoredRecord record, Generations synchronizedAt) => null;

    public bool TryUpsertRecord(StoredRecord record)
    {
        var document = LiteDbDocuments.ToDocument(record);
        EnterWrite();
        try
        {
            Records.Upsert(document);
            return true;
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            return false;
        }
        catch (Exception e) when (IsFailure(e))
        {
            NoteFailure(e);
            throw LiteDbFailures.Translate(e, "saving tokens", writing: true, Path);
        }
        finally
        {
            ExitWrite();
        }
    }

    public void UpdateRecords(IReadOnlyList<StoredRecord> records)
    {
        var documents = records.Select(LiteDbDocuments.ToDocument).ToList();
        Guarded(() => Records.Update(documents), "rewriting tokens", writing: true);
    }

    public void UpsertRecords(IReadOnlyList<StoredRecord> records)
    {
        var documents = records.Select(LiteDbDocuments.ToDocument).ToList();
        Guarded(() => Records.Upsert(documents), "applying saved tokens", writing: true);
    }

    public bool DeleteRecord(string id) => Guarded(() => Records.Delete(id), "deleting a token", writing: true);

    public int DeleteAllRecords() => Guarded(() => Records.DeleteAll(), "deleting tokens", writing: true);

    public IReadOnlyList<BlindIndex> UnreachableIndexes(StoredRecord record)
    {
        var id = new BsonValue(record.Id);
        var unreachable = new List<BlindIndex>();
        foreach (var index in IndexHashes.All)
        {
            if (ReferenceEquals(record.Hashes[index], IndexHashes.Invalid))
            {
                unreachable.Add(index);
                continue;
            }

            if (LiteDbDocuments.IndexValue(record.Id, record.Hashes, index) is not { } value)
            {
                // Only the user index is left out, for a record without user name.
                continue;
            }

            var found = Guarded(
                () => index == BlindIndex.User
                    ? Records.Find(BsonExpression.Create(EqualityQueries[(int)index], value)).Any(d => d["_id"] == id)
                    : Records.FindOne(EqualityQueries[(int)index], value)?["_id"] == id,
                "verifying tokens",
                writing: false);
            if (!found)
            {
                unreachable.Add(index);
            }
        }

        return unreachable;
    }

    public HashSet<string> IdsListedBy(BlindIndex index) =>
        Guarded(
            () => Records.Find(Query.All(LiteDbDocuments.FieldName(index)))
                .Select(d => d["_id"].IsString ? d["_id"].AsString : string.Empty)
                .ToHashSet(StringComparer.Ordinal),
            "verifying tokens",
            writing: false);

    public byte[] SerializeRecord(StoredRecord record) => BsonSerializer.Serialize(LiteDbDocuments.ToDocument(record));

    public StoredRecord? DeserializeRecord(byte[] bytes)
    {
        BsonDocument document;
        try
        {
            document = BsonSerializer.Deserialize(bytes);
        }
        catch (Exception e) when (LiteDbFailures.IsDamagedData(e) || LiteDbFailures.IsLiteDbFailure(e))
        {
            return null;
        }

        return LiteDbDocuments.ToRecord(document);
    }

    private static StoredRecord? ToRecord(BsonDocument? document) => document is null ? null : LiteDbDocuments.ToRecord(document);
}
