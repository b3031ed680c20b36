using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using EncryptedStore.Cli.Files;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Backup;

/// <summary>
/// The encrypted backup written by <c>export --to backup</c> and read by <c>import --from backup</c>:
/// one file, owner-only (0600), holding every token as JSON encrypted with AES-256-GCM under a key
/// derived from the store's master key source (see <see cref="BackupKeys"/>). Independent of the store's
/// file format; restoring needs the same key file, base64 key or passphrase.
/// </summary>
/// <remarks>
/// Layout (integers little-endian):
/// <code>
///  0  8  magic "TSBACKUP"
///  8  1  format version (1)
///  9  1  key kind: 1 key bytes (HKDF-SHA256), 2 passphrase (PBKDF2-HMAC-SHA256)
/// 10  4  PBKDF2 iterations (0 for key bytes)
/// 14 32  random salt
/// 46 32  key check value (HKDF-Expand, "tokenstore backup v1 key check")
/// 78 12  random nonce
/// 90  n  ciphertext of the UTF-8 JSON {"format":"tokenstore-backup","version":1,"created":…,"tokens":[…]}
/// 90+n 16 GCM tag; the associated data is bytes 0..89, so the header cannot be changed either
/// </code>
/// </remarks>
internal static class BackupFile
{
    public const byte FormatVersion = 1;
    public const int Pbkdf2Iterations = 600_000;
    public const string JsonFormatName = "tokenstore-backup";

    private const int MagicLength = 8;
    private const int SaltLength = 32;
    private const int CheckLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int SaltOffset = 14;
    private const int CheckOffset = SaltOffset + SaltLength;
    private const int NonceOffset = CheckOffset + CheckLength;
    private const int HeaderLength = NonceOffset + NonceLength;
    private const int MaxIterations = 10_000_000;

    private static ReadOnlySpan<byte> Magic => "TSBACKUP"u8;

    public static void Write(string path, IReadOnlyList<OAuthToken> tokens, KeySource key, DateTimeOffset created) =>
        PrivateFile.Write(path, Encrypt(tokens, key, created));

    /// <summary>The backup file's bytes (for <c>export --to backup -</c>, which writes them to stdout).</summary>
    public static byte[] Encrypt(IReadOnlyList<OAuthToken> tokens, KeySource key, DateTimeOffset created)
    {
        var plaintext = Serialize(tokens, created);
        var file = new byte[HeaderLength + plaintext.Length + TagLength];
        try
        {
            var kind = key.Kind ?? throw WithoutMaterial(key);
            var iterations = kind == KeyKind.Passphrase ? Pbkdf2Iterations : 0;
            Magic.CopyTo(file);
            file[MagicLength] = FormatVersion;
            file[MagicLength + 1] = (byte)kind;
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(MagicLength + 2), iterations);
            RandomNumberGenerator.Fill(file.AsSpan(SaltOffset, SaltLength));
            RandomNumberGenerator.Fill(file.AsSpan(NonceOffset, NonceLength));
            using var keys = BackupKeys.Derive(key, file.AsSpan(SaltOffset, SaltLength), iterations);
            keys.Check.CopyTo(file.AsSpan(CheckOffset));
            using var aes = new AesGcm(keys.EncryptionKey, TagLength);
            aes.Encrypt(
                file.AsSpan(NonceOffset, NonceLength),
                plaintext,
                file.AsSpan(HeaderLength, plaintext.Length),
                file.AsSpan(HeaderLength + plaintext.Length, TagLength),
                file.AsSpan(0, HeaderLength));
            return file;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <exception cref="TokenStoreException"><c>WRONG_KEY</c> for another key; <c>INTEGRITY</c> for a damaged or altered file.</exception>
    /// <exception cref="CliException">Not a backup file, or a newer format.</exception>
    public static List<OAuthToken> Read(string path, KeySource key)
    {
        if (!File.Exists(path))
        {
            throw CliException.NotFound($"no backup file at '{path}'.");
        }

        return Read(File.ReadAllBytes(path), path, key);
    }

    /// <summary>Reads a backup's bytes; <paramref name="path"/> names it in messages (e.g. <c>-</c> for stdin).</summary>
    public static List<OAuthToken> Read(byte[] file, string path, KeySource key)
    {
        if (file.Length < MagicLength || !file.AsSpan(0, MagicLength).SequenceEqual(Magic))
        {
            throw new CliException($"'{path}' is not a tokenstore backup (made by 'tokenstore export --to backup').");
        }

        if (file.Length < HeaderLength + TagLength)
        {
            throw Damaged(path, "it is truncated");
        }

        if (file[MagicLength] != FormatVersion)
        {
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"'{path}' is backup format {file[MagicLength]}; this tokenstore reads format {FormatVersion}. Upgrade tokenstore."));
        }

