using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.VaultDouble;

/// <summary>
/// An in-process HashiCorp Vault API double served by Kestrel on 127.0.0.1 with a random port. Start it from a test, point a
/// client at <see cref="BaseAddress"/>, arm <see cref="Faults"/>, and assert on <see cref="Requests"/>. A peer started with
/// <see cref="StartPeerAsync"/> shares the cluster state (like a standby and its active node) but has its own faults and log.
/// </summary>
public sealed class VaultDoubleServer : IAsyncDisposable
{
    private readonly X509Certificate2? _certificate;
    private readonly VaultRouter _router;
    private WebApplication? _app;

    private VaultDoubleServer(string name, VaultState state, X509Certificate2? certificate)
    {
        Name = name;
        State = state;
        _certificate = certificate;
        _router = new VaultRouter(this);
    }

    public string Name { get; }

    /// <summary><c>http://127.0.0.1:port/</c> (or https with a certificate).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public FaultInjector Faults { get; } = new();

    public RequestLog Requests { get; } = new();

    /// <summary>Answer 412 to requests without <c>X-Vault-Request</c>, as a Vault Agent listener with
    /// <c>require_request_header</c> does.</summary>
    public bool RequireRequestHeader { get; set; }

    /// <summary>This node's role for <c>sys/health</c>.</summary>
    public HealthRole Role { get; set; } = HealthRole.Active;

    /// <summary>Set on a standby made by <see cref="StartStandbyAsync"/>: the node it redirects logical requests to (307 with
    /// the same path and query, as a standby does when it cannot forward).</summary>
    public VaultDoubleServer? ActiveNode { get; set; }

    public VaultDoubleOptions Options => State.Options;

    internal VaultState State { get; }

    public bool IsInitialized => Locked(() => State.Seal.Initialized);

    public bool IsSealed => Locked(() => State.Seal.Sealed);

