namespace EncryptedStore.Cli.Tokens;

/// <summary>The SDK's token columns, in the order of its CSV file and database table.</summary>
internal enum TokenColumn
{
    Id,
    UserName,
    ClientId,
    ClientSecret,
    RefreshToken,
    AccessToken,
    GrantToken,
    ExpiryTime,
    RedirectUrl,
    ApiDomain,
}
