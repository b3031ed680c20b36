using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Cli.Backup;
using EncryptedStore.Cli.Export;
using EncryptedStore.Cli.Files;
using EncryptedStore.Cli.Keys;

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
        to.AcceptOnlyFromAmong("backup", "zoho-csv");
        var path = new Argument<string>("PATH") { Description = "The file to create (owner-only, 0600); an existing file is never overwritten." };
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
        var command = new Command("export", "Export every token to an encrypted backup or a plaintext Zoho FileStore CSV.") { to, path, reveal, backupKeyFile, backupPassphraseEnv };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            parseResult.GetValue(to)!,
            parseResult.GetValue(path)!,
            parseResult.GetValue(reveal),
            parseResult.GetValue(backupKeyFile),
            parseResult.GetValue(backupPassphraseEnv)));
        return command;
    }

    private static int Run(CommandContext context, string kind, string path, bool reveal, string? backupKeyFile, string? backupPassphraseEnv)
    {
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

        if (File.Exists(path))
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
            BackupFile.Write(path, tokens, key, context.Time.GetUtcNow());
            context.Console.WriteLine(backupKey is null
                ? $"Wrote an encrypted backup of {tokens.Count} token(s) to '{path}' (0600). "
                    + $"Restore it with 'tokenstore import --from backup {path}' and the same master key ({key.Description})."
                : $"Wrote an encrypted backup of {tokens.Count} token(s) to '{path}' (0600), under {key.Description}. "
                    + $"Restore it with 'tokenstore import --from backup {path} --backup-key-file/--backup-passphrase-env' and that key.");
            return ExitCodes.Ok;
        }

        var bytes = Encoding.UTF8.GetBytes(ZohoCsvWriter.Format(tokens));
        try
        {
            PrivateFile.Write(path, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        context.Console.WriteWarning($"'{path}' holds {tokens.Count} token(s) with every secret in plain text (permissions 0600); destroy it as soon as you are done.");
        context.Console.WriteLine($"Wrote {tokens.Count} token(s) to '{path}' in the C# SDK's FileStore format.");
        return ExitCodes.Ok;
    }
}
