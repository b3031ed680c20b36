using System.Security.Cryptography;
using EncryptedStore.Caching;
using EncryptedStore.Engine;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Storage;
using EncryptedStore.Storage.LiteDb;
using EncryptedStore.Storage.Server;
using EncryptedStore.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EncryptedStore;

/// <summary>
/// An encrypted, blind-indexed token store in one LiteDB file: the Zoho SDKs' token-store contract
/// with every field but the id encrypted (AES-256-GCM, bound to the record), lookups by keyed hash,
/// and the key ring in the same file under a master key that never touches it.
/// </summary>
/// <remarks>
/// Thread-safe: lookups run concurrently; saves and deletes are serialised and atomic. By default one
/// process holds the file open at a time; another waits up to the lock timeout, then gets
/// <see cref="TokenStoreErrorCodes.StoreLocked"/>. With <see cref="StoreSharing.Shared"/> several
/// processes use it at once, one call at a time (see <see cref="EncryptedTokenStoreOptions.Sharing"/>).
/// Every failure is a <see cref="TokenStoreException"/> (see <see cref="TokenStoreException.Code"/>),
/// or an <see cref="ArgumentException"/> for a programmer error such as a null argument. This class only
/// checks arguments and hands each call to the component that owns it (see ARCHITECTURE.md).
/// </remarks>
public sealed partial class EncryptedTokenStore : ITokenStore, IDisposable
{
    private readonly StoreKeys _keys;
    private readonly TokenCache? _cache;
    private readonly JournaledWriter? _journal;
    private readonly WritePipeline _pipeline;
    private readonly TokenMatcher _matcher;
    private readonly TokenWriter _writer;
    private readonly KeyAdministration _administration;
    private readonly KeyRotation _rotation;
    private readonly StoreInspector _inspector;
    private readonly CacheWarmer? _warmer;
    private readonly TimeProvider _time;
    private readonly MasterKey? _ephemeralKey;

    /// <summary>Opens the store at <see cref="EncryptedTokenStoreOptions.FilePath"/>, creating it when missing.</summary>
    /// <remarks>
    /// Returns promptly: a key rotation that a process left unfinished resumes on a background thread
    /// (lookups and saves keep working meanwhile, as during any rotation); <see cref="RotateKeys"/> waits
    /// for it, and <see cref="Dispose"/> stops it between batches, to resume at the next open.
    /// </remarks>
    /// <exception cref="ArgumentException">The options are incomplete.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>WRONG_KEY</c>, <c>NOT_A_STORE</c>, <c>UNSUPPORTED_VERSION</c>, <c>STORE_LOCKED</c>, <c>INTEGRITY</c>,
    /// <c>UNPROTECTED_KEY</c> or <c>TOKEN_STORE</c> (the file cannot be read or created); the file is left unchanged.
    /// </exception>
    public EncryptedTokenStore(EncryptedTokenStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var activity = StoreTracing.Start(StoreTracing.Open, options.Location);
        try
        {
            var logger = options.LoggerFactory?.CreateLogger<EncryptedTokenStore>() ?? NullLogger<EncryptedTokenStore>.Instance;
            _time = options.TimeProvider;
            var masterKey = options.MasterKey ?? (_ephemeralKey = NewEphemeralKey());
            var existed = options.Database is not null || options.FilePath == EncryptedTokenStoreOptions.InMemory || File.Exists(options.FilePath);
            var storage = options.Database is { } database
                ? ServerStorage.Open(database, options.LockTimeout, options.MaxStaleness, options.TimeProvider, logger)
                : LiteDbFiles.OpenStorage(options.FilePath, options.FlushToDisk, options.LockTimeout, options.Sharing == StoreSharing.Shared);
            try
            {
                _keys = StoreOpener.OpenKeys(storage, masterKey, options.TimeProvider, options.LoggerFactory, logger, removeOnFailure: !existed && options.Sharing == StoreSharing.Exclusive);
            }
            catch
            {
                storage.Dispose();
                _ephemeralKey?.Dispose();
                throw;
            }

            var sealer = new RecordSealer(_keys.Ring, logger);
            var journalHost = new JournalHost(storage, _keys, _time, logger);
            try
            {
                ReplayJournal(storage, journalHost, sealer, logger);
            }
            catch
            {
                _keys.Dispose();
                storage.Dispose();
                _ephemeralKey?.Dispose();
                throw;
            }

            var metadata = _keys.State.Metadata;
            _cache = options.CacheSize > 0 ? new TokenCache(options.CacheSize) : null;
            _journal = options.UseSaveJournal && storage.SupportsJournal
                ? new JournaledWriter(storage, _cache, journalHost, metadata.StoreId, options.FlushToDisk, logger)
                : null;
            _pipeline = new WritePipeline(this, storage, _cache, _journal, _keys.Reload, logger);
            _matcher = new TokenMatcher(_pipeline, _keys, sealer, _cache, _journal);
            _rotation = new KeyRotation(_pipeline, _keys, sealer, _journal, _time, options.KeyLifetime, logger);
            _writer = new TokenWriter(_pipeline, _keys, sealer, _matcher, _cache, _journal, _rotation, logger);
            _administration = new KeyAdministration(_pipeline, _keys, _journal, logger);
            _inspector = new StoreInspector(_pipeline, _keys, sealer);
            Log.StoreOpened(logger, storage.Path, metadata.DataKeyVersion, metadata.IndexKeyVersion);
            activity?.SetTag(StoreTracing.Created, !existed).SetTag(StoreTracing.Sharing, options.Sharing == StoreSharing.Shared ? "shared" : "exclusive")
                .SetTag(StoreTracing.DataKeyVersion, metadata.DataKeyVersion).SetTag(StoreTracing.IndexKeyVersion, metadata.IndexKeyVersion).SetTag(StoreTracing.RotationResumed, metadata.Rotation is not null);
            if (metadata.Rotation is not null)
            {
                _rotation.ResumeInBackground();
            }

            if (options.WarmCache && _cache is not null && _journal is not null)
            {
                _warmer = new CacheWarmer(_pipeline, _keys, sealer, _cache, _journal);
                _warmer.Start();
            }
        }
        catch (Exception e)
        {
            StoreTracing.Fail(activity, e);
            throw;
        }
    }

