using System.Security.Cryptography.X509Certificates;
using EncryptedStore.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace EncryptedStore;

/// <summary>
/// Chooses the master key of the store registered by <c>AddEncryptedTokenStore</c>, as Data Protection's
/// <c>ProtectKeysWith…</c> do: the key is made when the store is first resolved and disposed with the container.
/// Use one of these, or set <see cref="EncryptedTokenStoreOptions.MasterKey"/> in the configure action, not both.
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
        return Register(builder, () => MasterKey.FromOsKeyStore(name, options ?? new OsKeyStoreOptions()));
    }

    /// <summary>A master key wrapped to <paramref name="certificate"/> (see <see cref="MasterKey.FromCertificate"/>); the caller keeps the certificate alive.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="certificate"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithCertificate(this IEncryptedTokenStoreBuilder builder, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Register(builder, () => MasterKey.FromCertificate(certificate));
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
        return Register(builder, () => MasterKey.FromCertificateFile(path, passwordVariable is null ? null : Environment.GetEnvironmentVariable(passwordVariable)));
    }

    /// <summary>A master key wrapped to the certificate with <paramref name="thumbprint"/> in the platform store (see <see cref="MasterKey.FromCertificateStore"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="thumbprint"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithCertificateStore(this IEncryptedTokenStoreBuilder builder, string thumbprint, StoreLocation location = StoreLocation.CurrentUser)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(thumbprint);
        return Register(builder, () => MasterKey.FromCertificateStore(thumbprint, location));
    }

    /// <summary>The master key in the systemd credential <paramref name="name"/> (see <see cref="MasterKey.FromSystemdCredential"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithSystemdCredential(this IEncryptedTokenStoreBuilder builder, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Register(builder, () => MasterKey.FromSystemdCredential(name));
    }

    /// <summary>The master key in a key file (see <see cref="MasterKey.FromKeyFile"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="InvalidOperationException">A master key was already chosen with a <c>ProtectWith…</c> call.</exception>
    public static IEncryptedTokenStoreBuilder ProtectWithKeyFile(this IEncryptedTokenStoreBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Register(builder, () => MasterKey.FromKeyFile(path));
    }

    private static IEncryptedTokenStoreBuilder Register(IEncryptedTokenStoreBuilder builder, Func<MasterKey> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(descriptor => descriptor.ServiceType == typeof(MasterKeyRegistration)))
        {
            throw new InvalidOperationException("A master key was already chosen for this store with a ProtectWith… call; choose one.");
        }

        builder.Services.AddSingleton(_ => new MasterKeyRegistration(create()));
        return builder;
    }
}
