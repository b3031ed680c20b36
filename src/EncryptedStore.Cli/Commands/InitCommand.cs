using System.CommandLine;
using EncryptedStore.Cli.Keys;
using EncryptedStore.Cli.Output;

namespace EncryptedStore.Cli.Commands;

/// <summary><c>init</c>: creates a new, empty store (a file, or the tables of a database store), optionally with a new key file.</summary>
internal static class InitCommand
{
    public static Command Create(CommandEnvironment environment)
    {
        var createKeyFile = new Option<string?>("--create-key-file")
        {
            Description = "Generate a new random key file (32 bytes, permissions 0600) at PATH and protect the store with it. Keep it apart from the store.",
            HelpName = "PATH",
        };
        var json = CommonOptions.Json("Print what was created as JSON (path, format_version, protected_by, key_file, wrapped_key_file).");
        var command = new Command("init", "Create a new, empty store: a file, or a database store's tables (--store mysql://… or postgresql://…). Refuses to touch an existing store.") { createKeyFile, json };
        command.SetAction(parseResult => Run(new CommandContext(parseResult, environment), parseResult.GetValue(createKeyFile), parseResult.GetValue(json)));
        return command;
    }

    private static int Run(CommandContext context, string? newKeyFile, bool json)
    {
        var location = context.Store;
        var path = location.FilePath;
        if (location.Database is { } database)
        {
            if (location.Exists())
            {
                throw new CliException($"{location.Display} already holds a store (tables {database.TablePrefix}*); init creates a new store and refuses to touch an existing one. "
                    + "Another ?prefix= makes another store in the same database.");
            }
        }
        else if (Directory.Exists(path))
        {
            throw new CliException($"'{path}' is a folder; give the store's file path, e.g. '{Path.Combine(path, GlobalOptions.DefaultStorePath)}'.");
        }
        else if (File.Exists(path))
        {
            throw new CliException($"'{path}' already exists; init creates a new store and refuses to touch an existing file.");
        }

        if (newKeyFile is not null)
        {
            if (context.Options.KeyOptions.FirstOrDefault(context.Has) is { } other)
            {
                throw CliException.Usage($"--create-key-file makes the master key; do not also give {other.Name}.");
            }

            if (File.Exists(newKeyFile))
            {
                throw new CliException($"key file '{newKeyFile}' already exists; refusing to overwrite a key.");
            }
        }

        var createdKeyFile = false;
        var createdStore = false;
        try
        {
            KeySource key;
            if (path is not null)
            {
                EnsureFolder(path);
            }

            if (newKeyFile is not null)
            {
                EnsureFolder(newKeyFile);
                MasterKey.CreateKeyFile(newKeyFile);
                createdKeyFile = true;
                key = KeySource.FromKeyFile(newKeyFile);
            }
            else
            {
                key = context.ResolveKey(creating: true);
            }

            string storePath, protectedBy;
            int format;
            using (key)
            using (var store = context.Open(location, key))
            {
                createdStore = true;
                (storePath, format, protectedBy) = (location.IsDatabase ? location.Display : store.FilePath, store.GetStatistics().FormatVersion, key.Description);
                context.Console.WriteNote(location.IsDatabase
                    ? $"Created store {storePath} (format {format}, tables {location.Database!.TablePrefix}*, {location.Tls}), protected by {protectedBy}. "
                        + "Every machine opens it with the same --store URI and master key."
                    : $"Created store '{storePath}' (format {format}), protected by {protectedBy}.");
            }

            var wrappedKeyFile = path is not null && File.Exists(MasterKey.WrappedKeyPathFor(path)) ? MasterKey.WrappedKeyPathFor(path) : null;
            if (wrappedKeyFile is not null)
            {
                context.Console.WriteNote($"Wrapped master key: '{wrappedKeyFile}' (0600), beside the store. Back it up with the store; "
                    + (OperatingSystem.IsWindows() && context.Has(context.Options.OsKey)
                        ? "opening needs this Windows user's DPAPI keys."
                        : "opening needs the private key of the certificate."));
            }

            if (newKeyFile is not null)
            {
                context.Console.WriteNote($"Key file: '{Path.GetFullPath(newKeyFile)}' (0600). Without it the tokens cannot be read: back it up, and keep it apart from the store.");
            }

            if (json)
            {
                JsonOutput.Write(context.Console, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("path", storePath);
                    w.WriteNumber("format_version", format);
                    w.WriteString("protected_by", protectedBy);
                    w.WriteString("key_file", newKeyFile is null ? null : Path.GetFullPath(newKeyFile));
                    w.WriteString("wrapped_key_file", wrappedKeyFile);
                    w.WriteEndObject();
                });
            }

            return ExitCodes.Ok;
        }
        catch when (createdKeyFile && !createdStore && (path is null || !File.Exists(path)))
        {
            // The new key protects nothing if the store was not created; do not leave it behind.
            File.Delete(newKeyFile!);
            throw;
        }
    }

    /// <summary>Makes the missing folders of <paramref name="file"/>, owner-only on Unix (as ssh-keygen and gh make theirs); also for a new <c>copy</c> target.</summary>
    public static void EnsureFolder(string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (folder is null || Directory.Exists(folder))
        {
            return;
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"the folder '{folder}' cannot be created: {e.Message}");
        }
    }
}