    /// <summary>The full path of the store file, <c>:memory:</c>, or for a database store its server, database and table prefix.</summary>
    public string FilePath => _pipeline.Storage.Path;

    /// <summary>How many decrypted tokens the cache holds (for tests and diagnostics).</summary>
    internal int CachedTokenCount => _cache?.Count ?? 0;

    /// <summary>How many lookup values the cache maps to tokens (for tests and diagnostics).</summary>
    internal int CachedLookupCount => _cache?.LookupCount ?? 0;

    /// <summary>The LiteDB storage behind the store (for tests that look at or edit the file).</summary>
    internal LiteDbStorage BackingFile => (LiteDbStorage)_pipeline.Storage;

    /// <summary>The save journal, or null when saves do not use one (for tests and diagnostics).</summary>
    internal JournaledWriter? Journal => _journal;

    /// <summary>
    /// Finds the stored token that matches <paramref name="token"/>, fills the null properties of
    /// <paramref name="token"/> (its id included) in place and returns that same instance, or null.
    /// Precedence: a non-empty user name (with the client id when given, so another client's token never
    /// matches); else an access token when client id and secret are both absent; else, with both client
    /// id and secret, the grant token when given, else the refresh token, and the client id must match.
    /// A token that carries none of these matches nothing.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_TOKEN</c> for a token that is not an <see cref="OAuthToken"/>; <c>AMBIGUOUS_MATCH</c>
    /// when a user name without client id matches tokens of several clients; <c>INTEGRITY</c> when the
    /// matching record was tampered with; <c>KEY_UNAVAILABLE</c> when its key was revoked.
    /// </exception>
    public IToken? FindToken(IToken token)
    {
        var query = Guard.Token(token, nameof(token));
        _pipeline.ThrowIfDisposed();

        // Shared mode: catch up with another process's writes before trusting the cache.
        using var lease = _pipeline.IsSynchronized ? default : _pipeline.Hold();
        if (_matcher.Match(query) is not { } stored)
        {
            return null;
        }

        stored.FillNulls(query);
        return query;
    }

    /// <summary>Returns a new, fully populated token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>NOT_FOUND</c> when no token has that id; <c>INTEGRITY</c> when its record was tampered with; <c>KEY_UNAVAILABLE</c> when its key was revoked.</exception>
    public IToken FindTokenById(string id) => TryFindTokenById(id) ?? throw Errors.NotFound(id);

    /// <summary>Like <see cref="FindTokenById"/>, but returns null when no token has that id.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when the record was tampered with; <c>KEY_UNAVAILABLE</c> when its key was revoked.</exception>
    public OAuthToken? TryFindTokenById(string id)
    {
        // Warm, the cache answers first: it serves only ids that the checks below accept, and only while the store is open.
        if (_matcher.FindCachedById(id) is { } cached)
        {
            return cached;
        }

        Guard.Id(id, nameof(id));
        _pipeline.ThrowIfDisposed();
        return _matcher.FindById(id);
    }

