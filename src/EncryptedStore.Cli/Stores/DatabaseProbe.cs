using System.Data.Common;
using System.Globalization;
using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Cli.Stores;

/// <summary>
/// Whether a database holds a store, asked before opening it: the library creates a store's tables on first open, so
/// that <c>init</c> can refuse an existing store and the other commands can say "no store" (exit code 5) instead of
/// creating one under a mistyped name or prefix. Reads the catalogue only (<c>information_schema</c>); no key is used.
/// </summary>
internal static class DatabaseProbe
{
    /// <summary>
    /// The table that holds a store's one row (schema version, metadata), made first when the library creates a store:
    /// <c>PREFIXstore</c>. The library has no public "does it exist" for a database, so the tool asks the catalogue.
    /// </summary>
    public const string StoreTableSuffix = "store";

    private const string MySqlQuery =
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND lower(table_name) = lower(@name)";

    private const string PostgreSqlQuery =
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false)) AND lower(table_name) = lower(@name)";

    /// <summary>True when the store's table (<see cref="StoreTableSuffix"/>) exists in the database.</summary>
    /// <exception cref="CliException">Not found (exit code 5) when the server has no such database.</exception>
    /// <exception cref="TokenStoreException"><c>UNAVAILABLE</c> when the server cannot be reached or refuses the user.</exception>
    public static bool StoreExists(StoreLocation location)
    {
        var database = location.Database!;
        try
        {
            using DbConnection connection = database.Kind == TokenDatabaseKind.MySql
                ? new MySqlConnection(location.ConnectionString)
                : new NpgsqlConnection(location.ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = database.Kind == TokenDatabaseKind.MySql ? MySqlQuery : PostgreSqlQuery;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@name";
            parameter.Value = database.TablePrefix + StoreTableSuffix;
            command.Parameters.Add(parameter);
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
        }
        catch (Exception e) when (IsUnknownDatabase(e))
        {
            throw CliException.NotFound($"no store at {location.Display}: the server has no database '{location.Uri!.Database}' "
                + "(create it and grant the user access to it, then run 'tokenstore init').");
        }
        catch (Exception e) when (e is DbException or TimeoutException or IOException)
        {
            throw Unavailable(location, "checking for the store", e);
        }
    }

    /// <summary>
    /// <c>UNAVAILABLE</c> naming the store by its URI and where the password came from; the driver's message names the
    /// user and server, never the password.
    /// </summary>
    public static TokenStoreException Unavailable(StoreLocation location, string operation, Exception cause) =>
        new(TokenStoreErrorCodes.Unavailable, $"The database server of {location.Display} is unavailable while {operation}: {cause.Message.TrimEnd('.')} "
            + $"({location.PasswordSource}; {location.Tls}).", cause);

    private static bool IsUnknownDatabase(Exception e) =>
        e is MySqlException { ErrorCode: MySqlErrorCode.UnknownDatabase } || e is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName };
}
