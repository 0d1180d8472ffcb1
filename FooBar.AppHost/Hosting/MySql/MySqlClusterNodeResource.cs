namespace Aspire.Hosting.ApplicationModel;

/// <summary>One node of a <see cref="MySqlClusterResource"/>: a container of the MySQL-compatible image in Galera mode.</summary>
/// <param name="name">The node's name, also its address on the containers' network and its name in the cluster's status.</param>
/// <param name="cluster">The cluster it belongs to.</param>
public sealed class MySqlClusterNodeResource(string name, MySqlClusterResource cluster)
    : ContainerResource(name), IResourceWithParent<MySqlClusterResource>
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>Gets the cluster this node belongs to.</summary>
    public MySqlClusterResource Parent { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>Gets the endpoint the node's server listens on (3306 in the container).</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);
}
