using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lyndrix.Core.Secrets.Vault;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The hand-written parts of the KV read path (kept off the serializer and the node tree for speed) must read exactly
/// what the general code read before: these pin them to that behaviour.</summary>
public sealed class VaultReadPathParsingTests
{
    private static VaultResponse Response(string body, HttpStatusCode status = HttpStatusCode.OK, VaultSecretRedactor? redactor = null)
    {
        using var message = new HttpResponseMessage(status);
        return VaultResponse.From(message, Encoding.UTF8.GetBytes(body), redactor ?? new VaultSecretRedactor(), DateTimeOffset.UnixEpoch);
    }

    [Test]
    public void The_common_metadata_shape_reads_like_the_serializer_reads_it()
    {
        const string json = """
            {"created_time":"2026-01-02T03:04:05.123456789Z","custom_metadata":{"owner":"ops"},"deletion_time":"","destroyed":true,"version":7}
            """;
        var element = JsonSerializer.Deserialize<JsonElement>(json);

        Assert.That(KvVersionMetadata.TryReadCommonShape(element, out var fast), Is.True);
        var slow = VaultJson.Read<KvVersionMetadata>(JsonNode.Parse(json), "test");
        Assert.That((fast!.Version, fast.CreatedTimeText, fast.DeletionTimeText, fast.Destroyed, fast.CreatedTime),
            Is.EqualTo((slow.Version, slow.CreatedTimeText, slow.DeletionTimeText, slow.Destroyed, slow.CreatedTime)));
        Assert.That(fast.CustomMetadata, Is.EquivalentTo(slow.CustomMetadata!));
    }

    [TestCase("""{"Version":3}""")]
    [TestCase("""{"version":"3"}""")]
    [TestCase("""{"version":3,"extra":1}""")]
    [TestCase("""{"version":3,"custom_metadata":{"k":null}}""")]
    [TestCase("""{"version":3,"destroyed":"false"}""")]
    [TestCase("""[1]""")]
    public void Anything_unusual_is_left_to_the_serializer(string json)
    {
        var element = JsonSerializer.Deserialize<JsonElement>(json);

        Assert.That(KvVersionMetadata.TryReadCommonShape(element, out _), Is.False);
    }

    [Test]
    public void The_serializer_still_reads_a_version_sent_as_a_string()
    {
        var element = JsonSerializer.Deserialize<JsonElement>("""{"version":"3"}""");

        Assert.That(VaultJson.Read<KvVersionMetadata>(element, "test").Version, Is.EqualTo(3));
    }

    [Test]
    public void Missing_or_null_metadata_is_a_clear_protocol_error()
    {
        Assert.That(() => VaultJson.Read<KvVersionMetadata>((JsonElement?)null, "GET x"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("GET x"));
        Assert.That(() => VaultJson.Read<KvVersionMetadata>(JsonSerializer.Deserialize<JsonElement>("null"), "GET x"), Throws.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void Fields_read_as_strings_as_the_node_tree_rendered_them()
    {
        const string json = """
            {"s":"v\u00e9\"<>","n":1.50,"i":-3,"t":true,"f":false,"z":null,"o":{"a":"\u00e9<x>","b":[1,"\u2028"]},"a":[],"e":""}
            """;
        var element = JsonSerializer.Deserialize<JsonElement>(json);

        // What the store read before, through the node tree.
        var before = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in JsonObject.Create(element)!)
        {
            before.Add(key, value switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var other => other.ToJsonString(),
            });
        }

        Assert.That(KvFieldStrings.Read(element), Is.EqualTo(before));
        Assert.That(KvFieldStrings.Read(element)["o"], Is.EqualTo("""{"a":"\u00E9\u003Cx\u003E","b":[1,"\u2028"]}"""));
    }

    [Test]
    public void A_secret_that_names_a_field_twice_is_refused()
    {
        var element = JsonSerializer.Deserialize<JsonElement>("""{"k":"one","k":"two"}""");

        Assert.That(() => KvFieldStrings.Read(element), Throws.ArgumentException);
        Assert.That(() => JsonObject.Create(element)!.Count, Throws.ArgumentException, "as the node tree refused it");
    }

    [Test]
    public void A_read_keeps_nothing_of_the_answer_after_its_buffers_are_returned()
    {
        var response = Response("""{"data":{"data":{"k":"v","n":[1]}}}""");
        var fields = KvFieldStrings.Read(response.DataElement!.Value.GetProperty("data"));
        response.Dispose();

        Assert.That(fields, Is.EqualTo(new Dictionary<string, string> { ["k"] = "v", ["n"] = "[1]" }));
        Assert.That(() => response.DataElement, Throws.InstanceOf<ObjectDisposedException>(), "nothing reads the returned buffers by mistake");
    }

    [TestCase("plugins/a.b-c_d~e", "plugins/a.b-c_d~e")]
    [TestCase("core/with space/q?x#y%", "core/with%20space/q%3Fx%23y%25")]
    public void Paths_are_escaped_segment_by_segment(string path, string expected)
    {
        Assert.That(VaultClient.KvPath("lyndrix", "data", path), Is.EqualTo("lyndrix/data/" + expected));
    }

    [TestCase("")]
    [TestCase("/a")]
    [TestCase("a/")]
    [TestCase("a//b")]
    [TestCase(".")]
    [TestCase("a/./b")]
    [TestCase("a/..")]
    [TestCase("a\u0001b")]
    public void Invalid_paths_are_refused(string path)
    {
        Assert.That(() => VaultClient.KvPath("lyndrix", "data", path), Throws.ArgumentException.With.Message.Contains("not a valid KV secret path"));
    }

    [Test]
    public void A_success_answer_has_no_errors_or_warnings_and_exposes_its_data()
    {
        var response = Response("""{"data":{"data":{"k":"v"}},"warnings":null}""");

        Assert.That((response.Errors.Count, response.Warnings.Count), Is.EqualTo((0, 0)));
        Assert.That(response.DataElement?.GetProperty("data").GetProperty("k").GetString(), Is.EqualTo("v"));
        Assert.That(response.Data?["data"]?["k"]?.ToString(), Is.EqualTo("v"));
    }

    [Test]
    public void Error_strings_are_rendered_as_before_and_scrubbed()
    {
        var redactor = new VaultSecretRedactor();
        redactor.Add("hvs.known-secret-token");
        var response = Response("""{"errors":["bad hvs.known-secret-token",null,{"a":1}]}""", HttpStatusCode.BadRequest, redactor);

        Assert.That(response.Errors, Is.EqualTo(new[] { "bad ***", "", JsonNode.Parse("""{"a":1}""")!.ToString() }));
    }

    [Test]
    public void A_body_that_is_not_json_keeps_the_status_and_no_json()
    {
        var response = Response("""{"errors":["x"]} <html>""", HttpStatusCode.BadGateway);

        Assert.That((response.StatusCode, response.Json, response.Errors.Count), Is.EqualTo((502, (JsonNode?)null, 0)));
        Assert.That(Response("").Json, Is.Null);
    }

    [Test]
    public void A_byte_order_mark_does_not_hide_the_answer()
    {
        var response = Response("\uFEFF{\"errors\":[\"Vault is sealed\"]}", HttpStatusCode.ServiceUnavailable);

        Assert.That(response.IsSealed, Is.True);
    }
}
