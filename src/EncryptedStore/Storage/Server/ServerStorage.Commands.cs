using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>Running commands: on the thread's transaction or a pooled connection, with the driver's failures translated.</summary>
internal abstract partial class ServerStorage
{
    private static readonly string[] PasswordKeys = ["Password", "Pwd"];

    /// <summary>A new, closed connection to the store's database.</summary>
    protected abstract DbConnection CreateConnection();

    /// <summary>
    /// A new, closed connection for a read of one statement outside a transaction, which leaves nothing behind in the
    /// session: a pool that resets every connection it hands out (MySqlConnector's default, one more round trip) may skip that for these.
    /// </summary>
    protected virtual DbConnection CreateSessionFreeConnection() => CreateConnection();

    /// <summary>A parameter of this driver (the same for commands and batch commands).</summary>
    protected abstract DbParameter CreateParameter();

    /// <summary>What <paramref name="e"/> means; <paramref name="connection"/> is the one it happened on, if any.</summary>
    protected abstract ServerFailure Classify(Exception e, DbConnection? connection);

    /// <summary>Drops the idle connections of <paramref name="connection"/>'s pool, so the next call opens a fresh one.</summary>
    protected abstract void ClearPool(DbConnection connection);

    /// <summary>The connection string as the user gave it (it may hold a password: never shown).</summary>
    protected string ConnectionString { get; }

    /// <summary>The password of the connection string, to scrub from a driver's message should one ever quote it.</summary>
    protected string? Password { get; }

    /// <summary>The password a connection string holds, if any (to scrub it from messages).</summary>
    private static string? PasswordOf(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return PasswordKeys.Select(key => builder.TryGetValue(key, out var value) ? value?.ToString() : null).FirstOrDefault(v => !string.IsNullOrEmpty(v));
    }

    /// <summary>Lets the driver parse the connection string now: one it refuses is an <see cref="ArgumentException"/> whose message names no password.</summary>
    protected void CheckConnectionString(string connectionString, Func<string, object> parse, string driver)
    {
        try
        {
            _ = parse(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or NotSupportedException)
        {
            throw new ArgumentException($"The connection string of {Path} is not accepted by {driver}: {Reason(e)}.", nameof(connectionString));
        }
    }

    /// <summary>True for the exceptions a driver or its socket throws.</summary>
    protected static bool IsDriverFailure(Exception e) =>
        e is DbException or IOException or SocketException or TimeoutException or InvalidOperationException { Source: "MySqlConnector" or "Npgsql" };

    /// <summary>Adds parameter <paramref name="name"/> (written <c>@name</c> in the SQL); null is SQL NULL.</summary>
    protected DbParameter Parameter(string name, object? value, DbType? type = null)
    {
        var parameter = CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        if (type is { } dbType)
        {
            parameter.DbType = dbType;
        }

        return parameter;
    }

    protected static DbCommand Command(DbConnection connection, string sql, params DbParameter[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddRange(parameters);
        return command;
    }

    protected static int Execute(DbConnection connection, string sql, params DbParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of the first statement that returns rows; null when none does, or for SQL NULL.</summary>
    protected static object? Scalar(DbConnection connection, string sql, params DbParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        do
        {
            if (reader.FieldCount > 0 && reader.Read())
            {
                return reader.IsDBNull(0) ? null : reader.GetValue(0);
            }
        }
        while (reader.NextResult());

        return null;
    }

    /// <summary>
    /// A read: on this thread's transaction when one is open (unless <paramref name="ownConnection"/>), otherwise on a
    /// pooled connection, retried once on a fresh connection when the first was lost (the pool is cleared first).
    /// <paramref name="sessionFree"/>: <paramref name="call"/> runs SELECTs only, no transaction, no session setting (see <see cref="CreateSessionFreeConnection"/>).
    /// </summary>
    protected T Read<T>(string operation, Func<DbConnection, T> call, bool ownConnection = false, bool sessionFree = false)
    {
        if (!ownConnection && CurrentThread.OpenTransaction is { } transaction)
        {
            return OnTransaction(transaction, operation, call);
        }

        for (var attempt = 0; ; attempt++)
        {
            DbConnection? connection = null;
            try
            {
                connection = sessionFree ? CreateSessionFreeConnection() : CreateConnection();
                connection.Open();
                return call(connection);
            }
            catch (Exception e) when (IsDriverFailure(e))
            {
                var failure = Classify(e, connection);
                if (failure == ServerFailure.ConnectionLost)
                {
                    Lost(connection, operation, e);
                    if (attempt == 0)
                    {
                        continue;
                    }
                }

                throw Translate(failure, e, operation);
            }
            finally
            {
                connection?.Dispose();
            }
        }
    }

    /// <summary>A call on an open transaction's connection; a lost connection marks the transaction broken.</summary>
    private T OnTransaction<T>(ServerTransaction transaction, string operation, Func<DbConnection, T> call)
    {
        transaction.ThrowIfBroken();
        try
        {
            return call(transaction.Connection);
        }
        catch (Exception e) when (IsDriverFailure(e))
        {
            var failure = Classify(e, transaction.Connection);
            if (failure == ServerFailure.ConnectionLost)
            {
                transaction.Broken = true;
                Lost(transaction.Connection, operation, e);
            }

            throw Translate(failure, e, operation);
        }
    }

    /// <summary>Clears the pool of a lost connection, so the next call reconnects once the server is back.</summary>
    private void Lost(DbConnection? connection, string operation, Exception e)
    {
        ServerLog.ConnectionLost(Logger, Path, operation, Reason(e));
        try
        {
            ClearPool(connection ?? CreateConnection());
        }
        catch (Exception clearing) when (IsDriverFailure(clearing))
        {
            // Clearing is best effort: a pool that could not be cleared still drops a broken connection when it returns.
        }
    }

    /// <summary>The store exception a driver failure becomes (see the class remarks).</summary>
    private TokenStoreException Translate(ServerFailure failure, Exception e, string operation, bool outcomeUnknown = false) => failure switch
    {
        ServerFailure.LockTimeout => Errors.Locked(Path, e),
        ServerFailure.MissingTable => Errors.Integrity($"the store's tables ({Prefix}*: {Reason(e)})", e),
        ServerFailure.UniqueViolation => Errors.Duplicate("lookup value"),
        ServerFailure.Deadlock => Errors.Unavailable(Path, operation, $"the server ended the transaction to break a deadlock or a conflict with another instance ({Reason(e)})", e),
        _ => Errors.Unavailable(Path, operation, Reason(e), e, outcomeUnknown),
    };

    /// <summary>The driver's message without a final full stop; a password, should a message ever quote one, is scrubbed.</summary>
    private string Reason(Exception e)
    {
        var message = e.Message;
        if (e is not DbException && e.InnerException is { } inner && message.Length == 0)
        {
            message = inner.Message;
        }

        if (Password is { Length: > 0 } password)
        {
            message = message.Replace(password, "***", StringComparison.Ordinal);
        }

        return message.TrimEnd().TrimEnd('.');
    }
}
