using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EncryptedStore.DependencyInjection;

/// <summary>
/// What every <c>AddEncryptedTokenStore</c> and <c>AddKeyedEncryptedTokenStore</c> overload registers: the store (keyed
/// when <c>serviceKey</c> is not null), opened on first resolution from its configuration, its configure action and
/// its <c>ProtectWith…</c> key, in that order; and, with configuration, its validated <see cref="EncryptedTokenStoreSettings"/>.
/// </summary>
internal static class StoreRegistration
{
    public static IEncryptedTokenStoreBuilder Add(IServiceCollection services, object? serviceKey, IConfiguration? configuration, Action<EncryptedTokenStoreOptions>? configure)
    {
        var optionsName = OptionsName(serviceKey);
        ThrowIfRegistered(services, serviceKey, optionsName);
        if (configuration is not null)
        {
            var path = configuration is IConfigurationSection section ? section.Path : string.Empty;
            services.AddOptions<EncryptedTokenStoreSettings>(optionsName).Bind(configuration).ValidateOnStart();
            services.AddSingleton<IValidateOptions<EncryptedTokenStoreSettings>>(
                provider => new EncryptedTokenStoreSettingsValidator(optionsName, serviceKey, path, provider));
        }

        var settingsName = configuration is null ? null : optionsName;
        AddSingleton(services, serviceKey, provider => Open(provider, serviceKey, settingsName, configure));
        AddSingleton(services, serviceKey, provider => Resolve<OwnedTokenStore>(provider, serviceKey)!.Store);
        if (serviceKey is null)
        {
            services.TryAddSingleton<ITokenStore>(provider => provider.GetRequiredService<EncryptedTokenStore>());
        }
        else
        {
            services.TryAddKeyedSingleton<ITokenStore>(serviceKey, (provider, key) => provider.GetRequiredKeyedService<EncryptedTokenStore>(key));
        }

        return new EncryptedTokenStoreBuilder(services, serviceKey);
    }

    /// <summary>Checks a key given to <c>AddKeyedEncryptedTokenStore</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="serviceKey"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="serviceKey"/> is <see cref="KeyedService.AnyKey"/> or its string form is empty.</exception>
    public static void CheckKey(object serviceKey)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        if (ReferenceEquals(serviceKey, KeyedService.AnyKey))
        {
            throw new ArgumentException("KeyedService.AnyKey matches every key; give the store a key of its own.", nameof(serviceKey));
        }

        if (string.IsNullOrWhiteSpace(OptionsName(serviceKey)))
        {
            throw new ArgumentException("The key's string form names the store's options and must not be empty or blank.", nameof(serviceKey));
        }
    }

    /// <summary>Registers a singleton made by <paramref name="create"/>, keyed by <paramref name="serviceKey"/> unless it is null.</summary>
    public static void AddSingleton<T>(IServiceCollection services, object? serviceKey, Func<IServiceProvider, T> create)
        where T : class
    {
        if (serviceKey is null)
        {
            services.AddSingleton(create);
        }
        else
        {
            services.AddKeyedSingleton(serviceKey, (provider, _) => create(provider));
        }
    }

    /// <summary>The service of type <typeparamref name="T"/> registered with <paramref name="serviceKey"/> (or not keyed, for null), or null.</summary>
    public static T? Resolve<T>(IServiceProvider provider, object? serviceKey)
        where T : class =>
        serviceKey is null ? provider.GetService<T>() : provider.GetKeyedService<T>(serviceKey);

    /// <summary>The name of a store's <see cref="EncryptedTokenStoreSettings"/>: empty when it is not keyed, else its key's invariant string.</summary>
    private static string OptionsName(object? serviceKey) =>
        serviceKey is null ? Options.DefaultName : Convert.ToString(serviceKey, CultureInfo.InvariantCulture) ?? string.Empty;

    private static void ThrowIfRegistered(IServiceCollection services, object? serviceKey, string optionsName)
    {
        if (serviceKey is null)
        {
            if (services.Any(descriptor => descriptor.ServiceType == typeof(EncryptedTokenStore) && !descriptor.IsKeyedService))
            {
                throw new InvalidOperationException(
                    "AddEncryptedTokenStore was already called for this service collection; one store per container. " +
                    "Configure the store in a single call, register more stores with AddKeyedEncryptedTokenStore, " +
                    "or use separate service collections for separate stores.");
            }

            return;
        }

        if (services.Any(descriptor => descriptor.ServiceType == typeof(EncryptedTokenStore) && descriptor.IsKeyedService
            && (Equals(descriptor.ServiceKey, serviceKey) || OptionsName(descriptor.ServiceKey) == optionsName)))
        {
            throw new InvalidOperationException(
                $"A store with the key '{optionsName}' is already registered in this service collection; give each store its own key " +
                "(keys are told apart by their string form too, which names the store's options).");
        }
    }

    private static OwnedTokenStore Open(IServiceProvider provider, object? serviceKey, string? settingsName, Action<EncryptedTokenStoreOptions>? configure)
    {
        var options = new EncryptedTokenStoreOptions
        {
            LoggerFactory = provider.GetService<ILoggerFactory>(),
            TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System,
        };
        MasterKey? configuredKey = null;
        try
        {
            if (settingsName is not null)
            {
                // Get validates (again, when the host validated at start) and throws OptionsValidationException listing every problem.
                var settings = provider.GetRequiredService<IOptionsMonitor<EncryptedTokenStoreSettings>>().Get(settingsName);
                settings.ApplyTo(options);
                options.MasterKey = configuredKey = settings.MasterKey?.Create();
            }

            configure?.Invoke(options);
            if (configuredKey is not null && !ReferenceEquals(options.MasterKey, configuredKey))
            {
                throw new InvalidOperationException("The configure action set MasterKey and the configuration names a master key source too; choose one.");
            }

            if (Resolve<MasterKeyRegistration>(provider, serviceKey) is { } registration)
            {
                options.MasterKey = options.MasterKey is null
                    ? registration.Key
                    : throw new InvalidOperationException("The configure action set MasterKey and a ProtectWith… call chose one too; choose one.");
            }

            return new OwnedTokenStore(new EncryptedTokenStore(options), configuredKey);
        }
        catch
        {
            configuredKey?.Dispose();
            throw;
        }
    }
}
