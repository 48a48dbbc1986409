using Lyndrix.Sdk;
using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>The exceptions a module sees from its context, carried across the channel as JSON-RPC error codes so the
/// child throws the same types an in-process plugin would.</summary>
internal static class RpcErrors
{
    // Application codes: JSON-RPC reserves -32768..-32000, and StreamJsonRpc uses some of that range itself.
    private const int PermissionDenied = 4001;
    private const int StoreUnavailable = 4002;
    private const int InvalidArgument = 4003;
    private const int Closed = 4004;

    /// <summary>Host side: turns what the module's context threw into an error the child can map back.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ModulePermissionDeniedException ex)
        {
            throw new LocalRpcException(ex.Message) { ErrorCode = PermissionDenied, ErrorData = ex.Operation + "\n" + ex.Resource };
        }
        catch (SecretStoreUnavailableException ex)
        {
            throw new LocalRpcException(ex.Message) { ErrorCode = StoreUnavailable };
        }
        catch (ArgumentException ex)
        {
            throw new LocalRpcException(ex.Message) { ErrorCode = InvalidArgument };
        }
        catch (ObjectDisposedException ex)
        {
            throw new LocalRpcException(ex.Message) { ErrorCode = Closed };
        }
    }

    /// <summary>Child side: the exception the plugin should see.</summary>
    public static Exception Map(RemoteInvocationException ex, string moduleId) => ex.ErrorCode switch
    {
        PermissionDenied => new ModulePermissionDeniedException(moduleId, Part(ex, 0), Part(ex, 1), ex.Message),
        StoreUnavailable => new SecretStoreUnavailableException(ex.Message),
        InvalidArgument => new ArgumentException(ex.Message),
        Closed => new ObjectDisposedException(nameof(IModuleContext), ex.Message),
        _ => ex,
    };

    private static string Part(RemoteInvocationException ex, int index)
    {
        var data = ex.ErrorData switch
        {
            string text => text,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } json => json.GetString(),
            _ => null,
        };
        var parts = (data ?? "").Split('\n');
        return parts.Length > index ? parts[index] : "";
    }
}
