namespace EncryptedStore.Engine;

/// <summary>What one write of the <see cref="WritePipeline"/> touched, for the cache to forget afterwards.</summary>
internal sealed class WriteScope
{
    private readonly List<string> _touched = [];

    /// <summary>True when the write may have changed what any cached token means (a key revoked, every token deleted).</summary>
    public bool TouchedAll { get; private set; }

    /// <summary>The ids of the tokens the write changed or deleted.</summary>
    public IReadOnlyList<string> Touched => _touched;

    public void Touch(string id) => _touched.Add(id);

    public void TouchAll() => TouchedAll = true;
}
