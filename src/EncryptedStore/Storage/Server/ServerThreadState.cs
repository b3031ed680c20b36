namespace EncryptedStore.Storage.Server;

/// <summary>What one thread holds on a <see cref="ServerStorage"/>: its holds, its observation of the counters, its open transaction, the state it read in one snapshot.</summary>
internal sealed class ServerThreadState
{
    /// <summary>How many holds (<see cref="ServerStorage.Enter"/>) the thread is inside.</summary>
    public int Depth { get; set; }

    /// <summary>The counters read at the outermost hold, and when (<see cref="TimeProvider.GetTimestamp"/>); null until asked for.</summary>
    public (Generations Generations, long At)? Observed { get; set; }

    /// <summary>The thread's open transaction: every call of the thread runs on its connection.</summary>
    public ServerTransaction? OpenTransaction { get; set; }

    /// <summary>The metadata, key list and key ring read in one snapshot by this hold, so that a reload sees one state.</summary>
    public StateSnapshot? Snapshot { get; set; }
}
