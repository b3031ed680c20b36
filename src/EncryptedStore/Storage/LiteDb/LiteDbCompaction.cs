using EncryptedStore.Internal;
using LiteDB;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>Rewrites a closed store into a fresh file and puts it in the old one's place.</summary>
internal static class LiteDbCompaction
{
    /// <summary>
    /// Documents copied per transaction of the new file, at least. LiteDB keeps every page a write transaction visits
    /// until it commits, and inserts into the blind indexes (random keys) visit most of the copy's index pages once a
    /// batch is this large: the compaction's memory follows the copy's index (about a third of the file), whatever the
    /// batch. Each commit then writes most of that index again (to the log, and at the checkpoint to the file), so a
    /// large store is copied in larger batches (<see cref="CopyBatchFor"/>): fewer commits, far fewer bytes written.
    /// </summary>
    private const int MinCopyBatch = 5_000;

    /// <summary>The largest batch: its documents' own new pages (about 1.5 KiB each) stay a small part of the memory.</summary>
    private const int MaxCopyBatch = 25_000;

    /// <summary>
    /// Documents read from the store per query. A LiteDB query keeps every page it has read (its snapshot's own pages,
    /// which the engine's cache cannot reuse) until the query ends: one query over a whole collection held 216 MiB at
    /// 200,000 tokens, and would hold up to LiteDB's transaction limit of 100,000 pages (781 MiB). Short queries give
    /// their pages back to the cache after each one.
    /// </summary>
    private const int ReadBatchSize = 500;

    /// <summary>
    /// Copies every collection of the store at <paramref name="fullPath"/> into <c>name.compact</c>, then replaces
    /// the store with it. Needs no master key: it copies ciphertext. A save journal a process left behind stays
    /// where it is for the next open, which checks it with the master key before applying it.
    /// </summary>
    public static void Compact(string fullPath, TimeSpan lockTimeout, IProgress<CompactionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var activity = StoreTracing.Start(StoreTracing.Compact, fullPath);
        try
        {
            var sizeBefore = activity is null ? 0 : FileSize(fullPath);
            var documents = CopyAndReplace(fullPath, lockTimeout, progress, cancellationToken);
            activity?.SetTag(StoreTracing.DocumentsCopied, documents).SetTag(StoreTracing.SizeBefore, sizeBefore).SetTag(StoreTracing.SizeAfter, FileSize(fullPath));
        }
        catch (Exception e)
        {
            StoreTracing.Fail(activity, e);
            throw;
        }
    }

    /// <summary>Called with the store's path after the copy, before the rename, while the source is still held (for tests).</summary>
    internal static Action<string>? BeforeRename { get; set; }

    /// <summary>Called with the store's path right after the rename, before the source is closed (for tests).</summary>
    internal static Action<string>? AfterRename { get; set; }

    /// <summary>The copy and the swap of <see cref="Compact"/>; returns how many documents were copied.</summary>
    private static long CopyAndReplace(string fullPath, TimeSpan lockTimeout, IProgress<CompactionProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(fullPath))
        {
            throw Errors.NotAStore(fullPath, "it does not exist.");
        }

