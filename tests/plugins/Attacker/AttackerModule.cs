using System.Collections;
using System.Reflection;
using System.Text;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;

namespace Attacker;

/// <summary>Tries, as a malicious plugin author would, to widen its permissions, act as the core or another module,
/// register the 'local' provider and read the host's secrets from the environment. Never fails setup: it reports.</summary>
public sealed class AttackerModule : ILyndrixModule
{
    // The host's secret settings (and their _FILE pointers) that must be gone from the environment.
    private static readonly string[] SecretNames =
    [
        "LYNDRIX_MASTER_KEY", "VAULT_TOKEN", "VAULT_SECRET_ID", "DB_PASSWORD", "LYNDRIX_ADMIN_PASSWORD", "LYNDRIX_BOT_PASSWORD",
        "LYNDRIX_LDAP_BIND_PASSWORD", "LYNDRIX_OIDC_CLIENT_SECRET", "LYNDRIX_TOKEN",
    ];

    // What a field of the context must not be: the host's shared services hand out every module's capabilities.
    private static readonly string[] SharedServices =
        ["EventBus", "TaskTracker", "AuthProviderRegistry", "ModuleSecretScopeFactory", "KeyValueStore", "SecretBackend", "PluginRuntime", "ServiceProvider"];

    private static readonly string[] IdentityParameters = ["owner", "source", "moduleid", "module", "manifest", "path"];

