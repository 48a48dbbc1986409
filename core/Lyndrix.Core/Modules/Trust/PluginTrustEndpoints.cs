using System.Text.Json.Serialization;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// The trust catalog over HTTP, for administrators: <c>PUT /api/plugin-trust/{id}</c> pins a folder digest that
/// <c>lyndrix plugins trust</c> computed, <c>GET</c> shows a pin, <c>DELETE</c> removes it. The host stores what it is
/// given: the administrator vouches for the folder they reviewed; the host then loads only files that match.
/// </summary>
internal static class PluginTrustEndpoints
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/plugin-trust");
        group.MapGet("/{id}", async (string id, IPluginTrustCatalog catalog, CancellationToken ct) =>
            !PluginManifestReader.IsValidId(id)
                ? BadId(id)
                : await catalog.GetAsync(id, ct).ConfigureAwait(false) is { } pin
                    ? Results.Json(PinBody.From(pin))
                    : ApiProblem.Result(StatusCodes.Status404NotFound, "plugin_not_pinned", $"'{id}' is not pinned. Pin a reviewed folder with 'lyndrix plugins trust FOLDER'."));
        group.MapPut("/{id}", async (string id, PinBody body, IPluginTrustCatalog catalog, CancellationToken ct) =>
        {
            if (!PluginManifestReader.IsValidId(id))
            {
                return BadId(id);
            }

            if (body.Check(id) is { } problem)
            {
                return ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_pin", problem);
            }

            var digest = new PluginFolderDigest(id, body.Version, body.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList());
            await catalog.SetAsync(digest, ct).ConfigureAwait(false);
            return Results.Json(PinBody.From(digest));
        });
        group.MapDelete("/{id}", async (string id, IPluginTrustCatalog catalog, CancellationToken ct) =>
            !PluginManifestReader.IsValidId(id)
                ? BadId(id)
                : Results.Json(new { id, removed = await catalog.RemoveAsync(id, ct).ConfigureAwait(false) }));
        return group;
    }

    private static IResult BadId(string id) =>
        ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_plugin_id", $"'{id}' is not a plugin id: lower-case letters and digits in segments joined by '.', '_' or '-'.");

    /// <summary>A pin as it travels: version and files (path, size, sha256).</summary>
    internal sealed record PinBody
    {
        private const int MaxFiles = 10_000;

        [JsonPropertyName("id")] public string? Id { get; init; }

        [JsonPropertyName("version")] public required string Version { get; init; }

        [JsonPropertyName("files")] public required IReadOnlyList<PluginFileDigest> Files { get; init; }

        public static PinBody From(PluginFolderDigest d) => new() { Id = d.Id, Version = d.Version, Files = d.Files };

        public string? Check(string id)
        {
            if (Id is not null && Id != id)
            {
                return $"The body pins '{Id}', but the address names '{id}'.";
            }

            if (!SemanticVersion.TryParse(Version, out _))
            {
                return $"'{Version}' is not a semantic version.";
            }

            if (Files is null || Files.Count is 0 or > MaxFiles)
            {
                return $"A pin lists 1 to {MaxFiles} files.";
            }

            foreach (var f in Files)
            {
                if (f is null || string.IsNullOrEmpty(f.Path) || f.Path.StartsWith('/') || f.Path.Split('/').Contains("..") || f.Path.Any(char.IsControl) ||
                    f.Size < 0 || f.Sha256 is not { Length: 64 } || !f.Sha256.All(char.IsAsciiHexDigitLower))
                {
                    return $"File entry '{f?.Path}' is not a relative path with a size and a lower-case hex SHA-256.";
                }
            }

            return Files.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count() == Files.Count ? null : "A file is listed twice.";
        }
    }
}
