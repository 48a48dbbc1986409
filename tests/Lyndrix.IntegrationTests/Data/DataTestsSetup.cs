using Lyndrix.IntegrationTests.Support;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>Stops the shared MariaDB server after the last database test.</summary>
[SetUpFixture]
public sealed class DataTestsSetup
{
    [OneTimeTearDown]
    public Task StopSharedServer() => MariaDbServer.DisposeSharedAsync();
}
