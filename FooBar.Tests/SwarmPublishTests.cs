using YamlDotNet.RepresentationModel;

namespace FooBar.Tests;

/// <summary>
/// The Swarm stack that the AppHost's publish step writes, checked against the model it came from. No Docker: the
/// AppHost runs in publish mode (as `--operation publish --step publish` runs it) and only writes files.
/// </summary>
public sealed class SwarmPublishTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Web_is_one_service_with_a_replica_per_instance_found_by_DNS_beside_nginx_and_mysql(int instances)
    {
        var stack = await PublishAsync(instances);

        // The 3.x format that Debian's docker.io 20.10 requires of a stack file.
        Assert.Equal("3.8", stack.Scalar("version"));
        Assert.Equal(["mysql", "nginx", "web"], stack.Services.Children.Keys.Select(k => k.ToString()).Order());
        Assert.Equal(instances, stack.Resources.OfType<ProjectResource>().Count());
        Assert.Equal(instances.ToString(), stack.Scalar("services", "web", "deploy", "replicas"));
        // The virtual IP does not answer on this kind of machine: every service is found by DNS round-robin.
        Assert.All(["mysql", "nginx", "web"], service => Assert.Equal("dnsrr", stack.Scalar("services", service, "deploy", "endpoint_mode")));
        // One file per topology: nothing of web-1 … web-N is left in it.
        Assert.DoesNotContain("web-1", stack.Text);
    }

    [Fact]
    public async Task Only_nginx_publishes_a_port_and_on_the_node_itself()
    {
        var stack = await PublishAsync(3);
        var http = stack.Resources.OfType<NginxResource>().Single().Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");

        var port = Assert.IsType<YamlMappingNode>(Assert.Single(stack.Sequence("services", "nginx", "ports")));
        Assert.Equal(http.TargetPort.ToString(), port["target"].ToString());
        Assert.Equal(http.Port.ToString(), port["published"].ToString());
        // Host mode: the ingress routing mesh does not answer on 127.0.0.1 here.
        Assert.Equal("host", port["mode"].ToString());
        Assert.False(stack.Service("web").Children.ContainsKey("ports"));
        Assert.False(stack.Service("mysql").Children.ContainsKey("ports"));
    }

    [Fact]
    public async Task MySQL_keeps_its_data_in_the_models_named_volume()
    {
        var stack = await PublishAsync(3);
        var data = stack.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerMountAnnotation>()
            .Single(m => m.Type == ContainerMountType.Volume);

        Assert.Equal([$"{data.Source}:{data.Target}"], stack.Sequence("services", "mysql", "volumes").Select(v => v.ToString()));
        Assert.Contains(data.Source!, stack.Map("volumes").Children.Keys.Select(k => k.ToString()));
    }

    [Fact]
    public async Task Passwords_are_external_Docker_secrets_read_from_files_and_no_password_is_in_any_file_written()
    {
        var stack = await PublishAsync(3);
        var mysql = stack.Resources.OfType<MySqlServerResource>().Single();
        var login = stack.Resources.OfType<MySqlUserResource>().Single();

        Assert.Equal(["foobardb-web-password", "mysql-password"], stack.Map("secrets").Children.Keys.Select(k => k.ToString()).Order());
        Assert.All(stack.Map("secrets").Children.Values, secret => Assert.Equal("true", ((YamlMappingNode)secret)["external"].ToString()));
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
    }

    [Fact]
    public async Task References_become_service_names_on_the_stacks_network()
    {
        var stack = await PublishAsync(3);
        var login = stack.Resources.OfType<MySqlUserResource>().Single();

        // web reaches MySQL by its service name, on the port MySQL listens on in its container.
        Assert.Equal($"Server=mysql;Port=3306;User ID={login.UserName};Database={login.Parent.DatabaseName}",
            stack.Scalar("services", "web", "environment", "ConnectionStrings__foobardb"));
        // With no AppHost to make them, the image makes the app's database and login on its first start.
        Assert.Equal(login.Parent.DatabaseName, stack.Scalar("services", "mysql", "environment", "MYSQL_DATABASE"));
        Assert.Equal(login.UserName, stack.Scalar("services", "mysql", "environment", "MYSQL_USER"));
        // nginx's upstream lists web's tasks through Swarm's DNS, in the file its templates include.
        var upstream = stack.Resources.OfType<NginxResource>().Single().Annotations.OfType<NginxUpstream>().Single();
        var config = Assert.IsType<YamlMappingNode>(Assert.Single(stack.Sequence("services", "nginx", "configs")));
        Assert.Equal("/etc/nginx/upstreams/web/servers.conf", config["target"].ToString());
        var file = stack.Scalar("configs", config["source"].ToString(), "file");
        Assert.Contains("server tasks.web:8080 max_fails=1 fail_timeout=10s;\n", stack.Files[Path.GetFileName(file)]);
        Assert.Equal("8080", stack.Scalar("services", "web", "environment", "HTTP_PORTS"));
        Assert.Equal(["web-1", "web-2", "web-3"], upstream.Servers.Select(s => s.Name));
        Assert.All(["mysql", "nginx", "web"], service => Assert.Equal(["swarm"], stack.Sequence("services", service, "networks").Select(n => n.ToString())));
    }

    [Fact]
    public async Task Health_checks_become_container_health_checks()
    {
        var stack = await PublishAsync(3);

        Assert.Equal("http://127.0.0.1:8080/health", stack.Sequence("services", "web", "healthcheck", "test").Last().ToString());
        Assert.Equal("http://127.0.0.1:80/nginx/health", stack.Sequence("services", "nginx", "healthcheck", "test").Last().ToString());
        Assert.Equal(["CMD", "mysqladmin", "ping"], stack.Sequence("services", "mysql", "healthcheck", "test").Take(3).Select(t => t.ToString()));
        // web's restart back-off starts at the model's first delay.
        Assert.Equal("1s", stack.Scalar("services", "web", "deploy", "restart_policy", "delay"));
    }

    [Fact]
    public async Task FooBars_own_images_are_tagged_at_deploy_and_MySQL_runs_the_models_image()
    {
        var stack = await PublishAsync(3);
        var mysql = stack.Resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerImageAnnotation>().Single();

        Assert.Equal("foobar/web:${FOOBAR_IMAGE_TAG:?set FOOBAR_IMAGE_TAG to the images' tag}", stack.Scalar("services", "web", "image"));
        Assert.StartsWith("foobar/nginx:${FOOBAR_IMAGE_TAG:?", stack.Scalar("services", "nginx", "image"));
        Assert.Equal($"{mysql.Image}:{mysql.Tag}", stack.Scalar("services", "mysql", "image"));
    }

    [Fact]
    public async Task In_run_mode_the_Swarm_environment_is_not_part_of_the_model()
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();

        Assert.Empty(appHost.Resources.OfType<SwarmEnvironmentResource>());
    }

    [Fact]
    public async Task A_resources_PublishAsSwarmService_callback_has_the_last_word_on_its_service()
    {
        var stack = await PublishAsync(1, builder => builder.AddContainer("cache", "redis", "7")
            .PublishAsSwarmService((resource, service) => service.Deploy.Replicas = resource.Name.Length));

        Assert.Equal("redis:7", stack.Scalar("services", "cache", "image"));
        Assert.Equal("5", stack.Scalar("services", "cache", "deploy", "replicas"));
    }

    // Runs the AppHost as `--operation publish --step publish` does, into a folder of its own, and reads what it wrote.
    private static async Task<PublishedStack> PublishAsync(int instances, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var output = Directory.CreateTempSubdirectory("foobar-swarm-");
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>(
                [$"--FooBar:WebInstances={instances}", "--operation", "publish", "--step", "publish", "--output-path", output.FullName]);
            configure?.Invoke(builder);
            await using var app = await builder.BuildAsync();
            await app.RunAsync().WaitAsync(TimeSpan.FromMinutes(1));

            var files = output.GetFiles().ToDictionary(f => f.Name, f => File.ReadAllText(f.FullName));
            var yaml = new YamlStream();
            yaml.Load(new StringReader(files[SwarmEnvironmentResource.StackFileName]));
            return new PublishedStack(builder.Resources.ToList(), (YamlMappingNode)yaml.Documents[0].RootNode, files);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private sealed record PublishedStack(IReadOnlyList<IResource> Resources, YamlMappingNode Root, IReadOnlyDictionary<string, string> Files)
    {
        public string Text => Files[SwarmEnvironmentResource.StackFileName];

        public YamlMappingNode Services => Map("services");

        public YamlMappingNode Service(string name) => Map("services", name);

        public YamlMappingNode Map(params string[] path) => Assert.IsType<YamlMappingNode>(Node(path));

        public IEnumerable<YamlNode> Sequence(params string[] path) => Assert.IsType<YamlSequenceNode>(Node(path)).Children;

        public string Scalar(params string[] path) => Assert.IsType<YamlScalarNode>(Node(path)).Value!;

        private YamlNode Node(string[] path) =>
            path.Aggregate((YamlNode)Root, (node, key) => Assert.IsType<YamlMappingNode>(node).Children[new YamlScalarNode(key)]);
    }
}
