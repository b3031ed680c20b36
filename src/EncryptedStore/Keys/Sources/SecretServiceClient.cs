using System.Security.Cryptography;
using Tmds.DBus.Protocol;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// The few calls of the freedesktop Secret Service API (org.freedesktop.secrets) that <see cref="SecretServiceStore"/>
/// makes, over one D-Bus connection with one encrypted session (<see cref="SecretServiceCipher"/>).
/// </summary>
/// <remarks>
/// Throws what Tmds.DBus throws (<see cref="DBusExceptionBase"/> subclasses, an error reply as
/// <see cref="DBusErrorReplyException"/>) and <see cref="CryptographicException"/>; the store turns them into its errors.
/// Not thread-safe except <see cref="Abort"/>, which may be called from any thread.
/// </remarks>
internal sealed class SecretServiceClient : IDisposable
{
    /// <summary>The object path D-Bus APIs return for "none".</summary>
    public const string NoObject = "/";

    private const string Destination = "org.freedesktop.secrets";
    private const string ServicePath = "/org/freedesktop/secrets";
    private const string ServiceInterface = "org.freedesktop.Secret.Service";
    private const string CollectionInterface = "org.freedesktop.Secret.Collection";
    private const string ItemInterface = "org.freedesktop.Secret.Item";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private const string SecretSignature = "(oayays)";

    private readonly DBusConnection _connection;
    private readonly SecretServiceCipher _cipher = new();
    private string _session = NoObject;

    public SecretServiceClient(string busAddress)
    {
        _connection = new DBusConnection(busAddress);
    }

    /// <summary>Connects to the bus and opens an encrypted session with the Secret Service.</summary>
    public async Task OpenAsync()
    {
        await _connection.ConnectAsync().ConfigureAwait(false);
        var (servicePublicKey, session) = await _connection.CallMethodAsync(
            OpenSessionMessage(),
            static (message, _) =>
            {
                Expect(message, "vo");
                var reader = message.GetBodyReader();
                reader.ReadSignature("ay");
                return (reader.ReadArrayOfByte(), reader.ReadObjectPathAsString());
            }).ConfigureAwait(false);
        _cipher.DeriveKey(servicePublicKey);
        _session = session;
    }

    /// <summary>The collection an alias names ("default"), or <see cref="NoObject"/> when there is none.</summary>
    public Task<string> ReadAliasAsync(string alias) =>
        _connection.CallMethodAsync(
            StringMessage(ServicePath, ServiceInterface, "ReadAlias", alias),
            static (message, _) =>
            {
                Expect(message, "o");
                return message.GetBodyReader().ReadObjectPathAsString();
            });

    /// <summary>Whether the collection is locked (its secrets cannot be read or added without unlocking it).</summary>
    public Task<bool> IsCollectionLockedAsync(string collection) =>
        _connection.CallMethodAsync(
            PropertyMessage(collection, CollectionInterface, "Locked"),
            static (message, _) =>
            {
                var reader = VariantReader(message);
                reader.ReadSignature("b");
                return reader.ReadBool();
            });

    /// <summary>When the item was created, in seconds since the Unix epoch.</summary>
    public Task<ulong> CreatedAsync(string item) =>
        _connection.CallMethodAsync(
            PropertyMessage(item, ItemInterface, "Created"),
            static (message, _) =>
            {
                var reader = VariantReader(message);
                reader.ReadSignature("t");
                return reader.ReadUInt64();
            });

    /// <summary>The items of <paramref name="collection"/> whose attributes include all of <paramref name="attributes"/>.</summary>
    public Task<string[]> SearchItemsAsync(string collection, IReadOnlyDictionary<string, string> attributes) =>
        _connection.CallMethodAsync(
            SearchItemsMessage(collection, attributes),
            static (message, _) =>
            {
                Expect(message, "ao");
                return message.GetBodyReader().ReadArrayOfObjectPath().Select(p => p.ToString()).ToArray();
            });

    /// <summary>The item's secret, decrypted. The caller clears it.</summary>
    public Task<byte[]> GetSecretAsync(string item) =>
        _connection.CallMethodAsync(
            ObjectPathMessage(item, ItemInterface, "GetSecret", _session),
            static (message, state) =>
            {
                Expect(message, SecretSignature);
                var reader = message.GetBodyReader();
                reader.AlignStruct();
                _ = reader.ReadObjectPathAsSpan();
                var iv = reader.ReadArrayOfByte();
                var ciphertext = reader.ReadArrayOfByte();
                return ((SecretServiceCipher)state!).Decrypt(iv, ciphertext);
            },
            _cipher);

