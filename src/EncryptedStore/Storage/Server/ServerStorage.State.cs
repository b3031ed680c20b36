using System.Data;
using System.Data.Common;
using System.Globalization;
using EncryptedStore.Internal;

namespace EncryptedStore.Storage.Server;

/// <summary>The store's state: metadata in the store row, the key list, the key ring, and the leases.</summary>
internal abstract partial class ServerStorage
{
    private const string KeyColumns = "version, purpose, state, protection_key, created, wrapped";

    /// <summary>
    /// Takes or renews the lease <c>@name</c> for <c>@holder</c> until <c>@duration</c> from the server's clock when it is
    /// free, expired or already the holder's; returns one row with the holder's name when the holder has it, none otherwise.
    /// </summary>
    protected abstract string TakeLeaseSql { get; }

    /// <summary>The value of <c>@duration</c> in <see cref="TakeLeaseSql"/>.</summary>
    protected abstract object LeaseDuration(TimeSpan duration);

    /// <summary>
    /// Reads <c>SELECT metadata, data_generation, state_generation FROM store</c>, the key list and the key ring (in that order) in one read-only snapshot,
    /// one round trip.
    /// </summary>
    protected abstract string SnapshotSql { get; }

    public bool HoldsAnything()
    {
        var (metadata, rows) = Read("opening the store", connection =>
        {
            using var command = Command(
                connection,
                $"SELECT CASE WHEN metadata IS NULL THEN 0 ELSE 1 END, CASE WHEN EXISTS (SELECT 1 FROM {RecordsTable}) OR EXISTS (SELECT 1 FROM {KeysTable}) "
                    + $"OR EXISTS (SELECT 1 FROM {KeyRingTable}) THEN 1 ELSE 0 END FROM {StoreTable} WHERE id = 1");
            using var reader = command.ExecuteReader();
            return reader.Read() ? (Flag(reader, 0), Flag(reader, 1)) : (false, false);
        });
        if (metadata && _expectingCreation)
        {
            // Looked empty a moment ago: another instance created the store since.
            _expectingCreation = false;
            throw new StoreCreatedConcurrentlyException();
        }

        return metadata || rows;
    }

    public int? ReadFormat()
    {
        var bytes = Read("opening the store", ReadMetadataBytes);
        _expectingCreation = bytes is null;
        return bytes is null ? null : ServerMetadataFormat.ReadFormat(bytes);
    }

    /// <summary>Outside a transaction, read with the key list and key ring in one snapshot, which this hold then reads from.</summary>
    public StoreMetadata ReadMetadata()
    {
        var thread = CurrentThread;
        var bytes = thread.OpenTransaction is null ? TakeSnapshot(thread).Metadata : Read("reading the store metadata", ReadMetadataBytes);
        return ServerMetadataFormat.Deserialize(bytes ?? throw Errors.Integrity("the store metadata"));
    }

    public void WriteMetadata(StoreMetadata metadata)
    {
        var bytes = ServerMetadataFormat.Serialize(metadata);
        Write("writing the store metadata", state: true, c => Execute(c, $"UPDATE {StoreTable} SET metadata = @metadata WHERE id = 1", Parameter("metadata", bytes, DbType.Binary)));
        if (CurrentThread.OpenTransaction is { } open)
        {
            open.MetadataWritten = true;
        }
        else
        {
            _expectingCreation = false;
        }
    }

    /// <summary>
    /// The tables exist since the open; inside the creating transaction this checks that the store row, now locked,
    /// still holds no metadata.
    /// </summary>
    /// <exception cref="StoreCreatedConcurrentlyException">Another instance created the store meanwhile.</exception>
    public void CreateSchema()
    {
        if (RequireTransaction("Creating a store").MetadataPresent)
        {
            throw new StoreCreatedConcurrentlyException();
        }
    }

    public IReadOnlyList<StoredKey> ListKeys() =>
        CurrentThread.Snapshot is { } snapshot ? snapshot.Keys : Read("reading the key list", ReadKeys);

    public StoredKey? FindKey(int version) =>
        CurrentThread.Snapshot is { } snapshot
            ? snapshot.Keys.FirstOrDefault(k => k.Version == version)
            : Read("reading the key list", c => ReadKeys(c, $"SELECT {KeyColumns} FROM {KeysTable} WHERE version = @version", Parameter("version", version))) is [var key, ..] ? key : null;

    public void InsertKey(StoredKey key) => Write(
        "writing the key list",
        state: true,
        c => Execute(c, $"INSERT INTO {KeysTable} ({KeyColumns}) VALUES (@version, @purpose, @state, @protectionKey, @created, @wrapped)", KeyParameters(key)));

    public void UpdateKey(StoredKey key) => Write(
        "writing the key list",
        state: true,
        c => Execute(c, $"UPDATE {KeysTable} SET purpose = @purpose, state = @state, protection_key = @protectionKey, created = @created, wrapped = @wrapped WHERE version = @version", KeyParameters(key)));

    public IReadOnlyList<KeyRingElement> ListKeyRingElements() =>
        CurrentThread.Snapshot is { } snapshot ? snapshot.Elements : Read("reading the key ring", ReadElements);

    public void InsertKeyRingElement(string name, string xml) => Write(
        "writing the key ring",
        state: true,
        c => Execute(c, $"INSERT INTO {KeyRingTable} (name, xml) VALUES (@name, @xml)", Parameter("name", name), Parameter("xml", xml)));

    public void UpdateKeyRingElement(KeyRingElement element) => Write(
        "writing the key ring",
        state: true,
        c => Execute(c, $"UPDATE {KeyRingTable} SET name = @name, xml = @xml WHERE id = @id", Parameter("id", ElementId(element)), Parameter("name", element.Name), Parameter("xml", element.Xml)));

