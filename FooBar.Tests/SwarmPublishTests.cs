using FooBar.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace FooBar.Tests;

/// <summary>
/// The Swarm stack that the AppHost's publish step writes, and its images' recipes, checked against the model they came
/// from. No Docker: the AppHost runs in publish mode (as `--operation publish --step publish-swarm` runs it) and only
/// writes files. SwarmStackTests deploys what it writes.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class SwarmPublishTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Web_is_one_service_with_a_replica_per_instance_found_by_DNS_beside_nginx_and_mysql(int instances)
    {
        var stack = await SwarmPublish.PublishAsync([$"--FooBar:WebInstances={instances}"]);

        // The 3.x format that Debian's docker.io 20.10 requires of a stack file.
        Assert.Equal("3.8", stack.Scalar("version"));
        Assert.Equal(["dashboard", "dns", "mysql", "nginx", "web"], stack.Services.Children.Keys.Select(k => k.ToString()).Order());
        Assert.Equal(instances, stack.Resources.OfType<ProjectResource>().Count());
        Assert.Equal(instances.ToString(), stack.Scalar("services", "web", "deploy", "replicas"));
        // The virtual IP does not answer on this kind of machine: every service is found by DNS round-robin.
        Assert.All(["dashboard", "dns", "mysql", "nginx", "web"], service => Assert.Equal("dnsrr", stack.Scalar("services", service, "deploy", "endpoint_mode")));
        // One file per topology: nothing of web-1 … web-N is left in it.
        Assert.DoesNotContain("web-1", stack.Text);
    }

    [Fact]
    public async Task Only_nginx_the_DNS_server_and_the_dashboards_UI_publish_a_port_on_the_node_itself_the_model_port_unless_the_deploy_names_one()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var http = stack.Resources.OfType<NginxResource>().Single().Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");

        // HTTP at the model's port, HTTPS at 443 (SwarmPublishTests' TLS test has more).
        Assert.Equal([(http.TargetPort.ToString()!, $"${{NGINX_PORT:-{http.Port}}}", "tcp", "host"), ("443", "${NGINX_HTTPS_PORT:-443}", "tcp", "host")],
            stack.Sequence("services", "nginx", "ports").Cast<YamlMappingNode>()
                .Select(p => (p["target"].ToString(), p["published"].ToString(), p["protocol"].ToString(), p["mode"].ToString())));
        var dashboard = Assert.IsType<YamlMappingNode>(Assert.Single(stack.Sequence("services", "dashboard", "ports")));
        Assert.Equal("18888", dashboard["target"].ToString());
        Assert.Equal("${DASHBOARD_PORT:-18888}", dashboard["published"].ToString());
        // The DNS server: UDP and TCP on one port, as a resolver expects.
        var dnsPort = stack.Resources.OfType<DnsServerResource>().Single().Annotations.OfType<EndpointAnnotation>().First().Port;
        Assert.Equal([("udp", $"${{DNS_PORT:-{dnsPort}}}", "53", "host"), ("tcp", $"${{DNS_PORT:-{dnsPort}}}", "53", "host")],
            stack.Sequence("services", "dns", "ports").Cast<YamlMappingNode>()
                .Select(p => (p["protocol"].ToString(), p["published"].ToString(), p["target"].ToString(), p["mode"].ToString())));
        Assert.False(stack.Service("web").Children.ContainsKey("ports"));
        Assert.False(stack.Service("mysql").Children.ContainsKey("ports"));
    }

    [Fact]
    public async Task What_owns_part_of_a_node_stays_on_the_manager_and_is_replaced_stop_first_the_app_starts_first_and_rolls_back()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);

        // A published port (nginx, the dashboard) or a volume's data (MySQL) belongs to one node: the manager's.
        Assert.All(["dashboard", "mysql", "nginx"], service =>
        {
            Assert.Equal(["node.role == manager"], stack.Sequence("services", service, "deploy", "placement", "constraints").Select(c => c.ToString()));
            Assert.Equal("stop-first", stack.Scalar("services", service, "deploy", "update_config", "order"));
        });
        // web's replicas anywhere, spread evenly over the swarm's numbered nodes.
        Assert.False(stack.Has("services", "web", "deploy", "placement", "constraints"));
        Assert.Equal("node.labels.foobar.node", ((YamlMappingNode)Assert.Single(stack.Sequence("services", "web", "deploy", "placement", "preferences")))["spread"].ToString());
        // A new app task runs and is healthy before an old one stops; a version whose tasks fail is undone.
        Assert.Equal("start-first", stack.Scalar("services", "web", "deploy", "update_config", "order"));
        Assert.Equal("1", stack.Scalar("services", "web", "deploy", "update_config", "parallelism"));
        Assert.Equal("rollback", stack.Scalar("services", "web", "deploy", "update_config", "failure_action"));
        Assert.Equal("start-first", stack.Scalar("services", "web", "deploy", "rollback_config", "order"));
        // nginx hears of a stopping task from DNS within a second or two; the task keeps answering meanwhile.
        Assert.Equal("00:00:03", stack.Scalar("services", "web", "environment", "Lifetime__DrainDelay"));
    }

    [Fact]
    public async Task MySQL_keeps_its_data_in_the_models_named_volume()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var data = stack.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerMountAnnotation>()
            .Single(m => m.Type == ContainerMountType.Volume);

        Assert.Equal([$"{data.Source}:{data.Target}"], stack.Sequence("services", "mysql", "volumes").Select(v => v.ToString()));
        Assert.Contains(data.Source!, stack.Map("volumes").Children.Keys.Select(k => k.ToString()));
    }

    [Fact]
    public async Task Passwords_are_external_Docker_secrets_read_from_files_and_no_password_is_in_any_file_written()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var mysql = stack.Resources.OfType<MySqlServerResource>().Single();
        var login = stack.Resources.OfType<MySqlUserResource>().Single();

        Assert.Equal(["dashboard-key", "foobardb-web-password", "mysql-password", "site-certificate"], stack.Map("secrets").Children.Keys.Select(k => k.ToString()).Order());
        // scripts/swarm.sh makes the secrets this list beside the stack file names: the passwords random, the certificate from its file.
        Assert.Equal(["dashboard-key", "foobardb-web-password", "mysql-password", "site-certificate\t/etc/foobar/tls/www.foobar.com.pem"],
            stack.Files[SwarmEnvironmentResource.SecretsFileName].Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.All(stack.Map("secrets").Children, secret =>
        {
            Assert.Equal("true", ((YamlMappingNode)secret.Value)["external"].ToString());
            // Named after the stack in the swarm: two stacks never share a password.
            Assert.Equal($"${{FOOBAR_STACK:?set FOOBAR_STACK to the stack's name}}_{secret.Key}", ((YamlMappingNode)secret.Value)["name"].ToString());
        });
        // The official image's convention: the password is in the file named by MYSQL_ROOT_PASSWORD_FILE.
        Assert.Equal("/run/secrets/mysql-password", stack.Scalar("services", "mysql", "environment", "MYSQL_ROOT_PASSWORD_FILE"));
        Assert.Equal("/run/secrets/foobardb-web-password", stack.Scalar("services", "mysql", "environment", "MYSQL_PASSWORD_FILE"));
        Assert.False(stack.Map("services", "mysql", "environment").Children.ContainsKey("MYSQL_ROOT_PASSWORD"));
        Assert.False(stack.Map("services", "mysql", "environment").Children.ContainsKey("MYSQL_PASSWORD"));
        Assert.Equal(["foobardb-web-password"], stack.Sequence("services", "web", "secrets").Select(s => s.ToString()));
        foreach (var password in new[] { mysql.PasswordParameter, login.PasswordParameter })
        {
            var value = await password.GetValueAsync(CancellationToken.None);
            Assert.False(string.IsNullOrEmpty(value));
            Assert.All(stack.Files, file => Assert.DoesNotContain(value!, file.Value));
        }
        Assert.DoesNotContain("Password", stack.Scalar("services", "web", "environment", "ConnectionStrings__foobardb"));
        // The app reads its password from the secret's file instead (FooBar.Web's AddFooBarData).
        Assert.Equal("/run/secrets/foobardb-web-password", stack.Scalar("services", "web", "environment", "ConnectionStringPasswordFiles__foobardb"));
        Assert.Equal("/run/secrets/dashboard-key", stack.Scalar("services", "dashboard", "environment", "Dashboard__Frontend__BrowserToken_FILE"));
    }

    [Fact]
    public async Task References_become_service_names_on_the_stacks_network()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var login = stack.Resources.OfType<MySqlUserResource>().Single();

        // web reaches MySQL by its service name, on the port MySQL listens on in its container.
        Assert.Equal($"Server=mysql;Port=3306;User ID={login.UserName};Database={login.Parent.DatabaseName}",
            stack.Scalar("services", "web", "environment", "ConnectionStrings__foobardb"));
        // With no AppHost to make them, the image makes the app's database and login on its first start.
        Assert.Equal(login.Parent.DatabaseName, stack.Scalar("services", "mysql", "environment", "MYSQL_DATABASE"));
        Assert.Equal(login.UserName, stack.Scalar("services", "mysql", "environment", "MYSQL_USER"));
        // nginx's upstream names web's tasks by Swarm's DNS name, beside the file its templates include (which the
        // image's follow-upstreams writes with their addresses).
        var upstream = stack.Resources.OfType<NginxResource>().Single().Annotations.OfType<NginxUpstream>().Single();
        var config = Assert.IsType<YamlMappingNode>(Assert.Single(stack.Sequence("services", "nginx", "configs")));
        Assert.Equal("/etc/nginx/upstreams/web/servers.dns.conf", config["target"].ToString());
        var file = stack.Scalar("configs", config["source"].ToString(), "file");
        Assert.Contains("server tasks.web:8080 max_fails=5 fail_timeout=10s;\n", stack.Files[Path.GetFileName(file)]);
        Assert.Equal("8080", stack.Scalar("services", "web", "environment", "HTTP_PORTS"));
        Assert.Equal(["web-1", "web-2", "web-3"], upstream.Servers.Select(s => s.Name));
        Assert.All(["dashboard", "dns", "mysql", "nginx", "web"], service => Assert.Equal(["swarm"], stack.Sequence("services", service, "networks").Select(n => n.ToString())));
    }

    [Fact]
    public async Task The_database_server_keeps_the_connection_limit_the_web_pools_are_sized_from()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);

        // A container's arguments follow its image's entrypoint, in the stack as in a run: the server's own option.
        Assert.Equal(["--max-connections=151"], stack.Sequence("services", "mysql", "command").Select(t => t.ToString()));
        // No other service has arguments in the model, so none replaces its image's command.
        Assert.All(["dashboard", "dns", "nginx", "web"], service => Assert.False(stack.Service(service).Children.ContainsKey("command")));
    }

    [Fact]
    public async Task Health_checks_become_container_health_checks()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);

        // The app's check is its own heartbeat, fresh while its requests complete: a busy task is not a dead one.
        Assert.Equal("find /tmp/foobar-web.heartbeat -newermt '10 seconds ago' | grep -q .", stack.Sequence("services", "web", "healthcheck", "test").Last().ToString());
        Assert.Equal("/tmp/foobar-web.heartbeat", stack.Scalar("services", "web", "environment", "Liveness__HeartbeatFile"));
        Assert.Equal("http://127.0.0.1:80/nginx/health", stack.Sequence("services", "nginx", "healthcheck", "test").Last().ToString());
        Assert.Equal("http://127.0.0.1:18888/health", stack.Sequence("services", "dashboard", "healthcheck", "test").Last().ToString());
        Assert.Equal(["CMD", "mysqladmin", "ping"], stack.Sequence("services", "mysql", "healthcheck", "test").Take(3).Select(t => t.ToString()));
        // web's restart back-off starts at the model's first delay.
        Assert.Equal("1s", stack.Scalar("services", "web", "deploy", "restart_policy", "delay"));
    }

    [Fact]
    public async Task Every_service_runs_an_image_built_from_its_recipe_beside_the_stack_and_named_by_the_deploys_tag()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var mysql = stack.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerImageAnnotation>().Single();

        Assert.All(["dashboard", "dns", "mysql", "nginx", "web"], service =>
        {
            Assert.Equal($"${{FOOBAR_IMAGE_PREFIX:-foobar}}/{service}:${{FOOBAR_IMAGE_TAG:?set FOOBAR_IMAGE_TAG to the images' tag}}", stack.Scalar("services", service, "image"));
            Assert.Contains($"images/{service}/Dockerfile", stack.Files.Keys);
        });
        // MySQL's is the image the model names, tagged anew; the app's is its published program on the Debian base.
        Assert.Equal($"FROM {mysql.Image}:{mysql.Tag}", stack.Files["images/mysql/Dockerfile"].Split('\n').Single(l => l.StartsWith("FROM ")));
        Assert.Contains("ENTRYPOINT [\"/app/FooBar.Web\"]", stack.Files["images/web/Dockerfile"]);
        Assert.Contains("USER 1654", stack.Files["images/web/Dockerfile"]);
    }

    [Fact]
    public async Task The_nginx_image_holds_the_host_folders_that_dotnet_run_mounts_but_not_the_upstream_list_which_is_a_config()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);
        var nginx = stack.Resources.OfType<NginxResource>().Single();
        var mounts = nginx.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount).ToList();
        var upstreamFolder = Path.GetDirectoryName(nginx.Annotations.OfType<NginxUpstream>().Single().ServersFile);
        var dockerfile = stack.Files["images/nginx/Dockerfile"];

        // The recipe's own Dockerfile comes first, unchanged.
        Assert.StartsWith(File.ReadAllText(Path.Combine(Repository.Root, "nginx", "Dockerfile")), dockerfile);
        foreach (var mount in mounts.Where(m => m.Source != upstreamFolder))
        {
            var copy = $"host{mount.Target}";
            Assert.Contains($"COPY {copy}/ {mount.Target}/\n", dockerfile);
            var someFile = Directory.EnumerateFiles(mount.Source!, "*", SearchOption.AllDirectories).First();
            Assert.Equal(File.ReadAllText(someFile), stack.Files[$"images/nginx/{copy}/{Path.GetRelativePath(mount.Source!, someFile).Replace('\\', '/')}"]);
        }
        Assert.Single(mounts, m => m.Source == upstreamFolder);
        Assert.DoesNotContain("/etc/nginx/upstreams", dockerfile);
    }

    [Theory]
    [InlineData("--FooBar:WebInstances=1")]
    [InlineData("--FooBar:HighAvailability=true")]
    public async Task The_sites_certificate_and_key_are_an_external_secret_made_from_their_file_and_never_in_a_published_image_or_file(string mode)
    {
        // A certificate and key of this test's own, so that the key's very text can be looked for.
        var pem = Path.Combine(Directory.CreateTempSubdirectory("foobar-tls-").FullName, "site.pem");
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=www.foobar.com", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var keyText = key.ExportPkcs8PrivateKeyPem();
        await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem() + "\n" + keyText);
        try
        {
            var stack = await SwarmPublish.PublishAsync([mode, $"--FooBar:TlsCertificate={pem}"]);

            // The deploy makes it from the file (scripts/swarm.sh), named after the stack like every secret.
            Assert.Contains($"site-certificate\t{pem}\n", stack.Files[SwarmEnvironmentResource.SecretsFileName]);
            Assert.Equal("true", stack.Scalar("secrets", "site-certificate", "external"));
            Assert.Equal("${FOOBAR_STACK:?set FOOBAR_STACK to the stack's name}_site-certificate", stack.Scalar("secrets", "site-certificate", "name"));
            Assert.Equal(["site-certificate"], stack.Sequence("services", "nginx", "secrets").Select(s => s.ToString()));
            Assert.Equal("/run/secrets/site-certificate", stack.Scalar("services", "nginx", "environment", "NGINX_TLS_CERTIFICATE"));
            // Not one line of the key's body, nor the run mode's certificate folder, in any file written or copied into an image.
            var keyLines = keyText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith("-----", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(keyLines);
            Assert.All(stack.Files, file => Assert.All(keyLines, line => Assert.DoesNotContain(line, file.Value)));
            Assert.All(stack.Files, file => Assert.DoesNotContain("PRIVATE KEY", file.Value));
            Assert.DoesNotContain("/etc/nginx/tls", stack.Files["images/nginx/Dockerfile"]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(pem)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("--FooBar:WebInstances=1")]
    [InlineData("--FooBar:HighAvailability=true")]
    public async Task Nginx_serves_HTTPS_in_host_mode_on_443_unless_the_deploy_names_a_port_and_redirects_HTTP_to_that_port(string mode)
    {
        var stack = await SwarmPublish.PublishAsync([mode]);

        var https = stack.Sequence("services", "nginx", "ports").Cast<YamlMappingNode>().Single(p => p["target"].ToString() == "443");
        Assert.Equal("${NGINX_HTTPS_PORT:-443}", https["published"].ToString());
        Assert.Equal("host", https["mode"].ToString());
        Assert.Equal("443", stack.Scalar("services", "nginx", "environment", "NGINX_TLS_LISTEN"));
        // The redirect from HTTP names the port visitors reach HTTPS on: the published one, from the same variable.
        Assert.Equal("${NGINX_HTTPS_PORT:-443}", stack.Scalar("services", "nginx", "environment", "NGINX_HTTPS_PORT"));
        // nginx's own health endpoint stays plain HTTP (no redirect): the container's check and keepalived's use it.
        Assert.Equal("http://127.0.0.1:80/nginx/health", stack.Sequence("services", "nginx", "healthcheck", "test").Last().ToString());
    }

    [Theory]
    [InlineData("--FooBar:WebInstances=3")]
    [InlineData("--FooBar:HighAvailability=true")]
    public async Task The_app_trusts_forwarded_headers_from_the_stacks_network_alone_whose_subnet_the_stack_fixes(string mode)
    {
        var stack = await SwarmPublish.PublishAsync([mode]);

        var subnet = Assert.IsType<YamlMappingNode>(Assert.Single(stack.Sequence("networks", "swarm", "ipam", "config")));
        Assert.Equal("${FOOBAR_SUBNET:-10.250.0.0/24}", subnet["subnet"].ToString());
        // nginx reaches web over that network, not loopback: web reads X-Forwarded-* from its peers there (FooBar.Web's Program.cs).
        Assert.Equal("${FOOBAR_SUBNET:-10.250.0.0/24}", stack.Scalar("services", "web", "environment", "ForwardedHeaders__KnownNetworks"));
        // No other service is told so.
        Assert.Equal(2, stack.Text.Split("ForwardedHeaders__KnownNetworks").Length);
        // Nor does ASP.NET Core's own switch (Aspire's publish default) make it trust every peer.
        Assert.False(stack.Map("services", "web", "environment").Children.ContainsKey("ASPNETCORE_FORWARDEDHEADERS_ENABLED"));
    }

    [Fact]
    public async Task Every_service_sends_its_telemetry_to_the_stacks_own_dashboard_whose_OTLP_ports_are_not_published()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=3"]);

        Assert.Equal("http://dashboard:18889", stack.Scalar("services", "web", "environment", "OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal("grpc", stack.Scalar("services", "web", "environment", "OTEL_EXPORTER_OTLP_PROTOCOL"));
        // nginx's Lua exporter sends OTLP/HTTP JSON, as in `dotnet run`.
        Assert.Equal("http://dashboard:18890", stack.Scalar("services", "nginx", "environment", "OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal("http/json", stack.Scalar("services", "nginx", "environment", "OTEL_EXPORTER_OTLP_PROTOCOL"));
        Assert.Equal("http://0.0.0.0:18889", stack.Scalar("services", "dashboard", "environment", "DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"));
        Assert.Equal("http://0.0.0.0:18890", stack.Scalar("services", "dashboard", "environment", "DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"));
        Assert.Equal(["18888"], stack.Sequence("services", "dashboard", "ports").Select(p => ((YamlMappingNode)p)["target"].ToString()));
        Assert.Contains("ENTRYPOINT [\"env-from-files\", \"/app/Aspire.Dashboard\"]", stack.Files["images/dashboard/Dockerfile"]);
    }

    [Fact]
    public async Task In_run_mode_the_Swarm_environment_is_not_part_of_the_model()
    {
        await using var appHost = await AppHostModel.CreateAsync();

        Assert.Empty(appHost.Resources.OfType<SwarmEnvironmentResource>());
    }

    [Fact]
    public async Task A_resources_PublishAsSwarmService_callback_has_the_last_word_on_its_service()
    {
        var stack = await SwarmPublish.PublishAsync(["--FooBar:WebInstances=1"], builder => builder.AddContainer("cache", "redis", "7")
            .PublishAsSwarmService((resource, service) => service.Deploy.Replicas = resource.Name.Length));

        // Its recipe retags the image the model names.
        Assert.Contains("FROM redis:7\n", stack.Files["images/cache/Dockerfile"]);
        Assert.Equal("5", stack.Scalar("services", "cache", "deploy", "replicas"));
    }
}
