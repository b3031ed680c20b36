using System.CommandLine;
using Spectre.Console;
using EncryptedStore.Cli.Keys;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>change-master-key</c>: re-encrypts the key ring under a new master key in one transaction
/// (<see cref="EncryptedTokenStore.ChangeMasterKey"/>); the old key stops opening the store.
/// </summary>
internal static class ChangeMasterKeyCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var newKeyFile = new Option<string?>("--new-key-file") { Description = "The new master key: an existing key file." };
        var createNewKeyFile = new Option<string?>("--create-new-key-file") { Description = "The new master key: a new key file made at PATH (0600, never overwritten)." };
        var newPassphraseEnv = new Option<string?>("--new-passphrase-env") { Description = "The new master key: environment variable NAME (a passphrase, or base64: and key bytes)." };
        var keyRingOnly = new Option<bool>("--key-ring-only")
        {
            Description = "Only re-encrypt the key ring (fast; the data and index keys stay as they were, so a copy of the old key ring "
                + "still opens new records with the old master key). Without it: new keys, every token re-encrypted, old keys destroyed, file compacted.",
        };
        var command = new Command("change-master-key", "Move the store to a new master key. By default the incident procedure: new master key, new data and index keys, every token re-encrypted, old keys destroyed, the file compacted.")
        {
            newKeyFile, createNewKeyFile, newPassphraseEnv, keyRingOnly,
        };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            parseResult.GetValue(newKeyFile),
            parseResult.GetValue(createNewKeyFile),
            parseResult.GetValue(newPassphraseEnv),
            parseResult.GetValue(keyRingOnly)));
        return command;
    }

    private static int Run(CommandContext context, string? newKeyFile, string? createNewKeyFile, string? newPassphraseEnv, bool keyRingOnly)
    {
        if (new[] { newKeyFile, createNewKeyFile, newPassphraseEnv }.Count(v => v is not null) != 1)
        {
            throw CliException.Usage("give exactly one of --new-key-file, --create-new-key-file or --new-passphrase-env.");
        }

        var session = context.OpenStore();
        var created = false;
        if (createNewKeyFile is not null)
        {
            MasterKey.CreateKeyFile(createNewKeyFile);
            created = true;
        }

        try
        {
            using var next = newPassphraseEnv is not null ? KeySource.FromEnvironment(newPassphraseEnv) : KeySource.FromKeyFile(newKeyFile ?? createNewKeyFile!);
            var oldKey = session.Key.Description;
            if (keyRingOnly)
            {
                session.Store.ChangeMasterKey(next.MasterKey);
                session.Dispose();
                context.Console.Out.WriteLine($"Master key changed (key ring only): the store now opens with {next.Description}; {oldKey} no longer opens it.");
                return ExitCodes.Ok;
            }

            var result = session.Store.ChangeMasterKeyAndRotateKeys(next.MasterKey);
            session.Dispose();
            EncryptedTokenStore.Compact(context.StorePath);
            context.Console.Out.WriteLine($"Master key changed: the store now opens with {next.Description}; {oldKey} no longer opens it. "
                + $"New keys: data v{result.DataKeyVersion}, index v{result.IndexKeyVersion}; {result.RecordsRewritten} token(s) re-encrypted; older keys destroyed; file compacted.");
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
}
