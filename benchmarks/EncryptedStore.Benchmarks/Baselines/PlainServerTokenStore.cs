using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace EncryptedStore.Benchmarks.Baselines;

/// <summary>
/// The encrypted store's server schema and indexes without the cryptography, on MariaDB/MySQL or PostgreSQL: one row
/// per token, the id as primary key, every field in a plaintext column, and the blind indexes' columns holding a
/// <b>plain SHA-256</b> of the value instead of an HMAC (32 bytes either way, so the indexes have the same shape): user
/// name (not unique), user name + client id, access, refresh and grant token (unique). <c>FindTokenById</c> is one
/// select by the primary key, <c>FindToken</c> one select on a unique index (the contract's matching precedence,
/// <see cref="TokenQuery"/>), <c>SaveToken</c> one autocommit upsert whose conflict target is the id, or for a token
/// without one the user name + client id, with the contract's merge rule (null fields keep the stored value) done by
/// the server. A pooled connection is opened for every call, as the SDK's stores and an application do.
/// </summary>
/// <remarks>
/// What it leaves out, on purpose: the transaction of the encrypted store's save (it reads the record under lock to
/// merge, checks the other unique values and refuses duplicates), which is part of what the comparison measures.
/// </remarks>
internal sealed class PlainServerTokenStore : ITokenStore
{
    private const string Fields = "user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain";
    private const string Hashes = "user_hash,user_client_hash,access_hash,refresh_hash,grant_hash";

    private static readonly string[] FieldNames = Fields.Split(',');
    private static readonly string[] HashNames = Hashes.Split(',');

    private readonly DbDataSource _dataSource;
    private readonly bool _prepare;
    private readonly string _table;
    private readonly string _upsertById;
    private readonly string _upsertByUserClient;

    public PlainServerTokenStore(DbDataSource dataSource, TokenDatabaseKind server, string table)
    {
        _dataSource = dataSource;

        // As the encrypted store does on MariaDB/MySQL: its lookups and saves prepared (MySqlConnector keeps them per connection).
        _prepare = server == TokenDatabaseKind.MySql;
        _table = table;
        var insert = $"INSERT INTO {table} (id,{Fields},{Hashes}) VALUES (@id,{string.Join(',', FieldNames.Select(f => "@" + f))},{string.Join(',', HashNames.Select(h => "@" + h))})";
        var columns = FieldNames.Concat(HashNames).ToArray();
        if (server == TokenDatabaseKind.MySql)
        {
            // One statement for both: ON DUPLICATE KEY fires on the id or on any unique value.
            _upsertById = insert + " ON DUPLICATE KEY UPDATE " + string.Join(',', columns.Select(c => $"{c}=COALESCE(VALUES({c}),{c})"));
            _upsertByUserClient = _upsertById;
        }
        else
        {
            var update = " DO UPDATE SET " + string.Join(',', columns.Select(c => $"{c}=COALESCE(EXCLUDED.{c},{table}.{c})"));
            _upsertById = insert + " ON CONFLICT (id)" + update;
            _upsertByUserClient = insert + " ON CONFLICT (user_client_hash)" + update;
        }
    }