        var temporaryPath = TemporaryPathFor(fullPath);
        var documents = 0L;
        var replaced = false;
        try
        {
            using var source = LiteDbFiles.Open(fullPath, flushToDisk: true, lockTimeout, shared: false);
            if (source.ReadFormat() is null)
            {
                throw Errors.NotAStore(fullPath, "it has no EncryptedStore metadata.");
            }

            // Fold the source's log (commits of a process that was killed, say) into its file first: the rename below
            // puts the copy beside that log, and a kill before this process closes the source would leave it there,
            // for the next open to replay the old file's pages into the new one (found by CompactionKillTests).
            source.Checkpoint();

            // A partial copy a killed compaction left: deleted only now, under the store's lock, so never the copy of a
            // compaction another process is running; and for sure, as the copy must start from an empty file.
            DeleteTemporaryFiles(temporaryPath);

            using (var target = ExclusiveLiteDbStorage.Open(temporaryPath, flushToDisk: true))
            {
                // The indexes first, on empty collections: LiteDB builds an index over documents inserted in the same
                // transaction by walking them, and takes a long walk (3,000 tokens and more) for a loop in the file.
                using (var transaction = target.BeginTransaction())
                {
                    target.CreateSchema();
                    transaction.Commit();
                }

                var total = LiteDbStorage.CollectionNames.Sum(name => source.Database.GetCollection(name).LongCount());
                var batchSize = CopyBatchFor(total);

                // Then the documents, in batches of their own transaction: the copy is not the store until the rename
                // below, so it need not be one transaction.
                foreach (var name in LiteDbStorage.CollectionNames)
                {
                    var from = source.Database.GetCollection(name);
                    var into = target.Database.GetCollection(name);
                    var read = ReadAfter(from, BsonValue.MinValue);
                    while (read.Length > 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        using var transaction = target.BeginTransaction();
                        var copied = 0;
                        do
                        {
                            copied += into.InsertBulk(read);
                            read = read.Length < ReadBatchSize ? [] : ReadAfter(from, read[^1]["_id"]);
                        }
                        while (read.Length > 0 && copied < batchSize);

                        transaction.Commit();
                        documents += copied;
                        progress?.Report(new CompactionProgress(documents, Math.Max(total, documents)));
                    }
                }

                target.Checkpoint();
            }

            // Still holding the source's lock: no process can write to the old file between the copy and the
            // rename (one that waited for it opens the new file, see ExclusiveLiteDbStorage.Open).
            BeforeRename?.Invoke(fullPath);
            File.Move(temporaryPath, fullPath, overwrite: true);
            replaced = true;
            SafeFile.SyncFolder(Path.GetDirectoryName(fullPath)!);
            AfterRename?.Invoke(fullPath);
            return documents;
        }
        catch (Exception e) when (e is not TokenStoreException && LiteDbFailures.IsStorageFailure(e))
        {
            throw LiteDbFailures.Translate(e, "compacting the store", writing: true, fullPath);
        }
        finally
        {
            if (!replaced)
            {
                // After the rename the name may already be another compaction's copy: the store is free then.
                DeleteTemporaryFiles(temporaryPath);
            }
        }
    }

    /// <summary>
    /// At open: deletes the partial copy (<c>name.compact</c> and its log) that a compaction killed before its rename
    /// left beside the store. Call only while holding the store's exclusive lock: a compaction holds it from before its
    /// copy begins until after the rename, so what is found then is nobody's work in progress. Best effort: a copy that
    /// cannot be deleted now is deleted by the next compaction, which never reuses it.
    /// </summary>
    public static void RemoveLeftovers(string fullPath)
    {
        try
        {
            DeleteTemporaryFiles(TemporaryPathFor(fullPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next compaction.
        }
    }

    /// <summary>
    /// Documents per transaction of the copy of a store of <paramref name="documents"/>: a fortieth of it, from
    /// <see cref="MinCopyBatch"/> to <see cref="MaxCopyBatch"/>. At 1,000,000 tokens, 25,000 against 5,000: 191 s
    /// instead of 267 s, 19.5 GB written instead of 77 GB, peak resident set 639 MiB against 621
    /// (benchmarks/results/2026-12-07-compaction.md).
    /// </summary>
    internal static int CopyBatchFor(long documents) => (int)Math.Clamp(documents / 40, MinCopyBatch, MaxCopyBatch);

    private static string TemporaryPathFor(string fullPath) => fullPath + ".compact";

    private static void DeleteTemporaryFiles(string temporaryPath)
    {
        File.Delete(temporaryPath);
        File.Delete(StorePaths.LogPathFor(temporaryPath));
    }

    private static long FileSize(string path) => new FileInfo(path) is { Exists: true } file ? file.Length : 0;

    /// <summary>
    /// The next <see cref="ReadBatchSize"/> documents of <paramref name="collection"/> after <paramref name="lastId"/>,
    /// in id order (LiteDB walks its _id index from there and sorts nothing), by one query that has ended, its pages
    /// given back, when this returns. Each query sees the file as it is then: only for a store no one else writes.
    /// </summary>
    private static BsonDocument[] ReadAfter(ILiteCollection<BsonDocument> collection, BsonValue lastId) =>
        collection.Query().Where(Query.GT("_id", lastId)).OrderBy("_id").Limit(ReadBatchSize).ToArray();
}
