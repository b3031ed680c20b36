using System.Security.Cryptography;

namespace EncryptedStore.Benchmarks.Infrastructure;

/// <summary>The fixed master keys of the benchmark stores, so a cached store file opens in every run.</summary>
internal static class BenchmarkKeys
{
    private static readonly byte[] KeyBytes = SHA256.HashData("EncryptedStore benchmark master key"u8);

    public const string Passphrase = "correct horse battery staple, benchmark edition";

    public static MasterKey Bytes() => MasterKey.FromBytes(KeyBytes);

    public static EncryptedTokenStoreOptions Options(string path, bool passphrase = false) => new()
    {
        FilePath = path,
        MasterKey = passphrase ? MasterKey.FromPassphrase(Passphrase) : Bytes(),
    };
}
