using System.Collections;
using System.Reflection;
using LiteDB;
using LiteDB.Engine;

namespace EncryptedStore.Storage.LiteDb;

/// <summary>
/// Works around LiteDB 5.0.21's transaction finalizer (LiteDB issue #2828). When LiteDB fails while
/// releasing a read transaction, as it does on some damaged pages ("share counter must be &gt; 0 in
/// Release()"), the transaction stays registered, half released; once the engine is dropped, its
/// finalizer repeats the failing release on the GC thread, and that unhandled exception ends the
/// process. The finalizer serves nothing else (the engine references every transaction it has not
/// released, so it never runs for a live one), so before the engine is disposed the finalizers of the
/// transactions it still holds are suppressed.
/// </summary>
internal static class LiteDbTransactions
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;

    private static readonly FieldInfo? EngineField = typeof(LiteDatabase).GetField("_engine", Private);
    private static readonly FieldInfo? MonitorField = typeof(LiteEngine).GetField("_monitor", Private);
    private static readonly FieldInfo? TransactionsField = MonitorField?.FieldType.GetField("_transactions", Private);

    /// <summary>True when this LiteDB version has the fields the workaround needs (checked by a test).</summary>
    public static bool IsSupported => EngineField is not null && MonitorField is not null && TransactionsField is not null;

    /// <summary>Suppresses the finalizer of every transaction <paramref name="database"/>'s engine still holds.</summary>
    public static void SuppressFinalizers(LiteDatabase database)
    {
        if (EngineField?.GetValue(database) is LiteEngine engine)
        {
            SuppressFinalizers(engine);
        }
    }

    /// <summary>Suppresses the finalizer of every transaction <paramref name="engine"/> still holds.</summary>
    public static void SuppressFinalizers(LiteEngine engine)
    {
        if (MonitorField?.GetValue(engine) is not { } monitor
            || TransactionsField!.GetValue(monitor) is not IDictionary transactions)
        {
            return;
        }

        // LiteDB itself locks the dictionary while it adds or removes a transaction.
        lock (transactions)
        {
            foreach (var transaction in transactions.Values)
            {
#pragma warning disable CA1816 // Deliberately another object's finalizer: the point of this workaround.
                GC.SuppressFinalize(transaction);
#pragma warning restore CA1816
            }
        }
    }
}
