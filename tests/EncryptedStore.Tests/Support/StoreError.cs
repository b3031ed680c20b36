using NUnit.Framework.Constraints;

namespace EncryptedStore.Tests.Support;

/// <summary>Constraints for the store's exceptions.</summary>
internal static class StoreError
{
    /// <summary>Throws a <see cref="TokenStoreException"/> with exactly this code.</summary>
    public static Constraint WithCode(string code) =>
        Throws.TypeOf<TokenStoreException>().With.Property(nameof(TokenStoreException.Code)).EqualTo(code);
}