    /// <summary>
    /// Creates an item (never replacing one); returns its path, or <see cref="NoObject"/> and a prompt's path when
    /// the service wants the user to confirm (such as to unlock the collection first).
    /// </summary>
    public Task<(string Item, string Prompt)> CreateItemAsync(
        string collection, string label, IReadOnlyDictionary<string, string> attributes, ReadOnlySpan<byte> secret, string contentType)
    {
        var (iv, ciphertext) = _cipher.Encrypt(secret);
        return _connection.CallMethodAsync(
            CreateItemMessage(collection, label, attributes, iv, ciphertext, contentType),
            static (message, _) =>
            {
                Expect(message, "oo");
                var reader = message.GetBodyReader();
                return (reader.ReadObjectPathAsString(), reader.ReadObjectPathAsString());
            });
    }

    /// <summary>Deletes an item; returns <see cref="NoObject"/>, or a prompt's path when the service wants the user to confirm.</summary>
    public Task<string> DeleteItemAsync(string item) =>
        _connection.CallMethodAsync(
            EmptyMessage(item, ItemInterface, "Delete"),
            static (message, _) =>
            {
                Expect(message, "o");
                return message.GetBodyReader().ReadObjectPathAsString();
            });

    /// <summary>Drops the connection, failing every pending call at once; safe from any thread.</summary>
    public void Abort() => _connection.Dispose();

    /// <summary>Drops the connection, which also closes the session on the service's side.</summary>
    public void Dispose()
    {
        _connection.Dispose();
        _cipher.Dispose();
    }

    private static void Expect(Message message, string signature)
    {
        if (message.SignatureAsString != signature)
        {
            throw new DBusUnexpectedValueException(
                $"The Secret Service replied to {message.MemberAsString ?? "a call"} with signature '{message.SignatureAsString}' instead of '{signature}'.");
        }
    }

    private static Reader VariantReader(Message message)
    {
        Expect(message, "v");
        return message.GetBodyReader();
    }

    private MessageBuffer OpenSessionMessage()
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, ServicePath, ServiceInterface, "OpenSession", "sv");
        writer.WriteString(SecretServiceCipher.Algorithm);
        writer.WriteSignature("ay");
        writer.WriteArray(_cipher.PublicKey);
        return writer.CreateMessage();
    }

    private MessageBuffer EmptyMessage(string path, string @interface, string member)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, @interface, member);
        return writer.CreateMessage();
    }

    private MessageBuffer StringMessage(string path, string @interface, string member, string argument)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, @interface, member, "s");
        writer.WriteString(argument);
        return writer.CreateMessage();
    }

    private MessageBuffer ObjectPathMessage(string path, string @interface, string member, string argument)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, @interface, member, "o");
        writer.WriteObjectPath(argument);
        return writer.CreateMessage();
    }

    private MessageBuffer PropertyMessage(string path, string @interface, string property)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, PropertiesInterface, "Get", "ss");
        writer.WriteString(@interface);
        writer.WriteString(property);
        return writer.CreateMessage();
    }

    private MessageBuffer SearchItemsMessage(string collection, IReadOnlyDictionary<string, string> attributes)
    {
        // Not a using variable: WriteAttributes takes it by reference.
        var writer = _connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Destination, collection, CollectionInterface, "SearchItems", "a{ss}");
            WriteAttributes(ref writer, attributes);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private MessageBuffer CreateItemMessage(
        string collection, string label, IReadOnlyDictionary<string, string> attributes, byte[] iv, byte[] ciphertext, string contentType)
    {
        var writer = _connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Destination, collection, CollectionInterface, "CreateItem", "a{sv}" + SecretSignature + "b");

            var properties = writer.WriteDictionaryStart();
            writer.WriteDictionaryEntryStart();
            writer.WriteString(ItemInterface + ".Label");
            writer.WriteVariantString(label);
            writer.WriteDictionaryEntryStart();
            writer.WriteString(ItemInterface + ".Attributes");
            writer.WriteSignature("a{ss}");
            WriteAttributes(ref writer, attributes);
            writer.WriteDictionaryEnd(properties);

            writer.WriteStructureStart();
            writer.WriteObjectPath(_session);
            writer.WriteArray(iv);
            writer.WriteArray(ciphertext);
            writer.WriteString(contentType);

            writer.WriteBool(false);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static void WriteAttributes(ref MessageWriter writer, IReadOnlyDictionary<string, string> attributes)
    {
        var start = writer.WriteDictionaryStart();
        foreach (var (name, value) in attributes)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(name);
            writer.WriteString(value);
        }

        writer.WriteDictionaryEnd(start);
    }
}
