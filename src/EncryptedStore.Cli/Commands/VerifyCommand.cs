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
        var result = context.Console.Error.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(progress =>
            {
                var task = progress.AddTask("Verifying tokens", maxValue: Math.Max(total, 1));
                var verification = session.Store.Verify(new SyncProgress<int>(done => task.Value = done));
                task.Value = task.MaxValue;
                return verification;
            });

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
            Write(context.Console.Out, result);
        }

        return result.IsHealthy ? ExitCodes.Ok : ExitCodes.Integrity;
    }

    /// <summary>The human report: one line when healthy, else a table of problems.</summary>
    public static void Write(IAnsiConsole console, StoreVerification result)
    {
        var summary = $"{result.RecordsChecked} token(s) and {result.KeysChecked} key version(s) checked";
        if (result.IsHealthy)
        {
            console.WriteLine($"OK: {summary}; no problems.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("record").AddColumn("code").AddColumn("problem");
        foreach (var problem in result.Problems)
        {
            table.AddRow(TokenTables.Value(problem.RecordId ?? "(store keys)"), new Text(problem.Code), new Text(problem.Message));
        }

        console.Write(table);
        console.WriteLine($"FAILED: {summary}; {result.Problems.Count} problem(s).");
    }
}
