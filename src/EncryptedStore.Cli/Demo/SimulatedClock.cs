namespace EncryptedStore.Cli.Demo;

/// <summary>A clock the demo moves forward by hand, so an access token expires without waiting an hour.</summary>
internal sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
