using System.CommandLine;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>verify</c>: decrypts every record and checks its lookup indexes and the key ring
/// (<see cref="EncryptedTokenStore.Verify"/>); exit code 4 when anything is wrong.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var json = CommonOptions.Json("Print the result as JSON.");
        var command = new Command("verify", "Check that every token decrypts and matches its lookup indexes, and that every live key unwraps. Exit code 4 if not.") { json };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, bool json)
    {
        using var session = context.OpenStore();
        var total = session.Store.GetStatistics().TokenCount;
        // Verify takes no cancellation token: Ctrl-C ends it at once, which changes nothing (a read-only command).
        var result = ProgressReporter.Run(
            context.Console, context.Time, "Verifying tokens", "verified", total, progress => session.Store.Verify(new SyncProgress<int>(done => progress.Report((done, total)))));

        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("healthy", result.IsHealthy);
                w.WriteNumber("records_checked", result.RecordsChecked);
                w.WriteNumber("keys_checked", result.KeysChecked);
                JsonOutput.WriteObjects(w, "problems", result.Problems, ("record_id", p => p.RecordId), ("code", p => p.Code), ("message", p => p.Message));
                w.WriteEndObject();
            });
        }
        else
        {
            // The problems are the result (stdout); the summary is for people (stderr).
            if (!result.IsHealthy)
            {
                context.Console.WriteTable(Problems(result));
            }

            context.Console.WriteNote(Summary(result));
        }

        return result.IsHealthy ? ExitCodes.Ok : ExitCodes.Integrity;
    }

    /// <summary>One line for people: <c>OK: …</c> or <c>FAILED: …</c> with the counts.</summary>
    public static string Summary(StoreVerification result)
    {
        var summary = $"{result.RecordsChecked} token(s) and {result.KeysChecked} key version(s) checked";
        return result.IsHealthy ? $"OK: {summary}; no problems." : $"FAILED: {summary}; {result.Problems.Count} problem(s).";
    }

    /// <summary>The problems, one per row: the record (or <c>(store keys)</c>), the code and what is wrong.</summary>
    public static OutputTable Problems(StoreVerification result)
    {
        var table = new OutputTable(new OutputColumn("record"), new OutputColumn("code"), new OutputColumn("problem"));
        foreach (var problem in result.Problems)
        {
            table.AddRow(problem.RecordId ?? "(store keys)", problem.Code, problem.Message);
        }

        return table;
    }
}
