using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using EncryptedStore.Internal;
using EncryptedStore.Keys;
using EncryptedStore.Keys.Sources;
using EncryptedStore.Storage;

namespace EncryptedStore;

/// <summary>
/// The secret that protects a store's key ring. It never touches the store file: the store keeps only
/// a salt and a check value. A passphrase is stretched with PBKDF2-HMAC-SHA256 (600,000 iterations,
/// per-store salt); key bytes (a key file, an OS key store, a certificate-wrapped key, a systemd credential,
/// <see cref="FromBytes"/>, or <c>base64:</c> in an environment variable) go through HKDF-SHA256 with the same salt.
/// </summary>
/// <remarks>
/// Thread-safe to read. <see cref="Dispose"/> clears the copy of the secret this instance holds; a
/// store opened with it keeps its own derived key until the store is disposed.
/// <see cref="ToString"/> names the source, never the secret.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed partial class MasterKey : IDisposable
{
    /// <summary>Shortest accepted passphrase, in characters.</summary>
    public const int MinPassphraseLength = 8;

    /// <summary>Shortest accepted raw key, in bytes.</summary>
    public const int MinKeyLength = 32;

    /// <summary>Longest accepted raw key or key file, in bytes.</summary>
    public const int MaxKeyLength = 4096;

    /// <summary>The size of a key file made by <see cref="CreateKeyFile"/>, in bytes.</summary>
    public const int GeneratedKeyLength = 32;

    /// <summary>PBKDF2-HMAC-SHA256 iterations for a passphrase in a new store or after a master-key change (OWASP's 2023 figure).</summary>
    internal const int Pbkdf2Iterations = 600_000;

    /// <summary>The length of the derived key-encryption key, in bytes.</summary>
    private const int DerivedKeyLength = 32;

    /// <summary>HKDF's info for key bytes: it ties the derived key to this use.</summary>
    private static readonly byte[] HkdfInfo = "EncryptedStore master key v1"u8.ToArray();

    private const string EnvironmentKeyPrefix = "base64:";

    private readonly byte[] _material;
    private readonly string _source;
    private readonly MasterKeySource? _deferred;
    private bool _disposed;

    private MasterKey(MasterKeyKind kind, byte[] material, string source)
    {
        Kind = kind;
        _material = material;
        _source = source;
    }

    /// <summary>A key whose bytes are found per store, when it is opened or created (see <see cref="MasterKeySource"/>).</summary>
    private MasterKey(MasterKeySource deferred)
        : this(MasterKeyKind.Key, [], deferred.Description)
    {
        _deferred = deferred;
    }

    internal MasterKeyKind Kind { get; }

    /// <summary>A master key from a passphrase of at least <see cref="MinPassphraseLength"/> characters.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="passphrase"/> is null.</exception>
    /// <exception cref="TokenStoreException">Code <c>INVALID_MASTER_KEY</c> when the passphrase is too short.</exception>
    public static MasterKey FromPassphrase(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < MinPassphraseLength)
        {
            throw Errors.InvalidMasterKey($"a passphrase needs at least {MinPassphraseLength} characters.");
        }

        return new MasterKey(MasterKeyKind.Passphrase, Encoding.UTF8.GetBytes(passphrase), "passphrase");
    }

    /// <summary>
    /// A master key from a file of random key bytes (<see cref="MinKeyLength"/> to
    /// <see cref="MaxKeyLength"/> bytes), as made by <see cref="CreateKeyFile"/>. On Unix the file must be
    /// owner-only (no access for the group or others, as ssh requires of private keys).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or blank.</exception>
    /// <exception cref="TokenStoreException">Code <c>INVALID_MASTER_KEY</c> when the file is missing, unreadable, of the wrong size or accessible by other users.</exception>
    public static MasterKey FromKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return FromKeyBytes(ReadKeyBytes(path, "key file", "does not exist."), $"key file '{path}'");
    }

    /// <summary>
    /// A master key from an environment variable. A value that starts with <c>base64:</c> is raw key
    /// bytes (at least <see cref="MinKeyLength"/>); any other value is a passphrase.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="variableName"/> is null, empty or blank.</exception>
    /// <exception cref="TokenStoreException">Code <c>INVALID_MASTER_KEY</c> when the variable is unset, empty or malformed.</exception>
    public static MasterKey FromEnvironment(string variableName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(variableName);
        var value = Environment.GetEnvironmentVariable(variableName);
        if (string.IsNullOrEmpty(value))
        {
            throw Errors.InvalidMasterKey($"environment variable '{variableName}' is not set or empty.");
        }

        if (!value.StartsWith(EnvironmentKeyPrefix, StringComparison.Ordinal))
        {
            var key = FromPassphrase(value);
            return new MasterKey(key.Kind, key._material, $"environment variable '{variableName}'");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value[EnvironmentKeyPrefix.Length..]);
        }
        catch (FormatException e)
        {
            throw Errors.InvalidMasterKey($"environment variable '{variableName}' starts with '{EnvironmentKeyPrefix}' but is not valid base64.", e);
        }

        return FromKeyBytes(bytes, $"environment variable '{variableName}'");
    }

    /// <summary>A master key from raw key bytes (<see cref="MinKeyLength"/> to <see cref="MaxKeyLength"/>), e.g. from an OS key store. The bytes are copied.</summary>
    /// <exception cref="TokenStoreException">Code <c>INVALID_MASTER_KEY</c> when the length is out of range.</exception>
    public static MasterKey FromBytes(ReadOnlySpan<byte> key) => FromKeyBytes(key.ToArray(), "key bytes");

    /// <summary>
    /// Writes a new key file of <see cref="GeneratedKeyLength"/> random bytes, readable and writable by
    /// the owner only (0600) on Unix. Refuses to overwrite an existing file.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or blank.</exception>
    /// <exception cref="TokenStoreException">Code <c>INVALID_MASTER_KEY</c> when the file exists or cannot be written.</exception>
    public static void CreateKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var key = RandomNumberGenerator.GetBytes(GeneratedKeyLength);
        try
        {
            using var stream = new FileStream(SafeFile.Open(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, secret: true, takeLock: false), FileAccess.ReadWrite, bufferSize: 1);
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw Errors.InvalidMasterKey($"key file '{path}' already exists; it was left unchanged.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.InvalidMasterKey($"key file '{path}' cannot be created ({e.GetType().Name}).", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Names the source of the key (e.g. the key file's path); never the secret.</summary>
    public override string ToString() => $"MasterKey({_source})";

    /// <summary>Clears the secret held by this instance.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_material);
        _deferred?.Dispose();
    }

    /// <summary>
    /// The keys that may open the existing store at <paramref name="storePath"/> (null: in memory), most likely first.
    /// The caller disposes those that are not this instance.
    /// </summary>
    internal IReadOnlyList<MasterKey> KeysFor(string? storePath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _deferred is null ? [this] : [.. _deferred.KeysFor(storePath).Select(bytes => FromKeyBytes(bytes, _source))];
    }

    /// <summary>The key a new store at <paramref name="storePath"/>, or a master-key change, will use; see <see cref="PendingMasterKey"/>.</summary>
    internal PendingMasterKey Prepare(string? storePath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_deferred is null)
        {
            return new PendingMasterKey(this, ownsKey: false, () =>
            {
                if (storePath is not null)
                {
                    WrappedKeyFile.Delete(storePath);
                }
            }, () => { });
        }

        var (key, commit, abandon) = _deferred.Prepare(storePath);
        return new PendingMasterKey(FromKeyBytes(key, _source), ownsKey: true, commit, abandon);
    }

    /// <summary>Derives the 256-bit key-encryption key for a store from its salt.</summary>
    internal byte[] DeriveKeyEncryptionKey(byte[] salt, int iterations)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_deferred is not null)
        {
            throw new InvalidOperationException("A deferred master key is resolved for its store first (KeysFor or Prepare).");
        }

        return Kind == MasterKeyKind.Passphrase
            ? Rfc2898DeriveBytes.Pbkdf2(_material, salt, iterations, HashAlgorithmName.SHA256, DerivedKeyLength)
            : HKDF.DeriveKey(HashAlgorithmName.SHA256, _material, DerivedKeyLength, salt, HkdfInfo);
    }

    /// <summary>Reads a file of key bytes with the safe-file rules; <paramref name="kind"/> names it in messages ("key file").</summary>
    private static byte[] ReadKeyBytes(string path, string kind, string whenMissing)
    {
        var what = $"{kind} '{path}'";
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw Errors.InvalidMasterKey($"{what} {whenMissing}");
            }

            if (info.Length < MinKeyLength || info.Length > MaxKeyLength)
            {
                throw Errors.InvalidMasterKey($"{what} must hold {MinKeyLength} to {MaxKeyLength} bytes.");
            }

            // As ssh does for private keys: a key others can read or replace protects nothing (see SafeFile). No advisory
            // lock: nothing writes a key file after its exclusive creation, and a lock that a child process forked at that
            // instant holds until it execs would make a concurrent read fail.
            using var file = new FileStream(SafeFile.Open(path, FileMode.Open, FileAccess.Read, FileShare.Read, secret: true, takeLock: false), FileAccess.Read, bufferSize: 1);
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.UnsafeFile)
        {
            throw Errors.InvalidMasterKey($"{kind} {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.InvalidMasterKey($"{what} cannot be read: {e.Message}", e);
        }

        return bytes;
    }

    private static MasterKey FromKeyBytes(byte[] bytes, string source)
    {
        if (bytes.Length < MinKeyLength || bytes.Length > MaxKeyLength)
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw Errors.InvalidMasterKey($"{source} must hold {MinKeyLength} to {MaxKeyLength} bytes.");
        }

        return new MasterKey(MasterKeyKind.Key, bytes, source);
    }
}
