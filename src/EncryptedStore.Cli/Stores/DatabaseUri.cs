using System.Globalization;

namespace EncryptedStore.Cli.Stores;

/// <summary>
/// A database store named as <c>mysql://USER@HOST[:PORT]/DATABASE</c> or <c>postgresql://USER@HOST[:PORT]/DATABASE</c>
/// (also <c>postgres://</c>), with optional query parameters <c>prefix</c> (the tables' prefix), <c>socket</c> (a Unix
/// socket: MySQL's socket file, PostgreSQL's socket folder), <c>sslmode</c> and <c>sslrootcert</c>. It never holds a
/// password: one in the URI is refused (it would show in the process list and the shell's history), and no message
/// quotes the text as given, only <see cref="Display"/>, which is built from the parsed parts.
/// </summary>
internal sealed record DatabaseUri(
    TokenDatabaseKind Kind, string User, string Host, int Port, string Database, string? Prefix, string? Socket, string? SslMode, string? RootCertificate)
{
    public const string MySqlScheme = "mysql";
    public const string PostgreSqlScheme = "postgresql";

    /// <summary>The query parameters a URI may have.</summary>
    public static readonly string[] Parameters = ["prefix", "socket", "sslmode", "sslrootcert"];

    /// <summary>The values of <c>sslmode</c>, libpq's names, weakest first.</summary>
    public static readonly string[] SslModes = ["disable", "prefer", "require", "verify-ca", "verify-full"];

    private static readonly string[] Schemes = [MySqlScheme, PostgreSqlScheme, "postgres"];

    /// <summary>Hosts that are this machine: reached without TLS unless the URI asks for it.</summary>
    private static readonly string[] LocalHosts = ["localhost", "127.0.0.1", "::1"];

    /// <summary>The scheme as shown: <c>mysql</c> or <c>postgresql</c>.</summary>
    public string Scheme => SchemeOf(Kind);

    /// <summary>The server is this machine (a loopback name or address) or a Unix socket.</summary>
    public bool IsLocal => Socket is not null || IsLocalHost(Host);

    /// <summary>True for a host name that is this machine: reached without TLS unless asked for (the import's MySQL source too).</summary>
    public static bool IsLocalHost(string host) => LocalHosts.Contains(host, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How the store is named in every output and error: <c>mysql://user@host:port/db</c>, plus <c>?prefix=</c> and
    /// <c>socket=</c> when given. Never a password (the URI has none).
    /// </summary>
    public string Display
    {
        get
        {
            var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
            var query = new List<string>();
            if (Prefix is not null)
            {
                query.Add("prefix=" + Prefix);
            }

            if (Socket is not null)
            {
                query.Add("socket=" + Socket);
            }

            return string.Create(CultureInfo.InvariantCulture, $"{Scheme}://{Uri.EscapeDataString(User)}@{host}:{Port}/{Uri.EscapeDataString(Database)}")
                + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query));
        }
    }

    /// <summary>True when <paramref name="value"/> names a database (starts with one of the schemes), false for a file path.</summary>
    public static bool IsUri(string? value) =>
        value is not null && Schemes.Any(s => value.StartsWith(s + "://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses <paramref name="value"/> (see the class); <paramref name="what"/> names where it came from, e.g. <c>--store</c>.</summary>
    /// <exception cref="CliException">A usage error that names what is wrong, never the text itself: a password, no user, host or database, an unknown parameter.</exception>
    public static DatabaseUri Parse(string value, string what)
    {
        var scheme = Schemes.First(s => value.StartsWith(s + "://", StringComparison.OrdinalIgnoreCase));
        var kind = scheme == MySqlScheme ? TokenDatabaseKind.MySql : TokenDatabaseKind.PostgreSql;
        var example = $"{SchemeOf(kind)}://USER@HOST:PORT/DATABASE";
        var rest = value[(scheme.Length + 3)..];
        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var beforeQuery = queryStart < 0 ? rest : rest[..queryStart];

        // Checked on the raw text, before any parser can quote it: USER:PASSWORD@HOST.
        var at = beforeQuery.LastIndexOf('@');
        if (at >= 0 && beforeQuery[..at].Contains(':', StringComparison.Ordinal))
        {
            throw CliException.Usage($"{what}: a password in the URI is refused (it would show in the process list and the shell's history); "
                + $"remove it and give it in an environment variable: --db-password-env NAME, else {PasswordVariableFor(kind)}. The URI is not shown.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || at < 0)
        {
            throw CliException.Usage($"{what}: not a valid database URI (expected {example}, e.g. {SchemeOf(kind)}://app@db.example.com/tokens).");
        }

        var user = Uri.UnescapeDataString(uri.UserInfo);
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.DnsSafeHost : uri.Host;
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (user.Length == 0 || host.Length == 0 || database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            var missing = user.Length == 0 ? "a user" : host.Length == 0 ? "a host" : "one database";
            throw CliException.Usage($"{what}: the URI must name {missing} ({example}).");
        }

        var query = Query(uri.Query, what);
        if (query.TryGetValue("sslmode", out var sslMode) && !SslModes.Contains(sslMode, StringComparer.Ordinal))
        {
            throw CliException.Usage($"{what}: sslmode must be one of: {string.Join(", ", SslModes)}.");
        }

        var port = uri.Port > 0 ? uri.Port : kind == TokenDatabaseKind.MySql ? 3306 : 5432;
        return new DatabaseUri(kind, user, host, port, database, query.GetValueOrDefault("prefix"), query.GetValueOrDefault("socket"), sslMode, query.GetValueOrDefault("sslrootcert"));
    }

    /// <summary>The variable the password comes from without <c>--db-password-env</c>: <c>MYSQL_PWD</c> or <c>PGPASSWORD</c>.</summary>
    public static string PasswordVariableFor(TokenDatabaseKind kind) => kind == TokenDatabaseKind.MySql ? "MYSQL_PWD" : "PGPASSWORD";

    private static string SchemeOf(TokenDatabaseKind kind) => kind == TokenDatabaseKind.MySql ? MySqlScheme : PostgreSqlScheme;

    private static Dictionary<string, string> Query(string query, string what)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (name is "password" or "pwd" or "pass")
            {
                throw CliException.Usage($"{what}: a password in the URI is refused; give it in an environment variable: --db-password-env NAME. The URI is not shown.");
            }

            if (!Parameters.Contains(name, StringComparer.Ordinal))
            {
                throw CliException.Usage($"{what}: unknown URI parameter '{Output.Printable.Of(name)}'; known: {string.Join(", ", Parameters)}.");
            }

            if (value.Length == 0 || !values.TryAdd(name, value))
            {
                throw CliException.Usage($"{what}: the URI parameter '{name}' must be given once, with a value.");
            }
        }

        return values;
    }
}
