using System.Globalization;
using FooBar.AppHost;
using FooBar.Hosting.Swarm;

var builder = DistributedApplication.CreateBuilder(args);

// Development (every request traced) or Production (sampled traces, quieter logs): FooBar:Profile.
var profile = StackProfile.From(builder.Configuration);
// High availability (FooBar:HighAvailability): no single point of failure in the stack, only the machine.
var highAvailability = HighAvailability.From(builder.Configuration);

// MySQL: stores and returns the data. With high availability, a Galera cluster (mysql-1 … mysql-3) whose nodes each
// hold every acknowledged write; the app is given every node, and moves to another when one fails. In development, a
// database admin page beside it (Adminer, mysql-admin) on 127.0.0.1, logged in as root: a developer's tool. Each server
// or node's figures (connections, queries, InnoDB, Galera) reach the dashboard as its metrics (mysqld-exporter, <name>-exporter).
var database = highAvailability.Enabled
    ? builder.AddMySqlCluster("mysql", HighAvailability.DatabaseNodes).WithMaxConnections(WebInstances.DatabaseConnections)
        // Backups by scripts/db.sh, as on the command line, of the last synced node: "Back up" in the dashboard; in
        // production every 6 hours, pruned.
        .WithBackups(builder.Configuration, profile)
        .WithAdminPage(profile).WithMetricsExporter().AddDatabase("foobardb")
    : builder.AddMySql("mysql").WithImageFromConfiguration().WithDataVolume().WithMaxConnections(WebInstances.DatabaseConnections)
        // Backups by scripts/db.sh, as on the command line: "Back up" in the dashboard; in production every 6 hours, pruned.
        .WithBackups(builder.Configuration, profile)
        .WithAdminPage(profile).WithMetricsExporter().AddDatabase("foobardb");
// The app's own login: rights on foobardb only. Root's password stays with the mysql resource.
var webLogin = database.AddUser("foobardb-web", userName: "foobar_web");
// DNS, steps 2 and 3: the stack's own authoritative server for foobar.com (NSD), on 127.0.0.1:8053 over UDP and TCP.
// foobar.com's A records are the addresses of the parts visitors reach (nginx, or each front door), read from the model.
var dns = builder.AddDnsServer("dns", "foobar.com", port: 8053)
    .WithDockerfile("../images/dns")
    .WithAlias("www")
    // Writes the zone again from the model with a new serial and has NSD read it while it answers.
    .WithReloadCommand();

// The application servers: render dynamic pages from MySQL data. One ("web", the seed's single server), or with
// FooBar:WebInstances = N the redundant mode: web-1 … web-N, each its own resource, which nginx balances across.
var webInstances = WebInstances.From(builder.Configuration, highAvailability, builder.ExecutionContext);
var web = builder.AddProjectInstances<Projects.FooBar_Web>("web", webInstances.Count, instance => instance
    // Its built program on its own port: no `dotnet run` wrapper, no proxy in front.
    .RunDirectly()
    .WithReference(webLogin, connectionName: "foobardb")
    // The journey page asks the stack's DNS how www.foobar.com resolves.
    .WithDnsServer(dns)
    // The instances share MySQL's connection limit: each pool holds at most its share.
    .WithEnvironment("Database__MaxPoolSize", webInstances.PoolSizeEach.ToString(CultureInfo.InvariantCulture))
    .WaitFor(webLogin)
    .WithHttpHealthProbe("/health")
    // If it crashes, start it again (back-off 1 s, 2 s, 4 s … 30 s): a single instance has no other to take over.
    .WithRestartOnCrash()
    // If it makes no progress (a deadlock, a stopped process) for 5 s, end it so that the line above starts it again; a busy
    // one, whose requests still complete, is never ended (its own heartbeat thread tells the two apart).
    .WithLivenessProbe("/alive")
    .WithProfile(profile)
    .WithDashboardLinks()
    .PublishAsSwarmService(context =>
    {
        // A swarm starts every service at once: web waits for MySQL to answer instead of crashing until it does.
        context.Service.Environment["Database__StartupWait"] = "00:02:00";
        // Swarm ends a task whose health check fails: the check is the task's own heartbeat (a thread that touches a file
        // while requests complete), never a request that may wait behind a busy one's queue.
        context.Service.Environment[ProjectLivenessExtensions.HeartbeatFileVariable] = SwarmHeartbeat;
        context.Service.Healthcheck = new SwarmHealthcheck
        {
            Test = ["CMD-SHELL", $"find {SwarmHeartbeat} -newermt '10 seconds ago' | grep -q ."],
        };
        // nginx learns of a stopping task from Swarm's DNS within a second or two: the task answers meanwhile.
        context.Service.Environment["Lifetime__DrainDelay"] = "00:00:03";
        if (highAvailability.Enabled)
        {
            // Across nodes, an update spreads the tasks evenly again (a revived node gets its share back) only if each
            // old task stops before its successor is placed; the others answer meanwhile.
            context.ReplaceStopFirst();
        }
    }));

