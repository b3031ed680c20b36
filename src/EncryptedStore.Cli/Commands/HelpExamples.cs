using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// The "Examples:" section of each command's help: 2 to 4 realistic command lines, kept here by command name so the
/// command files stay about options. <see cref="AddTo"/> hooks them into the help of every command.
/// </summary>
internal static class HelpExamples
{
    /// <summary>The examples of each command, by name; the root's under <c>tokenstore</c>.</summary>
    public static IReadOnlyDictionary<string, string[]> ByCommand { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["tokenstore"] =
        [
            "tokenstore demo",
            "tokenstore init --create-key-file ~/.config/myapp/master.key",
            "TOKENSTORE_KEY_FILE=~/.config/myapp/master.key tokenstore list",
            "tokenstore status",
        ],
        ["init"] =
        [
            "tokenstore init --create-key-file ~/.config/myapp/master.key",
            "tokenstore --store /var/lib/myapp/tokens.db --os-key myapp init",
            "MYSQL_PWD=… tokenstore --store mysql://app@db.example.com/tokens init --create-key-file ./master.key",
            "tokenstore init          # asks for a new passphrase twice",
        ],
        ["demo"] =
        [
            "tokenstore demo",
            "tokenstore demo --dir ./demo-store",
        ],
        ["put"] =
        [
            "tokenstore put --from-json token.json",
            "tokenstore put --from-json - < token.json",
            "tokenstore put --id 17 --expiry-time 1767225600000",
            "printf '%s\\n' \"$REFRESH\" | tokenstore put --user ada@example.com --client-id 1000.ABC --refresh-token -",
        ],
        ["get"] =
        [
            "tokenstore get --id 17",
            "tokenstore get --user ada@example.com --client-id 1000.ABC --json",
            "printf '%s\\n' \"$SECRET\" | tokenstore get --refresh-token 1000.xyz --client-id 1000.ABC --client-secret -",
        ],
        ["list"] =
        [
            "tokenstore list",
            "tokenstore list --json",
        ],
        ["delete"] =
        [
            "tokenstore delete 17",
            "tokenstore delete --id 17",
        ],
        ["purge"] =
        [
            "tokenstore purge",
            "tokenstore purge --yes     # in scripts, without a terminal",
        ],
        ["verify"] =
        [
            "tokenstore verify",
            "tokenstore verify --json",
        ],
        ["stats"] =
        [
            "tokenstore stats",
            "tokenstore stats --json",
        ],
        ["import"] =
        [
            "tokenstore import --from zoho-csv ./sdk_tokens.txt --dry-run",
            "tokenstore import --from sqlite ./zohooauth.db",
            "echo 'Server=127.0.0.1;User ID=app;Password=…' | tokenstore import --from mysql -",
            "tokenstore --store mysql://app@db/tokens import --from mysql mysql://app@db/zohooauth --wipe-source",
        ],
        ["export"] =
        [
            "tokenstore export --to backup ./tokens.backup",
            "tokenstore --os-key myapp export --to backup ./tokens.backup --backup-key-file ~/backup.key",
            "tokenstore export --to zoho-csv ./sdk_tokens.txt --reveal",
        ],
        ["copy"] =
        [
            "MYSQL_PWD=… tokenstore copy --from ./tokens.db --to mysql://app@db.example.com/tokens",
            "tokenstore --db-password-env PG_PW copy --from mysql://app@db1/tokens --to postgresql://app@db2/tokens?prefix=app_",
            "tokenstore --store mysql://app@db.example.com/tokens copy --to ./tokens.db --to-key-file ./laptop.key",
            "tokenstore copy --from ./old.db --to ./tokens.db --merge",
        ],
        ["rotate"] =
        [
            "tokenstore rotate",
            "tokenstore rotate --index --destroy-old",
            "tokenstore rotate --batch-size 200",
        ],
        ["change-master-key"] =
        [
            "tokenstore --key-file ~/.config/myapp/master.key change-master-key --new-os-key myapp",
            "tokenstore change-master-key --create-new-key-file ~/.config/myapp/new.key",
            "tokenstore --cert old.pfx --cert-password-env OLD_PW change-master-key --new-cert new-cert.pem --key-ring-only",
            "tokenstore change-master-key     # asks for the new passphrase twice",
        ],
        ["compact"] =
        [
            "tokenstore compact",
            "tokenstore --store /var/lib/myapp/tokens.db compact",
        ],
        ["status"] =
        [
            "tokenstore status",
            "tokenstore status --no-open",
            "tokenstore --store ./other.db status --json",
            "PGPASSWORD=… tokenstore --store postgresql://app@db.example.com/tokens status",
        ],
        ["completion"] =
        [
            "tokenstore completion bash > ~/.local/share/bash-completion/completions/tokenstore",
            "tokenstore completion zsh > \"${fpath[1]}/_tokenstore\"",
            "tokenstore completion fish > ~/.config/fish/completions/tokenstore.fish",
        ],
    };

    /// <summary>The examples of <paramref name="command"/>; empty when it has none.</summary>
    public static IReadOnlyList<string> For(Command command) =>
        ByCommand.TryGetValue(command is RootCommand ? "tokenstore" : command.Name, out var examples) ? examples : [];

    /// <summary>Adds the "Examples:" section after the default help of every command (the help option is shared by all).</summary>
    public static void AddTo(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is SynchronousCommandLineAction standard)
            {
                help.Action = new WithExamples(standard);
            }
        }
    }

    /// <summary>The standard help action, then the command's examples.</summary>
    private sealed class WithExamples(SynchronousCommandLineAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exitCode = standard.Invoke(parseResult);
            var examples = For(parseResult.CommandResult.Command);
            if (examples.Count > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine("  " + example);
                }

                output.WriteLine();
            }

            return exitCode;
        }
    }
}
