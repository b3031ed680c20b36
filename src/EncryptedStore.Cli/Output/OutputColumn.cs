namespace EncryptedStore.Cli.Output;

/// <summary>
/// A column of an <see cref="OutputTable"/>. On a terminal too narrow for every column, a column with a
/// <see cref="DropOrder"/> is left out (highest first), then <see cref="Shrink"/> columns are cut with an
/// ellipsis down to <see cref="MinWidth"/>; others (ids, secrets) are never cut or wrapped.
/// </summary>
/// <param name="Name">The header; the SDK's column name where there is one, so it matches <c>--field</c> and <c>--json</c>.</param>
/// <param name="Shrink">May be cut with an ellipsis on a narrow terminal.</param>
/// <param name="MinWidth">The narrowest a shrunk column becomes (never narrower than its header).</param>
/// <param name="DropOrder">0: always shown; otherwise left out on a narrow terminal, the highest first.</param>
internal sealed record OutputColumn(string Name, bool Shrink = false, int MinWidth = 10, int DropOrder = 0);
