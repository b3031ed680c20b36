using EncryptedStore.Storage.LiteDb;
using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using EncryptedStore.Storage;
using EncryptedStore.Tests.Support;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EncryptedStore.Tests.Internal;

/// <summary>
/// Drives every operation, the failures included, with distinctive secret values, then searches every
/// log event, exception and description the library produced for them.
/// </summary>
[Category("Slow")]
public class SecretsHygieneTests
{
    // Each secret carries a tag that occurs nowhere else, so a partial or truncated leak is found too.
    private const string AccessToken = "1000.tagaccess7f3a.9c21e5d08b";
    private const string RefreshToken = "1000.tagrefresh4be1.77a0c3e912";
    private const string GrantToken = "1000.taggrant93d2.5be8a1c07f";
    private const string ClientSecret = "tagclientsecret61c8e2d4f0";
    private const string UserEmail = "taguser2a6f@secret.example.org";
    private const string Passphrase = "tagpassphrase-correct-horse-battery";
    private const string OtherPassphrase = "tagwrongphrase-incorrect-donkey-staple";

    private static readonly string[] Tags =
        ["tagaccess7f3a", "tagrefresh4be1", "taggrant93d2", "tagclientsecret61c8", "taguser2a6f", "tagpassphrase", "tagwrongphrase"];

    private static readonly byte[] KeyBytes = SHA256.HashData("secrets hygiene key one"u8);
    private static readonly byte[] OtherKeyBytes = SHA256.HashData("secrets hygiene key two"u8);

    private readonly List<(string Where, string Text)> _produced = [];
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _produced.Clear();
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void EveryOperationAndFailure_SecretValues_AppearInNoLogExceptionOrDescription()
    {
        var logs = new CapturingLoggerProvider();
        using (var factory = logs.CreateFactory())
        {
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            DrivePassphraseStore(factory, clock);
            var path = DriveKeyStore(factory, clock);
            DriveTamperedCopy(factory, clock, path);
            DriveMisuse(factory);
        }

        var leaks = new List<string>();
        foreach (var secret in SecretForms())
        {
            leaks.AddRange(logs.Entries
                .Where(e => e.Text.Contains(secret, StringComparison.OrdinalIgnoreCase))
                .Select(e => $"log event {e.EventId} ({e.Category}, {e.Level}) holds '{secret}': {e.Text}"));
            leaks.AddRange(_produced
                .Where(p => p.Text.Contains(secret, StringComparison.OrdinalIgnoreCase))
                .Select(p => $"{p.Where} holds '{secret}': {p.Text}"));
        }

        var eventIds = logs.Entries.Select(e => e.EventId.Id).ToHashSet();
        TestContext.Out.WriteLine($"{logs.Entries.Count} log events, {_produced.Count} exceptions and descriptions searched");
        Assert.Multiple(() =>
        {
            Assert.That(leaks, Is.Empty);

            // The search means something only if the failures and operations were logged and captured.
            Assert.That(eventIds, Is.SupersetOf(Enumerable.Range(1, 18).Where(id => id != 17)), "event 17 is retired: a file open to others is refused now, and that exception is searched too");
            Assert.That(logs.Entries.Select(e => e.Category), Has.Some.StartsWith("Microsoft.AspNetCore.DataProtection"));
            Assert.That(_produced.Select(p => p.Where), Has.Some.StartsWith("exception WRONG_KEY").And.Some.StartsWith("exception INTEGRITY")
                .And.Some.StartsWith("exception DUPLICATE_TOKEN").And.Some.StartsWith("exception INVALID_TOKEN"));
        });
    }

    /// <summary>Every secret as a log line or message could hold it: the tags, and the key bytes in hex and base64.</summary>
    private static IEnumerable<string> SecretForms()
    {
        foreach (var tag in Tags)
        {
            yield return tag;
        }

        foreach (var key in new[] { KeyBytes, OtherKeyBytes })
        {
            yield return Convert.ToHexString(key);
            yield return Convert.ToBase64String(key);
            yield return Convert.ToBase64String(key).TrimEnd('=').Replace('+', '-').Replace('/', '_');

            // A prefix is enough to be a leak; 12 hex digits cannot match by chance.
            yield return Convert.ToHexString(key)[..12];
        }
    }

