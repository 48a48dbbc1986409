using System.Text.Json;

namespace Lyndrix.Core.Tests.Support;

/// <summary>Checks that an HTTP answer is the API's one error shape: an RFC 9457 problem with a stable type and code.</summary>
internal static class ProblemAssert
{
    /// <returns>The problem body, for further checks of its <c>detail</c>.</returns>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        var body = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("status").GetInt32(), Is.EqualTo(status), text);
            Assert.That(body.GetProperty("code").GetString(), Is.EqualTo(code), text);
            Assert.That(body.GetProperty("type").GetString(), Is.EqualTo("urn:lyndrix:problem:" + code), text);
            Assert.That(body.GetProperty("title").GetString(), Is.Not.Empty, text);
            Assert.That(body.GetProperty("detail").GetString(), Is.Not.Empty, text);
        });
        return body;
    }

    public static async Task<JsonElement> IsProblemAsync(Task<HttpResponseMessage> response, int status, string code) =>
        await IsProblemAsync(await response, status, code);
}