    public void DeleteKeyRingElement(KeyRingElement element) => Write(
        "writing the key ring",
        state: true,
        c => Execute(c, $"DELETE FROM {KeyRingTable} WHERE id = @id", Parameter("id", ElementId(element))));

    /// <summary>
    /// On a connection of its own (committed by itself, even while this thread has a transaction open), with the server's
    /// clock (never this machine's). Retried once on a lost connection: taking a lease again is a renewal.
    /// </summary>
    public bool TryTakeLease(string name, string holder, TimeSpan duration) => Read(
        "taking a lease",
        c => Scalar(c, TakeLeaseSql, Parameter("name", name), Parameter("holder", holder), Parameter("duration", LeaseDuration(duration))) is string current
            && string.Equals(current, holder, StringComparison.Ordinal),
        ownConnection: true);

    public void ReleaseLease(string name, string holder) => Read(
        "releasing a lease",
        c => Execute(c, $"DELETE FROM {LeasesTable} WHERE name = @name AND holder = @holder", Parameter("name", name), Parameter("holder", holder)),
        ownConnection: true);

    private static bool Flag(DbDataReader reader, int column) => Convert.ToInt64(reader.GetValue(column), CultureInfo.InvariantCulture) != 0;

    private static long ElementId(KeyRingElement element) => Convert.ToInt64(element.StorageId, CultureInfo.InvariantCulture);

    private static StoredKey ReadKey(DbDataReader reader) =>
        !reader.IsDBNull(0) && Enum.TryParse<StoreKeyPurpose>(reader.GetString(1), out var purpose) && Enum.TryParse<StoreKeyState>(reader.GetString(2), out var state)
            && ReadGuid(reader, 3) is { } protectionKey
            ? new StoredKey(
                reader.GetInt32(0),
                purpose,
                state,
                protectionKey,
                DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5))
            : throw Errors.Integrity("the key list");

    /// <summary>A GUID as text (MySqlConnector reads a <c>CHAR(36)</c> column as a <see cref="Guid"/> already).</summary>
    private static Guid? ReadGuid(DbDataReader reader, int column) => reader.GetValue(column) switch
    {
        Guid guid => guid,
        string text when Guid.TryParseExact(text, "D", out var guid) => guid,
        _ => null,
    };

    private static KeyRingElement ReadElement(DbDataReader reader) =>
        new(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));

    private byte[]? ReadMetadataBytes(DbConnection connection)
    {
        using var command = Command(connection, $"SELECT metadata FROM {StoreTable} WHERE id = 1");
        using var reader = command.ExecuteReader();
        return !reader.Read() ? throw Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)")
            : reader.IsDBNull(0) ? null
            : reader.GetFieldValue<byte[]>(0);
    }

    private List<StoredKey> ReadKeys(DbConnection connection) => ReadKeys(connection, $"SELECT {KeyColumns} FROM {KeysTable} ORDER BY version");

    private static List<StoredKey> ReadKeys(DbConnection connection, string sql, params DbParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var keys = new List<StoredKey>();
        while (reader.Read())
        {
            keys.Add(ReadKey(reader));
        }

        return keys;
    }

    private List<KeyRingElement> ReadElements(DbConnection connection)
    {
        using var command = Command(connection, $"SELECT id, name, xml FROM {KeyRingTable} ORDER BY id");
        using var reader = command.ExecuteReader();
        var elements = new List<KeyRingElement>();
        while (reader.Read())
        {
            elements.Add(ReadElement(reader));
        }

        return elements;
    }

    /// <summary>The metadata, key list and key ring in one snapshot; kept for the rest of this hold.</summary>
    private StateSnapshot TakeSnapshot(ServerThreadState thread)
    {
        var at = _time.GetTimestamp();
        var generations = Generations.None;
        var snapshot = Read("reading the store metadata", connection =>
        {
            using var command = Command(connection, SnapshotSql);
            using var reader = command.ExecuteReader();
            byte[]? metadata = null;
            var keys = new List<StoredKey>();
            var elements = new List<KeyRingElement>();
            var part = 0;
            do
            {
                if (reader.FieldCount == 0)
                {
                    continue;
                }

                while (reader.Read())
                {
                    switch (part)
                    {
                        case 0:
                            metadata = reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0);
                            generations = new Generations(reader.GetInt64(1), reader.GetInt64(2));
                            break;
                        case 1:
                            keys.Add(ReadKey(reader));
                            break;
                        default:
                            elements.Add(ReadElement(reader));
                            break;
                    }
                }

                part++;
            }
            while (reader.NextResult());

            return part == 3 ? new StateSnapshot(metadata, keys, elements) : throw Errors.Integrity($"the store's tables (the row of {StoreTable} is missing)");
        });
        if (thread.Depth > 0)
        {
            thread.Snapshot = snapshot;

            // The counters of the same snapshot: the hold's observation, unless it already has one (an older one is
            // then kept, which at worst makes the next call reload once more).
            thread.Observed ??= (generations, at);
        }

        return snapshot;
    }

    private DbParameter[] KeyParameters(StoredKey key) =>
    [
        Parameter("version", key.Version),
        Parameter("purpose", key.Purpose.ToString()),
        Parameter("state", key.State.ToString()),
        Parameter("protectionKey", key.ProtectionKeyId.ToString("D")),
        Parameter("created", DateTime.SpecifyKind(key.Created.Kind == DateTimeKind.Local ? key.Created.ToUniversalTime() : key.Created, DateTimeKind.Utc)),
        Parameter("wrapped", key.Wrapped, DbType.Binary),
    ];
}
