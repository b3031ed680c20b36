using System.Data.Common;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>
/// One change on a database store: a pooled connection inside <c>BEGIN</c>, holding the store row's lock from its
/// first statement to its commit or rollback. It belongs to the thread that began it.
/// </summary>
internal sealed class ServerTransaction(ServerStorage storage, DbConnection connection, Generations begin, long beganAt, bool metadataPresent) : IStorageTransaction
{
    public DbConnection Connection => connection;

    /// <summary>The counters the store row held when this transaction locked it.</summary>
    public Generations Begin => begin;

    /// <summary>When the counters were read (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long BeganAt => beganAt;

    /// <summary>True when the store row held metadata at begin: the store exists.</summary>
    public bool MetadataPresent => metadataPresent;

    /// <summary>True once a record, the metadata, a key or the key ring was written.</summary>
    public bool DataChanged { get; set; }

    /// <summary>True once the metadata, a key or the key ring was written.</summary>
    public bool StateChanged { get; set; }

    /// <summary>True once the metadata was written: after the commit, the store exists.</summary>
    public bool MetadataWritten { get; set; }

    /// <summary>True when the connection was lost: nothing more can run on it, and the rollback is the server's.</summary>
    public bool Broken { get; set; }

    public bool Done { get; set; }

    public void ThrowIfBroken()
    {
        if (Broken)
        {
            throw Errors.Unavailable(storage.Path, "continuing a change", "the connection was lost earlier in this transaction");
        }
    }

    public void Commit() => storage.Commit(this);

    /// <summary>Rolls back unless committed, and returns the connection.</summary>
    public void Dispose() => storage.End(this);
}