    /// <summary>The table and its indexes, with the encrypted store's column types for the id and the index columns.</summary>
    public static string[] CreateTableSql(TokenDatabaseKind server, string table)
    {
        var (id, hash) = server == TokenDatabaseKind.MySql
            ? ("varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "varbinary(64)")
            : ("varchar(128) COLLATE \"C\"", "bytea");
        return
        [
            $"CREATE TABLE {table} (id {id} NOT NULL PRIMARY KEY, "
                + string.Join(", ", FieldNames.Select(f => f + (f == "expiry_time" ? " varchar(20)" : " varchar(255)"))) + ", "
                + string.Join(", ", HashNames.Select(h => $"{h} {hash}")) + ")",
            $"CREATE INDEX {table}_user ON {table} (user_hash)",
            $"CREATE UNIQUE INDEX {table}_user_client ON {table} (user_client_hash)",
            $"CREATE UNIQUE INDEX {table}_access ON {table} (access_hash)",
            $"CREATE UNIQUE INDEX {table}_refresh ON {table} (refresh_hash)",
            $"CREATE UNIQUE INDEX {table}_grant ON {table} (grant_hash)",
        ];
    }

    public IToken? FindToken(IToken token)
    {
        var query = TokenCopy.AsOAuthToken(token);
        var key = TokenQuery.From(query);
        if (key.Kind == LookupKind.None)
        {
            return null;
        }

        var (column, hash) = key.Kind switch
        {
            LookupKind.User => ("user_hash", Sha256(key.Value)),
            LookupKind.UserClient => ("user_client_hash", UserClientHash(key.Value, key.ClientId)),
            LookupKind.AccessToken => ("access_hash", Sha256(key.Value)),
            LookupKind.RefreshToken => ("refresh_hash", Sha256(key.Value)),
            _ => ("grant_hash", Sha256(key.Value)),
        };
        using var connection = _dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id,{Fields} FROM {_table} WHERE {column}=@hash LIMIT 1";
        ServerRows.Add(command, "@hash", hash);
        Prepare(command);
        using var reader = command.ExecuteReader();
        if (!reader.Read() || ServerRows.ReadToken(reader) is not { } stored || !key.Accepts(stored))
        {
            return null;
        }

        TokenCopy.FillNulls(query, stored);
        return query;
    }

    public IToken FindTokenById(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var connection = _dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id,{Fields} FROM {_table} WHERE id=@id";
        ServerRows.Add(command, "@id", id);
        Prepare(command);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ServerRows.ReadToken(reader) : throw new TokenStoreException(TokenStoreErrorCodes.NotFound, "No token has this id.");
    }

    public void SaveToken(IToken token)
    {
        var incoming = TokenCopy.AsOAuthToken(token);
        if (!TokenCopy.IsIdentifiable(incoming))
        {
            throw new TokenStoreException(TokenStoreErrorCodes.InvalidToken, "The token has nothing to find it by.");
        }

        var byId = incoming.Id is not null;
        incoming.Id ??= TokenCopy.NewId();
        using var connection = _dataSource.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = byId ? _upsertById : _upsertByUserClient;
        AddAll(command, incoming);
        Prepare(command);
        command.ExecuteNonQuery();
    }

    public void DeleteToken(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ServerRows.Execute(_dataSource, $"DELETE FROM {_table} WHERE id=@id", id);
    }

    public List<IToken> GetTokens() => ServerRows.ReadAll(_dataSource, $"SELECT id,{Fields} FROM {_table}");

    public void DeleteTokens() => ServerRows.Execute(_dataSource, $"DELETE FROM {_table}");

    /// <summary>The insert of one complete row (no conflict handling), for the bulk load of a benchmark's setup.</summary>
    public string InsertSql => _upsertById[.._upsertById.IndexOf(" ON ", StringComparison.Ordinal)];

    /// <summary>Every column of <paramref name="token"/>, hashes included, as the parameters of the insert and upserts.</summary>
    public static void AddAll(DbCommand command, OAuthToken token)
    {
        var user = string.IsNullOrEmpty(token.UserSignature?.Name) ? null : token.UserSignature.Name;
        ServerRows.AddColumns(command, token, user);
        ServerRows.Add(command, "@user_hash", user is null ? null : Sha256(user));
        ServerRows.Add(command, "@user_client_hash", user is null ? null : UserClientHash(user, TokenQuery.NullIfEmpty(token.ClientId)));
        ServerRows.Add(command, "@access_hash", NullOrHash(token.AccessToken));
        ServerRows.Add(command, "@refresh_hash", NullOrHash(token.RefreshToken));
        ServerRows.Add(command, "@grant_hash", NullOrHash(token.GrantToken));
    }

    private static byte[]? NullOrHash(string? value) => string.IsNullOrEmpty(value) ? null : Sha256(value);

    private static byte[] Sha256(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    /// <summary>The user name and client id, separated by a character neither holds, hashed together.</summary>
    private static byte[] UserClientHash(string user, string? clientId) => Sha256(user + "\n" + clientId);

    private void Prepare(DbCommand command)
    {
        if (_prepare)
        {
            command.Prepare();
        }
    }
}
