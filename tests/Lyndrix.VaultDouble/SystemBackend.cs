namespace Lyndrix.VaultDouble;

/// <summary>The authenticated part of <c>sys/</c> (mounts, policies, auth methods, the UI mount probe). The seal endpoints,
/// which work while sealed, are <see cref="SealEndpoints"/>.</summary>
internal sealed class SystemBackend(VaultState state) : ILogicalBackend
{
    private readonly MountEndpoints _mounts = new(state);
    private readonly PolicyEndpoints _policies = new(state);
    private readonly AuthMethodEndpoints _auth = new(state);

    public bool? Exists(string relativePath) =>
        relativePath.StartsWith("policies/acl/", StringComparison.Ordinal) ? _policies.Exists(relativePath["policies/acl/".Length..]) : null;

    // sys/auth/* is root-protected in Vault; enabling secrets engines and writing policies are not.
    public bool RequiresSudo(string relativePath) => relativePath.StartsWith("auth/", StringComparison.Ordinal);

    public bool IsUnauthenticated(string relativePath) =>
        relativePath == "internal/ui/mounts" || relativePath.StartsWith("internal/ui/mounts/", StringComparison.Ordinal);

    public VaultReply Handle(VaultRequestContext request, string relativePath)
    {
        var op = request.Operation;
        var write = op is VaultOperation.Create or VaultOperation.Update;
        const string Mounts = "mounts/";
        const string Policies = "policies/acl/";
        const string Auth = "auth/";
        const string UiMounts = "internal/ui/mounts/";

        return relativePath switch
        {
            "mounts" when op == VaultOperation.Read => _mounts.List(),
            _ when relativePath.StartsWith(Mounts, StringComparison.Ordinal) && relativePath.EndsWith("/tune", StringComparison.Ordinal) =>
                TuneOrUnsupported(relativePath[Mounts.Length..^"/tune".Length], request, op, write),
            _ when relativePath.StartsWith(Mounts, StringComparison.Ordinal) && relativePath.Length > Mounts.Length => op switch
            {
                VaultOperation.Read => _mounts.Read(relativePath[Mounts.Length..]),
                VaultOperation.Delete => _mounts.Disable(relativePath[Mounts.Length..]),
                _ when write => _mounts.Enable(relativePath[Mounts.Length..], request.Body),
                _ => Unsupported(),
            },
            "policies/acl/" when op == VaultOperation.List => _policies.List(),
            _ when relativePath.StartsWith(Policies, StringComparison.Ordinal) && relativePath.Length > Policies.Length => op switch
            {
                VaultOperation.Read => _policies.Read(relativePath[Policies.Length..]),
                VaultOperation.Delete => _policies.Delete(relativePath[Policies.Length..]),
                _ when write => _policies.Write(relativePath[Policies.Length..], request.Body),
                _ => Unsupported(),
            },
            "auth" when op == VaultOperation.Read => _auth.List(),
            _ when relativePath.StartsWith(Auth, StringComparison.Ordinal) && relativePath.Length > Auth.Length => op switch
            {
                VaultOperation.Delete => _auth.Disable(relativePath[Auth.Length..]),
                _ when write => _auth.Enable(relativePath[Auth.Length..], request.Body),
                _ => Unsupported(),
            },
            "internal/ui/mounts" when op == VaultOperation.Read => _mounts.UiList(),
            _ when relativePath.StartsWith(UiMounts, StringComparison.Ordinal) && op == VaultOperation.Read =>
                _mounts.UiMount(relativePath[UiMounts.Length..], request.RawToken),
            _ => VaultReply.Error(404, "1 error occurred:\n\t* unsupported path\n\n"),
        };
    }

    private VaultReply TuneOrUnsupported(string path, VaultRequestContext request, VaultOperation op, bool write) => op switch
    {
        VaultOperation.Read => _mounts.ReadTune(path),
        _ when write => _mounts.Tune(path, request.Body),
        _ => Unsupported(),
    };

    private static VaultReply Unsupported() => VaultReply.Error(405, "unsupported operation");
}
