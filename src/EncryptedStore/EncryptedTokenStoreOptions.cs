using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EncryptedStore;

/// <summary>
/// Settings for <see cref="EncryptedTokenStore"/>. Checked when the store is opened.
/// <see cref="ToString"/> never shows the master key.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class EncryptedTokenStoreOptions
{
    /// <summary>The path that selects an in-memory store with the same encryption, for tests and ephemeral use.</summary>
    public const string InMemory = ":memory:";

    /// <summary>
    /// Path of the store file. It is created (owner-only, 0600 on Unix) when missing.
    /// LiteDB's log lives beside it as <c>name-log.ext</c>. <see cref="InMemory"/> keeps everything in memory.
    /// Exactly one of <see cref="FilePath"/> and <see cref="Database"/> is set.
    /// </summary>
    public string FilePath { get; set; } = string.Empty;

    /// <summary>
    /// A store on a database server instead of a file (<see cref="TokenDatabase.MySql"/>,
    /// <see cref="TokenDatabase.PostgreSql"/>), shared by any number of processes and machines at once. Exactly one of
    /// <see cref="FilePath"/> and <see cref="Database"/> is set. <see cref="Sharing"/>, <see cref="FlushToDisk"/> and
    /// <see cref="UseSaveJournal"/> do not apply: every save is one transaction, durable when the server commits it.
    /// </summary>
    public TokenDatabase? Database { get; set; }

    /// <summary>
    /// For a <see cref="Database"/> store only: how long a lookup may trust what this instance cached without asking the
    /// server whether another instance changed the store. <see cref="TimeSpan.Zero"/> (the default) asks before every call,
    /// so that a call never returns a token another instance changed or deleted before the call began (one round trip
    /// on a warm lookup). A positive value (at most 1 minute) serves warm lookups from memory and may return, for up to
    /// that long, a token another instance has since refreshed, revoked or deleted; saves are exact either way.
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.Zero;

    /// <summary>The longest accepted <see cref="MaxStaleness"/>.</summary>
    public static readonly TimeSpan MaxMaxStaleness = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The key that protects the store's key ring; required for a file. For <see cref="InMemory"/>, null
    /// means a random key that lives as long as the store. The store does not dispose it.
    /// </summary>
    public MasterKey? MasterKey { get; set; }

    /// <summary>The shortest accepted <see cref="KeyLifetime"/>.</summary>
    public static readonly TimeSpan MinimumKeyLifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a data key stays the one new writes use; after that the next save makes a new one
    /// (old records keep reading with theirs). Default 90 days, at least <see cref="MinimumKeyLifetime"/>.
    /// </summary>
    public TimeSpan KeyLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How many decrypted tokens the store keeps in memory to answer <c>FindTokenById</c> and
    /// <c>FindToken</c> without reading and decrypting the file. 0 turns the cache off. Default 100,000.
    /// An entry exists only for a token that was read (or updated by id), so a store whose app reads fewer tokens
    /// holds only those. Each entry costs about 1.4 KB of managed memory for tokens of Zoho's sizes, about 1.8 KB once
    /// a lookup value (the user and client, an access token) leads to it: a full default cache is about 140 to 190 MB.
    /// A full cache makes room for a new token by evicting one entry, one not read since the last pass over the cache
    /// (CLOCK, second chance), so the tokens an app keeps reading stay warm; it never empties itself.
    /// The cache is exact within the process (every save, delete and revocation invalidates it). Across
    /// processes: in <see cref="StoreSharing.Exclusive"/> mode no other process can open the file
    /// meanwhile; in <see cref="StoreSharing.Shared"/> mode every call first checks the file's write
    /// generation and empties the cache when another process wrote, so it is never stale either.
    /// Trade-off: decrypted secrets stay in managed memory until evicted or the store is disposed.
    /// </summary>
    public int CacheSize { get; set; } = 100_000;

    /// <summary>
    /// Whether a store file opened with a cache and the save journal reads its tokens into the cache in the background
    /// after open, up to <see cref="CacheSize"/> (default true), so that the first save and the first lookup of each
    /// token are not LiteDB reads. It reads and decrypts every token once on a background thread (seconds of one core at
    /// 100,000 tokens), and puts every token's decrypted secrets in managed memory at once rather than as they are read
    /// (see <see cref="CacheSize"/>). A key rotation stops it. Ignored in shared mode, in memory and on a database server.
    /// </summary>
    public bool WarmCache { get; set; } = true;

    /// <summary>
    /// Whether every write waits until it is on the disk: an fdatasync of the save journal, or an fsync of
    /// LiteDB's log after its commit (LiteDB itself never flushes a commit). Default true: a save that
    /// returned survives a power cut. False: it survives the process being killed (the data is in the
    /// operating system's buffers) but not a crash of the machine; saves then cost their CPU time only.
    /// </summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>
    /// Whether <see cref="EncryptedTokenStore.SaveToken"/> goes through the save
    /// journal (default true). The new record is appended to a small journal file beside the store
    /// (<c>name-journal.ext</c>, 2 MiB while open, deleted at dispose) with one fsync, and a background
    /// thread applies the journal to LiteDB in batches: a durable save then costs about one fsync instead
    /// of a LiteDB commit plus one. Lookups see the save at once; anything that reads LiteDB otherwise
    /// (a lookup by value that misses the cache, a listing, another kind of write) first applies what is
    /// pending. A process that dies leaves the journal, and the next open replays it. An insert (a token
    /// without id) goes through the journal too when none of its unique lookup values is taken; saves that
    /// need a duplicate check or merge, <see cref="EncryptedTokenStore.SaveTokens"/> and saves during a
    /// rotation take the ordinary path. Used in exclusive mode only; ignored in shared mode and in memory.
    /// </summary>
    public bool UseSaveJournal { get; set; } = true;

    /// <summary>
    /// Whether other processes may use the file while this store has it open. Default
    /// <see cref="StoreSharing.Exclusive"/>: the fastest; another process waits until this one disposes
    /// the store. <see cref="StoreSharing.Shared"/>: several processes (an app and the CLI, two app
    /// instances) use it at once, each call taking a lock file for its duration; every process on the
    /// file must choose it. Ignored for <see cref="InMemory"/>.
    /// </summary>
    public StoreSharing Sharing { get; set; } = StoreSharing.Exclusive;

    /// <summary>The default <see cref="LockTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long opening waits while another process holds the store, before it fails with
    /// <see cref="TokenStoreErrorCodes.StoreLocked"/>. Default <see cref="DefaultLockTimeout"/>; zero fails at once;
    /// at most 10 minutes. In exclusive mode one process holds a store at a time and others queue here;
    /// in shared mode every call waits up to this long for the other processes' calls.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

    /// <summary>The clock for key creation and expiry decisions. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the store logs (record ids and key versions, never secrets). Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Describes the options without the master key's secret.</summary>
    public override string ToString() =>
        Database is null
            ? $"EncryptedTokenStoreOptions {{ FilePath = {FilePath}, MasterKey = {MasterKey?.ToString() ?? "null"}, Sharing = {Sharing} }}"
            : $"EncryptedTokenStoreOptions {{ Database = {Database}, MasterKey = {MasterKey?.ToString() ?? "null"}, MaxStaleness = {MaxStaleness} }}";

    /// <summary>Where the store lives, for messages: the file path, or the database server and table prefix.</summary>
    internal string Location => Database?.ToString() ?? FilePath;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(FilePath) == Database is null)
        {
            throw new ArgumentException($"Exactly one of {nameof(FilePath)} and {nameof(Database)} must be set.", Database is null ? nameof(FilePath) : nameof(Database));
        }

        if (MasterKey is null && FilePath != InMemory)
        {
            throw new ArgumentException($"{nameof(MasterKey)} is required for a store file or database.", nameof(MasterKey));
        }

        if (MaxStaleness < TimeSpan.Zero || MaxStaleness > MaxMaxStaleness || (MaxStaleness > TimeSpan.Zero && Database is null))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStaleness), MaxStaleness, $"{nameof(MaxStaleness)} must be between zero and {MaxMaxStaleness.TotalSeconds} s, and is only for a {nameof(Database)} store.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentOutOfRangeException.ThrowIfNegative(CacheSize, nameof(CacheSize));
        if (!Enum.IsDefined(Sharing))
        {
            throw new ArgumentOutOfRangeException(nameof(Sharing), Sharing, $"{nameof(Sharing)} must be {nameof(StoreSharing.Exclusive)} or {nameof(StoreSharing.Shared)}.");
        }

        if (LockTimeout < TimeSpan.Zero || LockTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(LockTimeout), LockTimeout, $"{nameof(LockTimeout)} must be between zero and 10 minutes.");
        }

        if (KeyLifetime < MinimumKeyLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(KeyLifetime), KeyLifetime, $"{nameof(KeyLifetime)} must be at least {MinimumKeyLifetime.TotalDays} days.");
        }
    }
}
