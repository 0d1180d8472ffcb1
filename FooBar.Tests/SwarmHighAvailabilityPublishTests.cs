using FooBar.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace FooBar.Tests;

/// <summary>
/// The Swarm stack published from the high-availability model (issue 19): no part single across nodes. A front door and
/// a DNS server on every node, a database node pinned to each of three nodes with its own volume, web's replicas spread,
/// the site's one address floating between the nodes, secrets as in every stack. No Docker: the AppHost writes files.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class SwarmHighAvailabilityPublishTests
{
    private static readonly string[] HighAvailability =
        ["--FooBar:HighAvailability=true", "--FooBar:Profile=Production", "--Swarm:SiteAddresses=10.9.0.1,10.9.0.3,10.9.0.4"];

    [Fact]
    public async Task Every_node_runs_a_front_door_that_publishes_the_site_port_on_the_node_itself_and_a_DNS_server()
    {
        var stack = await SwarmPublish.PublishAsync(HighAvailability);

        Assert.All(["nginx", "dns"], service =>
        {
            Assert.Equal("global", stack.Scalar("services", service, "deploy", "mode"));
            // A global service has no replica count, and no constraint: every node that may take visitors runs one.
            Assert.False(stack.Has("services", service, "deploy", "replicas"));
            Assert.False(stack.Has("services", service, "deploy", "placement"));
            // Two tasks cannot hold one port of one node: the old one stops first.
            Assert.Equal("stop-first", stack.Scalar("services", service, "deploy", "update_config", "order"));
            Assert.All(stack.Sequence("services", service, "ports").Cast<YamlMappingNode>(), port => Assert.Equal("host", port["mode"].ToString()));
        });
        Assert.Equal(["${NGINX_PORT:-8080}", "${NGINX_HTTPS_PORT:-443}"], stack.Sequence("services", "nginx", "ports").Select(p => ((YamlMappingNode)p)["published"].ToString()));
        // The single stack's one nginx stays on the manager: only high availability runs one everywhere.
        var single = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        Assert.Equal(["node.role == manager"], single.Sequence("services", "nginx", "deploy", "placement", "constraints").Select(c => c.ToString()));
        Assert.Equal("1", single.Scalar("services", "nginx", "deploy", "replicas"));
    }

    [Fact]
    public async Task The_database_is_one_Galera_node_per_swarm_node_each_pinned_with_its_own_volume_and_the_same_cluster_address()
    {
        var stack = await SwarmPublish.PublishAsync(HighAvailability);
        var cluster = stack.Resources.OfType<MySqlClusterResource>().Single();

        Assert.Equal(["mysql-1", "mysql-2", "mysql-3"], cluster.Nodes.Select(n => n.Name));
        Assert.DoesNotContain("mysql", stack.Services.Children.Keys.Select(k => k.ToString()));
        var volumes = new List<string>();
        foreach (var (node, number) in cluster.Nodes.Select((node, i) => (node.Name, i + 1)))
        {
            // Node i on the swarm's node i (its label), never elsewhere: its data is in a volume on that node.
            Assert.Equal([$"node.labels.foobar.node == {number}"], stack.Sequence("services", node, "deploy", "placement", "constraints").Select(c => c.ToString()));
            Assert.Equal("1", stack.Scalar("services", node, "deploy", "replicas"));
            Assert.Equal("stop-first", stack.Scalar("services", node, "deploy", "update_config", "order"));
            var volume = Assert.Single(stack.Sequence("services", node, "volumes")).ToString();
            Assert.EndsWith(":/var/lib/mysql", volume);
            volumes.Add(volume.Split(':')[0]);
            // galera-node.sh's contract: every node lists the same peers by service name and names itself; the first
            // listed bootstraps an empty cluster, a node that comes back joins the primary component.
            Assert.Equal("gcomm://mysql-1,mysql-2,mysql-3", stack.Scalar("services", node, "environment", "GALERA_CLUSTER_ADDRESS"));
            Assert.Equal(node, stack.Scalar("services", node, "environment", "GALERA_NODE_ADDRESS"));
            // Swarm's DNS names a task once it is healthy, and peers find each other by name before any is synced:
            // healthy while it serves its state to them.
            Assert.Equal(["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/4570 && grep -q server= <&3"],
                stack.Sequence("services", node, "healthcheck", "test").Select(t => t.ToString()));
            // The bootstrapping node makes the app's database and login for the whole cluster.
            Assert.Equal("foobardb", stack.Scalar("services", node, "environment", "MYSQL_DATABASE"));
            Assert.Equal("foobar_web", stack.Scalar("services", node, "environment", "MYSQL_USER"));
        }
        Assert.Equal(3, volumes.Distinct().Count());
        Assert.Equal(volumes.Order(), stack.Map("volumes").Children.Keys.Select(k => k.ToString()).Order());
        // The app is given every node, by service name, and moves to another when one fails.
        Assert.Equal("Server=mysql-1,mysql-2,mysql-3;Port=3306;User ID=foobar_web;Database=foobardb",
            stack.Scalar("services", "web", "environment", "ConnectionStrings__foobardb"));
    }

    [Fact]
    public async Task Web_replicas_are_spread_over_the_nodes_and_an_update_stops_an_old_one_before_placing_its_successor()
    {
        var stack = await SwarmPublish.PublishAsync(HighAvailability);

        Assert.Equal("3", stack.Scalar("services", "web", "deploy", "replicas"));
        Assert.Equal("node.labels.foobar.node", ((YamlMappingNode)Assert.Single(stack.Sequence("services", "web", "deploy", "placement", "preferences")))["spread"].ToString());
        Assert.False(stack.Has("services", "web", "deploy", "placement", "constraints"));
        // Stop-first, so that an update places each new task where the fewest run: a revived node gets its share back.
        Assert.Equal("stop-first", stack.Scalar("services", "web", "deploy", "update_config", "order"));
        Assert.Equal("stop-first", stack.Scalar("services", "web", "deploy", "rollback_config", "order"));
        Assert.Contains("server tasks.web:8080", stack.ConfigAt("nginx", "/etc/nginx/upstreams/web/servers.dns.conf"));
    }

    [Fact]
    public async Task Passwords_are_the_clusters_and_the_logins_external_secrets_and_in_no_file_written()
    {
        var stack = await SwarmPublish.PublishAsync(HighAvailability);
        var cluster = stack.Resources.OfType<MySqlClusterResource>().Single();
        var login = stack.Resources.OfType<MySqlUserResource>().Single();

        Assert.Equal(["dashboard-key", "foobardb-web-password", "mysql-password", "site-certificate"], stack.Map("secrets").Children.Keys.Select(k => k.ToString()).Order());
        Assert.Equal(["dashboard-key", "foobardb-web-password", "mysql-password", "site-certificate"],
            stack.Files[SwarmEnvironmentResource.SecretsFileName].Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')[0]).Order());
        Assert.All(cluster.Nodes, node =>
        {
            Assert.Equal("/run/secrets/mysql-password", stack.Scalar("services", node.Name, "environment", "MYSQL_ROOT_PASSWORD_FILE"));
            Assert.Equal("/run/secrets/foobardb-web-password", stack.Scalar("services", node.Name, "environment", "MYSQL_PASSWORD_FILE"));
            Assert.False(stack.Has("services", node.Name, "environment", "MYSQL_ROOT_PASSWORD"));
        });
        Assert.Equal("/run/secrets/foobardb-web-password", stack.Scalar("services", "web", "environment", "ConnectionStringPasswordFiles__foobardb"));
        foreach (var password in new[] { cluster.PasswordParameter, login.PasswordParameter })
        {
            var value = await password.GetValueAsync(CancellationToken.None);
            Assert.False(string.IsNullOrEmpty(value));
            Assert.All(stack.Files, file => Assert.DoesNotContain(value!, file.Value));
        }
    }

    [Fact]
    public async Task Without_a_floating_address_the_stacks_DNS_answers_foobar_com_with_every_node_that_takes_visitors()
    {
        var stack = await SwarmPublish.PublishAsync(HighAvailability);
        var zone = stack.ConfigAt("dns", "/etc/nsd/zones/foobar.com.zone");

        Assert.Equal(["10.9.0.1", "10.9.0.3", "10.9.0.4"], ApexAddresses(zone));
        Assert.Matches(@"(?m)^www\t300\tIN\tCNAME\tfoobar\.com\.$", zone);
        Assert.Contains("name: \"foobar.com\"", stack.ConfigAt("dns", "/etc/nsd/zones/zones.conf"));
        Assert.Equal(["CMD", "dns-ready", "foobar.com"], stack.Sequence("services", "dns", "healthcheck", "test").Select(t => t.ToString()));
        Assert.False(stack.Has("services", "floating-address"));
        // The zone and its list come as configs, not in the image: nothing of the run folder is copied into it.
        Assert.DoesNotContain("COPY host/etc/nsd/zones", stack.Files["images/dns/Dockerfile"]);
    }

    [Fact]
    public async Task With_a_floating_address_keepalived_runs_on_every_node_in_its_network_following_its_front_door_and_DNS_answers_that_one_address()
    {
        var stack = await SwarmPublish.PublishAsync([.. HighAvailability, "--Swarm:FloatingAddress=10.9.255.250/16"]);

        Assert.Equal(["10.9.255.250"], ApexAddresses(stack.ConfigAt("dns", "/etc/nsd/zones/foobar.com.zone")));
        Assert.Equal("global", stack.Scalar("services", "floating-address", "deploy", "mode"));
        // In each node's own network namespace, where the address goes on the node's interface.
        Assert.Equal(["node-network"], stack.Sequence("services", "floating-address", "networks").Select(n => n.ToString()));
        Assert.Equal(("true", "host"), (stack.Scalar("networks", "node-network", "external"), stack.Scalar("networks", "node-network", "name")));
        Assert.Equal(["NET_ADMIN", "NET_BROADCAST", "NET_RAW"], stack.Sequence("services", "floating-address", "cap_add").Select(c => c.ToString()));
        Assert.Equal("10.9.255.250/16", stack.Scalar("services", "floating-address", "environment", "FLOATING_ADDRESS"));
        // The node's front door as the node publishes it: its port as the deploy sets it, its own health check's path.
        Assert.Equal("http://127.0.0.1:${NGINX_PORT:-8080}/nginx/health", stack.Scalar("services", "floating-address", "environment", "FRONT_DOOR_HEALTH_URL"));
        Assert.Contains("keepalived", stack.Files["images/floating-address/Dockerfile"]);
        // Only high availability has one: the single stack's address is its manager's.
        var single = await SwarmPublish.PublishAsync(["--Swarm:FloatingAddress=10.9.255.250/16"]);
        Assert.False(single.Has("services", "floating-address"));
        Assert.Equal(["127.0.0.1"], ApexAddresses(single.ConfigAt("dns", "/etc/nsd/zones/foobar.com.zone")));
    }

    // The apex's A records, in the zone file's order.
    private static List<string> ApexAddresses(string zone) =>
        zone.Split('\n').Where(line => line.StartsWith("@\t", StringComparison.Ordinal) && line.Contains("\tIN\tA\t", StringComparison.Ordinal))
            .Select(line => line.Split('\t')[^1]).ToList();
}
