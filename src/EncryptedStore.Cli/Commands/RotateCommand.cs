using System.CommandLine;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>rotate</c>: new data key (and with <c>--index</c> a new blind-index key), every token re-encrypted
/// (<see cref="EncryptedTokenStore.RotateKeys"/>); resumes an interrupted rotation. With
/// <c>--destroy-old</c> it then revokes and destroys every older key version no token uses and compacts
/// the file, so the old key material is gone from it.
/// </summary>
internal static class RotateCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var index = new Option<bool>("--index") { Description = "Also rotate the blind-index key (recomputes every lookup hash)." };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Tokens re-encrypted per transaction (1 to 100000).",
            DefaultValueFactory = _ => 1000,
            CustomParser = OptionParsers.WholeNumber("--batch-size must be a whole number from 1 to 100000."),
        };
        var destroyOld = new Option<bool>("--destroy-old")
        {
            Description = "Afterwards revoke and destroy older key versions that no token uses, then compact the file (a database store is compacted by its server).",
        };
        var json = CommonOptions.Json("Print the result as JSON (token counts, active key versions, destroyed and failed).");
        var command = new Command("rotate", "Rotate the store's keys online: new key versions, every token re-encrypted in batches. Resumes an interrupted rotation.")
        {
            index, batchSize, destroyOld, json,
        };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            parseResult.GetValue(index),
            parseResult.GetValue(batchSize),
            parseResult.GetValue(destroyOld),
            parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, bool index, int batchSize, bool destroyOld, bool json)
    {
        if (batchSize is < 1 or > 100_000)
        {
            throw CliException.Usage("--batch-size must be between 1 and 100000.");
        }

        var destroyed = new List<int>();
        KeyRotationResult result;
        using (var session = context.OpenStore())
        {
            var store = session.Store;
            var total = store.GetStatistics().TokenCount;
            var scanned = 0;
            try
            {
                result = context.Interruption.Cooperating(cancellation => ProgressReporter.Run(
                    context.Console, context.Time, "Re-encrypting tokens", "re-encrypted", total, progress => store.RotateKeys(
                        new KeyRotationOptions { RotateIndexKey = index, BatchSize = batchSize },
                        new SyncProgress<KeyRotationProgress>(p => progress.Report((scanned = p.RecordsScanned, total))),
                        cancellation)));
            }
            catch (OperationCanceledException)
            {
                context.Interruption.Report($"rotation stopped after {scanned} of {total} token(s); it resumes at the next open or 'tokenstore rotate'.");
                return ExitCodes.Interrupted;
            }

            if (destroyOld)
            {
                destroyed.AddRange(store.DestroyUnusedKeys());
            }
        }

        var compact = destroyOld && !context.Store.IsDatabase;
        if (compact)
        {
            try
            {
                CompactCommand.Compact(context, context.StorePath);
            }
            catch (OperationCanceledException)
            {
                context.Interruption.Report("the rotation is finished and older keys no token uses are destroyed, but the file was not compacted "
                    + "(their bytes may remain in free pages); run 'tokenstore compact'.");
                return ExitCodes.Interrupted;
            }
        }

        var console = context.Console;
        console.WriteNote(result.Resumed
            ? $"Finished an interrupted rotation: {result.RecordsRewritten} of {result.RecordsScanned} token(s) re-encrypted."
            : $"Rotated: {result.RecordsRewritten} of {result.RecordsScanned} token(s) re-encrypted.");
        console.WriteNote($"Active keys: data v{result.DataKeyVersion}, index v{result.IndexKeyVersion}.");
        if (destroyOld)
        {
            var compacted = compact ? "file compacted" : $"not compacted (a database store; its server does that: {CompactCommand.DatabaseCompaction})";
            console.WriteNote(destroyed.Count == 0
                ? $"No older key version to destroy; {compacted}."
                : $"Destroyed key version(s) {string.Join(", ", destroyed)}; {compacted}.");
        }

        if (json)
        {
            JsonOutput.Write(console, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("resumed", result.Resumed);
                w.WriteNumber("records_scanned", result.RecordsScanned);
                w.WriteNumber("records_rewritten", result.RecordsRewritten);
                w.WriteNumber("data_key_version", result.DataKeyVersion);
                w.WriteNumber("index_key_version", result.IndexKeyVersion);
                w.WriteStartArray("destroyed_key_versions");
                destroyed.ForEach(w.WriteNumberValue);
                w.WriteEndArray();
                w.WriteStartArray("failed_record_ids");
                foreach (var id in result.FailedRecordIds)
                {
                    w.WriteStringValue(id);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }

        if (result.FailedRecordIds.Count > 0)
        {
            console.WriteError($"{result.FailedRecordIds.Count} token(s) could not be decrypted and were left as they were: {string.Join(", ", result.FailedRecordIds)}. Run 'verify'.");
            return ExitCodes.Integrity;
        }

        return ExitCodes.Ok;
    }
}
