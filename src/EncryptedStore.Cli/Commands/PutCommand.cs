using System.CommandLine;
using System.Text.Json;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>put</c>: saves (inserts or updates) one token, from options or from a JSON object on stdin.</summary>
internal static class PutCommand
{
    private const string Description =
        "Save a token (insert, or update the token it matches by id, user and client, or token value). "
        + "Secrets given as options are visible to other users of this machine in the process list; "
        + "the safe way is --json with the token as a JSON object on stdin, e.g. "
        + "tokenstore put --json < token.json. A single secret option may also be given as '-' to read it from stdin.";

    public static Command Create(CommandEnvironment environment)
    {
        var fields = new Dictionary<TokenColumn, Option<string?>>
        {
            [TokenColumn.Id] = Field("--id", "Id of the token; a new token keeps it, an existing one with this id is updated."),
            [TokenColumn.UserName] = Field("--user", "The CRM user's e-mail (user_name)."),
            [TokenColumn.ClientId] = Field("--client-id", "OAuth client id."),
            [TokenColumn.ClientSecret] = Field("--client-secret", "OAuth client secret (visible in the process list; prefer --json or '-')."),
            [TokenColumn.RefreshToken] = Field("--refresh-token", "Refresh token (visible in the process list; prefer --json or '-')."),
            [TokenColumn.AccessToken] = Field("--access-token", "Access token (visible in the process list; prefer --json or '-')."),
            [TokenColumn.GrantToken] = Field("--grant-token", "Grant token (visible in the process list; prefer --json or '-')."),
            [TokenColumn.ExpiryTime] = Field("--expiry-time", "Expiry of the access token in Unix epoch milliseconds (the SDK's expiry_time)."),
            [TokenColumn.RedirectUrl] = Field("--redirect-url", "Redirect URL of the OAuth client."),
            [TokenColumn.ApiDomain] = Field("--api-domain", "API domain, e.g. https://www.zohoapis.com."),
        };
        var json = CommonOptions.Json("Read the token from stdin as one JSON object with the SDK's column names as keys "
            + "(id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain); print the id as JSON.");
        var command = new Command("put", Description) { json };
        foreach (var option in fields.Values)
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), fields, parseResult.GetValue(json)));
        return command;
    }

    private static Option<string?> Field(string name, string description) => new(name) { Description = description, HelpName = "VALUE" };

    private static int Run(CommandContext context, Dictionary<TokenColumn, Option<string?>> fields, bool json)
    {
        var given = fields.Where(f => context.Has(f.Value)).ToList();
        OAuthToken token;
        if (json)
        {
            if (given.Count > 0)
            {
                throw CliException.Usage("with --json the token comes from stdin; do not also give field options.");
            }

            token = ReadJson(context.ReadAllStdin("put --json"));
        }
        else
        {
            if (given.Count == 0)
            {
                throw CliException.Usage("nothing to save: give field options (e.g. --user, --refresh-token) or --json with a JSON object on stdin.");
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
        if (json)
        {
            JsonOutput.Write(context.Console, w =>
            {
                w.WriteStartObject();
                w.WriteString("id", token.Id);
                w.WriteEndObject();
            });
        }
        else
        {
            context.Console.WriteLine($"Saved token {token.Id}.");
        }

        return ExitCodes.Ok;
    }

    private static OAuthToken ReadJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return TokenJson.Read(document.RootElement);
        }
        catch (JsonException e)
        {
            // Only the position: the parser's message can quote a character of the input.
            throw CliException.Usage($"stdin is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
        catch (FormatException e)
        {
            throw CliException.Usage($"stdin: {e.Message}");
        }
    }
}
