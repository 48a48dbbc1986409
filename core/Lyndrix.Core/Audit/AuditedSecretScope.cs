using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Audit;

/// <summary>
/// A module's secret scope that reports each read and write to the audit trail: the module, the path and field, and the
/// outcome (<c>ok</c>, <c>missing</c>, or the failure's kind). Never the value.
/// </summary>
internal sealed class AuditedSecretScope(IModuleSecretScope inner, string moduleId, AuditTrail trail) : IModuleSecretScope
{
    private readonly string _actor = "module:" + moduleId;

    public string Path => inner.Path;

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var value = await inner.GetAsync(key, cancellationToken).ConfigureAwait(false);
            Report("secret.read", key, value is null ? "missing" : "ok");
            return value;
        }
        catch (Exception ex)
        {
            Report("secret.read", key, Outcome(ex));
            throw;
        }
    }

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        try
        {
            await inner.SetAsync(key, value, cancellationToken).ConfigureAwait(false);
            Report("secret.write", key, "ok");
        }
        catch (Exception ex)
        {
            Report("secret.write", key, Outcome(ex));
            throw;
        }
    }

    private void Report(string action, string key, string outcome) =>
        trail.Record(new AuditRecord(_actor, moduleId, action, inner.Path + "#" + key, outcome));

    private static string Outcome(Exception ex) => ex switch
    {
        ArgumentException => "refused:invalid_key",
        OperationCanceledException => "cancelled",
        Lyndrix.Sdk.SecretStoreUnavailableException => "error:unavailable",
        _ => "error",
    };
}
