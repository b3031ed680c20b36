namespace EncryptedStore.Tests.Sdk;

/// <summary>The token endpoint answered with an OAuth error such as <c>invalid_code</c>.</summary>
internal sealed class OAuthErrorException : Exception
{
    public OAuthErrorException()
    {
    }

    public OAuthErrorException(string error)
        : base("The token endpoint answered: " + error)
    {
        Error = error;
    }

    public OAuthErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string? Error { get; }
}
