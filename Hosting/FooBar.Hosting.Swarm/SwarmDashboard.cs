namespace FooBar.Hosting.Swarm;

/// <summary>
/// The stack's standalone Aspire dashboard: its UI on a published port behind its key (a Docker secret), its OTLP
/// ports reached only inside the stack, and where each service that exports telemetry sends it.
/// </summary>
internal static class SwarmDashboard
{
    /// <summary>The dashboard's service, its key a secret from <paramref name="values"/>.</summary>
    public static SwarmService Service(SwarmStackWriter writer, SwarmValues values)
    {
        var name = SwarmEnvironmentResource.DashboardService;
        var service = writer.NewService(name);
        SwarmDeployment.Publish(service, $"{name}_PORT", SwarmEnvironmentResource.DashboardPort, SwarmEnvironmentResource.DashboardPort, "tcp");
        service.Environment["ASPNETCORE_URLS"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardPort}";
        service.Environment["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardOtlpGrpcPort}";
        service.Environment["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardOtlpHttpPort}";
        // Only the stack's own services reach the OTLP ports (they are not published).
        service.Environment["Dashboard__Otlp__AuthMode"] = "Unsecured";
        service.Environment["Dashboard__Frontend__AuthMode"] = "BrowserToken";
        // env-from-files, the image's entrypoint, turns these into the settings themselves: one key logs a browser in
        // and opens the telemetry API (/api/telemetry/…, with the X-API-Key header).
        var key = values.Secret(service, SwarmEnvironmentResource.DashboardKeySecret);
        service.Environment["Dashboard__Frontend__BrowserToken_FILE"] = key;
        service.Environment["Dashboard__Api__AuthMode"] = "ApiKey";
        service.Environment["Dashboard__Api__PrimaryApiKey_FILE"] = key;
        // Its start-up banner would write the login link, token and all, to the service's log.
        service.Environment["Logging__LogLevel__Aspire.Dashboard.DashboardWebApplication"] = "Warning";
        service.Healthcheck = new SwarmHealthcheck { Test = SwarmDeployment.CurlCheck(SwarmEnvironmentResource.DashboardPort, "/health") };
        SwarmDeployment.PlaceAndUpdate(service);
        return service;
    }

    /// <summary>
    /// One name for all of a service's tasks in the traces, sent to the stack's dashboard over its overlay network
    /// (only the name when the stack has no dashboard).
    /// </summary>
    public static void SendTelemetry(IResource resource, SwarmService service, bool hasDashboard)
    {
        if (resource.Annotations.OfType<OtlpExporterAnnotation>().FirstOrDefault() is not { } otlp)
        {
            return;
        }
        service.Environment["OTEL_SERVICE_NAME"] = SwarmStackWriter.ServiceName(resource);
        if (hasDashboard)
        {
            var (port, protocol) = otlp.RequiredProtocol switch
            {
                OtlpProtocol.HttpJson => (SwarmEnvironmentResource.DashboardOtlpHttpPort, "http/json"),
                OtlpProtocol.HttpProtobuf => (SwarmEnvironmentResource.DashboardOtlpHttpPort, "http/protobuf"),
                _ => (SwarmEnvironmentResource.DashboardOtlpGrpcPort, "grpc"),
            };
            service.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://{SwarmEnvironmentResource.DashboardService}:{port}";
            service.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
        }
    }
}
