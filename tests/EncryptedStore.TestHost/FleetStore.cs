namespace EncryptedStore.TestHost;

/// <summary>
/// Opens a database store for the fleet commands. The test names it <c>KIND:VARIABLE:PREFIX</c> (for example
/// <c>MySql:ENCRYPTEDSTORE_TEST_MYSQL_STORE:fleet_3f2a_</c>): the connection string comes from the environment
/// variable the child inherits from the test, so no password is ever on a command line.
/// </summary>
internal static class FleetStore
{
    public static EncryptedTokenStore Open(string spec, byte[] key, TimeSpan? lockTimeout = null)
    {
        Console.Out.Flush();
        return new EncryptedTokenStore(new EncryptedTokenStoreOptions
        {
            Database = Database(spec),
            MasterKey = MasterKey.FromBytes(key),
            LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(60),
        });
    }

    public static TokenDatabase Database(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length != 3)
        {
            throw new ArgumentException("a fleet store is KIND:VARIABLE:PREFIX", nameof(spec));
        }

        var connectionString = Environment.GetEnvironmentVariable(parts[1])
            ?? throw new ArgumentException($"{parts[1]} is not set in the child's environment", nameof(spec));
        return Enum.Parse<TokenDatabaseKind>(parts[0]) switch
        {
            TokenDatabaseKind.MySql => TokenDatabase.MySql(connectionString, parts[2]),
            TokenDatabaseKind.PostgreSql => TokenDatabase.PostgreSql(connectionString, parts[2]),
            var other => throw new ArgumentException($"unknown kind {other}", nameof(spec)),
        };
    }
}
