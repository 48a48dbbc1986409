using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// An independently written, OpenID Certified provider — the npm package <c>oidc-provider</c>, pinned in
/// tests/oidc-provider/package-lock.json — run by node on a free loopback port for one test class (tests/oidc-provider/provider.mjs
/// says what it serves). When node or the package is missing the test is ignored, or fails under LYNDRIX_REQUIRE_SERVERS=1.
/// </summary>
public sealed class OidcProviderServer : IAsyncDisposable
{
    public const string AdminUser = "alice";
    public const string AdminPassword = "alice-Pw-1";
    public const string PlainUser = "bob";
    public const string PlainPassword = "bob-Pw-1";
    public const string AdminGroup = "lyndrix-admins";

    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly HttpClient _control = new();

    private OidcProviderServer(Process process, StringBuilder output, string issuer, string secret)
    {
        _process = process;
        _output = output;
        Issuer = issuer;
        ClientSecret = secret;
    }

    /// <summary>Where a provider serves its claims.</summary>
    public enum ClaimsSource
    {
        /// <summary>The provider's defaults (OIDC Core §5.4): the ID token carries sub only; claims at userinfo.</summary>
        UserInfo,

        /// <summary>No userinfo endpoint; claims in the ID token.</summary>
        IdToken,
    }

    public string Issuer { get; }

    /// <summary>The secret of both clients: characters that Basic authentication must form-encode.</summary>
    public string ClientSecret { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="redirectUri">The relying party's redirect URI, registered for both clients.</param>
    /// <param name="claims">Where the provider serves claims.</param>
    /// <param name="authMethods">token_endpoint_auth_methods_supported; a client (<c>lyndrix-basic</c>, <c>lyndrix-post</c>) is
    /// registered for each of the two secret methods listed.</param>
    /// <param name="userInfoSubject">When set, userinfo answers with this sub instead of the signed-in user's.</param>
    public static async Task<OidcProviderServer> StartAsync(Uri redirectUri, ClaimsSource claims = ClaimsSource.UserInfo, string[]? authMethods = null,
        string? userInfoSubject = null, CancellationToken cancellationToken = default)
    {
        var node = Executables.Which("node");
        if (node is null)
        {
            ServerRequirement.Missing("Node.js (node)", "apt-get install nodejs npm");
        }

        var folder = Path.Combine(RepositoryPaths.Root, "tests", "oidc-provider");
        if (!File.Exists(Path.Combine(folder, "node_modules", "oidc-provider", "package.json")))
        {
            ServerRequirement.Missing("The npm package oidc-provider", $"cd {folder} && npm ci");
        }

        var secret = "Secret:with/+% and=" + Guid.NewGuid().ToString("N");
        var config = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["redirectUri"] = redirectUri.AbsoluteUri,
            ["secret"] = secret,
            ["claimsIn"] = claims == ClaimsSource.UserInfo ? "userinfo" : "idtoken",
            ["authMethods"] = authMethods ?? ["client_secret_basic", "client_secret_post"],
            ["userinfoSub"] = userInfoSubject,
        });
        var psi = new ProcessStartInfo(node!, ["provider.mjs"])
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["OIDC_TEST_CONFIG"] = config;
        psi.Environment["NODE_ENV"] = "test";

        var output = new StringBuilder();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("READY ", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(e.Data["READY ".Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the provider exited"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var issuer = await ready.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return new OidcProviderServer(process, output, issuer, secret);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            process.Kill(entireProcessTree: true);
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            throw new InvalidOperationException($"oidc-provider did not start ({ex.Message}). Its output:\n{text}", ex);
        }
    }

    /// <summary>Replaces the provider's signing key; its published key set then holds only the new one.</summary>
    public async Task<string> RotateKeyAsync()
    {
        using var response = await _control.PostAsync(new Uri(Issuer + "/__test/rotate"), null);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("kid").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        try
        {
            _process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

}
