using System.Globalization;
using EncryptedStore.Cli.Commands;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;
using Spectre.Console;

namespace EncryptedStore.Cli.Demo;

/// <summary>
/// Runs what the Zoho SDK does with its token store against a real encrypted store: save after the grant
/// exchange, find by user and client at start-up, find by id before every API call, refresh and save when
/// the access token expires. OAuth server and clock are simulated; secrets are printed redacted.
/// </summary>
internal sealed class DemoScenario
{
    private const string User = "ada@example.com";
    private const string ProductionClient = "1000.DEMOPRODUCTION0000000000000000";
    private const string SandboxClient = "1000.DEMOSANDBOX00000000000000000000";
    private const string RedirectUrl = "https://app.example.com/oauth/callback";

    private readonly CliConsole _console;
    private readonly SimulatedClock _clock;
    private readonly SimulatedZohoAccounts _zoho;
    private readonly string _storePath;
    private readonly string _keyPath;

    public DemoScenario(CliConsole console, string folder, DateTimeOffset start)
    {
        _console = console;
        _clock = new SimulatedClock(start);
        _zoho = new SimulatedZohoAccounts(_clock);
        _storePath = Path.Combine(folder, "tokens.db");
        _keyPath = Path.Combine(folder, "master.key");
        Folder = folder;
    }

    public string Folder { get; }

    public void Run()
    {
        Print("tokenstore demo: the Zoho SDK's token-store calls against an encrypted store. "
            + "The OAuth server and the clock are simulated: no network, no waiting. Secrets are shown redacted.");

        Section("1. Set-up");
        MasterKey.CreateKeyFile(_keyPath);
        Say($"Key file   {_keyPath} (32 random bytes, owner-only 0600), made with MasterKey.CreateKeyFile.");
        using var key = KeySource.FromKeyFile(_keyPath);
        string id;
        using (var store = Open(key))
        {
            Say($"Store      {store.FilePath}, created and protected by that key.");

            Section("2. First authorisation (the SDK's grant exchange)");
            var token = Authorisation(ProductionClient);
            Say($"{User} approved the app; Zoho redirected with grant token {Redactor.Redact(token.GrantToken)}.");
            _zoho.ExchangeGrant(token);
            Say($"Grant exchange (simulated): access token {Redactor.Redact(token.AccessToken)}, refresh token "
                + $"{Redactor.Redact(token.RefreshToken)}, expires_in {SimulatedZohoAccounts.ExpiresInSeconds} s.");
            store.SaveToken(token);
            id = token.Id!;
            Say($"SaveToken(token) → inserted; the store set token.Id = {id}. expiry_time = {token.ExpiresIn} "
                + $"({Clock(token.ExpiresIn)}: now + expires_in − 10 min, as the SDK stores it).");
        }

        Advance(TimeSpan.FromMinutes(2));
        Section("3. Application restart");
        using (var store = Open(key))
        {
            Say("The store was closed and opened again (the file is the only state).");
            var query = new OAuthToken { UserSignature = new UserSignature(User), ClientId = ProductionClient };
            var found = store.FindToken(query) as OAuthToken ?? throw new CliException("demo: FindToken found nothing after the restart.");
            Say($"FindToken(user_name + client_id) → the same instance, filled in: id {found.Id}, refresh token {Redactor.Redact(found.RefreshToken)}.");

            Section("4. API calls: FindTokenById before each, refresh when expired");
            foreach (var minutes in new[] { 3, 20, 20, 10, 10 })
            {
                Advance(TimeSpan.FromMinutes(minutes));
                ApiCall(store, id, "GET /crm/v8/Leads");
            }

            Section("5. Same user, second OAuth client (sandbox app)");
            var sandbox = Authorisation(SandboxClient);
            _zoho.ExchangeGrant(sandbox);
            store.SaveToken(sandbox);
            var production = (OAuthToken?)store.FindToken(new OAuthToken { UserSignature = new UserSignature(User), ClientId = ProductionClient });
            Say($"SaveToken(sandbox token) → inserted as id {sandbox.Id}; FindToken(user + production client) still returns id {production?.Id}: "
                + "the store keeps one user's clients apart (the SDK's own stores overwrite one with the other).");

            Section("6. list");
            _console.WriteTable(TokenTables.List(store.GetTokens().Cast<OAuthToken>(), reveal: false, _clock.GetUtcNow()));

            Section("7. stats");
            StatsCommand.Write(_console, store.FilePath, store.GetStatistics());

            Section("8. verify");
            var verification = store.Verify();
            if (!verification.IsHealthy)
            {
                _console.WriteTable(VerifyCommand.Problems(verification));
            }

            Print(VerifyCommand.Summary(verification));
        }

        Section("9. Shared mode: two openers at once (Sharing = StoreSharing.Shared)");
        using (var app = Open(key, StoreSharing.Shared))
        using (var other = Open(key, StoreSharing.Shared))
        {
            var before = (OAuthToken)app.FindTokenById(id);
            Say($"The app opened the store in shared mode and read id {id} (access token {Redactor.Redact(before.AccessToken)}, now cached).");
            Advance(TimeSpan.FromMinutes(50));
            var refreshed = (OAuthToken)other.FindTokenById(id);
            _zoho.Refresh(refreshed);
            other.SaveToken(refreshed);
            Say($"Meanwhile a second opener, as another process would (an app instance, or tokenstore --shared), refreshed it: access token {Redactor.Redact(refreshed.AccessToken)}.");
            var after = (OAuthToken)app.FindTokenById(id);
            Say(after.AccessToken == refreshed.AccessToken
                ? $"The app's next FindTokenById({id}) → {Redactor.Redact(after.AccessToken)}: it noticed the other's write (the lock file's write generation) and dropped its cache."
                : throw new CliException("demo: the app served a stale token in shared mode."));
        }

        Section("Files");
        var common = $"tokenstore --store \"{_storePath}\" --key-file \"{_keyPath}\"";
        Print($"Store      {_storePath}");
        Print($"Key file   {_keyPath}");
        Print($"Try        {common} list");
        Print($"           {common} get --user {User} --client {ProductionClient}");
        Print($"           {common} verify");
        Print($"Clean up   rm -r \"{Folder}\"");
    }

