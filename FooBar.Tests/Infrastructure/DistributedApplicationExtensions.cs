using MySqlConnector;

namespace FooBar.Tests.Infrastructure;

public static class DistributedApplicationExtensions
{
    /// <summary>
    /// The connection string of a MySQL resource, pointed at 127.0.0.1: test traffic goes to loopback only,
    /// never to whatever "localhost" might resolve to.
    /// </summary>
    public static async Task<MySqlConnectionStringBuilder> GetLoopbackMySqlConnectionStringAsync(this DistributedApplication app, string resourceName)
    {
        var connectionString = await app.GetConnectionStringAsync(resourceName)
            ?? throw new InvalidOperationException($"The {resourceName} resource has no connection string.");
        return new MySqlConnectionStringBuilder(connectionString) { Server = "127.0.0.1" };
    }
}
