using System.CommandLine;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>compact</c>: rewrites the store file so deleted tokens and destroyed keys leave no bytes behind (<see cref="EncryptedTokenStore.Compact(string, IProgress{CompactionProgress}?, TimeSpan?, CancellationToken)"/>).</summary>
internal static class CompactCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the result as JSON (path, size_before_bytes, size_after_bytes).");
        var command = new Command("compact", "Rewrite the store file without free pages, so deleted tokens and destroyed keys leave no bytes behind. Needs no key.") { json };
        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            if (context.Store.IsDatabase)
            {
                throw CliException.Usage($"{context.Store.Display} is a database store, which its server compacts: {DatabaseCompaction}.");
            }

            var path = context.StorePath;
            if (!File.Exists(path))
            {
                throw CliException.NotFound($"no store at '{path}'.");
            }

            var before = new FileInfo(path).Length;
            try
            {
                Compact(context, path);
            }
            catch (OperationCanceledException)
            {
                context.Interruption.Report("nothing was changed: the partial copy was deleted and the store file is as it was.");
                return ExitCodes.Interrupted;
            }

            var after = new FileInfo(path).Length;
            context.Console.WriteNote($"Compacted '{path}': {before} -> {after} bytes.");
            if (parseResult.GetValue(json))
            {
                JsonOutput.Write(context.Console, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("path", Path.GetFullPath(path));
                    w.WriteNumber("size_before_bytes", before);
                    w.WriteNumber("size_after_bytes", after);
                    w.WriteEndObject();
                });
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>What reclaims a database store's free space, where <c>compact</c> would for a file.</summary>
    public const string DatabaseCompaction =
        "MariaDB/MySQL with OPTIMIZE TABLE on its tables, PostgreSQL with VACUUM (VACUUM FULL to give the space back); "
        + "their logs, replicas and backups keep old pages for their own retention times";

    /// <summary>
    /// Compacts the closed store at <paramref name="path"/> with progress on stderr, saying once when another
    /// process holds it (<see cref="LockWait"/>), stopping between batches on Ctrl-C or SIGTERM; also the last step of
    /// <c>rotate --destroy-old</c> and <c>change-master-key</c>.
    /// </summary>
    /// <exception cref="OperationCanceledException">Interrupted before the copy replaced the store, which is unchanged.</exception>
    public static void Compact(CommandContext context, string path) =>
        context.Interruption.Cooperating(cancellation =>
            ProgressReporter.Run(context.Console, context.Time, "Copying records", "copied", 0, progress =>
                LockWait.Open(path, context.LockTimeout, context.Console.WriteNote, timeout =>
                {
                    EncryptedTokenStore.Compact(path, new SyncProgress<CompactionProgress>(p => progress.Report((p.RecordsCopied, p.TotalRecords))), timeout, cancellation);
                    return true;
                })));
}
