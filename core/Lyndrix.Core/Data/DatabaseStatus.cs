namespace Lyndrix.Core.Data;

/// <summary>What the database supervisor knows now, for health endpoints and callers that want to check before they try.</summary>
internal sealed class DatabaseStatus
{
    private readonly Lock _gate = new();

    public DatabaseState State { get; private set; } = DatabaseState.WaitingForSecrets;

    /// <summary>What it waits on, or the last problem, as told to the operator (no credentials).</summary>
    public string? Detail { get; private set; }

    /// <summary>How many times <c>db:connected</c> has been emitted.</summary>
    public int ConnectedCount { get; private set; }

    public bool IsConnected => State == DatabaseState.Connected;

    public void Set(DatabaseState state, string? detail = null)
    {
        lock (_gate)
        {
            State = state;
            Detail = detail;
            if (state == DatabaseState.Connected)
            {
                ConnectedCount++;
            }
        }
    }
}
