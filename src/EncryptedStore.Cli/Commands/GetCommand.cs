using System.CommandLine;
using EncryptedStore.Cli.Output;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Commands;

/// <summary>
/// <c>get</c>: finds one token the way the SDK does: by id (<see cref="EncryptedTokenStore.FindTokenById"/>)
/// or by the contract's matching rules (<see cref="EncryptedTokenStore.FindToken"/>).
/// </summary>
internal static class GetCommand
{
    private const string Description =
        "Show one token, found by --id; by --user (with --client-id when the user has tokens of several clients); "
        + "by --access-token alone; or by --refresh-token or --grant-token together with --client-id and --client-secret "
        + "(the token-store contract matches those only with both client id and secret). "
        + "Token values given as options are visible in the process list: give one of them as '-' to read it from stdin.";

    public static Command Create(CommandEnvironment environment)
    {
        var id = Value("--id", "Id of the token.");
        var user = Value("--user", "The CRM user's e-mail (user_name).");
        var client = Value("--client-id", "OAuth client id; with --user it chooses between clients, and --refresh-token/--grant-token need it.");
        client.Aliases.Add("--client");
        var clientSecret = Value("--client-secret", "OAuth client secret; --refresh-token/--grant-token need it ('-' reads it from stdin).");
        var refresh = Value("--refresh-token", "Find by refresh token ('-' reads it from stdin).");
        var access = Value("--access-token", "Find by access token ('-' reads it from stdin).");
        var grant = Value("--grant-token", "Find by grant token ('-' reads it from stdin).");
        var json = CommonOptions.Json();
        var field = CommonOptions.Field("Print only this field of the token (an SDK column name, e.g. refresh_token with --reveal); nothing else.");
        var reveal = CommonOptions.Reveal();
        var command = new Command("get", Description) { id, user, client, clientSecret, refresh, access, grant, json, field, reveal };
        command.SetAction(parseResult =>
        {
            var context = new CommandContext(parseResult, environment);
            CommonOptions.CheckOneFormat(context.Get(json), context.Get(field));
            TokenColumn? column = context.Get(field) is { } name ? TokenFields.Resolve(name, context.Get(reveal)) : null;
            var lookup = new Lookup(
                context.Get(id),
                context.Get(user),
                context.Get(client),
                context.ValueOrStdin(context.Get(clientSecret), clientSecret.Name),
                context.ValueOrStdin(context.Get(refresh), refresh.Name),
                context.ValueOrStdin(context.Get(access), access.Name),
                context.ValueOrStdin(context.Get(grant), grant.Name));
            return Run(context, lookup, context.Get(json), column, context.Get(reveal));
        });
        return command;
    }

    private static Option<string?> Value(string name, string description) => new(name) { Description = description, HelpName = "VALUE" };

    private static int Run(CommandContext context, Lookup lookup, bool json, TokenColumn? field, bool reveal)
    {
        var query = lookup.ToQuery();
        using var session = context.OpenStore();
        OAuthToken? token;
        if (lookup.Id is not null)
        {
            token = (OAuthToken)session.Store.FindTokenById(lookup.Id);
        }
        else
        {
            var found = session.Store.FindToken(query!) as OAuthToken
                ?? throw new TokenStoreException(TokenStoreErrorCodes.NotFound, $"Given user authentication details not found: no token matches the {lookup.Describe()}.");

            // FindToken only fills the query's missing fields; show what is stored (e.g. the real client secret).
            token = (OAuthToken)session.Store.FindTokenById(found.Id!);
        }

        if (reveal)
        {
            CommonOptions.WarnReveal(context.Console);
        }

        if (json)
        {
            JsonOutput.Write(context.Console, w => TokenJson.Write(w, token, reveal));
        }
        else if (field is { } column)
        {
            TokenFields.Write(context.Console, [token], column);
        }
        else
        {
            context.Console.WriteTable(TokenTables.Details(token, reveal, context.Time.GetUtcNow()));
        }

        return ExitCodes.Ok;
    }

    /// <summary>What the user asked to find by; checks that it forms a query the contract can match.</summary>
    private sealed record Lookup(string? Id, string? User, string? Client, string? ClientSecret, string? Refresh, string? Access, string? Grant)
    {
        /// <summary>The partial token for FindToken, or null for a lookup by id.</summary>
        /// <exception cref="CliException">Usage error when the options do not make one lookup.</exception>
        public OAuthToken? ToQuery()
        {
            var keys = new[] { Id, User, Refresh, Access, Grant }.Count(v => v is not null);
            if (keys != 1)
            {
                throw CliException.Usage("give exactly one of --id, --user, --access-token, --refresh-token or --grant-token.");
            }

            if (Id is not null || User is not null)
            {
                if (ClientSecret is not null || (Id is not null && Client is not null))
                {
                    throw CliException.Usage(Id is not null ? "--id takes no other option." : "--user takes only --client-id besides it.");
                }

                return Id is not null ? null : new OAuthToken { UserSignature = new UserSignature(User!), ClientId = Client };
            }

            if (Access is not null)
            {
                return Client is null && ClientSecret is null
                    ? new OAuthToken { AccessToken = Access }
                    : throw CliException.Usage("--access-token matches only without --client-id and --client-secret (the contract's rule).");
            }

            if (string.IsNullOrEmpty(Client) || string.IsNullOrEmpty(ClientSecret))
            {
                throw CliException.Usage("--refresh-token and --grant-token match only together with --client-id and --client-secret (the contract's rule); "
                    + "give the secret as '-' to read it from stdin, or use --id or --user instead.");
            }

            return new OAuthToken { RefreshToken = Refresh, GrantToken = Grant, ClientId = Client, ClientSecret = ClientSecret };
        }

        public string Describe() => User is not null ? (Client is null ? "user name" : "user name and client id")
            : Access is not null ? "access token"
            : Grant is not null ? "grant token and client" : "refresh token and client";
    }
}
