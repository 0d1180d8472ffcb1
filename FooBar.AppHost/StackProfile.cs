using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// How the stack runs, from configuration key <c>FooBar:Profile</c> (<c>scripts/run.sh --production</c> sets it):
/// <c>Development</c> (the default) traces every request and logs everything; <c>Production</c> runs the app in
/// its Production environment, traces a share of requests (<c>FooBar:TraceSampleRatio</c>, 0.01 by default: at full load the dashboard's ingestion is what the site would lose) and
/// keeps the logs to what matters.
/// </summary>
internal sealed record StackProfile(string Name, double TraceSampleRatio)
{
    public const string Development = "Development";
    public const string Production = "Production";

    public bool IsProduction => Name == Production;

    /// <summary>The OpenTelemetry sampler nginx and the app both read: parent-based, so a trace is whole or absent.</summary>
    public string Sampler => IsProduction ? "parentbased_traceidratio" : "parentbased_always_on";

    public static StackProfile From(IConfiguration configuration)
    {
        var name = configuration["FooBar:Profile"] ?? Development;
        if (name is not (Development or Production))
        {
            throw new InvalidOperationException($"FooBar:Profile is '{name}'; it must be {Development} or {Production}.");
        }

        var ratio = configuration.GetValue("FooBar:TraceSampleRatio", 0.01);
        if (ratio is < 0 or > 1)
        {
            throw new InvalidOperationException($"FooBar:TraceSampleRatio is {ratio}; it must be between 0 and 1.");
        }
        return new StackProfile(name, name == Production ? ratio : 1.0);
    }
}

internal static class StackProfileExtensions
{
    /// <summary>The app's environment, its log levels and its trace sampling.</summary>
    public static IResourceBuilder<ProjectResource> WithProfile(this IResourceBuilder<ProjectResource> builder, StackProfile profile)
    {
        builder.WithEnvironment("ASPNETCORE_ENVIRONMENT", profile.Name).WithTraceSampling(profile);
        return profile.IsProduction
            ? builder
                // Warnings and errors only: a line per request is what a development profile is for.
                .WithEnvironment("Logging__LogLevel__Default", "Warning")
                // Metrics every 10 s, not every second as Aspire sets for development: the dashboard's CPU is the site's too.
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "10000")
            : builder;
    }

    /// <summary>nginx's trace sampling, and its access log: every request, or (in production) sampled ones and errors.</summary>
    public static IResourceBuilder<T> WithProfile<T>(this IResourceBuilder<T> builder, StackProfile profile)
        where T : INginxResource =>
        builder.WithTraceSampling(profile).WithEnvironment("NGINX_ACCESS_LOG", profile.IsProduction ? "sampled" : "all");

    /// <summary>In development, Adminer for the server or cluster (<c>&lt;name&gt;-admin</c>), from FooBar's recipe; none in production.</summary>
    public static IResourceBuilder<T> WithAdminPage<T>(this IResourceBuilder<T> builder, StackProfile profile)
        where T : class, IMySqlServerResource =>
        profile.IsProduction ? builder : builder.WithAdminer(admin => admin.WithDockerfile("../images/adminer"));

    // The standard variables, which the .NET SDK and nginx's exporter (nginx/lua/otel.lua) both honour.
    private static IResourceBuilder<T> WithTraceSampling<T>(this IResourceBuilder<T> builder, StackProfile profile)
        where T : IResourceWithEnvironment =>
        builder
            .WithEnvironment("OTEL_TRACES_SAMPLER", profile.Sampler)
            .WithEnvironment("OTEL_TRACES_SAMPLER_ARG", profile.TraceSampleRatio.ToString(CultureInfo.InvariantCulture));
}
