#pragma warning disable ASPIREPIPELINES001 // Aspire's publishing pipeline is marked experimental; it is how `--operation publish` runs steps.
#pragma warning disable ASPIREPIPELINES004

using Aspire.Hosting.Pipelines;
using Aspire.Hosting.Swarm;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting.ApplicationModel;

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

    /// <summary>The repository of the images FooBar builds (projects and Dockerfiles): <c>&lt;repository&gt;/&lt;service&gt;:&lt;tag&gt;</c>.</summary>
    public string ImageRepository { get; set; } = "foobar";

    /// <summary>
    /// The compose variable that holds those images' tag, set when the stack is deployed (the commit the images were
    /// built from), so that one stack file names exactly what each deploy runs.
    /// </summary>
    public string ImageTagVariable { get; set; } = "FOOBAR_IMAGE_TAG";

    /// <summary>
    /// The Swarm DNS name of a service's endpoint: the service name, which with <c>endpoint_mode: dnsrr</c> resolves to
    /// its tasks' addresses. Instances of one project (<c>web-1</c> … <c>web-N</c>) are one service (<c>web</c>).
    /// </summary>
    /// <param name="endpointReference">The endpoint.</param>
    /// <returns>The service name as an expression.</returns>
    public ReferenceExpression GetHostAddressExpression(EndpointReference endpointReference) =>
        ReferenceExpression.Create($"{SwarmStackWriter.ServiceName(endpointReference.Resource)}");

    internal void AddPublishStep() => Annotations.Add(new PipelineStepAnnotation(_ =>
    {
        var publish = new PipelineStep
        {
            Name = $"publish-{Name}",
            Description = $"Writes the Docker Swarm stack file for {Name}.",
            Action = PublishAsync,
        };
        publish.RequiredBy(WellKnownPipelineSteps.Publish);
        return publish;
    }));

    private async Task PublishAsync(PipelineStepContext context)
    {
        var outputDirectory = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var written = await new SwarmStackWriter(this, context.ExecutionContext).WriteAsync(context.Model, outputDirectory, context.CancellationToken);
        context.Summary.Add("Swarm stack", written);
    }
}
