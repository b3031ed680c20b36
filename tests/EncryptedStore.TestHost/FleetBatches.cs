namespace EncryptedStore.TestHost;

/// <summary>
/// <c>fleet-batches STORE KEYHEX START</c>: the writer the crash test kills. Forever, from sequence START: saves the
/// <see cref="Size"/> tokens of group <c>N % Groups</c> in one <c>SaveTokens</c> transaction, every access token naming
/// N, and prints "ack N" only once that call has returned. A group's tokens therefore always carry one sequence
/// number: a batch half written would show as two.
/// </summary>
internal static class FleetBatches
{
    public const int Groups = 10;
    public const int Size = 5;
    public const string ClientId = "1000.FLEETCRASH";

    public static int Run(string spec, byte[] key, int start)
    {
        using var store = FleetStore.Open(spec, key);
        Console.WriteLine("opened");
        for (var sequence = start; ; sequence++)
        {
            var group = sequence % Groups;
            store.SaveTokens(Enumerable.Range(0, Size).Select(member => Token(group, member, sequence)).ToList());
            Console.WriteLine($"ack {sequence}");
        }
    }

    public static string User(int group, int member) => $"crash.g{group}.{member}@example.com";

    private static OAuthToken Token(int group, int member, int sequence) => new()
    {
        UserSignature = new UserSignature(User(group, member)),
        ClientId = ClientId,
        ClientSecret = "secret",
        RefreshToken = $"1000.refresh.{group}.{member}",
        AccessToken = $"1000.access.{sequence}.{member}",
        ExpiresIn = "1767225600000",
    };
}
