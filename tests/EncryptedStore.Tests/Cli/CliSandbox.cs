using EncryptedStore.Tests.Support;

namespace EncryptedStore.Tests.Cli;

/// <summary>
/// A temporary folder with a key file and (optionally) a store made with it in-process, and helpers to run
/// <c>tokenstore</c> against them. Every run is recorded, so a test can scan all output for secrets.
/// </summary>
internal sealed class CliSandbox : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<CliResult> _runs = [];

    private CliSandbox()
    {
        StorePath = File("tokens.db");
        KeyPath = File("master.key");
    }

    public string Path => _directory.Path;

    public string StorePath { get; }

    public string KeyPath { get; }

    public IReadOnlyList<CliResult> Runs => _runs;

    /// <summary>A sandbox with a key file and, unless <paramref name="withStore"/> is false, an empty store.</summary>
    public static CliSandbox Create(bool withStore = true)
    {
        var sandbox = new CliSandbox();
        MasterKey.CreateKeyFile(sandbox.KeyPath);
        if (withStore)
        {
            sandbox.OpenStore().Dispose();
        }

        return sandbox;
    }

    public string File(string name) => _directory.File(name);

    /// <summary>Runs <c>tokenstore --store … --key-file … args</c>.</summary>
    public CliResult Run(params string[] args) => RunWithInput(null, args);

    public CliResult RunWithInput(string? stdin, params string[] args) =>
        Record(CliRunner.Run(["--store", StorePath, "--key-file", KeyPath, .. args], stdin, workingDirectory: Path));

    /// <summary>Runs <c>tokenstore args</c> with no global options added.</summary>
    public CliResult RunBare(string? stdin, IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        Record(CliRunner.Run(args, stdin, environment, Path));

    /// <summary>Opens the store in this process (close it before running the CLI again: one process at a time).</summary>
    public EncryptedTokenStore OpenStore() =>
        new(new EncryptedTokenStoreOptions { FilePath = StorePath, MasterKey = MasterKey.FromKeyFile(KeyPath) });

    /// <summary>Every token in the store, by id.</summary>
    public Dictionary<string, OAuthToken> Tokens()
    {
        using var store = OpenStore();
        return store.GetTokens().Cast<OAuthToken>().ToDictionary(t => t.Id!);
    }

    public void Save(params OAuthToken[] tokens)
    {
        using var store = OpenStore();
        foreach (var token in tokens)
        {
            store.SaveToken(token);
        }
    }

    public void Dispose() => _directory.Dispose();

    private CliResult Record(CliResult result)
    {
        _runs.Add(result);
        TestContext.Out.WriteLine(result.ToString());
        return result;
    }
}
