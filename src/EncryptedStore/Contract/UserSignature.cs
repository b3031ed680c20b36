using System.Diagnostics;

namespace EncryptedStore;

/// <summary>
/// The CRM user a token belongs to, identified by the user's e-mail address, as in the Zoho SDKs.
/// </summary>
/// <param name="name">The user's e-mail address. It is encrypted at rest and never printed.</param>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class UserSignature(string name)
{
    /// <summary>The user's e-mail address.</summary>
    public string Name { get; } = name;

    /// <summary>Returns a description that does not reveal the user's e-mail address.</summary>
    public override string ToString() => "UserSignature { Name = <redacted> }";
}
