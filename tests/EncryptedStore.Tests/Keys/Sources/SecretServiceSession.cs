using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Tmds.DBus.Protocol;

namespace EncryptedStore.Tests.Keys.Sources;

/// <summary>
/// A real, private D-Bus session bus (dbus-daemon) with a real gnome-keyring-daemon on it, both child processes of
/// the test, in a temporary folder (mode 0700) that is their HOME and XDG folders. The keyring's login collection is
/// created with a known password, unlocked, and is the default collection. Sessions share nothing, so fixtures may
/// start several and run in parallel. <see cref="Dispose"/> kills both daemons and deletes the folder.
/// </summary>
/// <remarks>
/// The bus has its own configuration with no service directories, so nothing is ever D-Bus-activated on it: a
/// bus without a keyring (<see cref="StartWithoutSecretService"/>) really has no Secret Service.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class SecretServiceSession : IDisposable
{
    public const string SecretsName = "org.freedesktop.secrets";

    private const string ServicePath = "/org/freedesktop/secrets";
    private const string ServiceInterface = "org.freedesktop.Secret.Service";
    private const string KeyringPassword = "es-test-keyring-password";

    /// <summary>How long to wait for a daemon or a tool: ample for what takes milliseconds, on a loaded CI machine too.</summary>
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly Dictionary<string, string> _environment;
    private readonly List<Process> _daemons = [];
    private readonly ConcurrentQueue<string> _daemonErrors = new();

    private SecretServiceSession(string root)
    {
        Root = root;
        DataHome = Folder("data");
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = root,
            ["XDG_DATA_HOME"] = DataHome,
            ["XDG_CONFIG_HOME"] = Folder("config"),
            ["XDG_CACHE_HOME"] = Folder("cache"),
            ["XDG_RUNTIME_DIR"] = Folder("runtime"),
        };
    }

    private enum Keyring
    {
        None,
        WithoutPassword,
        Unlocked,
    }

    /// <summary>The bus's address, for <c>new SecretServiceStore(session.BusAddress)</c>.</summary>
    public string BusAddress { get; private set; } = string.Empty;

    /// <summary>The daemons' XDG_DATA_HOME; the keyring files are in its <c>keyrings</c> folder.</summary>
    public string DataHome { get; }

    /// <summary>The session's folder: every file either daemon writes is under it.</summary>
    public string Root { get; }

    /// <summary>What a child process needs to reach this session: DBUS_SESSION_BUS_ADDRESS, HOME and the XDG folders.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>A bus with gnome-keyring whose login collection is unlocked and the default collection.</summary>
    public static SecretServiceSession Start() => Start(Keyring.Unlocked);

    /// <summary>A bare bus: nobody owns <see cref="SecretsName"/> and nothing can be activated.</summary>
    public static SecretServiceSession StartWithoutSecretService() => Start(Keyring.None);

    /// <summary>A bus with gnome-keyring started without a login password, so it has no default collection.</summary>
    public static SecretServiceSession StartWithoutDefaultCollection() => Start(Keyring.WithoutPassword);

    /// <summary>Locks the default collection (as the screen locker or <c>Lock</c> in Seahorse would).</summary>
    public void Lock() => Call(async connection =>
    {
        var collection = await DefaultCollectionAsync(connection);
        var prompt = await connection.CallMethodAsync(
            Message(connection, ServicePath, ServiceInterface, "Lock", "ao", (ref MessageWriter w) => w.WriteArray(new[] { new ObjectPath(collection) })),
            static (m, _) =>
            {
                var reader = m.GetBodyReader();
                _ = reader.ReadArrayOfObjectPath();
                return reader.ReadObjectPathAsString();
            });
        if (prompt != "/")
        {
            throw new InvalidOperationException($"gnome-keyring wants prompt {prompt} to lock");
        }
    });

    /// <summary>Unlocks the default collection with the known password, without a prompt.</summary>
    public void Unlock() => Call(async connection =>
    {
        var collection = await DefaultCollectionAsync(connection);

        // A plain session is fine here: this is a private test bus, and gnome-keyring's headless unlock takes one.
        var session = await connection.CallMethodAsync(
            Message(connection, ServicePath, ServiceInterface, "OpenSession", "sv", (ref MessageWriter w) =>
            {
                w.WriteString("plain");
                w.WriteVariantString(string.Empty);
            }),
            static (m, _) =>
            {
                var reader = m.GetBodyReader();
                _ = reader.ReadVariantValue();
                return reader.ReadObjectPathAsString();
            });
        await connection.CallMethodAsync(Message(
            connection, ServicePath, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", "UnlockWithMasterPassword", "o(oayays)", (ref MessageWriter w) =>
            {
                w.WriteObjectPath(collection);
                w.WriteStructureStart();
                w.WriteObjectPath(session);
                w.WriteArray(Array.Empty<byte>());
                w.WriteArray(Encoding.UTF8.GetBytes(KeyringPassword));
                w.WriteString("text/plain");
            }));
    });

    /// <summary>How many items of the default collection have the attributes EncryptedStore gives <paramref name="account"/>.</summary>
    public int CountItems(string account) => Call(async connection =>
    {
        var collection = await DefaultCollectionAsync(connection);
        return await connection.CallMethodAsync(
            Message(connection, collection, "org.freedesktop.Secret.Collection", "SearchItems", "a{ss}", (ref MessageWriter w) =>
            {
                var start = w.WriteDictionaryStart();
                w.WriteDictionaryEntryStart();
                w.WriteString("service");
                w.WriteString("EncryptedStore");
                w.WriteDictionaryEntryStart();
                w.WriteString("account");
                w.WriteString(account);
                w.WriteDictionaryEnd(start);
            }),
            static (m, _) => m.GetBodyReader().ReadArrayOfObjectPath().Length);
    });

    /// <summary>
    /// Runs <c>secret-tool lookup service EncryptedStore account NAME</c> (libsecret, as a user would) against this
    /// session and returns what it printed, or null when it found nothing.
    /// </summary>
    public byte[]? ReadWithSecretTool(string account)
    {
        var tool = FindTool("secret-tool") ?? Ignore("secret-tool is not installed: apt-get install libsecret-tools");
        using var process = StartProcess(tool, ["lookup", "service", "EncryptedStore", "account", account], redirectInput: false);
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(WaitTimeout))
        {
            process.Kill();
            throw new TimeoutException("secret-tool did not finish");
        }

        copy.GetAwaiter().GetResult();
        var stderr = error.GetAwaiter().GetResult();
        return process.ExitCode switch
        {
            0 => output.ToArray(),
            1 when output.Length == 0 && stderr.Length == 0 => null,
            _ => throw new InvalidOperationException($"secret-tool exited with {process.ExitCode}: {stderr}"),
        };
    }

    public void Dispose()
    {
        // The keyring first, so it does not log the bus going away.
        for (var i = _daemons.Count - 1; i >= 0; i--)
        {
            try
            {
                _daemons[i].Kill();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            _daemons[i].WaitForExit();
            _daemons[i].Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static SecretServiceSession Start(Keyring keyring)
    {
        const string Install = "apt-get install dbus gnome-keyring libsecret-tools";
        var busDaemon = FindTool("dbus-daemon") ?? Ignore($"dbus-daemon is not installed: {Install}");
        var keyringDaemon = keyring == Keyring.None
            ? null
            : FindTool("gnome-keyring-daemon") ?? Ignore($"gnome-keyring-daemon is not installed: {Install}");

        var root = Path.Combine(Path.GetTempPath(), "es-ss-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var session = new SecretServiceSession(root);
        try
        {
            session.StartBus(busDaemon);
            if (keyringDaemon is not null)
            {
                session.StartKeyring(keyringDaemon, unlock: keyring == Keyring.Unlocked);
            }

            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void StartBus(string daemon)
    {
        // A session bus of our own: no service directories (nothing is activated), everyone may talk to everyone.
        var config = Path.Combine(Root, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
              "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={Path.Combine(Root, "bus")}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var bus = StartDaemon(daemon, ["--nofork", "--config-file=" + config, "--print-address=1"], redirectInput: false);

        // dbus-daemon prints its address once it listens: the moment it is ready.
        var address = ReadLine(bus, bus.StandardOutput.ReadLineAsync(), "dbus-daemon to print its address");
        BusAddress = address.Trim();
        _environment["DBUS_SESSION_BUS_ADDRESS"] = BusAddress;
    }

    private void StartKeyring(string daemon, bool unlock)
    {
        string[] arguments = unlock
            ? ["--foreground", "--components=secrets", "--unlock"]
            : ["--foreground", "--components=secrets"];
        var keyring = StartDaemon(daemon, arguments, redirectInput: true);
        keyring.BeginOutputReadLine();

        // With --unlock the login password is read from stdin up to its end; it creates and unlocks the login keyring.
        if (unlock)
        {
            keyring.StandardInput.Write(KeyringPassword);
        }

        keyring.StandardInput.Close();

        Call(async connection =>
        {
            using var watcher = await connection.WatchNameOwnerAsync(SecretsName);
            using var timeout = new CancellationTokenSource(WaitTimeout);
            var owned = watcher.WaitForOwnerAsync(timeout.Token);
            if (await Task.WhenAny(owned, keyring.WaitForExitAsync(timeout.Token)) != owned || owned.IsCanceled)
            {
                throw new InvalidOperationException(
                    (keyring.HasExited ? $"gnome-keyring-daemon exited with {keyring.ExitCode}" : $"gnome-keyring-daemon waited on for {WaitTimeout}") +
                    $" without owning {SecretsName}: {Errors()}");
            }

            return await owned;
        });

        if (unlock && !Call(async connection => await DefaultCollectionAsync(connection) != "/"))
        {
            throw new InvalidOperationException("gnome-keyring-daemon --unlock made no default collection: " + Errors());
        }
    }

    private Process StartDaemon(string path, string[] arguments, bool redirectInput)
    {
        var process = StartProcess(path, arguments, redirectInput);
        _daemons.Add(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _daemonErrors.Enqueue(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return process;
    }

    private Process StartProcess(string path, string[] arguments, bool redirectInput)
    {
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing of the developer's own desktop session may leak in (their bus, keyring or display for a prompt).
        foreach (var name in new[] { "DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK", "DBUS_SESSION_BUS_ADDRESS" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start");
    }

    private string ReadLine(Process process, Task<string?> line, string what)
    {
        try
        {
            return line.WaitAsync(WaitTimeout).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException($"{Path.GetFileName(process.StartInfo.FileName)} exited: {Errors()}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"waited {WaitTimeout} for {what}: {Errors()}", e);
        }
    }

    private void Call(Func<DBusConnection, Task> call) => Call(async connection =>
    {
        await call(connection);
        return true;
    });

    private T Call<T>(Func<DBusConnection, Task<T>> call) => Task.Run(async () =>
    {
        using var connection = new DBusConnection(BusAddress);
        await connection.ConnectAsync();
        return await call(connection);
    }).WaitAsync(WaitTimeout).GetAwaiter().GetResult();

    private static Task<string> DefaultCollectionAsync(DBusConnection connection) =>
        connection.CallMethodAsync(
            Message(connection, ServicePath, ServiceInterface, "ReadAlias", "s", (ref MessageWriter w) => w.WriteString("default")),
            static (m, _) => m.GetBodyReader().ReadObjectPathAsString());

    private delegate void BodyWriter(ref MessageWriter writer);

    private static MessageBuffer Message(DBusConnection connection, string path, string @interface, string member, string signature, BodyWriter body)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(SecretsName, path, @interface, member, signature);
            body(ref writer);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private string Errors() => string.Join(" | ", _daemonErrors);

    private string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string? FindTool(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    /// <summary>Skips the test with <paramref name="reason"/>; CI (ENCRYPTEDSTORE_REQUIRE_KEYRING=1) must run it, so there it fails.</summary>
    private static string Ignore(string reason)
    {
        if (System.Environment.GetEnvironmentVariable("ENCRYPTEDSTORE_REQUIRE_KEYRING") == "1")
        {
            Assert.Fail(reason + " (ENCRYPTEDSTORE_REQUIRE_KEYRING=1: CI must run the Secret Service tests)");
        }

        Assert.Ignore(reason);
        return reason;
    }
}
