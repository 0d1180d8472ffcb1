namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A MariaDB Galera cluster of the MySQL-compatible image (images/mysql-compatible, galera-node.sh): the owner of its
/// nodes (<see cref="MySqlClusterNodeResource"/>), each its own container with its own data volume and health.
/// The nodes decide among themselves how to start (a new cluster, a rejoin, a restart after a full stop).
/// </summary>
/// <param name="name">The cluster's name; its nodes are named <c>{name}-1</c> … <c>{name}-N</c>.</param>
/// <param name="password">The parameter holding root's password, set once, by the node that bootstraps a new cluster.</param>
public sealed class MySqlClusterResource(string name, ParameterResource password) : Resource(name)
{
    private readonly List<MySqlClusterNodeResource> _nodes = [];

    /// <summary>Gets the parameter holding root's password.</summary>
    public ParameterResource PasswordParameter { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>Gets the nodes, in the order of the cluster address (the first bootstraps a new cluster).</summary>
    public IReadOnlyList<MySqlClusterNodeResource> Nodes => _nodes;

    /// <summary>Gets the Galera cluster address every node is given: each node by its name on the containers' network.</summary>
    public string ClusterAddress => "gcomm://" + string.Join(',', _nodes.Select(node => node.Name));

    internal void AddNode(MySqlClusterNodeResource node) => _nodes.Add(node);
}
