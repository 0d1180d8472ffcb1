namespace Aspire.Hosting.ApplicationModel;

/// <summary>A MySQL server in a container; its connection string logs in as root, which only this host may do over the network.</summary>
public sealed class MySqlServerResource(string name, ParameterResource password)
    : ContainerResource(name), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    private readonly Dictionary<string, string> _databases = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<MySqlDatabaseResource> _databaseResources = [];

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Database resource names and the databases they stand for.</summary>
    public IReadOnlyDictionary<string, string> Databases => _databases;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Server={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};User ID=root;Password={PasswordParameter}");

    /// <summary>The database resources on this server, in the order they were added.</summary>
    internal IReadOnlyList<MySqlDatabaseResource> DatabaseResources => _databaseResources;

    internal void AddDatabase(MySqlDatabaseResource database)
    {
        if (_databases.TryAdd(database.Name, database.DatabaseName))
        {
            _databaseResources.Add(database);
        }
    }
}
