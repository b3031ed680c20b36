using MySqlConnector;
using Npgsql;

namespace EncryptedStore.Cli.Stores;

/// <summary>
/// Builds the driver's connection string for a <see cref="DatabaseUri"/> with the drivers' own builders (never by
/// concatenating text): the password from an environment variable, TLS required unless the server is this machine or
/// <c>--db-insecure</c> allows otherwise, the socket when given.
/// </summary>
internal static class DatabaseConnections
{
    private const string ApplicationName = "tokenstore";

    /// <summary>The connection string and what it says about TLS, for people (e.g. <c>TLS required</c>).</summary>
    /// <param name="uri">The store or source.</param>
    /// <param name="what">Where the URI came from, for messages (<c>--store</c>).</param>
    /// <param name="password">The password, or null for none (the server may accept the user without one, e.g. over a socket).</param>
    /// <param name="insecure"><c>--db-insecure</c>: a server elsewhere may be reached without TLS.</param>
    /// <exception cref="CliException">Usage error for <c>sslmode=disable</c> or <c>prefer</c> to another machine without <paramref name="insecure"/>.</exception>
    public static (string ConnectionString, string Tls) Build(DatabaseUri uri, string what, string? password, bool insecure)
    {
        var mode = uri.SslMode ?? (uri.IsLocal || insecure ? "prefer" : "require");
        if (mode is "disable" or "prefer" && !uri.IsLocal && !insecure)
        {
            throw CliException.Usage($"{what}: {uri.Display} is not this machine, so TLS is required (tokens and keys cross the network); "
                + $"sslmode={mode} is refused unless --db-insecure.");
        }

        var tls = mode switch
        {
            "disable" => "no TLS",
            "prefer" => uri.IsLocal ? "TLS if the server offers it (this machine)" : "TLS if the server offers it (--db-insecure)",
            "require" => "TLS required (the server's certificate is not verified; sslmode=verify-full to verify it)",
            "verify-ca" => "TLS required, the server's certificate verified",
            _ => "TLS required, the server's certificate and name verified",
        };
        return (uri.Kind == TokenDatabaseKind.MySql ? MySql(uri, password, mode) : PostgreSql(uri, password, mode), tls);
    }

    private static string MySql(DatabaseUri uri, string? password, string mode)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            Server = uri.Socket ?? uri.Host,
            Port = (uint)uri.Port,
            Database = uri.Database,
            UserID = uri.User,
            ApplicationName = ApplicationName,
            SslMode = mode switch
            {
                "disable" => MySqlSslMode.None,
                "prefer" => MySqlSslMode.Preferred,
                "require" => MySqlSslMode.Required,
                "verify-ca" => MySqlSslMode.VerifyCA,
                _ => MySqlSslMode.VerifyFull,
            },
        };
        if (uri.Socket is not null)
        {
            builder.ConnectionProtocol = MySqlConnectionProtocol.UnixSocket;
        }

        if (uri.RootCertificate is not null)
        {
            builder.SslCa = uri.RootCertificate;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        return builder.ConnectionString;
    }

    private static string PostgreSql(DatabaseUri uri, string? password, string mode)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Socket ?? uri.Host,
            Port = uri.Port,
            Database = uri.Database,
            Username = uri.User,
            ApplicationName = ApplicationName,
            SslMode = mode switch
            {
                "disable" => SslMode.Disable,
                "prefer" => SslMode.Prefer,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                _ => SslMode.VerifyFull,
            },
        };
        if (uri.RootCertificate is not null)
        {
            builder.RootCertificate = uri.RootCertificate;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        return builder.ConnectionString;
    }
}
