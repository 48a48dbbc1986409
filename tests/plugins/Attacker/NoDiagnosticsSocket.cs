namespace Attacker;

/// <summary>A process's .NET runtime takes no diagnostics connection: no socket of its bound, or every connect refused.</summary>
internal sealed class NoDiagnosticsSocket(string message) : Exception(message);
