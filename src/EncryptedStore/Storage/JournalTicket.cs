namespace EncryptedStore.Storage;

/// <summary>
/// A save written to the journal and not yet known to be on the disk: <see cref="SaveJournal.SyncThrough"/> of its
/// sequence number acknowledges it (the journal it went to, which a master-key change may since have replaced).
/// </summary>
internal readonly record struct JournalTicket(SaveJournal Journal, long Sequence);
