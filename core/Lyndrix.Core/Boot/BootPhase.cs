namespace Lyndrix.Core.Boot;

internal static class BootPhase
{
    public const string WaitingCore = "waiting_core";
    public const string LoadingModules = "loading_modules";
    public const string Ready = "ready";
    public const string Failed = "failed";
}
