namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// Checks, without the data key, that the embedded store's files belong together. Run at start (the host refuses to start
/// otherwise), on every status check, and by the CLI. The rules:
/// <list type="bullet">
/// <item>a key file without a store, and a store (or format 1 file) without its key file, are refused: one of them was lost;</item>
/// <item>a rollback mark without store and key file is refused: a store existed here and both files vanished;</item>
/// <item>a store in use needs its mark, for the same store, at most at the store's sequence; otherwise it is an old copy (or
/// the mark was removed), refused until an operator accepts the restore;</item>
/// <item>a store still pending (init interrupted before its key file was written) counts as uninitialized.</item>
/// </list>
/// </summary>
internal static class EmbeddedStoreIntegrity
{
    private const string Restore =
        "Restore the files of SECURITY_DIR together, from one backup (vault_keys.enc, embedded_secrets.db and embedded_secrets.mark).";

    /// <exception cref="SecretStoreIntegrityException">The files do not belong together, or the store is damaged.</exception>
    public static EmbeddedStoreState Check(EmbeddedStorePaths paths)
    {
        var keyFile = File.Exists(paths.KeyFile);
        var database = File.Exists(paths.Database);
        var legacy = File.Exists(paths.LegacyFile);
        var mark = new EmbeddedStoreMark(paths.Mark);

        if (database)
        {
            EmbeddedStoreHeader header;
            try
            {
                header = EmbeddedStoreDatabase.ReadHeader(paths.Database);
            }
            catch (InvalidDataException ex)
            {
                throw new SecretStoreIntegrityException(ex.Message, acceptable: false);
            }

            if (header.IsPending)
            {
                return keyFile ? EmbeddedStoreState.Pending : EmbeddedStoreState.Uninitialized;
            }

            if (!keyFile)
            {
                throw new SecretStoreIntegrityException(
                    $"The embedded secret store {paths.Database} exists but its key file {paths.KeyFile} does not. Without the key file " +
                    $"the store cannot be opened, and a new one would hide it. Restore {paths.KeyFile} from the backup taken with the store. " +
                    Restore, acceptable: false);
            }

            if (legacy && (header.MigratedFrom is null || header.MigratedFrom != new EmbeddedLegacyStoreFile(paths.LegacyFile).CurrentHash()))
            {
                throw new SecretStoreIntegrityException(
                    $"Both {paths.Database} and a format 1 store {paths.LegacyFile} exist, and the database was not migrated from that " +
                    $"file. Keep the one that holds your secrets: move the other away (keep a copy), then start again.", acceptable: false);
            }

            CheckMark(paths, header, mark);
            return EmbeddedStoreState.Ready;
        }

        if (legacy)
        {
            if (!keyFile)
            {
                throw new SecretStoreIntegrityException(
                    $"The embedded secret store {paths.LegacyFile} exists but its key file {paths.KeyFile} does not. Restore " +
                    $"{paths.KeyFile} from the backup taken with the store. " + Restore, acceptable: false);
            }

            return EmbeddedStoreState.NeedsMigration;
        }

        if (keyFile)
        {
            throw new SecretStoreIntegrityException(
                $"The key file {paths.KeyFile} exists but the embedded secret store {paths.Database} does not: the store was deleted or " +
                $"not restored, and starting would create an empty one in its place. Restore {paths.Database} (and {paths.Mark}) from the " +
                $"backup taken with the key file. {Restore} To give up the old secrets and start a new store, move {paths.KeyFile} away.",
                acceptable: false);
        }

        if (mark.Exists)
        {
            throw new SecretStoreIntegrityException(
                $"The rollback mark {paths.Mark} shows that an embedded secret store existed here, but both {paths.Database} and its key " +
                $"file {paths.KeyFile} are gone. {Restore} To start a new, empty store instead, delete {paths.Mark}.", acceptable: false);
        }

        return EmbeddedStoreState.Uninitialized;
    }

    /// <summary>
    /// <c>lyndrix secrets accept-restore</c>: an operator restored the store from a backup on purpose (or its mark was lost), so
    /// the mark is set to the store as it is now. Only the mark problems are accepted this way; a missing key file or store is not.
    /// </summary>
    /// <returns>The mark before (null when there was none or it was damaged) and the store's commit sequence now recorded.</returns>
    /// <exception cref="SecretStoreIntegrityException">The problem is not one a restore explains, or there is nothing to accept.</exception>
    public static async Task<(long? Before, long Accepted)> AcceptRestoreAsync(EmbeddedStorePaths paths, CancellationToken cancellationToken)
    {
        try
        {
            Check(paths);
            throw new SecretStoreIntegrityException(
                $"The embedded secret store {paths.Database} and its rollback mark {paths.Mark} agree: there is no restore to accept.", acceptable: false);
        }
        catch (SecretStoreIntegrityException ex) when (ex.Acceptable)
        {
        }

        var header = EmbeddedStoreDatabase.ReadHeader(paths.Database);
        var mark = new EmbeddedStoreMark(paths.Mark);
        long? before;
        try
        {
            before = mark.Read()?.Sequence;
        }
        catch (InvalidDataException)
        {
            before = null;
        }

        await mark.WriteAsync(header.StoreId, header.Sequence, cancellationToken).ConfigureAwait(false);
        return (before, header.Sequence);
    }

    private static void CheckMark(EmbeddedStorePaths paths, EmbeddedStoreHeader header, EmbeddedStoreMark mark)
    {
        const string Accept = "If you restored this store from a backup on purpose, accept it with 'lyndrix secrets accept-restore' " +
                              "(secrets written after that backup are lost); otherwise put the current store back.";
        (string StoreId, long Sequence)? recorded;
        try
        {
            recorded = mark.Read();
        }
        catch (InvalidDataException ex)
        {
            throw new SecretStoreIntegrityException($"{ex.Message} Store: {paths.Database}.", acceptable: true);
        }

        if (recorded is not { } m)
        {
            throw new SecretStoreIntegrityException(
                $"The rollback mark {paths.Mark} of the embedded secret store {paths.Database} is missing, so the host cannot tell whether " +
                $"the store is current or an old copy. {Restore} {Accept}", acceptable: true);
        }

        if (m.StoreId != header.StoreId)
        {
            throw new SecretStoreIntegrityException(
                $"The embedded secret store {paths.Database} is not the store its rollback mark {paths.Mark} was written for (another " +
                $"installation's files were mixed). {Restore} {Accept}", acceptable: true);
        }

        if (header.Sequence < m.Sequence)
        {
            throw new SecretStoreIntegrityException(
                $"The embedded secret store {paths.Database} is older than its rollback mark {paths.Mark} (commit {header.Sequence}, the " +
                $"mark records {m.Sequence}): it was rolled back from an old copy, and newer secrets, rotated passwords and revocations " +
                $"would silently come back undone. {Accept}", acceptable: true);
        }
    }
}