    private static OAuthToken SecretToken(string client = "1000.CLIENTHYGIENE", string suffix = "") => new()
    {
        UserSignature = new UserSignature(UserEmail),
        ClientId = client,
        ClientSecret = ClientSecret,
        AccessToken = AccessToken + suffix,
        RefreshToken = RefreshToken + suffix,
        GrantToken = GrantToken + suffix,
        ExpiresIn = "1767225600000",
        RedirectURL = "https://app.example.com/callback",
        APIDomain = "https://www.zohoapis.com",
    };

    private static EncryptedTokenStoreOptions Options(string path, MasterKey key, ILoggerFactory factory, TimeProvider clock) => new()
    {
        FilePath = path,
        MasterKey = key,
        LoggerFactory = factory,
        TimeProvider = clock,
    };

    private void DrivePassphraseStore(ILoggerFactory factory, TimeProvider clock)
    {
        var path = _dir.File("passphrase.db");
        using var passphrase = MasterKey.FromPassphrase(Passphrase);
        using var otherPassphrase = MasterKey.FromPassphrase(OtherPassphrase);
        using var keyBytes = MasterKey.FromBytes(KeyBytes);
        var options = Options(path, passphrase, factory, clock);
        Describe("options", options);
        Describe("master key", passphrase);
        using (var store = new EncryptedTokenStore(options))
        {
            store.SaveToken(SecretToken());
        }

        if (!OperatingSystem.IsWindows())
        {
            // Refused as UNSAFE_FILE: the message names the file and its mode, never a secret.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            Capture(() => new EncryptedTokenStore(options).Dispose());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Capture(() => new EncryptedTokenStore(Options(path, otherPassphrase, factory, clock)).Dispose());
        Capture(() => new EncryptedTokenStore(Options(path, keyBytes, factory, clock)).Dispose());
        Capture(() => MasterKey.FromPassphrase(Passphrase[..5]));
    }

    private string DriveKeyStore(ILoggerFactory factory, FakeTimeProvider clock)
    {
        var path = _dir.File("keys.db");
        using var key = MasterKey.FromBytes(KeyBytes);
        using var otherKey = MasterKey.FromBytes(OtherKeyBytes);
        Describe("master key", key);
        using (var store = new EncryptedTokenStore(Options(path, key, factory, clock)))
        {
            Describe("store", store);
            var token = SecretToken();
            store.SaveToken(token);
            Describe("saved token", token);
            Describe("user signature", token.UserSignature!);
            store.SaveTokens([SecretToken("1000.CLIENTOTHER", ".2"), SecretToken("1000.CLIENTTHIRD", ".3")]);

            Describe("found by user and client", store.FindToken(new OAuthToken { UserSignature = new UserSignature(UserEmail), ClientId = "1000.CLIENTHYGIENE" }));
            Describe("found by access token", store.FindToken(new OAuthToken { AccessToken = AccessToken }));
            Describe("found by refresh token", store.FindToken(new OAuthToken { RefreshToken = RefreshToken, ClientId = "1000.CLIENTHYGIENE", ClientSecret = ClientSecret }));
            Describe("found by grant token", store.FindToken(new OAuthToken { GrantToken = GrantToken, ClientId = "1000.CLIENTHYGIENE", ClientSecret = ClientSecret }));
            Describe("found by id", store.FindTokenById(token.Id!));
            foreach (var found in store.GetTokens())
            {
                Describe("listed token", found);
            }

            Capture(() => store.FindToken(new OAuthToken { UserSignature = new UserSignature(UserEmail) }));
            Capture(() => store.FindTokenById("no-such-id"));
            Capture(() => store.SaveToken(new OAuthToken { UserSignature = new UserSignature("dup@example.com"), AccessToken = AccessToken }));
            Capture(() => store.SaveToken(new OAuthToken { UserSignature = new UserSignature(UserEmail + "\u0001"), AccessToken = AccessToken + "\u0007" }));
            Capture(() => store.SaveToken(new OAuthToken { AccessToken = AccessToken + new string('x', 20_000) }));
            Capture(() => store.SaveToken(new OAuthToken { ClientSecret = ClientSecret }));

            clock.Advance(TimeSpan.FromDays(91));
            store.SaveToken(new OAuthToken { UserSignature = new UserSignature("later@example.com"), AccessToken = "1000.later" });
            var rotation = store.RotateKeys(new KeyRotationOptions { RotateIndexKey = true, BatchSize = 2 }, new Recorder<KeyRotationProgress>(p => Describe("rotation progress", p)));
            Describe("rotation result", rotation);
            var statistics = store.GetStatistics();
            Describe("statistics", statistics);
            foreach (var keyInfo in statistics.Keys)
            {
                Describe("key info", keyInfo);
            }

            var retired = statistics.Keys.First(k => k.State == StoreKeyState.Retired);
            Capture(() => store.RevokeKey(statistics.Keys.First(k => k.State == StoreKeyState.Active).Version));
            store.RevokeKey(retired.Version);
            store.DestroyKey(retired.Version);
            Capture(() => store.RevokeKey(retired.Version + 1000));
            DescribeVerification(store.Verify(new Recorder<int>(_ => { })));

            store.DeleteToken(token.Id!);
            store.SaveToken(new OAuthToken { UserSignature = new UserSignature("expired@example.com"), AccessToken = AccessToken + ".expired", ExpiresIn = "1" });
            Assert.That(store.PurgeExpired(TimeSpan.Zero), Is.EqualTo(1));

            // Interrupted after its first batch; the next open resumes it.
            using var interrupt = new CancellationTokenSource();
            Capture(() => store.RotateKeys(new KeyRotationOptions { BatchSize = 1 }, new Recorder<KeyRotationProgress>(_ => interrupt.Cancel()), interrupt.Token));
            store.ChangeMasterKey(otherKey);
        }

        Capture(() => new EncryptedTokenStore(Options(path, key, factory, clock)).Dispose());
        EncryptedTokenStore.Compact(path);
        using (var store = new EncryptedTokenStore(Options(path, otherKey, factory, clock)))
        {
            store.SaveToken(SecretToken());
            Capture(() => EncryptedTokenStore.Compact(path));
        }

        return path;
    }

    private void DriveTamperedCopy(ILoggerFactory factory, TimeProvider clock, string path)
    {
        var copy = _dir.File("tampered.db");
        File.Copy(path, copy);
        string id;
        using (var file = LiteDbFiles.Open(copy, flushToDisk: true, TimeSpan.Zero, shared: false))
        {
            // Alter one byte of every record's ciphertext.
            foreach (var record in file.Records.FindAll().ToList())
            {
                var payload = record["ct"].AsBinary;
                payload[^1] ^= 0x01;
                record["ct"] = new BsonValue(payload);
                file.Records.Update(record);
            }

            id = file.Records.FindAll().First()["_id"].AsString;
        }

        using var otherKey = MasterKey.FromBytes(OtherKeyBytes);
        using var store = new EncryptedTokenStore(Options(copy, otherKey, factory, clock));
        Capture(() => store.FindTokenById(id));
        Capture(() => store.GetTokens());
        Capture(() => store.FindToken(new OAuthToken { AccessToken = AccessToken }));
        DescribeVerification(store.Verify());
        Describe("rotation result", store.RotateKeys());
        store.DeleteTokens();
    }

    private void DriveMisuse(ILoggerFactory factory)
    {
        Capture(() => new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = _dir.File("nokey.db"), LoggerFactory = factory }));
        using var store = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory, LoggerFactory = factory });
        Capture(() => store.SaveToken(null!));
        Capture(() => store.FindTokenById(AccessToken + "\u0000"));
        Capture(() => store.DeleteToken(" "));
    }

    private void DescribeVerification(StoreVerification verification)
    {
        Describe("verification", verification);
        foreach (var problem in verification.Problems)
        {
            Describe("problem", problem);
            _produced.Add(("problem message", problem.Message));
        }
    }

    /// <summary>Records an object's <see cref="object.ToString"/>, which is also what its debugger display shows.</summary>
    private void Describe(string where, object? value)
    {
        if (value is null)
        {
            return;
        }

        var display = value.GetType().GetCustomAttribute<DebuggerDisplayAttribute>();
        Assert.That(display?.Value ?? "{ToString(),nq}", Is.EqualTo("{ToString(),nq}"), $"{value.GetType().Name}'s debugger display is not its ToString(); check it here");
        _produced.Add(($"{where} ({value.GetType().Name})", value.ToString() ?? string.Empty));
    }

    private void Capture(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            var code = (e as TokenStoreException)?.Code ?? e.GetType().Name;
            _produced.Add(($"exception {code} message", e.Message));
            _produced.Add(($"exception {code} ToString", e.ToString()));
            return;
        }

        Assert.Fail("expected a failure");
    }

    private void Capture<T>(Func<T> action) => Capture(() => { action(); });

    private sealed class Recorder<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
