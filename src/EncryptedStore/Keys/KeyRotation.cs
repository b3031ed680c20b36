using System.Diagnostics;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Storage;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Keys;

/// <summary>
/// Key rotation: on demand (<see cref="Rotate"/>), on schedule (<see cref="RotateOnSchedule"/>), and the
/// resumption of a rotation a process left unfinished, in the background after opening
/// (<see cref="ResumeInBackground"/>). Records are rewritten in id order, one transaction per batch, with
/// the cursor in the metadata, so lookups and saves go on between batches and a killed rotation resumes.
/// </summary>
internal sealed class KeyRotation(WritePipeline pipeline, StoreKeys keys, RecordSealer sealer, JournaledWriter? journal, TimeProvider time, TimeSpan keyLifetime, ILogger logger) : IDisposable
{
    /// <summary>The name of the lease that lets one instance of a database store rotate at a time.</summary>
    internal const string LeaseName = "rotation";

    /// <summary>How long a rotating instance holds the lease without renewing it (it renews at every batch).</summary>
    internal static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);

    /// <summary>How often an instance waiting for another's rotation looks again.</summary>
    private static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stopBackground = new();
    private readonly string _leaseHolder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private Task? _background;

    /// <summary>True when the active data key has outlived the key lifetime and no rotation runs: the next save makes a new one.</summary>
    public bool IsDue(StoreState state) =>
        !state.IsRotating && time.GetUtcNow().UtcDateTime - state.Keys.DataKeyCreated >= keyLifetime;

    /// <summary>See <see cref="EncryptedTokenStore.RotateKeys"/>.</summary>
    public KeyRotationResult Rotate(KeyRotationOptions options, IProgress<KeyRotationProgress>? progress, CancellationToken cancellationToken)
    {
        WaitForBackground();
        using var activity = StoreTracing.Start(StoreTracing.Rotate, pipeline.Storage.Path);
        try
        {
            var resumed = pipeline.Serialized(() => !Start(options.RotateIndexKey));
            activity?.SetTag(StoreTracing.RotationResumed, resumed).SetTag(StoreTracing.RotationIndexKey, options.RotateIndexKey).SetTag(StoreTracing.BatchSize, options.BatchSize);
            var (scanned, rewritten, failed) = Run(options.BatchSize, progress, activity, cancellationToken);
            var active = keys.State.Keys;
            return new KeyRotationResult(resumed, active.Data.Version, active.Index.Version, scanned, rewritten, failed);
        }
        catch (Exception e)
        {
            StoreTracing.Fail(activity, e);
            throw;
        }
    }

    /// <summary>Under the write lock, before a save: makes a new data key when the current one has outlived the key lifetime.</summary>
    public void RotateOnSchedule()
    {
        if (!IsDue(keys.State))
        {
            return;
        }

        var metadata = pipeline.Write("rotating keys", _ =>
        {
            var (dataVersion, _) = keys.Ring.CreateVersions(data: true, index: false);
            return keys.Write(keys.State.Metadata with { DataKeyVersion = dataVersion!.Value });
        });
        keys.Publish(metadata);
        Log.DataKeyRotatedOnSchedule(logger, metadata.DataKeyVersion);
    }

    /// <summary>After opening a store whose rotation was interrupted: finishes it on a background thread.</summary>
    public void ResumeInBackground()
    {
        Log.RotationResumed(logger, pipeline.Storage.Path);
        _background = Task.Run(() =>
        {
            using var activity = StoreTracing.Start(StoreTracing.Rotate, pipeline.Storage.Path);
            activity?.SetTag(StoreTracing.RotationResumed, true).SetTag(StoreTracing.RotationInBackground, true).SetTag(StoreTracing.BatchSize, KeyRotationOptions.DefaultBatchSize);
            try
            {
                Run(KeyRotationOptions.DefaultBatchSize, progress: null, activity, _stopBackground.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or TokenStoreException)
            {
                // The rotation stays in progress: the next open or RotateKeys resumes it.
                StoreTracing.Fail(activity, e);
                Log.RotationPaused(logger, e);
            }
        });
    }

    /// <summary>Waits until a background resumption, if any, has finished (or stopped).</summary>
    public void WaitForBackground() => _background?.Wait();

    /// <summary>Stops a background resumption between batches and waits for it; the rotation resumes at the next open. Idempotent.</summary>
    public void Dispose()
    {
        if (_stopBackground.IsCancellationRequested)
        {
            return;
        }

        _stopBackground.Cancel();
        WaitForBackground();
        _stopBackground.Dispose();
    }

    /// <summary>Starts a rotation, or returns false when one is under way (this instance's or, on a database store, another's).</summary>
    private bool Start(bool rotateIndexKey)
    {
        if (keys.State.IsRotating)
        {
            return false;
        }

        journal?.ForgetUniqueValues();
        var started = false;
        var metadata = pipeline.Write("rotating keys", _ =>
        {
            // Inside the transaction, which on a database store has caught up with the other instances: one of them may
            // have started a rotation since the check above.
            var current = keys.State.Metadata;
            if (current.Rotation is not null)
            {
                return current;
            }

            started = true;
            var (dataVersion, indexVersion) = keys.Ring.CreateVersions(data: true, index: rotateIndexKey);
            var changed = current with
            {
                DataKeyVersion = dataVersion!.Value,
                IndexKeyVersion = indexVersion ?? current.IndexKeyVersion,
                Rotation = new RotationState(rotateIndexKey ? current.IndexKeyVersion : null, Cursor: null, time.GetUtcNow().UtcDateTime),
            };
            return keys.Write(changed);
        });
        keys.Publish(metadata);
        if (started)
        {
            Log.RotationStarted(logger, metadata.DataKeyVersion, metadata.IndexKeyVersion);
        }

        return started;
    }

    /// <summary>Rewrites records in id order, one batch per transaction, until none is left under older keys.</summary>
    private (int Scanned, int Rewritten, List<string> Failed) Run(int batchSize, IProgress<KeyRotationProgress>? progress, Activity? activity, CancellationToken cancellationToken)
    {
        int total;
        using (pipeline.Hold())
        using (pipeline.BeginScan())
        {
            total = pipeline.Storage.CountRecords();
        }

        int scanned = 0, rewritten = 0;
        var failed = new List<string>();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!TakeLease(cancellationToken))
                {
                    // Another instance finished the rotation while this one waited for its lease.
                    break;
                }

                if (RunBatch(batchSize, ref scanned, ref rewritten, failed))
                {
                    break;
                }

                progress?.Report(new KeyRotationProgress(scanned, rewritten, total));
            }
        }
        finally
        {
            pipeline.Storage.ReleaseLease(LeaseName, _leaseHolder);
        }

        progress?.Report(new KeyRotationProgress(scanned, rewritten, total));
        var active = keys.State.Keys;
        activity?.SetTag(StoreTracing.DataKeyVersion, active.Data.Version).SetTag(StoreTracing.IndexKeyVersion, active.Index.Version)
            .SetTag(StoreTracing.RecordsScanned, scanned).SetTag(StoreTracing.RecordsRewritten, rewritten).SetTag(StoreTracing.RecordsFailed, failed.Count);
        return (scanned, rewritten, failed);
    }

    /// <summary>
    /// Takes (or renews) the rotation lease: on a database store only one instance rewrites batches at a time, and one
    /// that dies leaves the lease to expire for the next. Waits while another instance holds it; false when the rotation
    /// ended meanwhile. A store file grants it at once.
    /// </summary>
    private bool TakeLease(CancellationToken cancellationToken)
    {
        while (!pipeline.Storage.TryTakeLease(LeaseName, _leaseHolder, LeaseDuration))
        {
            cancellationToken.WaitHandle.WaitOne(LeasePoll);
            cancellationToken.ThrowIfCancellationRequested();
            using (pipeline.Hold())
            {
                if (!keys.State.IsRotating)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Rewrites one batch in one transaction; true when the rotation has finished.</summary>
    private bool RunBatch(int batchSize, ref int scannedTotal, ref int rewrittenTotal, List<string> failed)
    {
        int scanned = scannedTotal, rewritten = rewrittenTotal;
        var finished = pipeline.Serialized(() =>
        {
            var before = rewritten;
            var metadata = pipeline.Write("rotating keys", _ =>
            {
                // Read inside the transaction: on a database store another instance may have moved the cursor.
                if (keys.State.Metadata.Rotation is not { } rotation)
                {
                    return keys.State.Metadata;
                }

                var batch = pipeline.Storage.ReadRecordsAfter(rotation.Cursor, batchSize);
                if (batch.Count == 0)
                {
                    return keys.Write(keys.State.Metadata with { Rotation = null });
                }

                var active = keys.State.Keys;
                var rewrites = new List<StoredRecord>(batch.Count);
                foreach (var record in batch)
                {
                    scanned++;
                    if (record.KeyVersions == (active.Data.Version, active.Index.Version))
                    {
                        continue;
                    }

                    try
                    {
                        rewrites.Add(RecordSealer.Seal(record.Id, sealer.Open(record), active.Data, active.Index));
                    }
                    catch (TokenStoreException e) when (e.Code is TokenStoreErrorCodes.Integrity or TokenStoreErrorCodes.KeyUnavailable)
                    {
                        failed.Add(record.Id);
                        Log.RotationRecordFailed(logger, record.Id, e.Code);
                    }
                }

                // One engine call per batch: LiteDB sets up its write snapshot and index services once.
                pipeline.Storage.UpdateRecords(rewrites);
                rewritten += rewrites.Count;
                return keys.Write(keys.State.Metadata with { Rotation = rotation with { Cursor = batch[^1].Id } });
            });
            keys.Publish(metadata);
            StoreMetrics.Add(StoreMetrics.RotationRecords, rewritten - before, pipeline.Storage.Path);
            if (metadata.Rotation is null)
            {
                Log.RotationFinished(logger, scanned, rewritten, failed.Count);
                return true;
            }

            return false;
        });
        scannedTotal = scanned;
        rewrittenTotal = rewritten;
        return finished;
    }
}
