using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EncryptedStore.Tests.Support;

/// <summary>
/// Captures every log event of every category at every level: the formatted message, the exception's
/// <see cref="Exception.ToString"/>, and each structured state and scope value, for tests that read them.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>Everything logged so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    /// <summary>A logger factory with every level enabled that logs only to this provider.</summary>
    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private static IEnumerable<string> Values(object? state) => state switch
    {
        null => [],
        IEnumerable<KeyValuePair<string, object?>> pairs => pairs.Select(p => $"{p.Key}={p.Value}"),
        _ => [state.ToString() ?? string.Empty],
    };

    /// <summary>One log event; <see cref="Text"/> is all of it as one string, for searching.</summary>
    internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, string? Exception, IReadOnlyList<string> Values)
    {
        public string Text => string.Join('\n', [Category, EventId.ToString(), Message, Exception ?? string.Empty, .. Values]);
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        private readonly AsyncLocal<ImmutableScopes?> _scopes = new();

        public IDisposable BeginScope<TState>(TState state)
            where TState : notnull
        {
            var parent = _scopes.Value;
            _scopes.Value = new ImmutableScopes(Values(state).ToList(), parent);
            return new ScopeExit(() => _scopes.Value = parent);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = Values(state).ToList();
            for (var scope = _scopes.Value; scope is not null; scope = scope.Parent)
            {
                values.AddRange(scope.Values);
            }

            provider._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception?.ToString(), values));
        }

        private sealed record ImmutableScopes(List<string> Values, ImmutableScopes? Parent);

        private sealed class ScopeExit(Action exit) : IDisposable
        {
            public void Dispose() => exit();
        }
    }
}
