using Lyndrix.Core.Data;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>A fresh, empty database of one dialect for one test.</summary>
internal sealed record DatabaseUnderTest(DatabaseSettings Settings, string? Password);
