using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Lyndrix.VaultDouble;

/// <summary>The HTTP layer of the double, in Vault's order: faults, the request-header guard, <c>/v1</c> routing and the verb
/// mapping (LIST and <c>?list=true</c>, PUT = POST, 405), the seal endpoints, the 415 PATCH check, 503 while sealed (before any
/// token check), token resolution, the existence check and ACL (before the backend, so a denied missing key is 403), then the
/// backend.</summary>
internal sealed class VaultRouter(VaultDoubleServer server)
{
    private const long MaxBodyBytes = 32 * 1024 * 1024;

    private static readonly JsonSerializerOptions WireJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SealEndpoints _seal = new(server.State);
    private readonly SystemBackend _system = new(server.State);
    private readonly TokenBackend _tokens = new(server.State);

    private VaultState State => server.State;

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var body = await ReadBodyAsync(request, http.RequestAborted);
        var rawToken = TokenOf(request);
        var logged = LoggedRequest.Capture(server.Name, request, body, rawToken);
        server.Requests.Add(logged);

        var rawPath = request.Path.Value ?? "/";
        var relative = rawPath.StartsWith("/v1/", StringComparison.Ordinal) ? rawPath[4..] : null;
        var fault = server.Faults.Take(request.Method, relative ?? rawPath);
        VaultReply? reply = null;
        switch (fault?.Kind)
        {
            case VaultFaultKind.Drop:
                http.Abort();
                return;
            case VaultFaultKind.Latency:
                try
                {
                    await Task.Delay(fault.Delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                break;
            case VaultFaultKind.Seal:
                lock (State.Gate)
                {
                    State.Seal.Seal();
                }

                break;
            case VaultFaultKind.Before:
                fault.Action!(server);
                break;
            case VaultFaultKind.Status:
                reply = VaultReply.Error(fault.StatusCode, fault.Errors.Select(e => e.Replace("{token}", rawToken ?? "", StringComparison.Ordinal)).ToArray());
                if (fault.RetryAfter is not null)
                {
                    reply.WithHeader("Retry-After", fault.RetryAfter);
                }

                break;
            case VaultFaultKind.Redirect:
                var target = fault.RedirectTo!.GetLeftPart(UriPartial.Authority) + rawPath + request.QueryString.Value;
                reply = VaultReply.Empty(307).WithHeader("Location", target);
                break;
        }

        try
        {
            reply ??= Handle(request, relative, body, rawToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug in the double must look like a server fault, not like a dropped connection.
            reply = VaultReply.Error(500, $"internal error in the Vault double: {e.GetType().Name}: {e.Message}");
        }
        logged.StatusCode = reply.Status;
        await WriteAsync(http, reply);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary><c>X-Vault-Token</c> wins over <c>Authorization: Bearer</c>.</summary>
    private static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers["X-Vault-Token"].ToString();
        if (header.Length > 0)
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7 ? authorization[7..].Trim() : null;
    }

    private VaultReply Handle(HttpRequest request, string? relative, byte[] rawBody, string? rawToken)
    {
        if (server.RequireRequestHeader && request.Headers["X-Vault-Request"].ToString().Length == 0)
        {
            return VaultReply.Error(412, "missing 'X-Vault-Request' header");
        }

        if (relative is null)
        {
            return VaultReply.NotFound();
        }

        if (rawBody.LongLength > MaxBodyBytes)
        {
            return VaultReply.Error(413, "http: request body too large");
        }

        var method = request.Method.ToUpperInvariant();
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var listQuery = query.TryGetValue("list", out var list) && (list.Length == 0 || (bool.TryParse(list, out var l) && l));
        VaultOperation? op = method switch
        {
            "GET" or "HEAD" => listQuery ? VaultOperation.List : VaultOperation.Read,
            "POST" or "PUT" => VaultOperation.Update,
            "PATCH" => VaultOperation.Patch,
            "DELETE" => VaultOperation.Delete,
            "LIST" => VaultOperation.List,
            _ => null,
        };
        if (op is null)
        {
            return VaultReply.Error(405);
        }

        JsonObject? body;
        try
        {
            body = ParseBody(rawBody);
        }
        catch (JsonException e)
        {
            return VaultReply.BadRequest($"failed to parse JSON input: {e.Message}");
        }

        lock (State.Gate)
        {
            if (SealEndpoints.Handles(relative))
            {
                return _seal.Handle(relative, method, query, body, rawToken, server.Role);
            }

            if (op == VaultOperation.Patch)
            {
                var contentType = request.ContentType ?? "";
                if (!contentType.Split(';')[0].Trim().Equals("application/merge-patch+json", StringComparison.OrdinalIgnoreCase))
                {
                    return VaultReply.Error(415, $"PATCH requires Content-Type of application/merge-patch+json, provided {contentType}");
                }
            }

            if (State.Seal.Sealed)
            {
                return VaultReply.Error(503, "Vault is sealed");
            }

            if (State.IsLeaderless)
            {
                // Raft/HA right after an unseal: seal-status says unsealed, but no node is active yet (reference §12).
                return VaultReply.Error(500, "local node not active but active cluster node not found");
            }

            if (server.Role == HealthRole.Standby && server.ActiveNode is { } active)
            {
                var target = active.BaseAddress.GetLeftPart(UriPartial.Authority) + request.Path.Value + request.QueryString.Value;
                return VaultReply.Empty(307).WithHeader("Location", target);
            }

            if (State.Options.Namespace is { } ns && NamespaceOf(request.Headers["X-Vault-Namespace"].ToString()) != NamespaceOf(ns))
            {
                return relative.EndsWith("/login", StringComparison.Ordinal)
                    ? VaultReply.BadRequest("invalid role or secret ID")
                    : VaultReply.Error(403, VaultState.PermissionDenied);
            }

            var path = op == VaultOperation.List && !relative.EndsWith('/') ? relative + "/" : relative;
            var context = new VaultRequestContext
            {
                Operation = op.Value,
                Path = path,
                Query = query,
                Body = body,
                RawToken = rawToken,
                IsHead = method == "HEAD",
            };
            return Dispatch(context);
        }
    }

    private static string NamespaceOf(string value) => value.Trim('/') + "/";

    private static JsonObject? ParseBody(byte[] rawBody)
    {
        if (rawBody.Length == 0 || rawBody.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
        {
            return null;
        }

        return JsonNode.Parse(rawBody) as JsonObject ?? throw new JsonException("the body must be a JSON object");
    }

    private (ILogicalBackend? Backend, string RelativePath) Resolve(string path)
    {
        if (path.StartsWith("sys/", StringComparison.Ordinal))
        {
            return (_system, path[4..]);
        }

        if (path.StartsWith("auth/token/", StringComparison.Ordinal))
        {
            return (_tokens, path["auth/token/".Length..]);
        }

        if (path.StartsWith("auth/", StringComparison.Ordinal))
        {
            var appRoleMount = State.AuthMethods.AppRoleMountPaths.FirstOrDefault(m => path.StartsWith("auth/" + m, StringComparison.Ordinal));
            return appRoleMount is null ? (null, path) : (new AppRoleBackend(appRoleMount, State), path[("auth/" + appRoleMount).Length..]);
        }

        var mount = State.Mounts.Match(path);
        var relative = mount is null ? path : path.Length >= mount.Path.Length ? path[mount.Path.Length..] : "";
        return mount switch
        {
            { KvV2: not null } => (new KvV2Backend(mount, State), relative),
            { KvV1: not null } => (new KvV1Backend(mount, State), relative),
            _ => (null, path),
        };
    }

    private VaultReply Dispatch(VaultRequestContext context)
    {
        var (backend, relative) = Resolve(context.Path);
        if (backend is null || !backend.IsUnauthenticated(relative))
        {
            if (context.RawToken is null)
            {
                return VaultReply.Error(403, "permission denied");
            }

            var token = State.Tokens.Find(context.RawToken);
            if (token is null)
            {
                return VaultReply.Error(403, State.InvalidTokenErrors());
            }

            context.Token = token;
            if (context.Operation == VaultOperation.Update && backend?.Exists(relative) == false)
            {
                context.Operation = VaultOperation.Create;
            }

            var needed = context.Operation switch
            {
                VaultOperation.Read => Capabilities.Read,
                VaultOperation.List => Capabilities.List,
                VaultOperation.Create => Capabilities.Create,
                VaultOperation.Update => Capabilities.Update,
                VaultOperation.Patch => Capabilities.Patch,
                _ => Capabilities.Delete,
            };
            if (backend?.RequiresSudo(relative) == true)
            {
                needed |= Capabilities.Sudo;
            }

            if (!State.IsAllowed(token, context.Path, needed))
            {
                return VaultReply.Error(403, VaultState.PermissionDenied);
            }

            if (token.NumUses > 0 && --token.NumUses == 0)
            {
                State.Tokens.Revoke(token.Id);
            }
        }

        if (backend is null)
        {
            return VaultReply.Error(404, $"no handler for route \"{context.Path}\". route entry not found.");
        }

        return backend.Handle(context, relative);
    }

    private static async Task WriteAsync(HttpContext http, VaultReply reply)
    {
        var response = http.Response;
        response.StatusCode = reply.Status;
        response.Headers.CacheControl = "no-store";
        foreach (var (name, value) in reply.Headers)
        {
            response.Headers[name] = value;
        }

        if (reply.Body is null || HttpMethods.IsHead(http.Request.Method) || reply.Status is 204 or 304)
        {
            return;
        }

        response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(reply.Body.ToJsonString(WireJson));
        await response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}
