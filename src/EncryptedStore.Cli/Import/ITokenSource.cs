namespace EncryptedStore.Cli.Import;

/// <summary>Somewhere tokens can be imported from: a Zoho SDK file or table, or an encrypted backup.</summary>
internal interface ITokenSource
{
    /// <summary>Names the source for messages; never includes a password.</summary>
    string Description { get; }

    /// <summary>Whether the source holds plaintext tokens that <see cref="Wipe"/> can destroy.</summary>
    bool CanWipe { get; }

    /// <summary>Reads every row; a row that cannot be read is returned with its problem, not dropped.</summary>
    /// <exception cref="CliException">The source as a whole is unreadable (missing, wrong header, no table).</exception>
    IReadOnlyList<SourceRow> ReadRows();

    /// <summary>
    /// Destroys the plaintext tokens that were read (after they were all imported) and says what was done.
    /// <paramref name="ids"/> are the ids of the rows read (null for a row without one).
    /// </summary>
    string Wipe(IReadOnlyCollection<string?> ids);
}
