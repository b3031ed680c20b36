namespace EncryptedStore.Cli.Output;

/// <summary>One cell of an <see cref="OutputTable"/>: its text on a terminal and its value in plain (tab-separated) output.</summary>
internal readonly record struct OutputCell(string? Terminal, string? Plain);
