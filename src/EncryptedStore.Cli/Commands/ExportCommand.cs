using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Cli.Backup;
using EncryptedStore.Cli.Export;
using EncryptedStore.Cli.Files;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>export</c>: an encrypted backup, or (with <c>--reveal</c>) the SDK's plaintext FileStore CSV.</summary>
internal static class ExportCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var to = new Option<string>("--to")
        {
            Description = "backup: every token encrypted (AES-256-GCM) under a key derived from the master key, for 'import --from backup'. "
                + "zoho-csv: the C# SDK's FileStore file, secrets in plain text (needs --reveal).",
            HelpName = "KIND",
            Required = true,
        };
        to.OneOf("backup", "zoho-csv");
        var path = new Argument<string>("PATH") { Description = "The file to create (owner-only, 0600); an existing file is never overwritten. '-' writes it to stdout." };
        var json = CommonOptions.Json("Print what was written as JSON (kind, path, tokens); not with '-' as PATH.");
        var reveal = new Option<bool>("--reveal") { Description = "Confirm that zoho-csv may write secrets in plain text." };
        var backupKeyFile = new Option<string?>("--backup-key-file")
        {
            Description = "backup: encrypt the backup under this key file instead of the store's master key (needed when the store's key "
                + "is in an OS key store or wrapped to a certificate, which this tool cannot read).",
            HelpName = "PATH",
        };
        var backupPassphraseEnv = new Option<string?>("--backup-passphrase-env")
        {
            Description = "backup: encrypt the backup under the passphrase (or base64: key) in environment variable NAME instead of the store's master key.",
            HelpName = "NAME",
        };
        var command = new Command("export", "Export every token to an encrypted backup or a plaintext Zoho FileStore CSV.") { to, path, reveal, backupKeyFile, backupPassphraseEnv, json };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            new ExportTarget(parseResult.GetValue(path)!, parseResult.GetValue(json)),
            parseResult.GetValue(to)!,
            parseResult.GetValue(reveal),
            parseResult.GetValue(backupKeyFile),
            parseResult.GetValue(backupPassphraseEnv)));
        return command;
    }

    private static int Run(CommandContext context, ExportTarget target, string kind, bool reveal, string? backupKeyFile, string? backupPassphraseEnv)
    {
        var path = target.Path;
        var toStdout = path == "-";
        if (toStdout && target.Json)
        {
            throw CliException.Usage("with '-' the export itself goes to stdout; --json cannot go there too.");
        }

        if (toStdout && kind == "backup" && context.Console.OutputIsTerminal)
        {
            throw CliException.Usage("a backup is binary; redirect stdout to a file or a pipe rather than print it on the terminal.");
        }

        if ((backupKeyFile is not null || backupPassphraseEnv is not null) && kind != "backup")
        {
            throw CliException.Usage("--backup-key-file and --backup-passphrase-env are for --to backup.");
        }

        if (backupKeyFile is not null && backupPassphraseEnv is not null)
        {
            throw CliException.Usage("give at most one of --backup-key-file and --backup-passphrase-env.");
        }

        if (kind == "zoho-csv" && !reveal)
        {
            throw CliException.Usage("--to zoho-csv writes every secret in plain text; pass --reveal to confirm.");
        }

        if (!toStdout && File.Exists(path))
        {
            throw new CliException($"'{path}' already exists; refusing to overwrite it.");
        }

        using var session = context.OpenStore();
        var tokens = session.Store.GetTokens().Cast<OAuthToken>().ToList();
        if (kind == "backup")
        {
            using var backupKey = backupKeyFile is not null ? KeySource.FromKeyFile(backupKeyFile)
                : backupPassphraseEnv is not null ? KeySource.FromEnvironment(backupPassphraseEnv)
                : null;
            var key = backupKey ?? session.Key;
            if (toStdout)
            {
                context.Console.WriteBytes(BackupFile.Encrypt(tokens, key, context.Time.GetUtcNow()));
                context.Console.WriteNote($"Wrote an encrypted backup of {tokens.Count} token(s) to stdout, under {key.Description}.");
                return ExitCodes.Ok;
            }

            BackupFile.Write(path, tokens, key, context.Time.GetUtcNow());
            WriteJson(context, target, kind, tokens.Count);
            context.Console.WriteNote(backupKey is null
                ? $"Wrote an encrypted backup of {tokens.Count} token(s) to '{path}' (0600). "
                    + $"Restore it with 'tokenstore import --from backup {path}' and the same master key ({key.Description})."
                : $"Wrote an encrypted backup of {tokens.Count} token(s) to '{path}' (0600), under {key.Description}. "
                    + $"Restore it with 'tokenstore import --from backup {path} --backup-key-file/--backup-passphrase-env' and that key.");
            return ExitCodes.Ok;
        }

        var export = ZohoCsvWriter.Format(tokens);
        var idMap = IdMapPath(path);
        if (export.Renumbered.Count > 0 && File.Exists(idMap))
        {
            throw new CliException($"'{idMap}' (where the renumbered ids would go) already exists; refusing to overwrite it.");
        }

        if (toStdout && export.Renumbered.Count > 0)
        {
            throw CliException.Usage($"{export.Renumbered.Count} token(s) need new numeric ids for the SDK, and the id map goes beside the file: give a file path, not '-'.");
        }

        var bytes = Encoding.UTF8.GetBytes(export.Text);
        try
        {
            if (toStdout)
            {
                context.Console.WriteBytes(bytes);
                context.Console.WriteWarning($"{tokens.Count} token(s) were written to stdout with every secret in plain text.");
                return ExitCodes.Ok;
            }

            PrivateFile.Write(path, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        context.Console.WriteWarning($"'{path}' holds {tokens.Count} token(s) with every secret in plain text (permissions 0600); destroy it as soon as you are done.");
        if (export.Renumbered.Count > 0)
        {
            PrivateFile.Write(idMap, Encoding.UTF8.GetBytes(
                "store_id,zoho_id\n" + string.Concat(export.Renumbered.Select(p => $"{p.Key},{p.Value}\n"))));
            context.Console.WriteNote($"The SDK's stores need numeric ids: {export.Renumbered.Count} token(s) got ids {ZohoCsvWriter.FirstRenumberedId} and up "
                + $"in the file; '{idMap}' maps each store id to its new id.");
        }

        context.Console.WriteNote($"Wrote {tokens.Count} token(s) to '{path}' in the C# SDK's FileStore format.");
        WriteJson(context, target, kind, tokens.Count);
        return ExitCodes.Ok;
    }

    private static void WriteJson(CommandContext context, ExportTarget target, string kind, int count)
    {
        if (target.Json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("kind", kind);
                w.WriteString("path", Path.GetFullPath(target.Path));
                w.WriteNumber("tokens", count);
                w.WriteEndObject();
            });
        }
    }

    /// <summary>Where the export goes (a path, or <c>-</c> for stdout) and whether to report it as JSON.</summary>
    private sealed record ExportTarget(string Path, bool Json);

    /// <summary>Where the store id to file id mapping goes when ids are renumbered: beside the export.</summary>
    private static string IdMapPath(string path) => path + ".ids.csv";
}
