using System.CommandLine;
using Spectre.Console;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>change-master-key</c>: re-encrypts the key ring under a new master key in one transaction
/// (<see cref="EncryptedTokenStore.ChangeMasterKey"/>); the old key stops opening the store.
/// </summary>
internal static class ChangeMasterKeyCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var newKey = new NewKeyOptions();
        var keyRingOnly = new Option<bool>("--key-ring-only")
        {
            Description = "Only re-encrypt the key ring (fast; no record is read or written: the way to renew a certificate). The data and index keys "
                + "stay as they were, so a copy of the old key ring still opens new records with the old master key. Without it: new keys, "
                + "every token re-encrypted, old keys destroyed, file compacted.",
        };
        var command = new Command("change-master-key", "Move the store to a new master key, from any source to any other (key file, passphrase, OS key store, "
            + "certificate, systemd credential). By default the incident procedure: new master key, new data and index keys, every token "
            + "re-encrypted, old keys destroyed, the file compacted.");
        newKey.AddTo(command);
        command.Options.Add(keyRingOnly);
        var json = CommonOptions.Json("Print the result as JSON (the new key's description, new key versions, tokens re-encrypted).");
        command.Options.Add(json);
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), newKey, parseResult, parseResult.GetValue(keyRingOnly), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, NewKeyOptions newKey, ParseResult parseResult, bool keyRingOnly, bool json)
    {
        var given = newKey.Given(parseResult);
        if (given.Count > 1 || (given.Count == 0 && !context.CanPrompt))
        {
            throw CliException.Usage($"give exactly one new master key: {string.Join(", ", newKey.All.Select(o => o.Name))}"
                + (given.Count == 0 ? " (without one a new passphrase is asked for, but there is no terminal)." : "."));
        }

        if (parseResult.GetValue(newKey.CertificatePasswordEnv) is not null && parseResult.GetValue(newKey.Certificate) is null)
        {
            throw CliException.Usage("--new-cert-password-env is the password of a --new-cert file; give --new-cert PATH too.");
        }

        var createNewKeyFile = parseResult.GetValue(newKey.CreateKeyFile);
        var session = context.OpenStore();
        var created = false;
        if (createNewKeyFile is not null)
        {
            MasterKey.CreateKeyFile(createNewKeyFile);
            created = true;
        }

        try
        {
            // Without a --new-* option: a new passphrase, asked twice with no echo, after the old key opened the store.
            using var next = given.Count == 1
                ? newKey.Resolve(given[0], parseResult)
                : KeySource.FromPassphrase(context.PromptPassphrase("New master passphrase:", confirm: true)
                    ?? throw CliException.Usage("there is no terminal to ask for the new passphrase on; give --new-passphrase-env NAME."));
            var oldKey = session.Key.Description;
            if (keyRingOnly)
            {
                session.Store.ChangeMasterKey(next.MasterKey);
                session.Dispose();
                context.Console.WriteNote($"Master key changed (key ring only): the store now opens with {next.Description}; {oldKey} no longer opens it.");
                WriteJson(context.Console, json, next.Description, null);
                return ExitCodes.Ok;
            }

            var total = session.Store.GetStatistics().TokenCount;
            var scanned = 0;
            KeyRotationResult? result = null;
            try
            {
                result = context.Interruption.Cooperating(cancellation => ProgressReporter.Run(
                    context.Console, context.Time, "Re-encrypting tokens", "re-encrypted", total, progress => session.Store.ChangeMasterKeyAndRotateKeys(
                        next.MasterKey, new SyncProgress<KeyRotationProgress>(p => progress.Report((scanned = p.RecordsScanned, total))), cancellation)));
                session.Dispose();
                if (!context.Store.IsDatabase)
                {
                    CompactCommand.Compact(context, context.StorePath);
                }
            }
            catch (OperationCanceledException)
            {
                context.Interruption.Report($"the master key is changed: the store opens with {next.Description} only. "
                    + (result is null
                        ? $"Re-encryption stopped after {scanned} of {total} token(s); it resumes at the next open. Then run 'tokenstore rotate --destroy-old' to destroy the older keys and compact."
                        : "Older keys are destroyed but the file was not compacted; run 'tokenstore compact'."));
                return ExitCodes.Interrupted;
            }

            context.Console.WriteNote($"Master key changed: the store now opens with {next.Description}; {oldKey} no longer opens it. "
                + $"New keys: data v{result.DataKeyVersion}, index v{result.IndexKeyVersion}; {result.RecordsRewritten} token(s) re-encrypted; older keys destroyed; "
                + (context.Store.IsDatabase ? $"not compacted (a database store; its server does that: {CompactCommand.DatabaseCompaction})." : "file compacted."));
            WriteJson(context.Console, json, next.Description, result);
            return result.FailedRecordIds.Count > 0 ? ExitCodes.Integrity : ExitCodes.Ok;
        }
        catch when (created)
        {
            File.Delete(createNewKeyFile!);
            throw;
        }
        finally
        {
            session.Dispose();
        }
    }

    /// <summary>With <c>--json</c>: the new key and, unless only the key ring changed, the rotation's result.</summary>
    private static void WriteJson(CliConsole console, bool json, string newKey, KeyRotationResult? rotation)
    {
        if (!json)
        {
            return;
        }

        JsonOutput.Write(console, w =>
        {
            w.WriteStartObject();
            w.WriteString("protected_by", newKey);
            w.WriteBoolean("key_ring_only", rotation is null);
            if (rotation is not null)
            {
                w.WriteNumber("data_key_version", rotation.DataKeyVersion);
                w.WriteNumber("index_key_version", rotation.IndexKeyVersion);
                w.WriteNumber("records_rewritten", rotation.RecordsRewritten);
                w.WriteNumber("failed_records", rotation.FailedRecordIds.Count);
            }

            w.WriteEndObject();
        });
    }
}
