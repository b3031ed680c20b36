namespace EncryptedStore.Storage.Server;

/// <summary>What a driver failure means for the store (see <see cref="ServerStorage"/>'s dialects).</summary>
internal enum ServerFailure
{
    /// <summary>Any other failure the server reported: the connection is still usable.</summary>
    Other,

    /// <summary>The connection is gone (refused, reset, timed out, the server shut down): its pool is cleared.</summary>
    ConnectionLost,

    /// <summary>A unique index refused a value (MySQL 1062, PostgreSQL 23505).</summary>
    UniqueViolation,

    /// <summary>A lock wait passed the lock timeout (MySQL 1205, PostgreSQL 55P03).</summary>
    LockTimeout,

    /// <summary>The server ended the transaction to break a deadlock or a serialization conflict (MySQL 1213, PostgreSQL 40P01, 40001).</summary>
    Deadlock,

    /// <summary>A table of the store does not exist (MySQL 1146, PostgreSQL 42P01).</summary>
    MissingTable,
}
