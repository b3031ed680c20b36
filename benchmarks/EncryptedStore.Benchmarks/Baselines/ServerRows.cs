using System.Data.Common;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// What the two plaintext server baselines (<see cref="SdkDbStoreTokenStore"/>, <see cref="PlainServerTokenStore"/>)
/// do alike in ADO.NET (and the article's SQLite store reads its rows with <see cref="ReadToken"/> too): parameters, the SDK's ten token columns written and read back (id, user name, client id and
/// secret, refresh, access and grant token, expiry, redirect URL, API domain, in that order), and the statements on a
/// whole row or table.
/// </summary>
internal static class ServerRows
{
    /// <summary>Adds parameter <paramref name="name"/>; null is SQL NULL.</summary>
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>
    /// The ten columns of <paramref name="token"/> as parameters <c>@id</c>, <c>@user_name</c> … <c>@api_domain</c>, the
    /// user name as the caller stores it (<paramref name="userName"/>).
    /// </summary>
    public static void AddColumns(DbCommand command, OAuthToken token, string? userName)
    {
        Add(command, "@id", token.Id);
        Add(command, "@user_name", userName);
        Add(command, "@client_id", token.ClientId);
        Add(command, "@client_secret", token.ClientSecret);
        Add(command, "@refresh_token", token.RefreshToken);
        Add(command, "@access_token", token.AccessToken);
        Add(command, "@grant_token", token.GrantToken);
        Add(command, "@expiry_time", token.ExpiresIn);
        Add(command, "@redirect_url", token.RedirectURL);
        Add(command, "@api_domain", token.APIDomain);
    }

    /// <summary>A token from the ten columns at the start of the reader's current row.</summary>
    public static OAuthToken ReadToken(DbDataReader reader)
    {
        var user = Text(reader, 1);
        return new OAuthToken
        {
            Id = Text(reader, 0),
            UserSignature = user is null ? null : new UserSignature(user),
            ClientId = Text(reader, 2),
            ClientSecret = Text(reader, 3),
            RefreshToken = Text(reader, 4),
            AccessToken = Text(reader, 5),
            GrantToken = Text(reader, 6),
            ExpiresIn = Text(reader, 7),
            RedirectURL = Text(reader, 8),
            APIDomain = Text(reader, 9),
        };
    }

    /// <summary>Every token <paramref name="sql"/> selects (the ten columns first), on a pooled connection.</summary>
    public static List<IToken> ReadAll(DbDataSource dataSource, string sql)
    {
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var tokens = new List<IToken>();
        while (reader.Read())
        {
            tokens.Add(ReadToken(reader));
        }

        return tokens;
    }

    /// <summary>Runs <paramref name="sql"/> in autocommit on a pooled connection, with <c>@id</c> when <paramref name="id"/> is given.</summary>
    public static void Execute(DbDataSource dataSource, string sql, string? id = null)
    {
        using var connection = dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (id is not null)
        {
            Add(command, "@id", id);
        }

        command.ExecuteNonQuery();
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
