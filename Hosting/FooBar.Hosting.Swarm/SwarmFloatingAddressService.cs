namespace FooBar.Hosting.Swarm;

/// <summary>
/// The floating address's service: keepalived on every node, in the node's own network namespace (the address goes
/// on the node's interface), with the capabilities VRRP needs; it holds the address only while the node's front door
/// answers its health check on the node's published site port.
/// </summary>
internal static class SwarmFloatingAddressService
{
    /// <summary>The service's name in the stack.</summary>
    public const string Name = "floating-address";

    // The stack's name for each node's own network namespace, Docker's network "host".
    private const string HostNetwork = "node-network";

    /// <summary>The service, and the stack's name for each node's own network, which it joins.</summary>
    public static SwarmService Service(SwarmStackWriter writer, SwarmStackFile stack, SwarmFloatingAddress floating, SwarmService frontDoor, string healthPath)
    {
        var service = writer.NewService(Name);
        service.Networks.Clear();
        service.Networks.Add(HostNetwork);
        stack.Networks[HostNetwork] = new SwarmNetwork { Driver = null, External = true, Name = "host" };
        service.Deploy.EndpointMode = null;
        // VRRP's adverts are raw IP packets; the address is added to and removed from the node's interface.
        service.CapAdd.AddRange(["NET_ADMIN", "NET_BROADCAST", "NET_RAW"]);
        service.Environment["FLOATING_ADDRESS"] = floating.Cidr;
        // The front door as this node publishes it (host mode): its port, as the deploy sets it.
        var published = frontDoor.Ports.FirstOrDefault()?.Published
            ?? throw new InvalidOperationException("The floating address's front door publishes no port.");
        service.Environment["FRONT_DOOR_HEALTH_URL"] = $"http://127.0.0.1:{published}{healthPath}";
        // Nothing to drain: a stopping keepalived gives the address up at once (priority 0), and another takes it.
        service.StopGracePeriod = "5s";
        SwarmDeployment.RunOnEveryNode(service);
        return service;
    }
}
