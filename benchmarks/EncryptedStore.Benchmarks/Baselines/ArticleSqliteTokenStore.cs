using System.Text;
using Microsoft.Data.Sqlite;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// The Kaizen article's <c>CustomStoreSQLite</c>, ported to C# with its behaviour kept: a new SQLite
/// connection is opened and closed on every call (connection pooling off, as Python's
/// <c>sqlite3.connect</c> per call), one table <c>oauthtoken</c> with the SDK's columns and no index
/// but the primary key on <c>id</c>, so every lookup other than by id scans the table; a save runs an
/// UPDATE by the lookup key and an INSERT when it changed no row.
/// </summary>
/// <remarks>
/// Deliberate differences from the article, none of which changes the cost of a call: SQL parameters
/// instead of string concatenation; the contract's matching precedence (§3) instead of the article's
/// <c>a or b and c</c> slip, with the client id as an extra condition when the query carries one (so a
/// user's production and sandbox tokens stay apart); random ids instead of <c>max(id)+1</c>;
/// <c>DeleteTokens</c> commits on the connection it opened; <c>FindTokenById</c> throws when the id is
/// unknown, as every SDK store does.
/// </remarks>
internal sealed class ArticleSqliteTokenStore : ITokenStore
{
    private const string Columns = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain";

    private readonly string _connectionString;

    public ArticleSqliteTokenStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        if (!CheckTableExists())
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "CREATE TABLE oauthtoken (id varchar(10) NOT NULL,user_name varchar(255), client_id varchar(255), "
                + "client_secret varchar(255), refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), "
                + "expiry_time varchar(20), redirect_url varchar(255), api_domain varchar(255), primary key (id))";
            command.ExecuteNonQuery();
        }
    }

    public IToken? FindToken(IToken token)
    {
        var query = TokenCopy.AsOAuthToken(token);
        var key = TokenQuery.From(query);
        if (key.Kind == LookupKind.None)
        {
            return null;
        }

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select * from oauthtoken where " + Where(key, command) + " limit 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        TokenCopy.FillNulls(query, ReadToken(reader));
        return query;
    }

    public IToken FindTokenById(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select * from oauthtoken where id=@id";
        command.Parameters.AddWithValue("@id", id);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? ReadToken(reader)
            : throw new TokenStoreException(TokenStoreErrorCodes.NotFound, "Given ID is invalid.");
    }

    public void SaveToken(IToken token)
    {
        var incoming = TokenCopy.AsOAuthToken(token);
        if (!TokenCopy.IsIdentifiable(incoming))
        {
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "The token has nothing to find it by.");
        }

        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var key = TokenQuery.From(incoming);
        var updated = 0;
        if (key.Kind != LookupKind.None)
        {
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = "update oauthtoken set " + SetToken(incoming, update)
                + " where rowid = (select rowid from oauthtoken where " + Where(key, update) + " limit 1)";
            updated = update.ExecuteNonQuery();
        }

        if (updated <= 0)
        {
            incoming.Id ??= TokenCopy.NewId();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"insert into oauthtoken ({Columns}) values (@id,@user_name,@client_id,@client_secret,@refresh_token,@access_token,@grant_token,@expiry_time,@redirect_url,@api_domain)";
            AddAllParameters(insert, incoming);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public void DeleteToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "delete from oauthtoken where id=@id";
        command.Parameters.AddWithValue("@id", id);
        command.ExecuteNonQuery();
    }

    public List<IToken> GetTokens()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select * from oauthtoken";
        using var reader = command.ExecuteReader();
        var tokens = new List<IToken>();
        while (reader.Read())
        {
            tokens.Add(ReadToken(reader));
        }

        return tokens;
    }

    public void DeleteTokens()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "delete from oauthtoken";
        command.ExecuteNonQuery();
    }

    /// <summary>Bulk load for benchmark setup only: one connection, one transaction, one prepared INSERT.</summary>
    public void InsertBulk(IEnumerable<OAuthToken> tokens)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"insert into oauthtoken ({Columns}) values (@id,@user_name,@client_id,@client_secret,@refresh_token,@access_token,@grant_token,@expiry_time,@redirect_url,@api_domain)";
        foreach (var token in tokens)
        {
            insert.Parameters.Clear();
            AddAllParameters(insert, token);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private bool CheckTableExists()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select name from sqlite_master where type='table' and name='oauthtoken'";
        return command.ExecuteScalar() is not null;
    }

    private static string Where(TokenQuery key, SqliteCommand command)
    {
        command.Parameters.AddWithValue("@key", key.Value);
        if (key.ClientId is not null)
        {
            command.Parameters.AddWithValue("@key_client_id", key.ClientId);
        }

        var column = key.Kind switch
        {
            LookupKind.User or LookupKind.UserClient => "user_name",
            LookupKind.AccessToken => "access_token",
            LookupKind.GrantToken => "grant_token",
            LookupKind.RefreshToken => "refresh_token",
            _ => throw new ArgumentOutOfRangeException(nameof(key)),
        };
        return key.ClientId is null ? column + "=@key" : column + "=@key and client_id=@key_client_id";
    }

    /// <summary>The article's <c>set_token</c>: assigns every non-null field.</summary>
    private static string SetToken(OAuthToken token, SqliteCommand command)
    {
        var set = new StringBuilder();
        Append("user_name", token.UserSignature?.Name);
        Append("client_id", token.ClientId);
        Append("client_secret", token.ClientSecret);
        Append("refresh_token", token.RefreshToken);
        Append("access_token", token.AccessToken);
        Append("grant_token", token.GrantToken);
        Append("expiry_time", token.ExpiresIn);
        Append("redirect_url", token.RedirectURL);
        Append("api_domain", token.APIDomain);
        return set.ToString();

        void Append(string column, string? value)
        {
            if (value is null)
            {
                return;
            }

            set.Append(set.Length == 0 ? string.Empty : ",").Append(column).Append("=@set_").Append(column);
            command.Parameters.AddWithValue("@set_" + column, value);
        }
    }

    private static void AddAllParameters(SqliteCommand command, OAuthToken token)
    {
        command.Parameters.AddWithValue("@id", token.Id);
        command.Parameters.AddWithValue("@user_name", (object?)token.UserSignature?.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("@client_id", (object?)token.ClientId ?? DBNull.Value);
        command.Parameters.AddWithValue("@client_secret", (object?)token.ClientSecret ?? DBNull.Value);
        command.Parameters.AddWithValue("@refresh_token", (object?)token.RefreshToken ?? DBNull.Value);
        command.Parameters.AddWithValue("@access_token", (object?)token.AccessToken ?? DBNull.Value);
        command.Parameters.AddWithValue("@grant_token", (object?)token.GrantToken ?? DBNull.Value);
        command.Parameters.AddWithValue("@expiry_time", (object?)token.ExpiresIn ?? DBNull.Value);
        command.Parameters.AddWithValue("@redirect_url", (object?)token.RedirectURL ?? DBNull.Value);
        command.Parameters.AddWithValue("@api_domain", (object?)token.APIDomain ?? DBNull.Value);
    }

    /// <summary>The article's <c>set_merge_data</c> on a fresh token: every column, NULL as null (the same ten columns the server baselines read).</summary>
    private static OAuthToken ReadToken(SqliteDataReader reader) => ServerRows.ReadToken(reader);
}
