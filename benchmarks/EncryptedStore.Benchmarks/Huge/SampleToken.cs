namespace EncryptedStore.Benchmarks.Huge;

/// <summary>What the child of <see cref="HugeStoreCheck"/> looks up and expects: one tab-separated line per token.</summary>
internal sealed record SampleToken(string Id, string User, string ClientId, string AccessToken)
{
    public string ToLine() => string.Join('\t', Id, User, ClientId, AccessToken);

    public static SampleToken Parse(string line)
    {
        var parts = line.Split('\t');
        return parts.Length == 4
            ? new SampleToken(parts[0], parts[1], parts[2], parts[3])
            : throw new FormatException("A sample line has four tab-separated fields.");
    }
}
