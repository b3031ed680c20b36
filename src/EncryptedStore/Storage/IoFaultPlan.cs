namespace EncryptedStore.Storage;

/// <summary>
/// Which I/O fails: from the armed moment, I/O calls of <see cref="Kinds"/> on files whose full path starts
/// with <see cref="PathPrefix"/> are counted from 1; call number <see cref="FailAt"/> throws an IOException whose
/// HResult is <see cref="Errno"/> (28 ENOSPC, 5 EIO, 30 EROFS…) and, when <see cref="Sticky"/>, every later one too
/// (a full disk stays full) until the plan is disposed. FailAt = 0 only counts.
/// </summary>
/// <param name="PathPrefix">
/// The start of the full paths whose I/O is counted. The files beside <c>tokens.db</c> are <c>tokens-log.db</c>,
/// <c>tokens-journal.db</c> and <c>tokens.db.compact</c>: the store's folder (or <c>…/tokens</c>) covers them all,
/// the store's own path only the data file and a compaction's copy.
/// </param>
/// <param name="Kinds">The kinds of call counted.</param>
/// <param name="FailAt">The counted call that fails (from 1); 0 only counts.</param>
/// <param name="Errno">The HResult of the thrown <see cref="IOException"/>: the raw errno, as .NET reports it on Unix.</param>
/// <param name="Sticky">Whether every counted call after <see cref="FailAt"/> fails too.</param>
/// <param name="Exception">
/// When set, makes the exception thrown instead of the IOException: e.g. <c>new Exception("LiteDB ENSURE: injected")</c>
/// for one of LiteDB's internal consistency failures.
/// </param>
/// <param name="BeforeCall">When set, called with the number of each counted call before it is made (or fails): a test can hold an I/O call there.</param>
internal sealed record IoFaultPlan(string PathPrefix, IoFaultKind Kinds, long FailAt, int Errno, bool Sticky = false, Func<Exception>? Exception = null, Action<long>? BeforeCall = null);