    public static async Task<VaultDoubleServer> StartAsync(VaultDoubleOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VaultDoubleOptions();
        var server = new VaultDoubleServer(options.Name, new VaultState(options), options.Certificate);
        await server.ListenAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts another node over the same cluster state (its own address, faults and request log).</summary>
    public async Task<VaultDoubleServer> StartPeerAsync(string name = "peer", X509Certificate2? certificate = null, CancellationToken cancellationToken = default)
    {
        var peer = new VaultDoubleServer(name, State, certificate);
        await peer.ListenAsync(cancellationToken);
        return peer;
    }

    /// <summary>Starts a standby of this (active) node: same cluster state, <c>sys/health</c> 429, the seal endpoints answered
    /// locally, every other request redirected to this node with 307.</summary>
    public async Task<VaultDoubleServer> StartStandbyAsync(string name = "standby", CancellationToken cancellationToken = default)
    {
        var standby = await StartPeerAsync(name, _certificate, cancellationToken);
        standby.Role = HealthRole.Standby;
        standby.ActiveNode = this;
        return standby;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>Initializes directly (no HTTP), as <c>PUT sys/init</c> would. A Shamir double stays sealed; an auto-unseal one
    /// takes the numbers as recovery shares, returns recovery keys and unseals itself.</summary>
    public VaultDoubleInitResult Initialize(int shares = 1, int threshold = 1) => Locked(() =>
    {
        var (root, keys) = State.Seal.IsAutoUnseal ? State.Initialize(0, 0, shares, threshold) : State.Initialize(shares, threshold);
        return new VaultDoubleInitResult(root, keys.Select(Convert.ToHexStringLower).ToList());
    });

    /// <summary>Initializes with one share and unseals; returns the init result (root token and key).</summary>
    public VaultDoubleInitResult InitializeAndUnseal()
    {
        var result = Initialize();
        Unseal();
        return result;
    }

    public void Unseal() => Locked(() => State.Seal.UnsealWithStoredShares());

    public void Seal() => Locked(() => State.Seal.Seal());

    /// <summary>Issues a service token directly, as <c>auth/token/create</c> would (the <c>default</c> policy is added).</summary>
    public string CreateToken(IEnumerable<string> policies, TimeSpan? ttl = null, bool renewable = true, TimeSpan? maxTtl = null, int numUses = 0) =>
        Locked(() => State.Tokens.Create(policies.Append("default"), ttl ?? TokenStore.SystemMaxTtl, maxTtl ?? TimeSpan.Zero, renewable, numUses,
            "auth/token/create", "token", null, orphan: false).Id);

    public void RevokeToken(string token) => Locked(() => State.Tokens.Revoke(token));

    /// <summary>Revokes every token except root ones (an administrator revoking the tokens a client holds); returns how many.</summary>
    public int RevokeNonRootTokens() => Locked(() => State.Tokens.RevokeAll(t => !t.IsRoot));

    /// <summary>How many live tokens carry <paramref name="policy"/> (to count logins).</summary>
    public int CountTokensWithPolicy(string policy) => Locked(() => State.Tokens.Count(t => t.Policies.Contains(policy)));

    /// <summary>Writes an ACL policy in HCL. Throws <see cref="FormatException"/> for text the parser rejects.</summary>
    public void PutPolicy(string name, string hcl) => Locked(() => State.Policies.Put(name, hcl));

    /// <summary>Enables a KV mount directly (version 1 or 2).</summary>
    public void EnableKv(string path, int version = 2) => Locked(() =>
    {
        var mount = MountEntry.Create(MountTable.Normalize(path), "kv", "", new Dictionary<string, string> { ["version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        State.Mounts.Add(mount);
    });

    /// <summary>Writes a new version of a KV v2 secret directly; returns its version number.</summary>
    public int WriteKv(string mount, string path, IReadOnlyDictionary<string, string> data) => Locked(() =>
    {
        var entry = State.Mounts.Get(mount) ?? throw new InvalidOperationException($"no mount at {mount}");
        var json = new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        return new KvV2Backend(entry, State).WriteDirect(path, json);
    });

    /// <summary>Makes the next <paramref name="requests"/> requests to a KV v2 mount fail with the "Upgrading ..." 400.</summary>
    public void StartKvUpgradeWindow(string mount, int requests) => Locked(() =>
    {
        var entry = State.Mounts.Get(mount)?.KvV2 ?? throw new InvalidOperationException($"no KV v2 mount at {mount}");
        entry.UpgradeRequestsRemaining = requests;
    });

    /// <summary>Enables AppRole at <paramref name="authMount"/> if needed, writes a role and issues one secret ID.</summary>
    public (string RoleId, string SecretId) CreateAppRole(string roleName, IEnumerable<string> policies, TimeSpan? tokenTtl = null,
        TimeSpan? tokenMaxTtl = null, int secretIdNumUses = 0, TimeSpan? secretIdTtl = null, string authMount = "approle") => Locked(() =>
    {
        var mountPath = MountTable.Normalize(authMount);
        if (State.AuthMethods.AppRoles(mountPath) is null)
        {
            State.AuthMethods.EnableAppRole(mountPath);
        }

        var role = new AppRole
        {
            Name = roleName,
            TokenPolicies = policies.ToList(),
            TokenTtl = tokenTtl ?? TimeSpan.Zero,
            TokenMaxTtl = tokenMaxTtl ?? TimeSpan.Zero,
            SecretIdNumUses = secretIdNumUses,
            SecretIdTtl = secretIdTtl ?? TimeSpan.Zero,
        };
        State.AuthMethods.AppRoles(mountPath)![roleName] = role;
        var secretId = Guid.NewGuid().ToString();
        role.SecretIds[secretId] = new AppRoleSecretId
        {
            Accessor = Guid.NewGuid().ToString(),
            RemainingUses = secretIdNumUses,
            ExpireTime = secretIdTtl is { } ttl ? State.Now + ttl : null,
        };
        return (role.RoleId, secretId);
    });

    private T Locked<T>(Func<T> action)
    {
        lock (State.Gate)
        {
            return action();
        }
    }

    private void Locked(Action action)
    {
        lock (State.Gate)
        {
            action();
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(VaultDoubleServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        if (_certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (_certificate is not null)
                {
                    listen.UseHttps(_certificate);
                }
            });
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        ((IApplicationBuilder)app).Run(_router.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        _app = app;
    }
}
