namespace EncryptedStore.Tests.Support;

/// <summary>What one <see cref="TokenLedger.Check"/> found: acknowledged saves lost, wrong reads and failed reads, with a line for each.</summary>
internal sealed class LedgerCheck
{
    private readonly List<string> _problems = [];

    public int Lost { get; private set; }

    public int WrongReads { get; private set; }

    /// <summary>Reads that threw instead of answering (the listing).</summary>
    public int FailedReads { get; private set; }

    public IReadOnlyList<string> Problems => _problems;

    public bool IsClean => _problems.Count == 0;

    public void LostSave(string what)
    {
        Lost++;
        _problems.Add("lost: " + what);
    }

    public void WrongRead(string what)
    {
        WrongReads++;
        _problems.Add("wrong read: " + what);
    }

    public void ReadFailed(string what)
    {
        FailedReads++;
        _problems.Add("read failed: " + what);
    }

    public override string ToString() => string.Join(Environment.NewLine, _problems);
}
