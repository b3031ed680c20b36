using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using EncryptedStore.Internal;
using Tmds.DBus.Protocol;

namespace EncryptedStore.Keys.Sources;

/// <summary>
/// Keeps secrets in the default collection of the freedesktop Secret Service (gnome-keyring, KeePassXC, ...) on the
/// D-Bus session bus, as items with the attributes <c>service</c> = <see cref="IOsSecretStore.Service"/> and
/// <c>account</c> = the name, so <c>secret-tool lookup service EncryptedStore account NAME</c> finds them.
/// </summary>
/// <remarks>
/// <para>
/// Secrets cross the bus only encrypted (<see cref="SecretServiceCipher.Algorithm"/>, as libsecret does); a service
/// that offers only plaintext sessions is refused. A locked collection or item is reported as
/// <c>MASTER_KEY_LOCKED</c>: this class never asks the service to unlock, which could pop up a prompt.
/// </para>
/// <para>
/// Every call opens its own connection and session and waits at most <see cref="DefaultTimeout"/>, so a hung bus
/// fails the call instead of hanging it. Stateless otherwise, so safe to use from several threads.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class SecretServiceStore : IOsSecretStore
{
    /// <summary>How long one call may take, connecting included.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(25);

    private const string StoreName = "Secret Service (the default collection)";
    private const string SessionBusVariable = "DBUS_SESSION_BUS_ADDRESS";
    private const string ContentType = "application/octet-stream";

    private static readonly string[] NoServiceErrors =
    [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ];

    // What gnome-keyring answers for an item another process deleted a moment ago.
    private static readonly string[] NoObjectErrors =
    [
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.Secret.Error.NoSuchObject",
    ];

    private readonly string? _busAddress;
    private readonly TimeSpan _timeout;

    /// <param name="busAddress">The D-Bus address of the session bus; null for <c>DBUS_SESSION_BUS_ADDRESS</c>.</param>
    public SecretServiceStore(string? busAddress = null)
        : this(busAddress ?? Environment.GetEnvironmentVariable(SessionBusVariable), DefaultTimeout)
    {
    }

    /// <summary>For tests: an address already resolved (null or empty: there is no session bus) and a shorter timeout.</summary>
    internal SecretServiceStore(string? busAddress, TimeSpan timeout)
    {
        _busAddress = busAddress;
        _timeout = timeout;
    }

    public string Name => StoreName;

    public byte[]? Read(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        return Run("reading a secret", async client =>
        {
            var collection = await DefaultCollectionAsync(client).ConfigureAwait(false);
            return await ReadFirstAsync(client, collection, Attributes(account)).ConfigureAwait(false);
        });
    }

    public byte[] Create(string account, ReadOnlySpan<byte> secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        var copy = secret.ToArray();
        try
        {
            return Run("creating a secret", client => CreateAsync(client, account, copy));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    public bool Delete(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        return Run("deleting a secret", async client =>
        {
            var collection = await DefaultCollectionAsync(client).ConfigureAwait(false);
            var items = await client.SearchItemsAsync(collection, Attributes(account)).ConfigureAwait(false);
            foreach (var item in items)
            {
                await DeleteItemAsync(client, item, account).ConfigureAwait(false);
            }

            return items.Length > 0;
        });
    }

    private static async Task<byte[]> CreateAsync(SecretServiceClient client, string account, byte[] secret)
    {
        var collection = await DefaultCollectionAsync(client).ConfigureAwait(false);
        var attributes = Attributes(account);
        if (await ReadFirstAsync(client, collection, attributes).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        var (created, _) = await client.CreateItemAsync(
            collection, $"EncryptedStore master key '{account}'", attributes, secret, ContentType).ConfigureAwait(false);

        // A prompt instead of an item means the collection must be unlocked first, which is the user's call.
        if (created == SecretServiceClient.NoObject)
        {
            throw Errors.MasterKeyLocked(StoreName);
        }

        // Another process may have created one at the same time: every racer keeps the first created, and a loser
        // deletes its own item (only its own, so two losers never delete each other's winner).
        var all = await client.SearchItemsAsync(collection, attributes).ConfigureAwait(false);
        var winner = await FirstCreatedAsync(client, all).ConfigureAwait(false) ?? created;
        if (winner != created)
        {
            await DeleteItemAsync(client, created, account).ConfigureAwait(false);
        }

        return await client.GetSecretAsync(winner).ConfigureAwait(false);
    }

    private static async Task<string> DefaultCollectionAsync(SecretServiceClient client)
    {
        var collection = await client.ReadAliasAsync("default").ConfigureAwait(false);
        if (collection == SecretServiceClient.NoObject)
        {
            throw Errors.MasterKeyUnavailable(
                "The Secret Service has no default collection (keyring) to keep the master key in. " +
                "Create a default keyring (for example with Seahorse, or by logging in to a desktop session once), or use another master key source.");
        }

        if (await client.IsCollectionLockedAsync(collection).ConfigureAwait(false))
        {
            throw Errors.MasterKeyLocked(StoreName);
        }

        return collection;
    }

    /// <summary>The secret of the first created item with <paramref name="attributes"/>, or null when there is none.</summary>
    private static async Task<byte[]?> ReadFirstAsync(SecretServiceClient client, string collection, Dictionary<string, string> attributes)
    {
        var items = await client.SearchItemsAsync(collection, attributes).ConfigureAwait(false);
        if (await FirstCreatedAsync(client, items).ConfigureAwait(false) is not { } first)
        {
            return null;
        }

        try
        {
            return await client.GetSecretAsync(first).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e) when (IsGone(e))
        {
            // Deleted since the search: as if the search had not found it.
            return null;
        }
    }

    /// <summary>
    /// The item created first, or null when there is none (any more); on a tie (creation times have whole seconds)
    /// the one with the shortest, then ordinally smallest path, which for gnome-keyring's numbered items
    /// (.../login/9, .../login/10) is the older. Items deleted since the search (a racer's) are left out.
    /// </summary>
    private static async Task<string?> FirstCreatedAsync(SecretServiceClient client, string[] items)
    {
        if (items.Length <= 1)
        {
            return items.FirstOrDefault();
        }

        var created = new List<(ulong Created, string Path)>(items.Length);
        foreach (var item in items)
        {
            try
            {
                created.Add((await client.CreatedAsync(item).ConfigureAwait(false), item));
            }
            catch (DBusErrorReplyException e) when (IsGone(e))
            {
            }
        }

        return created
            .OrderBy(c => c.Created)
            .ThenBy(c => c.Path.Length)
            .ThenBy(c => c.Path, StringComparer.Ordinal)
            .Select(c => c.Path)
            .FirstOrDefault();
    }

    private static async Task DeleteItemAsync(SecretServiceClient client, string item, string account)
    {
        try
        {
            // KeePassXC, for one, can be set to have the user confirm every deletion; we never open prompts.
            if (await client.DeleteItemAsync(item).ConfigureAwait(false) != SecretServiceClient.NoObject)
            {
                throw Errors.MasterKeyUnavailable(
                    $"The Secret Service wants the user to confirm deleting the secret '{account}', and EncryptedStore never opens prompts. " +
                    $"Delete it in the keyring's own application, or with: secret-tool clear service {IOsSecretStore.Service} account '{account}'.");
            }
        }
        catch (DBusErrorReplyException e) when (IsGone(e))
        {
            // Another process deleted it first; gone is what we wanted.
        }
    }

    private static bool IsGone(DBusErrorReplyException e) => NoObjectErrors.Contains(e.ErrorName);

    private static Dictionary<string, string> Attributes(string account) => new(StringComparer.Ordinal)
    {
        ["service"] = IOsSecretStore.Service,
        ["account"] = account,
    };

    /// <summary>
    /// Runs <paramref name="operation"/> on a fresh connection on the thread pool and waits for it, at most
    /// <see cref="_timeout"/>: past that the connection is dropped, which fails every pending call.
    /// </summary>
    private T Run<T>(string what, Func<SecretServiceClient, Task<T>> operation)
    {
        if (string.IsNullOrWhiteSpace(_busAddress))
        {
            throw Errors.MasterKeyUnavailable(
                $"There is no D-Bus session bus to reach the Secret Service: {SessionBusVariable} is not set and no bus address was given. " +
                "Run inside a desktop session (or under dbus-run-session with a keyring daemon), or use another master key source.");
        }

        var address = _busAddress;
        using var deadline = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            using var client = new SecretServiceClient(address);
            using var abort = deadline.Token.Register(client.Abort);
            await client.OpenAsync().ConfigureAwait(false);
            return await operation(client).ConfigureAwait(false);
        });
        deadline.CancelAfter(_timeout);
        try
        {
            // The second, later bound only matters if dropping the connection did not end the call.
            return task.WaitAsync(_timeout * 2).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not TokenStoreException)
        {
            throw deadline.IsCancellationRequested || e is TimeoutException
                ? Errors.MasterKeyUnavailable(
                    $"The Secret Service did not answer within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds while {what}. " +
                    "Check that the session bus and the keyring daemon are responsive, then retry.",
                    e)
                : Translate(e, what, address);
        }
    }

    private static TokenStoreException Translate(Exception e, string what, string address) => e switch
    {
        DBusConnectFailedException =>
            Errors.MasterKeyUnavailable(
                $"Cannot connect to the D-Bus session bus at '{address}' to reach the Secret Service ({e.Message}). " +
                $"Check {SessionBusVariable} and that the session bus is running, or use another master key source.",
                e),
        DBusErrorReplyException reply when reply.ErrorName == "org.freedesktop.DBus.Error.NotSupported" =>
            Errors.MasterKeyUnavailable(
                $"The Secret Service does not offer encrypted sessions ({SecretServiceCipher.Algorithm}), and EncryptedStore " +
                "never moves a master key over D-Bus in plaintext. Use a Secret Service that does (gnome-keyring, KeePassXC), or another master key source.",
                e),
        DBusErrorReplyException reply when NoServiceErrors.Contains(reply.ErrorName)
            || reply.ErrorName.StartsWith("org.freedesktop.DBus.Error.Spawn.", StringComparison.Ordinal) =>
            Errors.MasterKeyUnavailable(
                "No Secret Service (such as gnome-keyring or KeePassXC) is running on the D-Bus session bus. " +
                "Start one (for example gnome-keyring-daemon --start --components=secrets) and unlock its default keyring, or use another master key source.",
                e),
        DBusErrorReplyException reply when reply.ErrorName == "org.freedesktop.Secret.Error.IsLocked" =>
            Errors.MasterKeyLocked(StoreName, e),

        // Only the error name goes into the message; the service's own wording stays with the attached cause.
        DBusErrorReplyException reply =>
            Errors.MasterKeyUnavailable(
                $"The Secret Service failed while {what} ({reply.ErrorName}). Check the keyring daemon's log and retry, or use another master key source.",
                e),
        DBusConnectionClosedException or ObjectDisposedException =>
            Errors.MasterKeyUnavailable(
                $"The connection to the Secret Service closed while {what}. Retry once the session bus and the keyring daemon run.",
                e),
        DBusExceptionBase or CryptographicException =>
            Errors.MasterKeyUnavailable(
                $"The Secret Service sent a reply that cannot be used while {what} ({e.GetType().Name}). Retry; if it persists, use another master key source.",
                e),
        _ => Errors.MasterKeyUnavailable($"The Secret Service could not be used while {what} ({e.GetType().Name}).", e),
    };
}