    private readonly StringBuilder _report = new();

    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux() && Setting(context, "race_report") is { Length: > 0 } race)
        {
            // Only the race against the processes of its account that start after it (see StartRace).
            StartRace.Start(race, Setting(context, "race_stop"), TimeSpan.FromMinutes(5));
            return Task.CompletedTask;
        }

        try
        {
            Attack(context, cancellationToken);
        }
        catch (Exception ex)
        {
            Check("attacker_itself", false, "the attack code broke: " + ex);
        }

        var path = context.Settings.TryGetValue("report", out var p) && !string.IsNullOrEmpty(p) ? p : null;
        if (path is not null)
        {
            File.WriteAllText(path, _report.ToString());
        }

        return Task.CompletedTask;
    }

    private void Attack(IModuleContext context, CancellationToken cancellationToken)
    {
        Try("cast_list", () => ((List<string>)context.Manifest.Permissions.Subscribe).Add("*"), typeof(InvalidCastException));
        Try("ilist_add", () => ((IList<string>)context.Manifest.Permissions.Emit).Add("*"), typeof(NotSupportedException));
        ForgeManifest(context.Manifest);
        Try("forged_manifest_subscribe", () => context.Subscribe("db:connected", (_, _) => Task.CompletedTask), typeof(ModulePermissionDeniedException));
        Try("forged_manifest_emit_core", () => context.Emit("system:boot_phase", EventPayload.Create(("phase", "ready"))), typeof(ModulePermissionDeniedException));
        Try("emit_foreign_domain", () => context.Emit("lyndrix.sample.events:tick"), typeof(ModulePermissionDeniedException));
        Try("public_register_local", () => context.RegisterAuthProvider(new AnyPasswordProvider()), typeof(ModulePermissionDeniedException));
        Try("secret_path_escape", () => context.GetSecretAsync("../../plugins/test.victim", cancellationToken).GetAwaiter().GetResult(), typeof(ArgumentException));
        InspectFields(context);
        InspectEnvironment();
        ProbeFiles(context.Settings.TryGetValue("probe_paths", out var paths) ? paths : null);
        if (OperatingSystem.IsLinux() && context.Settings.TryGetValue("victim", out var victim) && !string.IsNullOrEmpty(victim))
        {
            PeerAttack.Run(victim, Setting(context, "victim_secret_key"), Setting(context, "victim_secret_prefix"), Check, l => _report.Append(l).Append('\n'));
        }
    }

    /// <summary>Tries to list or read each path (the host's key files, database, logs; the host process's memory map):
    /// one neutral FILE line each, since what is reachable depends on how the operator runs the plugin.</summary>
    private void ProbeFiles(string? paths)
    {
        var targets = (paths ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (OperatingSystem.IsLinux())
        {
            var parent = File.ReadAllText("/proc/self/stat").Split(' ')[3];
            targets.Add($"/proc/{parent}/maps");
        }

        foreach (var target in targets)
        {
            string outcome;
            try
            {
                outcome = Directory.Exists(target) ? $"listed {Directory.GetFileSystemEntries(target).Length} entries" : $"read {File.ReadAllBytes(target).Length} bytes";
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                outcome = "denied " + ex.GetType().Name;
            }

            _report.Append("FILE ").Append(target).Append(": ").Append(outcome).Append('\n');
        }
    }

    private static string Setting(IModuleContext context, string key) => context.Settings.TryGetValue(key, out var value) ? value : "";

    private void Check(string name, bool ok, string detail) => _report.Append("CHECK ").Append(name).Append(": ").Append(ok ? "ok " : "LEAK ").Append(detail).Append('\n');

    private void Try(string name, Action attack, Type refusal)
    {
        try
        {
            attack();
            Check(name, false, "the attack succeeded");
        }
        catch (Exception ex)
        {
            var actual = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            Check(name, refusal.IsInstanceOfType(actual), $"{actual.GetType().Name}: {actual.Message}");
        }
    }

    /// <summary>Rewrites the manifest object it was handed, backing fields and all.</summary>
    private void ForgeManifest(ModuleManifest manifest)
    {
        try
        {
            const BindingFlags all = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
            typeof(ModuleManifest).GetField("<Type>k__BackingField", all)!.SetValue(manifest, ModuleType.Core);
            var permissions = new ModulePermissions { Subscribe = ["*"], Emit = ["*"] };
            typeof(ModuleManifest).GetField("<Permissions>k__BackingField", all)!.SetValue(manifest, permissions);
            Check("forge_manifest_object", manifest.Type == ModuleType.Core, "reflection rewrote the plugin's own copy (expected; the host must not care)");
        }
        catch (Exception ex)
        {
            Check("forge_manifest_object", true, ex.GetType().Name);
        }
    }

    /// <summary>One level of private reflection on the context: what it holds, and what those objects let a caller do.</summary>
    private void InspectFields(IModuleContext context)
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var fields = context.GetType().GetFields(all);
        Check("context_fields_seen", fields.Length > 0, string.Join(",", fields.Select(f => f.Name)));
        var portsTried = 0;
        foreach (var field in fields)
        {
            var value = field.GetValue(context);
            if (value is null)
            {
                continue;
            }

            var type = value.GetType();
            var typeName = type.FullName ?? type.Name;
            var shared = SharedServices.FirstOrDefault(s => typeName.Contains(s, StringComparison.Ordinal) ||
                                                            type.GetInterfaces().Any(i => i.Name.Contains(s, StringComparison.Ordinal)));
            Check("field_" + field.Name, shared is null, shared is null ? typeName : $"holds a shared host service ({typeName})");
            foreach (var method in type.GetMethods(all).Where(m => m.DeclaringType == type && !m.IsSpecialName))
            {
                var identity = method.Name == "Equals" ? null : method.GetParameters().FirstOrDefault(p =>
                    IdentityParameters.Contains((p.Name ?? "").ToLowerInvariant()) || p.ParameterType == typeof(ModuleManifest));
                if (identity is not null)
                {
                    Check($"method_{type.Name}.{method.Name}", false, $"takes '{identity.Name}': a caller could name another module");
                }

                var parameters = method.GetParameters();
                if (method.Name == "Emit" && parameters.Length == 2 && parameters[0].ParameterType == typeof(string))
                {
                    portsTried++;
                    Try($"port_{field.Name}_emit_core", () => method.Invoke(value, ["system:maintenance_mode", EventPayload.Create(("service", "attacker"), ("active", true))]),
                        typeof(ModulePermissionDeniedException));
                }

                if (method.Name == "Register" && parameters.Length == 1 && parameters[0].ParameterType == typeof(IAuthProvider))
                {
                    portsTried++;
                    Try($"port_{field.Name}_register_local", () => method.Invoke(value, [new AnyPasswordProvider()]), typeof(ModulePermissionDeniedException));
                }
            }
        }

        // Informational: in-process the context's ports are found and tried; in an isolated child there is nothing to find.
        Check("ports_tried", true, $"{portsTried} capability methods invoked by reflection");
    }

    private void InspectEnvironment()
    {
        var found = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (SecretNames.Any(s => name == s || name == s + "_FILE"))
            {
                found.Add(name);
            }
        }

        Check("environment", found.Count == 0, found.Count == 0 ? "no host secret in Environment" : "readable: " + string.Join(",", found));
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // The native block outlives .NET's copy; this is what a plugin would read next. An isolated plugin's process is
        // not dumpable, so its own /proc entries belong to root: as another account, it cannot read even this.
        string[] native;
        try
        {
            native = File.ReadAllText("/proc/self/environ").Split('\0');
        }
        catch (UnauthorizedAccessException)
        {
            Check("proc_self_environ", true, "not readable (the process is not dumpable)");
            native = [];
        }

        var leaked = native.Where(entry => entry.IndexOf('=') is > 0 and var eq && SecretNames.Any(s => entry[..eq] == s || entry[..eq] == s + "_FILE")
                                           && entry[(entry.IndexOf('=') + 1)..].Any(c => c != '*')).Select(entry => entry[..entry.IndexOf('=')]).ToList();
        if (native.Length > 0)
        {
            Check("proc_self_environ", leaked.Count == 0, leaked.Count == 0 ? $"{native.Length} entries, no host secret" : "readable: " + string.Join(",", leaked));
        }

        // An isolated plugin's parent is the host: its native environment block is readable to the same user.
        var parent = File.ReadAllText("/proc/self/stat").Split(' ')[3];
        string[] parentEnv;
        try
        {
            parentEnv = File.ReadAllText($"/proc/{parent}/environ").Split('\0');
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            parentEnv = [];
        }

        var parentLeaks = parentEnv.Where(entry => entry.IndexOf('=') is > 0 and var eq && SecretNames.Any(s => entry[..eq] == s)
                                                   && entry[(entry.IndexOf('=') + 1)..].Any(c => c != '*')).Select(entry => entry[..entry.IndexOf('=')]).ToList();
        Check("parent_environ", parentLeaks.Count == 0, parentLeaks.Count == 0 ? $"parent {parent}: no host secret" : $"parent {parent} readable: " + string.Join(",", parentLeaks));
    }

    private sealed class AnyPasswordProvider : IAuthProvider
    {
        public string ProviderId => "local";

        public string DisplayName => "Local";

        public bool IsConfigured => true;

        public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) =>
            Task.FromResult<AuthResult?>(new AuthResult(username, "local") { Roles = ["admin"] });
    }
}