    /// <summary>Returns every stored token, fully populated, ordered by id.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>INTEGRITY</c> when any record was tampered with; <c>KEY_UNAVAILABLE</c> when one is under a revoked key.</exception>
    public List<IToken> GetTokens()
    {
        _pipeline.ThrowIfDisposed();
        return _matcher.All();
    }

    /// <summary>
    /// Inserts or updates <paramref name="token"/> atomically and durably. The record is the one named by
    /// <c>Id</c> when it exists, else the one <see cref="FindToken"/> would match, else a new record (with
    /// the token's <c>Id</c> when given, else a new random id, set on the token). On update, a null
    /// property keeps the stored value (and is filled in on <paramref name="token"/>); a non-null one,
    /// the empty string included, replaces it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException">
    /// <c>INVALID_TOKEN</c> (wrong type, nothing to identify it, a value too long or with control
    /// characters or unpaired surrogates); <c>DUPLICATE_TOKEN</c> when another record holds the same user
    /// and client, access, refresh or grant token; <c>AMBIGUOUS_MATCH</c>; <c>TOKEN_STORE</c> when the file
    /// cannot be written. Nothing is written then.
    /// </exception>
    public void SaveToken(IToken token)
    {
        var incoming = Guard.Token(token, nameof(token));
        Validate(incoming);
        _writer.Save(incoming);
    }

    /// <summary>
    /// Saves several tokens in one transaction, with the rules of <see cref="SaveToken"/> for each:
    /// either all are saved or, when one is refused, none is. Much faster than one call per token for
    /// imports, since the file is flushed once.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of them is null.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException">As <see cref="SaveToken"/>; nothing is written.</exception>
    public void SaveTokens(IEnumerable<IToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var incoming = tokens.Select(t => Guard.Token(t, nameof(tokens))).ToList();
        incoming.ForEach(Validate);
        _writer.SaveAll(incoming);
    }

    /// <summary>Deletes the token with id <paramref name="id"/>; an unknown id is not an error.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null, blank or malformed.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> when the file cannot be written; nothing is deleted then.</exception>
    public void DeleteToken(string id)
    {
        Guard.Id(id, nameof(id));
        _writer.Delete(id);
    }

    /// <summary>Deletes every token in one transaction: all of them, or none if it fails.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="TokenStoreException"><c>TOKEN_STORE</c> when the file cannot be written; nothing is deleted then.</exception>
    public void DeleteTokens() => _writer.DeleteAll();

    /// <summary>
    /// Closes the store: stops a background rotation between batches, applies and deletes the save journal,
    /// closes the file (after LiteDB's checkpoint) and clears the keys held in memory. Idempotent.
    /// </summary>
    public void Dispose()
    {
        _rotation.Dispose();
        _warmer?.Dispose();
        if (!_pipeline.TryClose())
        {
            return;
        }

        _journal?.Dispose();
        _cache?.Clear();
        _pipeline.Storage.Dispose();
        _keys.Dispose();
        _ephemeralKey?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"EncryptedTokenStore({FilePath})";

    /// <summary>Waits until the cache's warm-up after open has finished (for tests and benchmarks); how many tokens it cached.</summary>
    internal int WaitForWarmCache()
    {
        _warmer?.Wait();
        return _warmer?.Warmed ?? 0;
    }

    /// <summary>Waits until a rotation resumed at open has finished or stopped (for tests).</summary>
    internal void WaitForBackgroundRotation() => _rotation.WaitForBackground();

    /// <summary>
    /// After the key check: applies what a killed process left in the save journal, once each entry is proven
    /// written with the master key (see <see cref="JournalHost.Replay"/>). A new store deletes nothing: a journal
    /// left beside it by an earlier store of the same name is not its own and is moved aside.
    /// </summary>
    private static void ReplayJournal(ITokenStorage storage, JournalHost host, RecordSealer sealer, ILogger logger)
    {
        if (!storage.HasFile)
        {
            return;
        }

        using var lease = storage.Enter();
        if (host.Replay(sealer) is > 0 and var replayed)
        {
            Log.JournalReplayed(logger, replayed, storage.Path);
        }

        storage.MarkSynchronized();
    }

    private static void Validate(OAuthToken token)
    {
        TokenFields.Validate(token);
        if (!TokenFields.IsIdentifiable(token))
        {
            throw Errors.InvalidToken("it has no user name, access, refresh or grant token to find it by; nothing was written.");
        }
    }

    /// <summary>A random master key for an in-memory store; <see cref="MasterKey.FromBytes"/> copies the bytes, so these are cleared.</summary>
    private static MasterKey NewEphemeralKey()
    {
        var bytes = RandomNumberGenerator.GetBytes(MasterKey.GeneratedKeyLength);
        try
        {
            return MasterKey.FromBytes(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
