namespace Lyndrix.Sdk;

/// <summary>Thrown when a module uses a topic, secret path or provider id its manifest does not allow.</summary>
public sealed class ModulePermissionDeniedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleId">The module that was refused.</param>
    /// <param name="operation">What it tried: <c>subscribe</c>, <c>emit</c>, <c>secret</c> or <c>auth_provider</c>.</param>
    /// <param name="resource">The topic, key or provider id.</param>
    /// <param name="message">Help for the plugin author.</param>
    public ModulePermissionDeniedException(string moduleId, string operation, string resource, string message)
        : base(message)
    {
        ModuleId = moduleId;
        Operation = operation;
        Resource = resource;
    }

    /// <summary>The module that was refused.</summary>
    public string ModuleId { get; }

    /// <summary>What the module tried: <c>subscribe</c>, <c>emit</c>, <c>secret</c> or <c>auth_provider</c>.</summary>
    public string Operation { get; }

    /// <summary>The topic, key or provider id involved.</summary>
    public string Resource { get; }
}