    private void ApiCall(EncryptedTokenStore store, string id, string call)
    {
        var token = (OAuthToken)store.FindTokenById(id);
        if (!_zoho.IsExpired(token))
        {
            Say($"FindTokenById({id}) → access token {Redactor.Redact(token.AccessToken)}, valid until {Clock(token.ExpiresIn)} → {call}");
            return;
        }

        Say($"FindTokenById({id}) → access token expired at {Clock(token.ExpiresIn)}: the SDK refreshes first.");
        _zoho.Refresh(token);
        store.SaveToken(token);
        Say($"Refresh (simulated) → new access token {Redactor.Redact(token.AccessToken)}, valid until {Clock(token.ExpiresIn)}; "
            + $"SaveToken(same token, id {token.Id}) → updated → {call}");
    }

    private EncryptedTokenStore Open(KeySource key, StoreSharing sharing = StoreSharing.Exclusive) =>
        new(new EncryptedTokenStoreOptions { FilePath = _storePath, MasterKey = key.MasterKey, TimeProvider = _clock, Sharing = sharing });

    private void Advance(TimeSpan by) => _clock.Advance(by);

    /// <summary>A rule across a terminal; a plain heading line otherwise.</summary>
    private void Section(string title)
    {
        if (_console.OutputIsTerminal)
        {
            _console.Out.Write(new Rule(Markup.Escape(title)).LeftJustified());
        }
        else
        {
            Print($"== {title} ==");
        }
    }

    private void Say(string text)
    {
        var now = _clock.GetUtcNow().UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        Print($"[{now}Z] {text}");
    }

    /// <summary>One line, never broken (the terminal wraps it, so commands in it stay copy-pasteable).</summary>
    private void Print(string text) => _console.WriteLine(text);

    private static string Clock(string? expiryTime) =>
        ExpiryText.Parse(expiryTime) is { } at ? at.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture) + "Z" : "unknown";

    /// <summary>The token the SDK holds after the user approved the app for <paramref name="clientId"/>: a fresh grant token.</summary>
    private static OAuthToken Authorisation(string clientId) => new()
    {
        UserSignature = new UserSignature(User),
        ClientId = clientId,
        ClientSecret = SimulatedZohoAccounts.NewToken(),
        GrantToken = SimulatedZohoAccounts.NewToken(),
        RedirectURL = RedirectUrl,
    };
}
