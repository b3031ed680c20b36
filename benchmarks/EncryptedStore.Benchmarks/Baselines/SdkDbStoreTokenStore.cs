using System.Data.Common;
using System.Globalization;
using System.Text;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// What Zoho's C# SDK <c>DBStore</c> does, on MariaDB/MySQL and on PostgreSQL: its table <c>oauthtoken</c> exactly as
/// the SDK's README creates it (<c>id varchar(10)</c> primary key, the other columns <c>varchar(255)</c> and
/// <c>expiry_time varchar(20)</c>, no other index, every value in clear), a connection taken from the pool and
/// opened for every call, and its queries: <c>FindToken</c> is one <c>select * … where &lt;column&gt;=… limit 1</c>
/// on an unindexed column, so the server reads the table until the first match; <c>FindTokenById</c> one select by
/// the primary key; <c>SaveToken</c> an <c>update … where &lt;column&gt;=… limit 1</c> in autocommit and, when it
/// changed no row, <c>select coalesce(max(id), 0)</c> for a new id and an insert.
/// </summary>
/// <remarks>
/// <para>The SDK's matching, as it is (not the contract's): a user signature selects by <c>user_name</c> alone (the
/// client id is not compared, so a user with a production and a sandbox token gets whichever the server finds
/// first); otherwise an access token with neither client id nor secret selects by <c>access_token</c>; otherwise,
/// with client id and secret, a grant token selects by <c>grant_token</c>, else a refresh token by
/// <c>refresh_token</c> (the client id is not compared either). The row found fills the query token's null fields.</para>
/// <para>Deliberate differences, none of which changes what a call costs: SQL parameters instead of values
/// concatenated into the text (the same text protocol on MySqlConnector; Npgsql sends both through the extended
/// protocol); on PostgreSQL, which has no <c>update … limit</c>, the update names its row by
/// <c>ctid = (select ctid … limit 1)</c>, the same one scan; the SDK's new id is <c>max(id) + 1</c> over a
/// <c>varchar</c> column, whose maximum is the greatest string (<c>"99999"</c> among 1 to 100,000), so its insert
/// would collide with an existing id: the baseline runs that query for its cost and then takes the next number no
/// row holds; <c>FindTokenById</c> throws <c>NOT_FOUND</c> like every store of the contract.</para>
/// </remarks>
internal sealed class SdkDbStoreTokenStore : ITokenStore
{
    private const string Columns = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain";

    private readonly DbDataSource _dataSource;
    private readonly TokenDatabaseKind _server;
    private readonly string _table;
    private long _nextId;

    public SdkDbStoreTokenStore(DbDataSource dataSource, TokenDatabaseKind server, string table, long firstFreeId)
    {
        _dataSource = dataSource;
        _server = server;
        _table = table;
        _nextId = firstFreeId;
    }

    /// <summary>The table as the SDK's README creates it (the same columns and types on PostgreSQL).</summary>
    public static string CreateTableSql(string table) =>
        $"CREATE TABLE {table} (id varchar(10) NOT NULL, user_name varchar(255), client_id varchar(255), client_secret varchar(255), "
        + "refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), "
        + "redirect_url varchar(255), api_domain varchar(255), PRIMARY KEY (id))";

    /// <summary>The insert of one row with every column, for the bulk load of a benchmark's setup.</summary>
    public static string InsertSql(string table) =>
        $"INSERT INTO {table} ({Columns}) VALUES (@id,@user_name,@client_id,@client_secret,@refresh_token,@access_token,@grant_token,@expiry_time,@redirect_url,@api_domain)";

    public IToken? FindToken(IToken token)
    {
        var query = TokenCopy.AsOAuthToken(token);
        using var connection = _dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        var where = Where(query, command);
        command.CommandText = $"select * from {_table}{(where is null ? string.Empty : " where " + where)} limit 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        TokenCopy.FillNulls(query, ServerRows.ReadToken(reader));
        return query;
    }

    public IToken FindTokenById(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = _dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"select * from {_table} where id=@id";
        ServerRows.Add(command, "@id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ServerRows.ReadToken(reader) : throw new TokenStoreException(TokenStoreErrorCodes.NotFound, "Given ID is invalid.");
    }

    public void SaveToken(IToken token)
    {
        var incoming = TokenCopy.AsOAuthToken(token);
        using var connection = _dataSource.OpenConnection();
        using (var update = connection.CreateCommand())
        {
            var where = Where(incoming, update);
            var set = Set(incoming, update);
            if (where is not null && set.Length > 0)
            {
                update.CommandText = _server == TokenDatabaseKind.MySql
                    ? $"update {_table} set {set} where {where} limit 1"
                    : $"update {_table} set {set} where ctid = (select ctid from {_table} where {where} limit 1)";
                if (update.ExecuteNonQuery() > 0)
                {
                    return;
                }
            }
        }

        if (incoming.RefreshToken is null && incoming.GrantToken is null && incoming.AccessToken is null)
        {
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "The token has no token value to store.");
        }

        if (incoming.Id is null)
        {
            using var maxId = connection.CreateCommand();
            maxId.CommandText = $"select coalesce(max(id), '0') as id from {_table}";
            _ = maxId.ExecuteScalar();
            incoming.Id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = InsertSql(_table);
        ServerRows.AddColumns(insert, incoming, incoming.UserSignature?.Name);
        insert.ExecuteNonQuery();
    }

    public void DeleteToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ServerRows.Execute(_dataSource, $"delete from {_table} where id=@id", id);
    }

    public List<IToken> GetTokens() => ServerRows.ReadAll(_dataSource, $"select * from {_table}");

    public void DeleteTokens() => ServerRows.Execute(_dataSource, $"delete from {_table}");

    /// <summary>The SDK's choice of lookup column (see the remarks), as a condition with its parameter; null when it has none.</summary>
    private static string? Where(OAuthToken token, DbCommand command)
    {
        string? column = null;
        string? value = null;
        if (token.UserSignature is not null)
        {
            (column, value) = string.IsNullOrEmpty(token.UserSignature.Name) ? (null, null) : ("user_name", token.UserSignature.Name);
        }
        else if (token.AccessToken is not null && token.ClientId is null && token.ClientSecret is null)
        {
            (column, value) = ("access_token", token.AccessToken);
        }
        else if (token.ClientId is not null && token.ClientSecret is not null)
        {
            (column, value) = !string.IsNullOrEmpty(token.GrantToken) ? ("grant_token", token.GrantToken)
                : !string.IsNullOrEmpty(token.RefreshToken) ? ("refresh_token", token.RefreshToken)
                : (null, null);
        }

        if (column is null)
        {
            return null;
        }

        ServerRows.Add(command, "@key", value);
        return column + "=@key";
    }

    /// <summary>The SDK's <c>set</c> list: every non-null field of the token (its id excepted).</summary>
    private static string Set(OAuthToken token, DbCommand command)
    {
        var set = new StringBuilder();
        Append("user_name", string.IsNullOrEmpty(token.UserSignature?.Name) ? null : token.UserSignature.Name);
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
            if (value is not null)
            {
                set.Append(set.Length == 0 ? string.Empty : ",").Append(column).Append("=@set_").Append(column);
                ServerRows.Add(command, "@set_" + column, value);
            }
        }
    }
}
