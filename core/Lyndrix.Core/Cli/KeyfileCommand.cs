using System.Security.Cryptography;
using System.Text;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix keyfile decrypt|encrypt|rekey|verify --file PATH</c>: operator tools for <c>vault_keys.enc</c>.</summary>
internal sealed class KeyfileCommand(AtomicFileWriter? writer = null) : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "force" };

    public string Name => "keyfile";

    public string Summary => "Decrypt, encrypt, re-key or verify vault_keys.enc (master key from the environment).";

    public string Help =>
        "Usage: lyndrix keyfile <decrypt|encrypt|rekey|verify> --file PATH\n\n" +
        "Operator tools for vault_keys.enc, the encrypted bootstrap file of the secret store: Vault's root token and unseal\n" +
        "keys, or the embedded store's data key. The file is byte-compatible with the Python Lyndrix Core's.\n" +
        "Keys are read from the environment (or .env), never from the command line:\n" +
        "  LYNDRIX_MASTER_KEY      the master key the file is encrypted with\n" +
        "  LYNDRIX_NEW_MASTER_KEY  the new master key (rekey only)\n" +
        $"Master keys need {MasterKeyPolicy.Rules}. LYNDRIX_ARGON_TIME/_MEM/_PARALLEL (3 / 65536 KiB / 4)\n" +
        "must equal the values the file was written with: the file does not record them.\n\n" +
        "Sub-commands:\n" +
        "  decrypt --file PATH          print the plaintext JSON {\"root_token\": ..., \"unseal_keys\": [...]} on stdout.\n" +
        "                               Treat the output as the secret it is.\n" +
        "  encrypt --file PATH [--force] read that JSON from stdin and write PATH atomically, owner-only (0600).\n" +
        "                               An existing file is only replaced with --force.\n" +
        "  rekey --file PATH            re-encrypt PATH from LYNDRIX_MASTER_KEY to LYNDRIX_NEW_MASTER_KEY (new salt and nonce).\n" +
        "                               Atomic: on any failure the old file is left exactly as it was.\n" +
        "  verify --file PATH           check that PATH decrypts with LYNDRIX_MASTER_KEY and holds key material; prints no secret.\n\n" +
        "A wrong master key and an altered file look the same to AES-GCM: the error says so. Exit codes: 0 success,\n" +
        "1 failure (the reason on stderr), 2 usage or configuration error.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        if (parsed.Positional.Count != 1)
        {
            throw new CliUsageException(parsed.Positional.Count == 0
                ? "Name a sub-command: decrypt, encrypt, rekey or verify."
                : $"Expected one sub-command, got '{string.Join(' ', parsed.Positional)}'.");
        }

        var action = parsed.Positional[0];
        if (action is not ("decrypt" or "encrypt" or "rekey" or "verify"))
        {
            throw new CliUsageException($"Unknown sub-command '{action}': use decrypt, encrypt, rekey or verify.");
        }

        var path = Path.GetFullPath(parsed.Require("file"), context.WorkingDirectory);
        var reader = new SettingsReader(context.Config, context.WorkingDirectory);
        var argon = Argon2Parameters.Read(reader);
        reader.ThrowIfInvalid();

        var masterKey = context.Config.Get("LYNDRIX_MASTER_KEY");
        if (masterKey is null)
        {
            await context.Error.WriteLineAsync(
                "LYNDRIX_MASTER_KEY is not set. Export the master key the file is (or will be) encrypted with, e.g. from your " +
                "secret manager; it is never taken from the command line.").ConfigureAwait(false);
            return 2;
        }

        var file = new VaultKeyFile(path, argon, writer);
        try
        {
            return action switch
            {
                "decrypt" => await DecryptAsync(context, file, masterKey, cancellationToken).ConfigureAwait(false),
                "encrypt" => await EncryptAsync(context, file, masterKey, parsed.Has("force"), cancellationToken).ConfigureAwait(false),
                "rekey" => await RekeyAsync(context, file, masterKey, cancellationToken).ConfigureAwait(false),
                _ => await VerifyAsync(context, file, masterKey, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (KeyFileException ex)
        {
            await context.Error.WriteLineAsync($"keyfile {action} failed ({ex.Reason}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> DecryptAsync(CliContext context, VaultKeyFile file, string masterKey, CancellationToken cancellationToken)
    {
        var plaintext = await file.DecryptAsync(masterKey, cancellationToken).ConfigureAwait(false);
        try
        {
            await context.Out.WriteLineAsync(Encoding.UTF8.GetString(plaintext)).ConfigureAwait(false);
            await context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        return 0;
    }

    private static async Task<int> EncryptAsync(CliContext context, VaultKeyFile file, string masterKey, bool force, CancellationToken cancellationToken)
    {
        var input = await context.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(input))
        {
            await context.Error.WriteLineAsync(
                "keyfile encrypt read nothing from stdin. Pipe the JSON in, e.g. 'lyndrix keyfile encrypt --file F < keys.json'.").ConfigureAwait(false);
            return 2;
        }

        var material = KeyMaterialJson.Parse(Encoding.UTF8.GetBytes(input), "the JSON on stdin", decrypted: false);
        if (force)
        {
            await file.ReplaceAsync(material, masterKey, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await file.CreateAsync(material, masterKey, cancellationToken).ConfigureAwait(false);
        }

        await context.Error.WriteLineAsync($"Wrote {file.Path} (owner-only): a root token and {material.UnsealKeys.Count} unseal key(s).").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RekeyAsync(CliContext context, VaultKeyFile file, string masterKey, CancellationToken cancellationToken)
    {
        var newKey = context.Config.Get("LYNDRIX_NEW_MASTER_KEY");
        if (newKey is null)
        {
            await context.Error.WriteLineAsync("LYNDRIX_NEW_MASTER_KEY is not set. Export the new master key; the old one stays in LYNDRIX_MASTER_KEY.")
                .ConfigureAwait(false);
            return 2;
        }

        if (newKey == masterKey)
        {
            await context.Error.WriteLineAsync("Note: LYNDRIX_NEW_MASTER_KEY equals LYNDRIX_MASTER_KEY; the file gets a new salt and nonce only.")
                .ConfigureAwait(false);
        }

        var count = await file.RekeyAsync(masterKey, newKey, cancellationToken).ConfigureAwait(false);
        await context.Error.WriteLineAsync(
            $"Re-keyed {file.Path} ({count} unseal key(s)). From now on set LYNDRIX_MASTER_KEY to the new key.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> VerifyAsync(CliContext context, VaultKeyFile file, string masterKey, CancellationToken cancellationToken)
    {
        var material = await file.ReadAsync(masterKey, cancellationToken).ConfigureAwait(false);
        await context.Out.WriteLineAsync(
            $"OK: {file.Path} decrypts with LYNDRIX_MASTER_KEY and holds {(material.RootToken.Length > 0 ? "a root token" : "an empty root token")} " +
            $"and {material.UnsealKeys.Count} unseal key(s).").ConfigureAwait(false);
        return 0;
    }
}
