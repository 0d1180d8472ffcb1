#pragma warning disable ASPIREPIPELINES001 // Aspire's publishing pipeline is marked experimental; it is how `--operation publish` runs steps.
#pragma warning disable ASPIREPIPELINES004

using Aspire.Hosting.Pipelines;
using FooBar.Hosting.Swarm;
using Microsoft.Extensions.DependencyInjection;

namespace FooBar.Hosting;

/// <summary>
/// A Docker Swarm stack as a place to run the application: on publish it writes the stack file (compose format with
/// <c>deploy:</c> sections) for every compute resource of the model, in the shape of Aspire's
/// <c>DockerComposeEnvironmentResource</c>. In run mode it is not part of the model and does nothing.
/// </summary>
/// <param name="name">The environment's name: the publish step is <c>publish-&lt;name&gt;</c> and the stack's network is named after it.</param>
public sealed class SwarmEnvironmentResource(string name) : Resource(name), IComputeEnvironmentResource
{
    /// <summary>The stack file's name in the output folder.</summary>
    public const string StackFileName = "stack.yaml";

    /// <summary>The file, beside the stack file, that lists the secrets the deploy makes: one name a line.</summary>
    public const string SecretsFileName = "secrets.txt";

    /// <summary>The folder, beside the stack file, of the images' recipes: <c>images/&lt;service&gt;/Dockerfile</c> and its context.</summary>
    public const string ImagesFolder = "images";

    /// <summary>The standalone dashboard's service, added when any service exports telemetry.</summary>
    public const string DashboardService = "dashboard";

    /// <summary>The dashboard's browser UI, published on the manager (the model's dashboard port in <c>dotnet run</c>).</summary>
    public const int DashboardPort = 18888;

    /// <summary>The dashboard's OTLP/gRPC port, reached only inside the stack.</summary>
    public const int DashboardOtlpGrpcPort = 18889;

    /// <summary>The dashboard's OTLP/HTTP port (nginx's exporter sends JSON), reached only inside the stack.</summary>
    public const int DashboardOtlpHttpPort = 18890;

    /// <summary>The secret holding the dashboard's key: its browser login token (<c>/login?t=&lt;key&gt;</c>) and its telemetry API's key.</summary>
    public const string DashboardKeySecret = "dashboard-key";

    /// <summary>The repository of the stack's images, unless the deploy sets <see cref="ImagePrefixVariable"/>: <c>&lt;repository&gt;/&lt;service&gt;:&lt;tag&gt;</c>.</summary>
    public const string ImageRepository = "foobar";

    /// <summary>The compose variable that names another repository for the images, such as a registry the other nodes pull from.</summary>
    public const string ImagePrefixVariable = "FOOBAR_IMAGE_PREFIX";

    /// <summary>The compose variable that holds the stack's name, which its external secrets' names begin with.</summary>
    public const string StackVariable = "FOOBAR_STACK";

    /// <summary>The compose variable that chooses the stack network's subnet, where two stacks share one swarm.</summary>
    public const string SubnetVariable = "FOOBAR_SUBNET";

    /// <summary>The stack network's subnet unless the deploy sets <see cref="SubnetVariable"/>: outside the range Swarm gives overlay networks from (10.0.0.0/8 counted up from 10.0.0.0/24).</summary>
    public const string DefaultSubnet = "10.250.0.0/24";

    /// <summary>The stack network's subnet as its services see it: a compose variable with <see cref="DefaultSubnet"/> as its default.</summary>
    public string NetworkSubnet => $"${{{SubnetVariable}:-{DefaultSubnet}}}";

    /// <summary>The image .NET programs are put on (the app, the dashboard): the same Debian as nginx's and MySQL's.</summary>
    public const string BaseImage = "debian:bookworm-slim";

    /// <summary>
    /// The node label that numbers a swarm's nodes, 1, 2, 3 … (scripts/swarm.sh sets it): a service pinned to one node
    /// names it, and a service of several replicas spreads them over its values.
    /// </summary>
    public const string NodeLabel = "foobar.node";

