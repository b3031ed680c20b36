using System.CommandLine;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary>Options shared by several commands, made fresh for each (an option belongs to one command).</summary>
internal static class CommonOptions
{
    public static Option<bool> Json(string description = "Print JSON (keys are the SDK's column names) instead of a table.") =>
        new("--json") { Description = description };

    /// <summary><c>--field NAME</c>: print one raw value per line instead of a table.</summary>
    public static Option<string?> Field(string description) =>
        new("--field") { Description = description, HelpName = "NAME" };

    /// <summary>Checks that at most one output form (<c>--json</c>, <c>--field</c>) is asked for.</summary>
    /// <exception cref="CliException">Usage error for both.</exception>
    public static void CheckOneFormat(bool json, string? field)
    {
        if (json && field is not null)
        {
            throw CliException.Usage("give --json or --field, not both.");
        }
    }

    public static Option<bool> Reveal() =>
        new("--reveal") { Description = "Show secrets (client_secret, refresh_token, access_token, grant_token) in full; a warning goes to stderr." };

    /// <summary>The stderr warning printed whenever secrets are about to be shown.</summary>
    public static void WarnReveal(CliConsole console) =>
        console.WriteWarning("--reveal prints secrets in plain text; they can end up in terminal scrollback, shell logs or CI output.");
}
