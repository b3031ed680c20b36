using System.CommandLine;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Stores;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>copy --from A --to B</c>: every token of store A saved into store B (a file or a database, either way), re-encrypted
/// under B's keys by the library, in one <see cref="EncryptedTokenStore.SaveTokens"/> call: one transaction, so B gets
/// all of them or none. Ids are kept. B is made when missing; a B that already holds tokens is refused unless
/// <c>--merge</c>. A is only read.
/// </summary>
internal static class CopyCommand
{
    private const string Description =
        "Copy every token from one store to another (a file or a database store, in either direction), re-encrypted under the target's keys, "
        + "ids kept. The target is written in one transaction: it gets every token or none. A missing target is created; one that already "
        + "holds tokens is refused unless --merge. The global key options open both stores; --to-key-file (and the other --to-* key options) "
        + "when the target's master key differs.";

    /// <summary>From this many tokens on, the single transaction (which shows no progress) is announced.</summary>
    private const int OneTransactionNote = 2_000;

    public static Command Create(CommandEnvironment environment)
    {
        var from = new Option<string?>("--from")
        {
            Description = "The store to copy from: a file path, or mysql://USER@HOST[:PORT]/DB or postgresql://… (default: the store, as --store).",
            HelpName = GlobalOptions.StoreHelpName,
        };
        var to = new Option<string>("--to")
        {
            Description = "The store to copy into: a file path, or mysql://USER@HOST[:PORT]/DB or postgresql://… (?prefix=NAME_ for the tables' prefix).",
            HelpName = GlobalOptions.StoreHelpName,
            Required = true,
        };
        var toPasswordEnv = new Option<string?>("--to-db-password-env")
        {
            Description = "The target database's password, from this environment variable (default: as --db-password-env, else MYSQL_PWD or PGPASSWORD).",
            HelpName = "NAME",
        };
        var merge = new Option<bool>("--merge")
        {
            Description = "Copy into a target that already holds tokens, by SaveTokens' rules: a token the target has (the same id, else the same "
                + "user and client) is updated, a field empty in the source keeping the target's value; a token whose access, refresh or grant "
                + "token another target token holds stops the copy, and nothing is written.",
        };
        var json = CommonOptions.Json("Print the result as JSON (from, to, copied, added, updated, target_created); never a token.");
        var keys = new TargetKeyOptions();
        var command = new Command("copy", Description) { from, to, toPasswordEnv, merge, json };
        keys.AddTo(command);
        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            var source = parseResult.GetValue(from) is { } fromValue ? context.Locate(fromValue, "--from", context.Settings.DbPasswordVariable) : context.Store;
            var target = context.Locate(parseResult.GetValue(to)!, "--to", parseResult.GetValue(toPasswordEnv) ?? context.Settings.DbPasswordVariable);
            return Run(context, source, target, keys, parseResult.GetValue(merge), parseResult.GetValue(json));
        });
        return command;
    }

    private static int Run(CommandContext context, StoreLocation source, StoreLocation target, TargetKeyOptions keys, bool merge, bool json)
    {
        if (source.IsSameStore(target))
        {
            throw CliException.Usage($"--from and --to name the same store ({target.Display}).");
        }

        CommandContext.EnsureExists(source);
        var targetCreated = !target.Exists();
        using var targetKey = keys.Resolve(context.ParseResult, creating: targetCreated);
        if (targetCreated && target.FilePath is { } path)
        {
            InitCommand.EnsureFolder(path);
        }

        using var session = context.OpenStore(source);
        var sourceName = session.Name;
        using var targetStore = context.Open(target, targetKey ?? session.Key);
        var targetName = target.IsDatabase ? target.Display : targetStore.FilePath;
        var targetIds = targetStore.GetTokens().Cast<OAuthToken>().Select(t => t.Id!).ToHashSet(StringComparer.Ordinal);
        if (targetIds.Count > 0 && !merge)
        {
            throw new CliException($"{targetName} already holds {targetIds.Count} token(s); copy refuses to mix stores. Give --merge to add to them "
                + "(a token the target has, by id or by user and client, is updated), or copy into an empty store.");
        }

        var tokens = session.Store.GetTokens().Cast<OAuthToken>().Select(TokenColumns.Copy).ToList();
        if (tokens.Count >= OneTransactionNote)
        {
            context.Console.WriteNote($"saving {tokens.Count:N0} tokens into {targetName} in one transaction…");
        }

        try
        {
            targetStore.SaveTokens(tokens);
        }
        catch (TokenStoreException e) when (e.Code != TokenStoreErrorCodes.Unavailable)
        {
            context.Console.WriteError($"{e.Code}: {e.Message}");
            context.Console.WriteNote($"Nothing was copied: {targetName} is as it was{(targetCreated ? " (created, empty)" : string.Empty)}.");
            return ExitCodes.For(e);
        }

        // Matched by id or by user and client (the store's rules), a token updates one the target had; the rest were added.
        var added = targetStore.GetStatistics().TokenCount - targetIds.Count;
        var updated = tokens.Count - added;
        var under = targetKey is null ? $"the same master key ({session.Key.Description})" : targetKey.Description;
        context.Console.WriteNote($"Copied {tokens.Count} token(s) from {sourceName} to {targetName}{(targetCreated ? " (created)" : string.Empty)}, "
            + $"re-encrypted under its own keys, protected by {under}"
            + (merge ? $": {added} added, {updated} updated." : "."));
        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("from", sourceName);
                w.WriteString("to", targetName);
                w.WriteNumber("copied", tokens.Count);
                w.WriteNumber("added", added);
                w.WriteNumber("updated", updated);
                w.WriteBoolean("target_created", targetCreated);
                w.WriteEndObject();
            });
        }

        return ExitCodes.Ok;
    }
}
