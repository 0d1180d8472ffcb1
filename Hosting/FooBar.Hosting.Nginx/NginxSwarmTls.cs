using FooBar.Hosting.Swarm;

namespace FooBar.Hosting.Nginx;

/// <summary>
/// nginx's HTTPS in a Swarm stack: the site's certificate and key (one PEM file) as the stack's secret, which the deploy
/// makes from the file on its machine, so neither is in the stack file or an image; HTTPS published in host mode on
/// <see cref="HttpsPort"/> (<c>NGINX_HTTPS_PORT</c> chooses another), and HTTP answering with a 301 to that port.
/// </summary>
internal static class NginxSwarmTls
{
    /// <summary>The secret's short name; in the swarm <c>&lt;stack&gt;_site-certificate</c>.</summary>
    public const string SecretName = "site-certificate";

    /// <summary>The site's HTTPS port on each node unless the deploy says otherwise.</summary>
    public const int HttpsPort = 443;

    /// <summary>The compose variable of the published HTTPS port, which nginx's redirect from HTTP names too.</summary>
    public const string PortVariable = "NGINX_HTTPS_PORT";

    private const int ContainerPort = 443;

    /// <summary>Adds the certificate's secret, the HTTPS port and nginx's TLS settings to nginx's service.</summary>
    public static void Contribute(SwarmServiceContext context, string certificateFile)
    {
        var file = context.AddSecret(SecretName, certificateFile);
        context.PublishPort(PortVariable, HttpsPort, ContainerPort, "tcp");
        context.Service.Environment["NGINX_TLS_LISTEN"] = $"{ContainerPort}";
        context.Service.Environment["NGINX_TLS_CERTIFICATE"] = file;
        // The port visitors reach HTTPS on, as the deploy publishes it: the redirect's target.
        context.Service.Environment[PortVariable] = $"${{{PortVariable}:-{HttpsPort}}}";
    }
}