// nginx: the front door for www.foobar.com; serves static files itself and forwards the rest to web. One door ("nginx"),
// or with high availability several on that one address (nginx-1, nginx-2): either may stop or crash, and the group
// (nginx) says Degraded meanwhile, as web does for its instances. Each runs in the host's network on 127.0.0.1, so nginx
// sees every client's own address.
var nginx = builder.AddNginxInstances("nginx", highAvailability.FrontDoors, port: 8080, door => door
    .WithDockerfile("../nginx")
    .WithConfigTemplates("../nginx/templates")
    // HTTPS on 127.0.0.1:8443 with the site's certificate from this machine's own authority (scripts/setup.sh): HTTP/2,
    // HSTS, and HTTP answering with a 301 to it.
    .WithTls(builder.Configuration["FooBar:TlsCertificate"] ?? "/etc/foobar/tls/www.foobar.com.pem", port: 8443)
    .WithStaticFilesFrom(web[0])
    // Every web instance, over a Unix socket each also listens on (on Linux): no TCP hop, no tunnel. nginx starts
    // beside web, not after it: until web answers, visitors get nginx's own 502 page, and the site is up 10 s sooner.
    .WithUpstream("web", web)
    // Each door is asked on an address of its own, where doors share the site's.
    .WithHealthProbe("/nginx/health")
    // nginx's spans go to the dashboard as OTLP/HTTP JSON, which its Lua exporter writes (nginx/lua/otel.lua).
    .WithOtlpExporter(OtlpProtocol.HttpJson)
    // Its figures (connections, requests by status class, upstream time, spans sent and dropped) reach the dashboard as
    // its metrics: stub_status and nginx's own counters on a loopback-only port, read by prometheus-nginx-exporter (<name>-exporter).
    .WithMetricsExporter()
    .WithProfile(profile)
    // Per client address: connections at once, requests a second to the app (FooBar:Nginx:Client*; 429 beyond them).
    .WithClientLimits(NginxClientLimits.From(builder.Configuration))
    .WithReloadCommand()
    .WithUrlForEndpoint("https", url => url.DisplayText = "www.foobar.com")
    // The one part visitors reach: a published stack opens its port and no other.
    .WithExternalHttpEndpoints())
    // With two or more web instances: a new build reaches them one at a time, out of every door's rotation, while the others answer.
    .WithRollingRestartCommand(web)
    // With two or more doors: a changed recipe reaches them one at a time while the others answer.
    .WithRollingRestartOfDoorsCommand();

// The same topology as a Docker Swarm stack, written on publish (`--operation publish --step publish`); nothing in run mode.
// With high availability: a front door and a DNS server on every node, a database node on each of three, and the
// site's one address moved by keepalived (VRRP) to a node whose front door answers (Swarm:FloatingAddress).
var swarm = builder.AddSwarmEnvironment("swarm");
if (highAvailability.Enabled)
{
    swarm.WithFloatingAddress(nginx[0], "../images/floating-address");
}

builder.Build().Run();

internal static partial class Program
{
    // Where a Swarm task's heartbeat is (FooBar.ServiceDefaults' ProgressHeartbeat): the container's own /tmp.
    private const string SwarmHeartbeat = "/tmp/foobar-web.heartbeat";
}
