namespace EncryptedStore;

/// <summary>
/// The settings of a store registered from configuration by <c>AddEncryptedTokenStore(IConfiguration)</c> or
/// <c>AddKeyedEncryptedTokenStore(key, IConfiguration)</c>: the options of <see cref="EncryptedTokenStoreOptions"/> that
/// belong in a configuration file, and in <see cref="MasterKey"/> where the master key comes from, never the key itself.
/// </summary>
/// <remarks>
/// Bound as named options (<c>IOptions</c>): the name is empty for the store that is not keyed, and the key's
/// invariant string for a keyed one. Checked when the host starts (<c>ValidateOnStart</c>), every problem listed in one
/// <c>OptionsValidationException</c>. A configuration section such as:
/// <code language="json">
/// "TokenStore": {
///   "FilePath": "/var/lib/myapp/tokens.db",
///   "KeyLifetime": "30.00:00:00",
///   "Sharing": "Shared",
///   "MasterKey": { "KeyFile": "/etc/myapp/tokens.key" }
/// }
/// </code>
/// with <c>services.AddEncryptedTokenStore(configuration.GetSection("TokenStore"))</c>. Environment variables override
/// it as usual (<c>TokenStore__MasterKey__KeyFile</c>). Not thread-safe; the options system builds it once.
/// </remarks>
public sealed class EncryptedTokenStoreSettings
{
    /// <summary>
    /// See <see cref="EncryptedTokenStoreOptions.FilePath"/>; required unless <see cref="Database"/> is set (exactly one of
    /// them). A relative path is relative to the current directory when the store opens. <c>:memory:</c> is an in-memory
    /// store, whose master key may be omitted.
    /// </summary>
    public string? FilePath { get; set; }

    /// <summary>A store on a database server instead of a file (see <see cref="EncryptedTokenStoreOptions.Database"/>). Never null.</summary>
    public TokenDatabaseSettings Database { get; set; } = new();

    /// <summary>See <see cref="EncryptedTokenStoreOptions.MaxStaleness"/> (a database store only), written <c>hh:mm:ss.fff</c>. Default zero.</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.Zero;

    /// <summary>See <see cref="EncryptedTokenStoreOptions.CacheSize"/>. Default 100,000; 0 turns the cache off; at least 0.</summary>
    public int CacheSize { get; set; } = new EncryptedTokenStoreOptions().CacheSize;

    /// <summary>See <see cref="EncryptedTokenStoreOptions.FlushToDisk"/>. Default true.</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>See <see cref="EncryptedTokenStoreOptions.UseSaveJournal"/>. Default true.</summary>
    public bool UseSaveJournal { get; set; } = true;

    /// <summary>See <see cref="EncryptedTokenStoreOptions.WarmCache"/>. Default true.</summary>
    public bool WarmCache { get; set; } = true;

    /// <summary>
    /// See <see cref="EncryptedTokenStoreOptions.KeyLifetime"/>, written <c>d.hh:mm:ss</c> (<c>"30.00:00:00"</c>).
    /// Default 90 days; at least <see cref="EncryptedTokenStoreOptions.MinimumKeyLifetime"/> (7 days).
    /// </summary>
    public TimeSpan KeyLifetime { get; set; } = new EncryptedTokenStoreOptions().KeyLifetime;

    /// <summary>
    /// See <see cref="EncryptedTokenStoreOptions.LockTimeout"/>, written <c>hh:mm:ss</c> (<c>"00:00:05"</c>).
    /// Default 5 seconds; from zero to 10 minutes.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = EncryptedTokenStoreOptions.DefaultLockTimeout;

    /// <summary>See <see cref="EncryptedTokenStoreOptions.Sharing"/>: <c>"Exclusive"</c> (default) or <c>"Shared"</c>.</summary>
    public StoreSharing Sharing { get; set; } = StoreSharing.Exclusive;

    /// <summary>
    /// Where the master key comes from: exactly one source, unless a <c>ProtectWith…</c> call on the builder chooses the key
    /// in code (then none) or <see cref="FilePath"/> is <c>:memory:</c> (then none gives a random key). Never null.
    /// </summary>
    public MasterKeySettings MasterKey { get; set; } = new();

    /// <summary>Copies these settings, all but the master key, to <paramref name="options"/>.</summary>
    internal void ApplyTo(EncryptedTokenStoreOptions options)
    {
        options.FilePath = FilePath ?? string.Empty;
        options.Database = Database?.IsSet == true ? Database.ToDatabase() : null;
        options.MaxStaleness = MaxStaleness;
        options.CacheSize = CacheSize;
        options.FlushToDisk = FlushToDisk;
        options.UseSaveJournal = UseSaveJournal;
        options.WarmCache = WarmCache;
        options.KeyLifetime = KeyLifetime;
        options.LockTimeout = LockTimeout;
        options.Sharing = Sharing;
    }
}
