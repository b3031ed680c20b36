using EncryptedStore.Cli.Tokens;

namespace EncryptedStore.Cli.Import;

/// <summary>
/// Imports source rows into a store, all or nothing by default. Every row is first tried against an
/// in-memory store (same library, same rules) seeded with the target's tokens, so that malformed rows,
/// duplicates within the source and clashes with tokens already in the store are all reported, with
/// row and reason, before anything is written. Ids are preserved.
/// </summary>
internal static class TokenImporter
{
    /// <param name="rows">The rows read from the source.</param>
    /// <param name="target">The store to import into.</param>
    /// <param name="write">False for a dry run.</param>
    /// <param name="skipInvalid">Import the valid rows even when others have problems.</param>
    public static ImportReport Run(IReadOnlyList<SourceRow> rows, EncryptedTokenStore target, bool write, bool skipInvalid) =>
        Save(Check(rows, target, progress: null, CancellationToken.None), target, write, skipInvalid, progress: null, CancellationToken.None);

    /// <summary>
    /// The first step: every row tried against an in-memory store seeded with the target's tokens. Reports the rows
    /// checked so far; stops between rows when <paramref name="cancellation"/> fires, before anything is written.
    /// </summary>
    public static ImportCheck Check(IReadOnlyList<SourceRow> rows, EncryptedTokenStore target, IProgress<(long Done, long Total)>? progress, CancellationToken cancellation)
    {
        var problems = new List<ImportProblem>();
        var accepted = new List<(SourceRow Row, OAuthToken Token)>();
        using (var simulation = new EncryptedTokenStore(new EncryptedTokenStoreOptions { FilePath = EncryptedTokenStoreOptions.InMemory }))
        {
            // Where each token in the simulation came from, to name the other side of a duplicate.
            var origins = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var existing in target.GetTokens().Cast<OAuthToken>())
            {
                simulation.SaveToken(TokenColumns.Copy(existing));
                origins[existing.Id!] = $"token '{existing.Id}' already in the store";
            }

            var checkedRows = 0;
            foreach (var row in rows)
            {
                cancellation.ThrowIfCancellationRequested();
                progress?.Report((checkedRows++, rows.Count));
                if (row.Token is null)
                {
                    problems.Add(new ImportProblem(row.Location, null, row.Problem ?? "unreadable row."));
                    continue;
                }

                if (Check(simulation, origins, row) is { } reason)
                {
                    problems.Add(new ImportProblem(row.Location, row.Token.Id, reason));
                    continue;
                }

                accepted.Add((row, row.Token));
            }
        }

        return new ImportCheck(rows, problems, accepted);
    }

    /// <summary>
    /// The second step: writes the accepted rows, all in one transaction (not interruptible), or with
    /// <paramref name="skipInvalid"/> one by one, reporting each and stopping between two when
    /// <paramref name="cancellation"/> fires (those saved so far stay).
    /// </summary>
    public static ImportReport Save(ImportCheck check, EncryptedTokenStore target, bool write, bool skipInvalid, IProgress<(long Done, long Total)>? progress, CancellationToken cancellation)
    {
        var (rows, problems, accepted) = check;
        var sourceIds = rows.Select(r => r.Token?.Id).ToList();
        if (!write || (problems.Count > 0 && !skipInvalid))
        {
            return new ImportReport(rows.Count, accepted.Count, 0, problems, sourceIds, RolledBack: false);
        }

        if (!skipInvalid)
        {
            // All or nothing: one transaction, so a failure (or a crash) leaves the store as it was. A database server out of
            // reach (UNAVAILABLE) is not a row's problem: it ends the command, with the library's word on the commit's outcome.
            var copies = accepted.Select(a => TokenColumns.Copy(a.Token)).ToList();
            try
            {
                progress?.Report((0, copies.Count));
                target.SaveTokens(copies);
                progress?.Report((copies.Count, copies.Count));
                return new ImportReport(rows.Count, accepted.Count, copies.Count, problems, sourceIds, RolledBack: false);
            }
            catch (TokenStoreException e) when (e.Code is not (TokenStoreErrorCodes.StoreLocked or TokenStoreErrorCodes.Integrity or TokenStoreErrorCodes.Unavailable))
            {
                problems.Add(new ImportProblem("import", null, $"{e.Code}: {e.Message}"));
                return new ImportReport(rows.Count, accepted.Count, 0, problems, sourceIds, RolledBack: true);
            }
        }

        var inserted = new List<string>();
        foreach (var (row, token) in accepted)
        {
            cancellation.ThrowIfCancellationRequested();
            var copy = TokenColumns.Copy(token);
            try
            {
                target.SaveToken(copy);
                inserted.Add(copy.Id!);
            }
            catch (TokenStoreException e) when (e.Code is not (TokenStoreErrorCodes.StoreLocked or TokenStoreErrorCodes.Integrity or TokenStoreErrorCodes.Unavailable))
            {
                problems.Add(new ImportProblem(row.Location, token.Id, $"{e.Code}: {e.Message}"));
            }

            progress?.Report((inserted.Count, accepted.Count));
        }

        return new ImportReport(rows.Count, accepted.Count, inserted.Count, problems, sourceIds, RolledBack: false);
    }

    /// <summary>Saves the row into the simulation; returns why it cannot be imported, or null.</summary>
    private static string? Check(EncryptedTokenStore simulation, Dictionary<string, string> origins, SourceRow row)
    {
        var token = row.Token!;
        if (TokenColumns.ExpiryProblem(token.ExpiresIn) is { } expiry)
        {
            return expiry;
        }

        if (token.Id is { } id && origins.TryGetValue(id, out var sameId))
        {
            return $"duplicate id: {sameId} has the same id.";
        }

        try
        {
            // SaveToken would merge a row that matches an earlier one into it; for an import that is a duplicate.
            var query = TokenColumns.Copy(token);
            query.Id = null;
            if (simulation.FindToken(query) is OAuthToken { Id: { } matchId })
            {
                return $"duplicate: {origins.GetValueOrDefault(matchId, "an earlier row")} has the same {MatchedBy(token)}.";
            }

            var copy = TokenColumns.Copy(token);
            simulation.SaveToken(copy);
            origins[copy.Id!] = row.Location;
            return null;
        }
        catch (TokenStoreException e) when (e.Code == TokenStoreErrorCodes.DuplicateToken)
        {
            return $"duplicate: {e.Message}";
        }
        catch (TokenStoreException e)
        {
            return $"{e.Code}: {e.Message}";
        }
    }

    /// <summary>Which of the contract's matching rules applies to <paramref name="token"/> (the library's precedence).</summary>
    private static string MatchedBy(OAuthToken token) =>
        !string.IsNullOrEmpty(token.UserSignature?.Name) ? (token.ClientId is null ? "user name" : "user name and client id")
        : !string.IsNullOrEmpty(token.AccessToken) && token.ClientId is null && token.ClientSecret is null ? "access token"
        : !string.IsNullOrEmpty(token.GrantToken) ? "grant token and client id" : "refresh token and client id";
}
