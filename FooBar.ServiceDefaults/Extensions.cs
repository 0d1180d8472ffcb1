using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every FooBar service gets, and only what FooBar uses: OpenTelemetry (logs, metrics, traces) exported over
/// OTLP when Aspire provides an endpoint, and health checks. The app calls no other service over HTTP, so there is
/// no service discovery or HTTP resilience; a service that does adds them back with the packages
/// Microsoft.Extensions.ServiceDiscovery and Microsoft.Extensions.Http.Resilience and, in <c>AddServiceDefaults</c>,
/// <c>builder.Services.AddServiceDiscovery()</c> and
/// <c>builder.Services.ConfigureHttpClientDefaults(http =&gt; { http.AddStandardResilienceHandler(); http.AddServiceDiscovery(); })</c>.
/// </summary>
public static class Extensions
{
    /// <summary>The readiness endpoint's path: every health check, dependencies included.</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>The liveness endpoint's path: the checks tagged "live" only.</summary>
    public const string AlivenessEndpointPath = "/alive";

    private const string LiveTag = "live";

    /// <summary>Adds OpenTelemetry and the default health checks.</summary>
    /// <typeparam name="TBuilder">The application builder's type.</typeparam>
    /// <param name="builder">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>
    /// Logs, metrics and traces of ASP.NET Core, outgoing HTTP and the runtime, and of the app's own
    /// <c>ActivitySource</c> (named after the application), exported over OTLP when Aspire sets an endpoint.
    /// </summary>
    /// <typeparam name="TBuilder">The application builder's type.</typeparam>
    /// <param name="builder">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes from the orchestrator would drown the traces people come to read.
                    options.Filter = context => !IsHealthProbe(context.Request.Path))
                .AddHttpClientInstrumentation());

        // Aspire sets OTEL_EXPORTER_OTLP_ENDPOINT to the dashboard; without it nothing is exported.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Adds the "progress" check, tagged "live": the process answers and its requests complete
    /// (<see cref="ProgressHeartbeat"/>, which also counts every request and touches the heartbeat file).
    /// </summary>
    /// <typeparam name="TBuilder">The application builder's type.</typeparam>
    /// <param name="builder">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<ProgressHeartbeat>();
        builder.Services.AddTransient<IStartupFilter, ProgressHeartbeat.StartupFilter>();
        builder.Services.AddHealthChecks()
            .AddCheck<ProgressHeartbeat.Check>("progress", tags: [LiveTag]);

        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready to serve (every check, dependencies included); <c>/alive</c>: the process
    /// itself is live. Both answer only on the app's own endpoint; nginx does not forward them.
    /// </summary>
    /// <param name="app">The web application.</param>
    /// <returns>The web application.</returns>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Never shed by admission control: a probe that waited behind a full queue would take a busy process for a dead one.
        app.MapHealthChecks(HealthEndpointPath).DisableRateLimiting();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag)
        }).DisableRateLimiting();

        return app;
    }

    internal static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath);
}