    /// <summary>
    /// The addresses visitors reach the stack at, which the stack's DNS gives as the zone's A records: each node that
    /// takes visitors, or the one floating address (<see cref="FloatingAddress"/>). Configuration <c>Swarm:SiteAddresses</c>
    /// (comma-separated, as the deploying script knows the nodes), 127.0.0.1 unless told: a single node on loopback.
    /// </summary>
    public IReadOnlyList<string> SiteAddresses => FloatingAddress is { } floating ? [floating.Address] : NodeAddresses;

    /// <summary>The nodes' addresses that take visitors (<c>Swarm:SiteAddresses</c>).</summary>
    public IReadOnlyList<string> NodeAddresses { get; set; } = ["127.0.0.1"];

    /// <summary>The site's one address that moves between the nodes' front doors, when the stack has one (<c>WithFloatingAddress</c>).</summary>
    public SwarmFloatingAddress? FloatingAddress { get; set; }

    /// <summary>
    /// The folder of the dashboard's program (the Aspire.Dashboard.Sdk package's, as the AppHost finds it in
    /// <c>dotnet run</c>); without one, the stack has no dashboard and its services send telemetry nowhere.
    /// </summary>
    public string? DashboardFolder { get; set; }

    /// <summary>
    /// The compose variable that holds those images' tag, set when the stack is deployed (the commit the images were
    /// built from), so that one stack file names exactly what each deploy runs.
    /// </summary>
    public const string ImageTagVariable = "FOOBAR_IMAGE_TAG";

    /// <summary>
    /// The Swarm DNS name of a service's endpoint: the service name, which with <c>endpoint_mode: dnsrr</c> resolves to
    /// its tasks' addresses. Instances of one project (<c>web-1</c> … <c>web-N</c>) are one service (<c>web</c>).
    /// </summary>
    /// <param name="endpointReference">The endpoint.</param>
    /// <returns>The service name as an expression.</returns>
    public ReferenceExpression GetHostAddressExpression(EndpointReference endpointReference) =>
        ReferenceExpression.Create($"{SwarmStackWriter.ServiceName(endpointReference.Resource)}");

    // publish-<name> writes the stack and the images' recipes (quick); publish-<name>-programs publishes each project
    // into its recipe (a minute or more). `--step publish` runs both.
    internal void AddPublishSteps() => Annotations.Add(new PipelineStepAnnotation(_ =>
    {
        var stack = new PipelineStep
        {
            Name = $"publish-{Name}",
            Description = $"Writes the Docker Swarm stack file for {Name} and its images' recipes.",
            Action = PublishStackAsync,
        };
        stack.RequiredBy(WellKnownPipelineSteps.Publish);
        var programs = new PipelineStep
        {
            Name = $"publish-{Name}-programs",
            Description = $"Publishes each project of {Name} into its image's recipe.",
            Action = PublishProgramsAsync,
        };
        programs.DependsOn(stack);
        programs.RequiredBy(WellKnownPipelineSteps.Publish);
        return new[] { stack, programs };
    }));

    private async Task PublishStackAsync(PipelineStepContext context)
    {
        var written = await new SwarmStackWriter(this, context.ExecutionContext).WriteAsync(context.Model, OutputDirectory(context), context.CancellationToken);
        context.Summary.Add("Swarm stack", written);
    }

    private async Task PublishProgramsAsync(PipelineStepContext context)
    {
        var images = new SwarmImageRecipes(Path.Combine(OutputDirectory(context), ImagesFolder));
        foreach (var project in SwarmStackWriter.ServiceResources(context.Model, this).OfType<ProjectResource>())
        {
            await images.PublishProgramAsync(project, SwarmStackWriter.ServiceName(project), context.CancellationToken);
        }
    }

    private static string OutputDirectory(PipelineStepContext context) =>
        context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
}
