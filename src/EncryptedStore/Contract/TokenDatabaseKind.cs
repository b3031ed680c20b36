namespace EncryptedStore;

/// <summary>Which server a <see cref="TokenDatabase"/> store lives on.</summary>
public enum TokenDatabaseKind
{
    /// <summary>MariaDB or MySQL (InnoDB), through MySqlConnector.</summary>
    MySql = 1,

    /// <summary>PostgreSQL, through Npgsql.</summary>
    PostgreSql = 2,
}
