namespace Lyndrix.Sdk.Testing;

/// <summary>Where <see cref="ModuleTestHost.StartAsync"/> runs the module under test.</summary>
public enum TestIsolation
{
    /// <summary>In the test's own process (<c>"isolation": "inprocess"</c>, the host's default).</summary>
    InProcess,

    /// <summary>In a child process of the <c>lyndrix</c> host, over the host's own channel (<c>"isolation": "process"</c>).</summary>
    Process,
}
