using MySqlConnector;

namespace FooBar.Hosting;

/// <summary>
/// A MariaDB Galera cluster of the MySQL-compatible image (images/mysql-compatible, galera-node.sh): the owner of its
/// nodes (<see cref="MySqlClusterNodeResource"/>), each its own container with its own data volume and health, and of
/// its databases, which every node holds. The nodes decide among themselves how to start (a new cluster, a rejoin, a
/// restart after a full stop). Its connection strings name every node: a client moves to another when one fails.
/// </summary>
/// <param name="name">The cluster's name; its nodes are named <c>{name}-1</c> … <c>{name}-N</c>.</param>
/// <param name="password">The parameter holding root's password, set once, by the node that bootstraps a new cluster.</param>
public sealed class MySqlClusterResource(string name, ParameterResource password) : Resource(name), IMySqlServerResource
{
    private readonly List<MySqlClusterNodeResource> _nodes = [];
    private readonly List<MySqlDatabaseResource> _databases = [];

    /// <summary>Gets the parameter holding root's password.</summary>
    public ParameterResource PasswordParameter { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>Gets the nodes, in the order of the cluster address (the first bootstraps a new cluster).</summary>
    public IReadOnlyList<MySqlClusterNodeResource> Nodes => _nodes;

    /// <summary>Gets the Galera cluster address every node is given: each node by its name on the containers' network.</summary>
    public string ClusterAddress => "gcomm://" + string.Join(',', _nodes.Select(node => node.Name));

    /// <summary>Gets the database resources' names and the databases they stand for.</summary>
    public IReadOnlyDictionary<string, string> Databases =>
        _databases.ToDictionary(database => database.Name, database => database.DatabaseName, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the connection string that logs in as root on every node, with no database selected.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        BuildConnectionString(_nodes, MySqlServerResource.RootUserName, PasswordParameter);

    IReadOnlyList<MySqlDatabaseResource> IMySqlServerResource.DatabaseResources => _databases;

    void IMySqlServerResource.AddDatabase(MySqlDatabaseResource database) => _databases.Add(database);

    ReferenceExpression IMySqlServerResource.BuildConnectionString(string userName, ParameterResource password, string? databaseName) =>
        BuildConnectionString(_nodes, userName, password, databaseName);

    internal void AddNode(MySqlClusterNodeResource node) => _nodes.Add(node);

    /// <summary>
    /// A connection string to <paramref name="nodes"/>: <c>Server=a,b,c</c> with the one <c>Port</c> they all share
    /// (MySqlConnector takes one port for every host), names quoted by <see cref="MySqlConnectionStringBuilder"/>, the
    /// addresses, port and password references resolved when a resource starts.
    /// </summary>
    internal static ReferenceExpression BuildConnectionString(IReadOnlyList<MySqlClusterNodeResource> nodes, string userName,
        ParameterResource password, string? databaseName = null)
    {
        var names = new MySqlConnectionStringBuilder { UserID = userName };
        if (databaseName is not null)
        {
            names.Database = databaseName;
        }
        var expression = new ReferenceExpressionBuilder();
        expression.AppendLiteral("Server=");
        for (var i = 0; i < nodes.Count; i++)
        {
            if (i > 0)
            {
                expression.AppendLiteral(",");
            }
            expression.Append($"{nodes[i].Host}");
        }
        expression.Append($";Port={nodes[0].Port};{names.ConnectionString};Password={password}");
        return expression.Build();
    }
}
