using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// The LiteDB engine behind a shared store file: forwards to the engine <see cref="SharedLiteDbStorage"/> holds
/// now, which it replaces when another process has written (LiteDB caches pages and its log index, so
/// an engine that slept through another process's write must not be used again). Every call checks
/// that the caller holds the file (<see cref="SharedLiteDbStorage.Enter"/>), and every call that can change the
/// file bumps the write generation first, so other processes notice.
/// </summary>
internal sealed class SharedEngine(SharedLiteDbStorage file) : ILiteEngine
{
    private LiteEngine Reading => file.EngineForRead();

    private LiteEngine Writing => file.EngineForWrite();

    public int Checkpoint() => Writing.Checkpoint();

    public long Rebuild(RebuildOptions options) => Writing.Rebuild(options);

    public bool BeginTrans() => Reading.BeginTrans();

    public bool Commit() => Reading.Commit();

    public bool Rollback() => Reading.Rollback();

    public IBsonDataReader Query(string collection, Query query) => Reading.Query(collection, query);

    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Writing.Insert(collection, docs, autoId);

    public int Update(string collection, IEnumerable<BsonDocument> docs) => Writing.Update(collection, docs);

    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => Writing.UpdateMany(collection, transform, predicate);

    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Writing.Upsert(collection, docs, autoId);

    public int Delete(string collection, IEnumerable<BsonValue> ids) => Writing.Delete(collection, ids);

    public int DeleteMany(string collection, BsonExpression predicate) => Writing.DeleteMany(collection, predicate);

    public bool DropCollection(string name) => Writing.DropCollection(name);

    public bool RenameCollection(string name, string newName) => Writing.RenameCollection(name, newName);

    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => Writing.EnsureIndex(collection, name, expression, unique);

    public bool DropIndex(string collection, string name) => Writing.DropIndex(collection, name);

    public BsonValue Pragma(string name) => Reading.Pragma(name);

    public bool Pragma(string name, BsonValue value) => Writing.Pragma(name, value);

    /// <summary>Closing is <see cref="SharedLiteDbStorage"/>'s: it decides under the lock whether the engine may checkpoint.</summary>
    public void Dispose()
    {
    }
}
