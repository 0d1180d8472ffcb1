# Sourced by run.sh and test.sh after setup.sh: what the AppHost and the tests need in their environment.

# Aspire's orchestrator needs a Docker CLI of version 25 or later; Debian's docker.io puts a 20.10 one in /usr/bin.
export PATH="/usr/local/bin:$PATH"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# With official images, MySQL runs the AppHost's default image (MySqlContainerImageTags) instead of the local MariaDB one.
if [ "${FOOBAR_IMAGES:-local}" = official ]; then
  export ContainerImages__mysql=
fi

# The ASP.NET Core developer certificate, trusted by scripts/setup.sh, counts for OpenSSL (and for Aspire's check of it)
# only when SSL_CERT_DIR names its folder; the system's folder stays in the list.
export SSL_CERT_DIR="$HOME/.aspnet/dev-certs/trust:${SSL_CERT_DIR:-/usr/lib/ssl/certs}"
