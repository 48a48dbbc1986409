namespace Lyndrix.Core.Cli;

/// <summary>A <c>lyndrix</c> sub-command.</summary>
internal interface ICliCommand
{
    string Name { get; }

    /// <summary>One line for <c>lyndrix --help</c>.</summary>
    string Summary { get; }

    /// <summary>Started by the host itself (a child it needs), never by an operator: left out of the general help.</summary>
    bool IsInternal => false;

    /// <summary>The full text of <c>lyndrix NAME --help</c>.</summary>
    string Help { get; }

    /// <returns>The process exit code: 0 success, 1 failure, 2 usage error.</returns>
    Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken);
}
