namespace FooBar.Hosting;

/// <summary>
/// One node of a <see cref="MySqlClusterResource"/>: a container of the MySQL-compatible image in Galera mode, published
/// on a loopback address of its own (<see cref="HostAddress"/>) at the port every node of its cluster shares.
/// </summary>
/// <remarks>
/// Its parent in the dashboard is the cluster, but not its parent in the model: a node's health is its own (synced or
/// not), never the cluster's.
/// </remarks>
/// <param name="name">The node's name, also its address on the containers' network and its name in the cluster's status.</param>
/// <param name="cluster">The cluster it belongs to.</param>
/// <param name="hostAddress">The loopback address the node is published on.</param>
public sealed class MySqlClusterNodeResource(string name, MySqlClusterResource cluster, string hostAddress) : ContainerResource(name)
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>The key of the node's own health check, whose report the cluster's status reads.</summary>
    internal string ReadyCheckKey => $"{Name}_ready";

    /// <summary>Gets the cluster this node belongs to.</summary>
    public MySqlClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>Gets the loopback address the node is published on, its own among the cluster's.</summary>
    public string HostAddress { get; } = hostAddress;

    /// <summary>Gets the endpoint the node's server listens on (3306 in the container).</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    /// <summary>Gets the host part of <see cref="PrimaryEndpoint"/>: <see cref="HostAddress"/>.</summary>
    public EndpointReferenceExpression Host => PrimaryEndpoint.Property(EndpointProperty.Host);

    /// <summary>Gets the port part of <see cref="PrimaryEndpoint"/>, the same for every node.</summary>
    public EndpointReferenceExpression Port => PrimaryEndpoint.Property(EndpointProperty.Port);
}
