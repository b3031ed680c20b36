using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EncryptedStore.DependencyInjection;

/// <summary>
/// Checks the <see cref="EncryptedTokenStoreSettings"/> of one registration (options named <paramref name="optionsName"/>) and
/// lists every problem, each named by its configuration path (<paramref name="path"/> is the section's). What the store
/// checks again when it opens is checked here so that a host fails at start, not at the first request. The options
/// system joins the failures with "; ", so each is a clause without a final period or a semicolon of its own.
/// </summary>
internal sealed class EncryptedTokenStoreSettingsValidator(string optionsName, object? serviceKey, string path, IServiceProvider services)
    : IValidateOptions<EncryptedTokenStoreSettings>
{
    private readonly string _prefix = path.Length == 0 ? string.Empty : path + ":";

    public ValidateOptionsResult Validate(string? name, EncryptedTokenStoreSettings options)
    {
        if ((name ?? Options.DefaultName) != optionsName)
        {
            return ValidateOptionsResult.Skip;
        }

        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateStore(options, failures);
        ValidateMasterKey(options.MasterKey ?? new MasterKeySettings(), options.FilePath == EncryptedTokenStoreOptions.InMemory, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateStore(EncryptedTokenStoreSettings options, List<string> failures)
    {
        var database = options.Database ?? new TokenDatabaseSettings();
        if (database.IsSet)
        {
            ValidateDatabase(database, hasFile: !string.IsNullOrWhiteSpace(options.FilePath), failures);
        }
        else if (string.IsNullOrWhiteSpace(options.FilePath))
        {
            failures.Add($"{_prefix}FilePath is required (the path of the store file, or \"{EncryptedTokenStoreOptions.InMemory}\")");
        }

        if (options.MaxStaleness < TimeSpan.Zero || options.MaxStaleness > EncryptedTokenStoreOptions.MaxMaxStaleness || (options.MaxStaleness > TimeSpan.Zero && !database.IsSet))
        {
            failures.Add(Invariant($"{_prefix}MaxStaleness must be from 00:00:00 to {EncryptedTokenStoreOptions.MaxMaxStaleness:c}, for a Database store only, not {options.MaxStaleness:c}"));
        }

        if (options.CacheSize < 0)
        {
            failures.Add(Invariant($"{_prefix}CacheSize must be 0 (no cache) or more, not {options.CacheSize}"));
        }

        if (options.KeyLifetime < EncryptedTokenStoreOptions.MinimumKeyLifetime)
        {
            failures.Add(Invariant($"{_prefix}KeyLifetime must be at least {EncryptedTokenStoreOptions.MinimumKeyLifetime:c} ({EncryptedTokenStoreOptions.MinimumKeyLifetime.TotalDays} days), not {options.KeyLifetime:c}"));
        }

        if (options.LockTimeout < TimeSpan.Zero || options.LockTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add(Invariant($"{_prefix}LockTimeout must be from 00:00:00 to 00:10:00, not {options.LockTimeout:c}"));
        }

        if (!Enum.IsDefined(options.Sharing))
        {
            failures.Add(Invariant($"{_prefix}Sharing must be \"{StoreSharing.Exclusive}\" or \"{StoreSharing.Shared}\", not {(int)options.Sharing}"));
        }
    }

    private void ValidateDatabase(TokenDatabaseSettings database, bool hasFile, List<string> failures)
    {
        var prefix = _prefix + "Database";
        if (hasFile)
        {
            failures.Add($"{_prefix}FilePath and {prefix} are both set: a store is a file or a database, set exactly one");
        }

        if (database.Kind is not { } kind || !Enum.IsDefined(kind))
        {
            failures.Add($"{prefix}:Kind must be \"{TokenDatabaseKind.MySql}\" or \"{TokenDatabaseKind.PostgreSql}\"");
        }

        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            failures.Add($"{prefix}:ConnectionString is required (the server and the database)");
            return;
        }

        try
        {
            _ = database.ToDatabase();
        }
        catch (ArgumentException e)
        {
            // TokenDatabase's messages never quote the connection string.
            failures.Add($"{prefix}: {e.Message.Split(" (Parameter", 2)[0].TrimEnd('.')}");
        }
    }

    private void ValidateMasterKey(MasterKeySettings key, bool inMemory, List<string> failures)
    {
        var prefix = _prefix + "MasterKey";
        var sources = key.Sources();
        var chosenInCode = ChosenInCode();
        if (sources.Count > 1)
        {
            failures.Add($"{prefix} names {sources.Count} sources ({string.Join(", ", sources)}): set exactly one");
        }
        else if (sources.Count == 1 && chosenInCode)
        {
            failures.Add($"{prefix}:{sources[0]} is set and a ProtectWith… call chose the master key in code too: choose one");
        }
        else if (sources.Count == 0 && !chosenInCode && !inMemory)
        {
            failures.Add(
                $"{prefix} names no source: set exactly one of KeyFile, PassphraseEnvironmentVariable, OsKeyName, CertificateFile, " +
                "CertificateThumbprint or SystemdCredential, or choose the key in code with a ProtectWith… call on the builder");
        }

        var certificatePassword = key.CertificatePasswordEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(certificatePassword) && string.IsNullOrWhiteSpace(key.CertificateFile))
        {
            failures.Add($"{prefix}:CertificatePasswordEnvironmentVariable applies to CertificateFile only, which is not set");
            certificatePassword = null;
        }

        if (sources.Count != 1)
        {
            return;
        }

        // The one source is there: a missing file or variable fails now, with its name, rather than at the first request.
        RequireFile(failures, $"{prefix}:KeyFile", key.KeyFile);
        RequireFile(failures, $"{prefix}:CertificateFile", key.CertificateFile);
        RequireVariable(failures, $"{prefix}:PassphraseEnvironmentVariable", key.PassphraseEnvironmentVariable);
        RequireVariable(failures, $"{prefix}:CertificatePasswordEnvironmentVariable", certificatePassword);
        if (!string.IsNullOrWhiteSpace(key.SystemdCredential))
        {
            var directory = Environment.GetEnvironmentVariable(MasterKey.CredentialsDirectoryVariable);
            if (string.IsNullOrEmpty(directory))
            {
                failures.Add($"{prefix}:SystemdCredential is set, but ${MasterKey.CredentialsDirectoryVariable} is not: the process does not run as a systemd service with credentials");
            }
            else
            {
                RequireFile(failures, $"{prefix}:SystemdCredential", Path.Combine(directory, key.SystemdCredential));
            }
        }
    }

    /// <summary>Whether a <c>ProtectWith…</c> call registered the master key of this store.</summary>
    private bool ChosenInCode()
    {
        var registered = services.GetService<IServiceProviderIsKeyedService>();
        return serviceKey is null
            ? registered?.IsService(typeof(MasterKeyRegistration)) == true
            : registered?.IsKeyedService(typeof(MasterKeyRegistration), serviceKey) == true;
    }

    private static void RequireFile(List<string> failures, string setting, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
        {
            failures.Add($"{setting} names '{path}', which does not exist (full path '{Path.GetFullPath(path)}')");
        }
    }

    private static void RequireVariable(List<string> failures, string setting, string? variable)
    {
        if (!string.IsNullOrWhiteSpace(variable) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            failures.Add($"{setting} names the environment variable '{variable}', which is not set");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
