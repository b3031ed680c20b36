using System.CommandLine;
using System.Text.Json;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>put</c>: saves (inserts or updates) one token, from options or from a JSON object (<c>--from-json FILE|-</c>),
/// and prints its id. <c>--json</c> prints the saved token as JSON; alone (no field options, no <c>--from-json</c>)
/// it also still reads the token from stdin, as it did before <c>--from-json</c> existed.
/// </summary>
internal static class PutCommand
{
    private const string Description =
        "Save a token (insert, or update the token it matches by id, user and client, or token value). "
        + "Secrets given as options are visible to other users of this machine in the process list; "
        + "the safe way is --from-json with the token as a JSON object in a file or on stdin, e.g. "
        + "tokenstore put --from-json - < token.json. A single secret option may also be given as '-' to read it from stdin. "
        + "Prints the token's id on stdout (messages go to stderr).";

    public static Command Create(CommandEnvironment environment)
    {
        var fields = new Dictionary<TokenColumn, Option<string?>>
        {
            [TokenColumn.Id] = Field("--id", "Id of the token; a new token keeps it, an existing one with this id is updated."),
            [TokenColumn.UserName] = Field("--user", "The CRM user's e-mail (user_name)."),
            [TokenColumn.ClientId] = Field("--client-id", "OAuth client id (also accepted as --client, as 'get' once spelled it).", alias: "--client"),
            [TokenColumn.ClientSecret] = Field("--client-secret", "OAuth client secret (visible in the process list; prefer --from-json or '-')."),
            [TokenColumn.RefreshToken] = Field("--refresh-token", "Refresh token (visible in the process list; prefer --from-json or '-')."),
            [TokenColumn.AccessToken] = Field("--access-token", "Access token (visible in the process list; prefer --from-json or '-')."),
            [TokenColumn.GrantToken] = Field("--grant-token", "Grant token (visible in the process list; prefer --from-json or '-')."),
            [TokenColumn.ExpiryTime] = Field("--expiry-time", "Expiry of the access token in Unix epoch milliseconds (the SDK's expiry_time)."),
            [TokenColumn.RedirectUrl] = Field("--redirect-url", "Redirect URL of the OAuth client."),
            [TokenColumn.ApiDomain] = Field("--api-domain", "API domain, e.g. https://www.zohoapis.com."),
        };
        var fromJson = new Option<string?>("--from-json")
        {
            Description = "Read the token from this file ('-': stdin) as one JSON object with the SDK's column names as keys "
                + "(id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain).",
            HelpName = "FILE",
        };
        var json = CommonOptions.Json("Print the saved token as JSON (secrets redacted unless --reveal). Without field options or --from-json, "
            + "it also reads the token from stdin as JSON, as 'put --from-json -' does (kept for compatibility).");
        var field = CommonOptions.Field("Print only this field of the saved token instead of its id (secrets need --reveal).");
        var reveal = CommonOptions.Reveal();
        var command = new Command("put", Description) { fromJson, json, field, reveal };
        foreach (var option in fields.Values)
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            CommonOptions.CheckOneFormat(context.Get(json), context.Get(field));
            var output = new PutOutput(context.Get(json), context.Get(field) is { } name ? TokenFields.Resolve(name, context.Get(reveal)) : null, context.Get(reveal));
            return Run(context, fields, context.Get(fromJson), output);
        });
        return command;
    }

    private static Option<string?> Field(string name, string description, string? alias = null)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = "VALUE" };
        if (alias is not null)
        {
            option.Aliases.Add(alias);
        }

        return option;
    }

    private static int Run(CommandContext context, Dictionary<TokenColumn, Option<string?>> fields, string? fromJson, PutOutput output)
    {
        var given = fields.Where(f => context.Has(f.Value)).ToList();
        if (fromJson is null && output.Json && given.Count == 0)
        {
            // 'put --json' alone meant "the token is JSON on stdin" before --from-json; it still does, so scripts keep working.
            fromJson = "-";
        }

        OAuthToken token;
        var json = fromJson is not null;
        if (json)
        {
            if (given.Count > 0)
            {
                throw CliException.Usage("with --from-json the token comes from the JSON object; do not also give field options.");
            }

            token = ReadJson(fromJson == "-" ? context.ReadAllStdin("put --from-json -") : ReadFile(fromJson!), fromJson == "-" ? "stdin" : $"'{fromJson}'");
        }
        else
        {
            if (given.Count == 0)
            {
                throw CliException.Usage("nothing to save: give field options (e.g. --user, --refresh-token) or --from-json FILE (or '-' for stdin) with a JSON object.");
            }

            token = new OAuthToken();
            foreach (var (column, option) in given)
            {
                TokenColumns.Set(token, column, context.ValueOrStdin(context.Get(option), option.Name));
            }
        }

        if (TokenColumns.ExpiryProblem(token.ExpiresIn) is { } problem)
        {
            throw CliException.Usage(problem);
        }

        using var session = context.OpenStore();
        if (!json && token.Id is { } id && session.Store.TryFindTokenById(id) is OAuthToken existing)
        {
            // 'put --id ID --expiry-time N' updates that one field: the stored token with the given fields over it.
            foreach (var (column, _) in given)
            {
                TokenColumns.Set(existing, column, TokenColumns.Get(token, column));
            }

            token = existing;
        }

        session.Store.SaveToken(token);
        context.Console.WriteNote($"Saved token {Printable.Of(token.Id)}.");
        if (output.Reveal)
        {
            CommonOptions.WarnReveal(context.Console);
        }

        if (output.Json)
        {
            JsonOutput.Write(context.Console, w => TokenJson.Write(w, token, output.Reveal));
        }
        else
        {
            TokenFields.Write(context.Console, [token], output.Field ?? TokenColumn.Id);
        }

        return ExitCodes.Ok;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw CliException.NotFound($"--from-json: no file at '{path}'.");
        }
    }

    private static OAuthToken ReadJson(string text, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return TokenJson.Read(document.RootElement);
        }
        catch (JsonException e)
        {
            // Only the position: the parser's message can quote a character of the input.
            throw CliException.Usage($"{source} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
        catch (FormatException e)
        {
            throw CliException.Usage($"{source}: {e.Message}");
        }
    }

    /// <summary>What to print after saving: the id (default), the token as JSON, or one field.</summary>
    private sealed record PutOutput(bool Json, TokenColumn? Field, bool Reveal);
}
