using System.Security.Cryptography.X509Certificates;
using EncryptedStore.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore;

/// <summary>
/// Chooses the master key of the store registered by <c>AddEncryptedTokenStore</c> or <c>AddKeyedEncryptedTokenStore</c>
/// (that store only), as Data Protection's <c>ProtectKeysWith…</c> do: the key is made when the store is first resolved
/// and disposed with the container. Use one of these, or set <see cref="EncryptedTokenStoreOptions.MasterKey"/> in the
/// configure action or a <c>MasterKey</c> configuration section, not two of them.
/// </summary>
public static class EncryptedTokenStoreBuilderExtensions
{
    /// <summary>The master key kept in the OS key store under <paramref name="name"/> (see <see cref="MasterKey.FromOsKeyStore(string, OsKeyStoreOptions)"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithOsKeyStore(this IEncryptedTokenStoreBuilder builder, string name, OsKeyStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Register(builder, _ => MasterKey.FromOsKeyStore(name, options ?? new OsKeyStoreOptions()));
    }

    /// <summary>A master key wrapped to <paramref name="certificate"/> (see <see cref="MasterKey.FromCertificate"/>); the caller keeps the certificate alive.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="certificate"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithCertificate(this IEncryptedTokenStoreBuilder builder, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Register(builder, _ => MasterKey.FromCertificate(certificate));
    }

    /// <summary>
    /// A master key wrapped to the certificate in a PKCS#12 or PEM file (see <see cref="MasterKey.FromCertificateFile"/>),
    /// its password read from environment variable <paramref name="passwordVariable"/> when given.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithCertificateFile(this IEncryptedTokenStoreBuilder builder, string path, string? passwordVariable = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Register(builder, _ => MasterKey.FromCertificateFile(path, passwordVariable is null ? null : Environment.GetEnvironmentVariable(passwordVariable)));
    }

    /// <summary>A master key wrapped to the certificate with <paramref name="thumbprint"/> in the platform store (see <see cref="MasterKey.FromCertificateStore"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="thumbprint"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithCertificateStore(this IEncryptedTokenStoreBuilder builder, string thumbprint, StoreLocation location = StoreLocation.CurrentUser)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(thumbprint);
        return Register(builder, _ => MasterKey.FromCertificateStore(thumbprint, location));
    }

    /// <summary>The master key in the systemd credential <paramref name="name"/> (see <see cref="MasterKey.FromSystemdCredential"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithSystemdCredential(this IEncryptedTokenStoreBuilder builder, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Register(builder, _ => MasterKey.FromSystemdCredential(name));
    }

    /// <summary>The master key in a key file (see <see cref="MasterKey.FromKeyFile"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithKeyFile(this IEncryptedTokenStoreBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Register(builder, _ => MasterKey.FromKeyFile(path));
    }

    /// <summary>
    /// The master key <paramref name="create"/> makes from the container's services when the store is first resolved, for a
    /// source this class has no method for: <c>_ => MasterKey.FromEnvironment("TOKENS_KEY")</c>, or key bytes from a secret
    /// manager with <see cref="MasterKey.FromBytes"/>. The container disposes the key; <paramref name="create"/> must return a new one.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="create"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithMasterKey(this IEncryptedTokenStoreBuilder builder, Func<IServiceProvider, MasterKey> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        return Register(builder, provider => create(provider) ?? throw new InvalidOperationException("The ProtectWithMasterKey function returned null."));
    }

    private static IEncryptedTokenStoreBuilder Register(IEncryptedTokenStoreBuilder builder, Func<IServiceProvider, MasterKey> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var serviceKey = builder.ServiceKey;
        if (builder.Services.Any(descriptor => descriptor.ServiceType == typeof(MasterKeyRegistration) && Equals(descriptor.ServiceKey, serviceKey)))
        {
            throw new InvalidOperationException("A master key was already chosen for this store with a ProtectWith… call; choose one.");
        }

        StoreRegistration.AddSingleton(builder.Services, serviceKey, provider => new MasterKeyRegistration(create(provider)));
        return builder;
    }
}
