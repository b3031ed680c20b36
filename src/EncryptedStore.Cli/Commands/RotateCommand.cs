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
        var batchSize = new Option<int>("--batch-size") { Description = "Tokens re-encrypted per transaction (1 to 100000).", DefaultValueFactory = _ => 1000 };
        var destroyOld = new Option<bool>("--destroy-old") { Description = "Afterwards revoke and destroy older key versions that no token uses, then compact the file." };
        var command = new Command("rotate", "Rotate the store's keys online: new key versions, every token re-encrypted in batches. Resumes an interrupted rotation.")
        {
            index, batchSize, destroyOld,
        };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            parseResult.GetValue(index),
            parseResult.GetValue(batchSize),
            parseResult.GetValue(destroyOld)));
        return command;
    }

    private static int Run(CommandContext context, bool index, int batchSize, bool destroyOld)
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
            result = context.Console.Error.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .Start(progress =>
                {
                    var task = progress.AddTask("Re-encrypting tokens", maxValue: Math.Max(total, 1));
                    var rotation = store.RotateKeys(
                        new KeyRotationOptions { RotateIndexKey = index, BatchSize = batchSize },
                        new SyncProgress<KeyRotationProgress>(p => task.Value = p.RecordsScanned));
                    task.Value = task.MaxValue;
                    return rotation;
                });

            if (destroyOld)
            {
                destroyed.AddRange(store.DestroyUnusedKeys());
            }
        }

        if (destroyOld)
        {
            EncryptedTokenStore.Compact(context.StorePath);
        }

        var output = context.Console.Out;
        output.WriteLine(result.Resumed
            ? $"Finished an interrupted rotation: {result.RecordsRewritten} of {result.RecordsScanned} token(s) re-encrypted."
            : $"Rotated: {result.RecordsRewritten} of {result.RecordsScanned} token(s) re-encrypted.");
        output.WriteLine($"Active keys: data v{result.DataKeyVersion}, index v{result.IndexKeyVersion}.");
        if (destroyOld)
        {
            output.WriteLine(destroyed.Count == 0
                ? "No older key version to destroy; file compacted."
                : $"Destroyed key version(s) {string.Join(", ", destroyed)}; file compacted.");
        }

        if (result.FailedRecordIds.Count > 0)
        {
            context.Console.Error.WriteLine($"{result.FailedRecordIds.Count} token(s) could not be decrypted and were left as they were: {string.Join(", ", result.FailedRecordIds)}. Run 'verify'.");
            return ExitCodes.Integrity;
        }

        return ExitCodes.Ok;
    }
}
