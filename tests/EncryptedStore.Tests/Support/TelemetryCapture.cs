using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using EncryptedStore.Internal;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// Listens to the store's meter and activity source while it lives, and keeps every measurement and every stopped
/// activity. Listeners are process-global: a test that counts must run <c>[NonParallelizable]</c>, and filter by the
/// file-name tag where the instrument carries one.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly ConcurrentQueue<Measurement> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public TelemetryCapture()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StoreMetrics.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.Start();

        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StoreMetrics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public IReadOnlyList<Measurement> Measurements => [.. _measurements];

    public IReadOnlyList<Activity> Activities => [.. _stopped];

    /// <summary>Asks the observable instruments (the journal depth) for their values now.</summary>
    public void Observe() => _meters.RecordObservableInstruments();

    /// <summary>The measurements of <paramref name="instrument"/> whose tags include every one of <paramref name="tags"/>.</summary>
    public IReadOnlyList<Measurement> Of(string instrument, params (string Key, object Value)[] tags) =>
        [.. _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))];

    /// <summary>The sum of the measurements that <see cref="Of"/> selects.</summary>
    public double Sum(string instrument, params (string Key, object Value)[] tags) => Of(instrument, tags).Sum(m => m.Value);

    /// <summary>The stopped activities named <paramref name="name"/> of the store whose file is <paramref name="fileName"/>.</summary>
    public IReadOnlyList<Activity> ActivitiesOf(string name, string fileName) =>
        [.. _stopped.Where(a => a.OperationName == name && Equals(a.GetTagItem(StoreMetrics.FileNameTag), fileName))];

    public void Clear()
    {
        _measurements.Clear();
        _stopped.Clear();
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }

    private void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct, IConvertible
    {
        var kept = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            kept[key] = tagValue;
        }

        _measurements.Enqueue(new Measurement(instrument.Name, value.ToDouble(null), kept));
    }

    /// <summary>One recorded value, with its tags.</summary>
    internal sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}
