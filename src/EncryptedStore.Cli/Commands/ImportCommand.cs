using EncryptedStore.Cli.Keys;
using System.CommandLine;
using EncryptedStore.Cli.Import;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Stores;
using Spectre.Console;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>import</c>: copies tokens from a Zoho SDK store (or an encrypted backup) into the store.</summary>
internal static class ImportCommand
{
    private const string Description =
        "Import tokens, keeping their ids, from the Zoho SDK's FileStore CSV (C# or Python), the Kaizen article's SQLite "
        + "database, the SDK's MySQL DBStore table, or a backup made by 'export --to backup'. All or nothing: every row is "
        + "checked first, and malformed rows, duplicates and clashes with tokens already in the store are reported "
        + "(row and reason, never a secret) and nothing is written, unless --skip-invalid. Stop the application that "
        + "uses the source first.";

    /// <summary>From this many tokens on, the single transaction of an all-or-nothing import is announced (it shows no progress).</summary>
    private const int OneTransactionNote = 2_000;

    public static Command Create(CommandEnvironment environment)
    {
        var from = new Option<string>("--from")
        {
            Description = "Kind of source: zoho-csv, sqlite, mysql or backup.",
            HelpName = "KIND",
            Required = true,
        };
        from.OneOf("zoho-csv", "sqlite", "mysql", "backup");
        var source = new Argument<string>("SOURCE")
        {
            Description = "The CSV file, SQLite file or backup file ('-': stdin, for zoho-csv and backup); for mysql a URI "
                + "mysql://USER@HOST[:PORT]/DB (the password from --db-password-env, else MYSQL_PWD) or a connection string "
                + "(e.g. 'Server=127.0.0.1;User ID=app;Password=…'; database zohooauth unless it names one). "
                + "A connection string holds a password that shows in the process list: give '-' to read it from stdin.",
        };
        var table = new Option<string>("--table")
        {
            Description = "Token table for sqlite and mysql.",
            HelpName = "NAME",
            DefaultValueFactory = _ => SqlIdentifier.DefaultTable,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every row and report what would be imported; write nothing." };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Import the valid rows even when other rows have problems (they are still reported)." };
        var wipe = new Option<bool>("--wipe-source")
        {
            Description = "After every row was imported, destroy the plaintext source: a CSV file is overwritten with zeros, "
                + "flushed and deleted; SQLite and MySQL rows are deleted by id (SQLite with secure_delete, then VACUUM).",
        };
        var backupKeyFile = new Option<string?>("--backup-key-file")
        {
            Description = "backup: the key file the backup was made with, when it is not the store's (a backup made before a master-key change).",
            HelpName = "PATH",
        };
        var backupPassphraseEnv = new Option<string?>("--backup-passphrase-env")
        {
            Description = "backup: environment variable NAME with the backup's passphrase (or base64: key), when it is not the store's.",
            HelpName = "NAME",
        };
        var json = CommonOptions.Json("Print the report as JSON.");
        var command = new Command("import", Description) { from, source, table, dryRun, skipInvalid, wipe, backupKeyFile, backupPassphraseEnv, json };
        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            var options = new ImportOptions(
                parseResult.GetValue(from)!,
                parseResult.GetValue(source)!,
                SqlIdentifier.Check(parseResult.GetValue(table)!),
                parseResult.GetValue(dryRun),
                parseResult.GetValue(skipInvalid),
                parseResult.GetValue(wipe),
                context.DbInsecure,
                parseResult.GetValue(backupKeyFile),
                parseResult.GetValue(backupPassphraseEnv),
                parseResult.GetValue(json));
            return Run(context, options);
        });
        return command;
    }

    private static int Run(CommandContext context, ImportOptions options)
    {
        if (options.Wipe && (options.DryRun || options.SkipInvalid || options.Kind == "backup"))
        {
            throw CliException.Usage(options.Kind == "backup"
                ? "--wipe-source is for plaintext sources; a backup is encrypted."
                : "--wipe-source needs a complete import: do not combine it with --dry-run or --skip-invalid.");
        }

        var location = options.Kind == "mysql" ? MySqlConnectionString(context, context.ValueOrStdin(options.Source, "SOURCE")!) : options.Source;
        byte[]? fromStdin = null;
        if (options.Kind != "mysql" && location == "-")
        {
            // '-' is stdin for a file source; SQLite needs a real file, and stdin cannot be wiped.
            if (options.Kind == "sqlite" || options.Wipe)
            {
                throw CliException.Usage(options.Kind == "sqlite" ? "--from sqlite needs the database file; '-' (stdin) works for zoho-csv and backup." : "--wipe-source needs the source file itself; stdin cannot be wiped.");
            }

            fromStdin = context.Console.ReadAllInputBytes();
        }

        if ((options.BackupKeyFile is not null || options.BackupPassphraseEnv is not null) && options.Kind != "backup")
        {
            throw CliException.Usage("--backup-key-file and --backup-passphrase-env are for --from backup.");
        }

        if (options.BackupKeyFile is not null && options.BackupPassphraseEnv is not null)
        {
            throw CliException.Usage("give at most one of --backup-key-file and --backup-passphrase-env.");
        }

        using var backupKey = options.BackupKeyFile is { } keyFile ? KeySource.FromKeyFile(keyFile)
            : options.BackupPassphraseEnv is { } variable ? KeySource.FromEnvironment(variable)
            : null;
        using var session = context.OpenStore();
        ITokenSource source = options.Kind switch
        {
            "zoho-csv" => new ZohoCsvSource(location, fromStdin),
            "sqlite" => new SqliteSource(location, options.Table),
            "mysql" => new MySqlSource(location, options.Table, options.Insecure),
            _ => new BackupSource(location, backupKey ?? session.Key, fromStdin),
        };

        var rows = source.ReadRows();
        if (Import(context, options, rows, session.Store) is not { } report)
        {
            return ExitCodes.Interrupted;
        }

        string? wiped = null;
        if (options.Wipe && report.Complete)
        {
            wiped = source.Wipe(report.SourceIds);
        }

        Print(context, options, source, session.Name, report, wiped);
        if (report.Problems.Count > 0 && !options.SkipInvalid)
        {
            context.Console.WriteError(options.DryRun
                ? $"{report.Problems.Count} of {report.RowCount} row(s) have problems; a real import would write nothing."
                : $"{report.Problems.Count} of {report.RowCount} row(s) have problems; nothing was imported.");
            return ExitCodes.Error;
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// The source of <c>--from mysql</c> as a connection string: as given, or built from a <c>mysql://</c> URI with the
    /// password from <c>--db-password-env</c> (else <c>MYSQL_PWD</c>), e.g. the SDK's table on the database store's own server.
    /// </summary>
    private static string MySqlConnectionString(CommandContext context, string source)
    {
        if (!DatabaseUri.IsUri(source))
        {
            return source;
        }

        var location = context.Locate(source, "SOURCE", context.Settings.DbPasswordVariable);
        return location.Uri is { Kind: TokenDatabaseKind.MySql, Prefix: null }
            ? location.ConnectionString!
            : throw CliException.Usage("SOURCE: --from mysql takes a mysql://USER@HOST[:PORT]/DB URI (without ?prefix=: the SDK's table is named by --table) or a connection string.");
    }

    /// <summary>
    /// Checks and writes the rows with progress; on Ctrl-C stops between rows (or between saves with
    /// <c>--skip-invalid</c>), says what was saved and returns null.
    /// </summary>
    private static ImportReport? Import(CommandContext context, ImportOptions options, IReadOnlyList<SourceRow> rows, EncryptedTokenStore store)
    {
        var (console, interruption) = (context.Console, context.Interruption);
        var saved = 0L;
        try
        {
            var report = interruption.Cooperating(cancellation =>
            {
                var check = ProgressReporter.Run(console, context.Time, "Checking rows", "checked", rows.Count, p => TokenImporter.Check(rows, store, p, cancellation));
                if (!options.DryRun && !options.SkipInvalid && check.Problems.Count == 0 && check.Accepted.Count >= OneTransactionNote)
                {
                    console.WriteNote($"saving {check.Accepted.Count:N0} tokens in one transaction…");
                }

                return ProgressReporter.Run(console, context.Time, "Importing tokens", "imported", check.Accepted.Count, p => TokenImporter.Save(
                    check, store, write: !options.DryRun, options.SkipInvalid, new SyncProgress<(long Done, long Total)>(x => p.Report((saved = x.Done, x.Total))), cancellation));
            });
            if (interruption.Token.IsCancellationRequested)
            {
                interruption.Report($"the import was written in one transaction before it could stop: {report.ImportedCount} token(s) were saved.");
                return null;
            }

            return report;
        }
        catch (OperationCanceledException)
        {
            interruption.Report(saved == 0
                ? "nothing was imported; the store is as it was."
                : $"{saved} token(s) were saved, the rest were not; run the import again with --skip-invalid to add the rest (those saved are then reported as already in the store).");
            return null;
        }
    }

    private static void Print(CommandContext context, ImportOptions options, ITokenSource source, string store, ImportReport report, string? wiped)
    {
        if (options.Json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("source", source.Description);
                w.WriteBoolean("dry_run", options.DryRun);
                w.WriteNumber("rows", report.RowCount);
                w.WriteNumber("valid", report.ValidCount);
                w.WriteNumber("imported", report.ImportedCount);
                JsonOutput.WriteObjects(w, "problems", report.Problems, ("location", p => p.Location), ("id", p => p.Id), ("reason", p => p.Reason));
                w.WriteString("wiped", wiped);
                w.WriteEndObject();
            });
            return;
        }

        if (report.Problems.Count > 0)
        {
            var table = new OutputTable(new OutputColumn("where"), new OutputColumn("id"), new OutputColumn("problem"));
            foreach (var problem in report.Problems)
            {
                table.AddRow(problem.Location, problem.Id, problem.Reason);
            }

            context.Console.WriteErrorTable(table);
        }

        if (options.DryRun)
        {
            context.Console.WriteNote($"Dry run: {report.ValidCount} of {report.RowCount} row(s) from {source.Description} can be imported; {report.Problems.Count} have problems. Nothing was written.");
        }
        else if (report.ImportedCount > 0 || report.Problems.Count == 0)
        {
            context.Console.WriteNote($"Imported {report.ImportedCount} of {report.RowCount} token(s) from {source.Description} into '{store}'.");
        }
        else
        {
            context.Console.WriteNote(report.RolledBack
                ? $"Nothing imported from {source.Description}: saving failed, and the tokens saved before the failure were removed again."
                : $"Nothing imported from {source.Description}: fix the rows listed above, or pass --skip-invalid to import the other {report.ValidCount}.");
        }

        if (wiped is not null)
        {
            context.Console.WriteNote($"Wiped the source: {wiped}.");
        }
        else if (source.CanWipe && report.Complete && !options.DryRun)
        {
            context.Console.WriteWarning($"{source.Description} still holds the tokens in plain text; destroy it (or rerun with --wipe-source) once you no longer need it.");
        }
    }

    private sealed record ImportOptions(string Kind, string Source, string Table, bool DryRun, bool SkipInvalid, bool Wipe, bool Insecure, string? BackupKeyFile, string? BackupPassphraseEnv, bool Json);
}
