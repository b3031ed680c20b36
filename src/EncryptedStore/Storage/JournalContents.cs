namespace EncryptedStore.Storage;

/// <summary>What <see cref="SaveJournal.Read"/> found.</summary>
/// <param name="Exists">Whether there is a file at the journal's path.</param>
/// <param name="Belongs">Whether it is a journal of this store and of the epoch its metadata names.</param>
/// <param name="Entries">The entries whose MAC holds, in order; empty unless it belongs.</param>
internal sealed record JournalContents(bool Exists, bool Belongs, IReadOnlyList<JournalEntry> Entries);

/// <summary>One journal entry: its sequence number and the record as the storage keeps it.</summary>
internal sealed record JournalEntry(long Sequence, byte[] Record);