        var kind = (KeyKind)file[MagicLength + 1];
        var iterations = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(MagicLength + 2));
        if (kind is not (KeyKind.KeyBytes or KeyKind.Passphrase) || iterations < 0 || iterations > MaxIterations
            || (kind == KeyKind.Passphrase) != (iterations > 0))
        {
            throw Damaged(path, "its header is invalid");
        }

        if (!key.HasMaterial)
        {
            throw WithoutMaterial(key);
        }

        if (kind != key.Kind)
        {
            throw new TokenStoreException(TokenStoreErrorCodes.WrongKey, kind == KeyKind.Passphrase
                ? $"The backup '{path}' was made with a passphrase, not key bytes."
                : $"The backup '{path}' was made with key bytes (a key file or base64 value), not a passphrase.");
        }

        using var keys = BackupKeys.Derive(key, file.AsSpan(SaltOffset, SaltLength), iterations);
        if (!CryptographicOperations.FixedTimeEquals(keys.Check, file.AsSpan(CheckOffset, CheckLength)))
        {
            throw new TokenStoreException(TokenStoreErrorCodes.WrongKey, $"The master key does not open the backup '{path}'.");
        }

        var length = file.Length - HeaderLength - TagLength;
        var plaintext = new byte[length];
        try
        {
            using var aes = new AesGcm(keys.EncryptionKey, TagLength);
            aes.Decrypt(
                file.AsSpan(NonceOffset, NonceLength),
                file.AsSpan(HeaderLength, length),
                file.AsSpan(HeaderLength + length, TagLength),
                plaintext,
                file.AsSpan(0, HeaderLength));
            return Deserialize(plaintext, path);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw Damaged(path, "its contents fail authentication", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Serialize(IReadOnlyList<OAuthToken> tokens, DateTimeOffset created)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("format", JsonFormatName);
            writer.WriteNumber("version", FormatVersion);
            writer.WriteString("created", created);
            writer.WriteStartArray("tokens");
            foreach (var token in tokens)
            {
                TokenJson.Write(writer, token, reveal: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var bytes = buffer.ToArray();
        CryptographicOperations.ZeroMemory(buffer.GetBuffer());
        return bytes;
    }

    private static List<OAuthToken> Deserialize(byte[] plaintext, string path)
    {
        try
        {
            using var document = JsonDocument.Parse(plaintext);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != JsonFormatName
                || !root.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
            {
                throw new CliException($"the backup '{path}' decrypts but does not hold tokenstore backup data.");
            }

            return tokens.EnumerateArray().Select(TokenJson.Read).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new CliException($"the backup '{path}' decrypts but its token data is malformed.");
        }
    }

    private static TokenStoreException Damaged(string path, string reason, Exception? cause = null) =>
        new(TokenStoreErrorCodes.Integrity, $"Integrity check failed for the backup '{path}': {reason}; it was damaged or altered.", cause);

    /// <summary>A backup is keyed to a secret the tool holds; an OS key store or a certificate keeps it out of reach.</summary>
    private static CliException WithoutMaterial(KeySource key) =>
        CliException.Usage($"an encrypted backup is keyed to a key file, a passphrase, a base64 key or a systemd credential; {key.Description} keeps "
            + "its key out of this tool's reach. Give --backup-key-file PATH or --backup-passphrase-env NAME for the backup's own key.");
}
