using System.Globalization;
using Spectre.Console;

namespace EncryptedStore.Cli.Output;

/// <summary>
/// Progress of long work on stderr, with counts, rate and time left. On a terminal (with escape codes): a live
/// Spectre bar. Otherwise (piped, CI logs): a plain line such as
/// <c>imported 5,000 of 20,000 (25%), 2,100/s, about 7 s left</c>, the first after <see cref="FirstLineAfter"/>
/// and then at most one every <see cref="LineInterval"/>, so work that ends within a second or two prints
/// nothing. Nothing at all with <c>--quiet</c>. Reports come on the working thread (see <see cref="SyncProgress{T}"/>).
/// </summary>
internal sealed class ProgressReporter
{
    /// <summary>No plain line before the work has run this long.</summary>
    public static readonly TimeSpan FirstLineAfter = TimeSpan.FromSeconds(2);

    /// <summary>At most one plain line this often.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    private readonly CliConsole _console;
    private readonly TimeProvider _time;
    private readonly string _verb;
    private long _total;
    private readonly long _started;
    private TimeSpan _nextLine = FirstLineAfter;

    private ProgressReporter(CliConsole console, TimeProvider time, string verb, long total)
    {
        _console = console;
        _time = time;
        _verb = verb;
        _total = total;
        _started = time.GetTimestamp();
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which reports how many of <paramref name="total"/> items are done, showing
    /// progress as described on the class.
    /// </summary>
    /// <param name="console">Where to show it.</param>
    /// <param name="time">The clock for rate and estimate.</param>
    /// <param name="title">The live bar's label, e.g. "Re-encrypting tokens".</param>
    /// <param name="verb">The plain line's past participle, e.g. "re-encrypted".</param>
    /// <param name="total">How many items there are (0 when not known yet: a report can tell).</param>
    /// <param name="work">The work; it reports the count done so far and the total (0 to keep the one known).</param>
    public static T Run<T>(CliConsole console, TimeProvider time, string title, string verb, long total, Func<IProgress<(long Done, long Total)>, T> work)
    {
        if (console.Quiet)
        {
            return work(new SyncProgress<(long, long)>(_ => { }));
        }

        var reporter = new ProgressReporter(console, time, verb, total);
        if (!console.ErrorUsesAnsi)
        {
            return work(new SyncProgress<(long Done, long Total)>(p => reporter.ReportLine(reporter.Count(p))));
        }

        return console.Error.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(progress =>
            {
                var task = progress.AddTask(title, maxValue: Math.Max(total, 1));
                var result = work(new SyncProgress<(long Done, long Total)>(p =>
                {
                    var done = reporter.Count(p);
                    task.MaxValue = Math.Max(reporter._total, 1);
                    task.Value = done;
                    task.Description = $"{title} {reporter.Describe(done, live: true)}";
                }));
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>"5,000 of 20,000 (25%), 2,100/s, about 7 s left": the counts, then the rate and estimate once known.</summary>
    public static string Describe(long done, long total, TimeSpan elapsed)
    {
        var text = total > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{done:N0} of {total:N0} ({Math.Min(100, done * 100 / total)}%)")
            : string.Create(CultureInfo.InvariantCulture, $"{done:N0}");
        if (done <= 0 || elapsed <= TimeSpan.Zero)
        {
            return text;
        }

        var rate = done / elapsed.TotalSeconds;
        text += string.Create(CultureInfo.InvariantCulture, $", {rate:N0}/s");
        if (total > done)
        {
            text += $", about {Duration(TimeSpan.FromSeconds(Math.Ceiling((total - done) / rate)))} left";
        }

        return text;
    }

    /// <summary>"7 s", "3 min 5 s", "1 h 4 min".</summary>
    public static string Duration(TimeSpan span) => span.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (int)Math.Ceiling(span.TotalSeconds))} s")
        : span.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min {span.Seconds} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes} min");

    /// <summary>Takes a report's total when it gives one; returns the count done.</summary>
    private long Count((long Done, long Total) report)
    {
        if (report.Total > 0)
        {
            _total = report.Total;
        }

        return report.Done;
    }

    private string Describe(long done, bool live)
    {
        var text = Describe(done, _total, _time.GetElapsedTime(_started));
        return live ? text.Replace(" of ", "/", StringComparison.Ordinal) : text;
    }

    private void ReportLine(long done)
    {
        var elapsed = _time.GetElapsedTime(_started);
        if (elapsed < _nextLine || (_total > 0 && done >= _total))
        {
            return;
        }

        _nextLine = elapsed + LineInterval;
        _console.WriteNote($"{_verb} {Describe(done, live: false)}");
    }
}
