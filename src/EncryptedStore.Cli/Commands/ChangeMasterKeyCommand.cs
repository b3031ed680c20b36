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
        var command = new Command("change-master-key", "Re-encrypt the key ring under a new master key. Afterwards only the new key opens the store; if interrupted, the old one still does.")
        {
            newKeyFile, createNewKeyFile, newPassphraseEnv,
        };
        command.SetAction(parseResult => Run(
            new CommandContext(parseResult, environment),
            parseResult.GetValue(newKeyFile),
            parseResult.GetValue(createNewKeyFile),
            parseResult.GetValue(newPassphraseEnv)));
        return command;
    }

    private static int Run(CommandContext context, string? newKeyFile, string? createNewKeyFile, string? newPassphraseEnv)
    {
        if (new[] { newKeyFile, createNewKeyFile, newPassphraseEnv }.Count(v => v is not null) != 1)
        {
            throw CliException.Usage("give exactly one of --new-key-file, --create-new-key-file or --new-passphrase-env.");
        }

        using var session = context.OpenStore();
        var created = false;
        if (createNewKeyFile is not null)
        {
            MasterKey.CreateKeyFile(createNewKeyFile);
            created = true;
        }

        try
        {
            using var next = newPassphraseEnv is not null ? KeySource.FromEnvironment(newPassphraseEnv) : KeySource.FromKeyFile(newKeyFile ?? createNewKeyFile!);
            session.Store.ChangeMasterKey(next.MasterKey);
            context.Console.Out.WriteLine($"Master key changed: the store now opens with {next.Description}; {session.Key.Description} no longer opens it.");
            return ExitCodes.Ok;
        }
        catch when (created)
        {
            File.Delete(createNewKeyFile!);
            throw;
        }
    }
}
