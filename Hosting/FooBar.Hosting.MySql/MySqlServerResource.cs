using MySqlConnector;

namespace FooBar.Hosting;

/// <summary>
/// A MySQL server in a container, and the owner of its databases (<see cref="MySqlDatabaseResource"/>), which own
/// their logins (<see cref="MySqlUserResource"/>). Its connection string logs in as root, which only this host may do
/// over the network.
/// </summary>
/// <param name="name">The resource's name, also its connection string's name.</param>
/// <param name="password">The parameter holding root's password.</param>
public sealed class MySqlServerResource(string name, ParameterResource password)
    : ContainerResource(name), IMySqlServerResource
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string RootUserName = "root";

    private readonly List<MySqlDatabaseResource> _databases = [];

    /// <summary>Gets the endpoint MySQL listens on (3306 in the container).</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    /// <summary>Gets the host part of <see cref="PrimaryEndpoint"/>.</summary>
    public EndpointReferenceExpression Host => PrimaryEndpoint.Property(EndpointProperty.Host);

    /// <summary>Gets the port part of <see cref="PrimaryEndpoint"/>.</summary>
    public EndpointReferenceExpression Port => PrimaryEndpoint.Property(EndpointProperty.Port);

    /// <summary>Gets the parameter holding root's password.</summary>
    public ParameterResource PasswordParameter { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>Gets the database resources' names and the databases they stand for.</summary>
    public IReadOnlyDictionary<string, string> Databases =>
        _databases.ToDictionary(database => database.Name, database => database.DatabaseName, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the databases on this server, created once it accepts queries.</summary>
    internal IReadOnlyList<MySqlDatabaseResource> DatabaseResources => _databases;

    /// <summary>Gets the connection string that logs in as root, with no database selected.</summary>
    public ReferenceExpression ConnectionStringExpression => BuildConnectionString(RootUserName, PasswordParameter);

    internal void AddDatabase(MySqlDatabaseResource database) => _databases.Add(database);

    IReadOnlyList<MySqlDatabaseResource> IMySqlServerResource.DatabaseResources => DatabaseResources;

    void IMySqlServerResource.AddDatabase(MySqlDatabaseResource database) => AddDatabase(database);

    ReferenceExpression IMySqlServerResource.BuildConnectionString(string userName, ParameterResource password, string? databaseName) =>
        BuildConnectionString(userName, password, databaseName);

    /// <summary>
    /// Every connection string of this server, its databases' and their logins': names are known now and quoted by
    /// <see cref="MySqlConnectionStringBuilder"/> wherever they need it (a ';', a quote, a space); the address and the
    /// password stay references, resolved when a resource starts (a password's value is used as it is: generated ones
    /// are letters and digits).
    /// </summary>
    internal ReferenceExpression BuildConnectionString(string userName, ParameterResource password, string? databaseName = null)
    {
        var names = new MySqlConnectionStringBuilder { UserID = userName };
        if (databaseName is not null)
        {
            names.Database = databaseName;
        }
        return ReferenceExpression.Create($"Server={Host};Port={Port};{names.ConnectionString};Password={password}");
    }
}
