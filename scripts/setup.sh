#!/usr/bin/env bash
# Prepares this machine to run FooBar: a Docker engine, a firewall rule that keeps
# containers from other machines, TCP request migration (net.ipv4.tcp_migrate_req=1, for the
# front doors), the base images, the Aspire tunnel's build prerequisites, and a local certificate authority
# with the site's certificate and a trusted ASP.NET Core developer certificate. Idempotent: each
# step runs only where the real thing is missing, and says what it did and how long it took.
#
#   FOOBAR_IMAGES=local     (default) build base and MySQL-compatible images from Debian packages
#   FOOBAR_IMAGES=official  pull the base images from their registries; the AppHost's official MySQL
#                           image (MySqlContainerImageTags) is pulled by Aspire when it first starts it
#
#   --tests                 also install what the tests need (scripts/test.sh): Chromium, which the
#                           browser tests drive, LuaJIT, which runs the nginx exporter's unit tests, and
#                           testssl.sh, the TLS scanner
#   --bench                 also install wrk, the load generator of scripts/bench.sh, and dnspython, with which it
#                           finds the site through the stack's DNS, and build its LEMP peer's image
#   --limits                also install wrk and dnspython and restore the Aspire CLI (scripts/limits.sh)
set -euo pipefail

# Aspire's orchestrator refuses Docker CLIs older than 25; Debian's docker.io adds
# a 20.10 client at /usr/bin/docker, so the newer one in /usr/local/bin goes first.
export PATH="/usr/local/bin:$PATH"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
images=${FOOBAR_IMAGES:-local}
base_image=debian:bookworm-slim
tunnel_base_image=mcr.microsoft.com/azurelinux/base/core:3.0
# The image the AppHost runs in MySQL's place is named once, as ContainerImages:mysql in its configuration.
appsettings="$repo/FooBar.AppHost/appsettings.json"
mysql_local_image=$(jq -r '.ContainerImages.mysql // empty' "$appsettings")
dockerd_log=/var/log/foobar-dockerd.log
# Ports published to loopback are forwarded by the kernel (NAT), not by a docker-proxy process per port.
dockerd_config='{ "userland-proxy": false }'
# The local certificate authority (its key included) and the site's certificate, both outside the repository.
ca_root=/etc/foobar/ca
tls_dir=/etc/foobar/tls


log() { printf '[setup] %s\n' "$*"; }

# step NAME FUNCTION: runs FUNCTION, timing it; FUNCTION prints why it skipped, if it did.
step() {
  local name=$1 started=$SECONDS
  log "$name ..."
  "$2"
  log "$name: done in $((SECONDS - started)) s"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# Runs only when something is missing, so the package lists are always refreshed first.
apt_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

docker_engine() {
  if docker info >/dev/null 2>&1; then log "  engine already answers"; return; fi
  [ "$(id -u)" = 0 ] || { log "  no Docker engine answers and this is not root: start Docker, then run again"; exit 1; }
  if ! command -v dockerd >/dev/null; then
    log "  installing Debian's docker.io"
    apt_install docker.io
  fi
  log "  starting dockerd without the userland proxy (log: $dockerd_log)"
  mkdir -p /etc/foobar
  echo "$dockerd_config" >/etc/foobar/dockerd.json
  nohup dockerd --config-file /etc/foobar/dockerd.json >"$dockerd_log" 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  log "  dockerd did not answer within 60 s; its log ends with:"; tail -20 "$dockerd_log"; exit 1
}

# Docker accepts traffic forwarded to a container's address from any interface, and IP forwarding is on:
# a machine that routes a bridge's subnet through this one would reach MySQL's 3306 (or anything else a
# container listens on) directly, and a packet addressed to 127.0.0.1 would reach a port published there.
# DOCKER-USER, which Docker evaluates first and leaves alone, drops new connections into a bridge from an
# interface that is not a bridge, except those the engine DNAT'd from an address other than loopback: a
# port published for other machines on purpose. This host's own connections (OUTPUT) are not forwarded.
# IPv4 only: the engine here runs without IPv6.
isolation_rules=(
  "-o br-+ ! -i br-+ -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT"
  "-o br-+ ! -i br-+ -m conntrack --ctstate NEW --ctorigdst 127.0.0.0/8"
  "-o docker0 ! -i docker0 -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT"
  "-o docker0 ! -i docker0 -m conntrack --ctstate NEW --ctorigdst 127.0.0.0/8"
)
isolation_comment="foobar: containers are reached from other machines only through ports published to them"

container_isolation() {
  if [ "$(id -u)" != 0 ]; then log "  skipped: only root may read and change the firewall; run setup as root once"; return; fi
  if ! command -v iptables >/dev/null; then log "  skipped: no iptables here, so Docker installed no forwarding rules either"; return; fi
  if ! iptables -S DOCKER-USER >/dev/null 2>&1; then
    log "  skipped: no DOCKER-USER chain, so this engine does not manage iptables and there is no chain it would evaluate first"; return
  fi
  local rule i added=0
  # At the top, ahead of DOCKER-USER's final RETURN; in reverse, so that a fresh chain lists them as written.
  for ((i = ${#isolation_rules[@]} - 1; i >= 0; i--)); do
    read -ra rule <<<"${isolation_rules[i]}"
    if ! iptables -C DOCKER-USER "${rule[@]}" -m comment --comment "$isolation_comment" -j DROP 2>/dev/null; then
      iptables -I DOCKER-USER "${rule[@]}" -m comment --comment "$isolation_comment" -j DROP
      added=$((added + 1))
    fi
  done
  if [ "$added" = 0 ]; then log "  DOCKER-USER already drops connections from other machines into containers"; return; fi
  log "  added $added rule(s) to DOCKER-USER (a machine setting, until reboot; setup adds them again):"
  iptables -S DOCKER-USER | sed 's/^/[setup]    /'
}

# High availability's front doors share the site's address (reuseport); when one stops, the connections the kernel had
# queued on its listener move to another instead of being reset. Kernel 5.14 and later; off by default.
tcp_request_migration() {
  local key=net.ipv4.tcp_migrate_req current
  if ! current=$(sysctl -n "$key" 2>/dev/null); then log "  skipped: this kernel ($(uname -r)) has no $key"; return; fi
  if [ "$current" = 1 ]; then log "  $key is already 1"; return; fi
  if [ "$(id -u)" != 0 ]; then log "  skipped: only root may set $key; run setup as root once"; return; fi
  sysctl -q -w "$key=1"
  log "  set $key=1 (was $current; a machine setting, until reboot; setup sets it again)"
}

# The mirror this machine's apt already uses, so nothing about registries is written down here.
debian_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null \
    | awk '$2 == "bookworm" { print $1; exit }'
}

base() {
  if have_image "$base_image"; then log "  $base_image already present"; return; fi
  if [ "$images" = official ]; then docker pull "$base_image"; return; fi
  command -v debootstrap >/dev/null || { log "  installing debootstrap"; apt_install debootstrap; }
  local mirror rootfs
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { apt-get update -qq; mirror=$(debian_mirror); }
  [ -n "$mirror" ] || { log "  no bookworm source in this machine's apt configuration"; exit 1; }
  rootfs=$(mktemp -d)
  log "  debootstrap --variant=minbase bookworm (stand-in for $base_image)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log"; exit 1; }
  # Inside the image apt uses the same sources and the same validity rules as this machine.
  rm -f "$rootfs"/etc/apt/sources.list
  cp /etc/apt/sources.list.d/*.sources "$rootfs"/etc/apt/sources.list.d/ 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$rootfs"/etc/apt/
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' \
    >"$rootfs"/etc/apt/apt.conf.d/90machine || true
  # As in Debian's official images: packages installed during a build never start services.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs"/usr/sbin/policy-rc.d
  chmod +x "$rootfs"/usr/sbin/policy-rc.d
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description="FooBar local stand-in: Debian bookworm minbase"' \
    - "$base_image" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

# A recipe's files and the base image it starts from: when neither changed, the image is not rebuilt.
recipe_hash() {
  { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); image_id "$base_image"; } | sha256sum | cut -c1-16
}

# build_recipe DIR IMAGE: builds IMAGE from the recipe in DIR unless IMAGE was built from this very recipe.
build_recipe() {
  local hash; hash=$(recipe_hash "$1")
  if [ "$(docker image inspect -f '{{index .Config.Labels "foobar.recipe"}}' "$2" 2>/dev/null)" = "$hash" ]; then
    log "  $2 is up to date with ${1#"$repo"/}"; return
  fi
  log "  building $2 from ${1#"$repo"/}"
  docker build -q --label "foobar.recipe=$hash" -t "$2" "$1" >/dev/null || { log "  building $2 failed"; exit 1; }
}

# Aspire 13.6 builds its container tunnel from this base with `docker buildx build --progress ...`.
tunnel_prerequisites() {
  if docker buildx version >/dev/null 2>&1; then
    log "  docker buildx already answers"
  else
    log "  installing the docker-buildx shim (BuildKit through the engine's own client)"
    install -D -m 0755 "$repo/scripts/docker-buildx-shim" /usr/local/lib/docker/cli-plugins/docker-buildx
    docker buildx version >/dev/null
  fi
  if [ "$images" = official ]; then
    have_image "$tunnel_base_image" && log "  $tunnel_base_image already present" || docker pull "$tunnel_base_image"
    return
  fi
  local before; before=$(image_id "$tunnel_base_image")
  build_recipe "$repo/images/tunnel-base" "$tunnel_base_image"
  if [ -n "$before" ] && [ "$before" != "$(image_id "$tunnel_base_image")" ]; then
    log "  removing tunnel images built on the previous base (Aspire would reuse them as they are)"
    docker images -q --filter 'reference=dcptun_*' | sort -u | xargs -r docker rmi -f >/dev/null
  fi
}

# The site's HTTPS: a certificate authority of this machine's own (mkcert's), trusted by the system's store and by
# Chromium's NSS database ($HOME/.pki/nssdb, which every Chromium profile of this user reads), and the site's
# certificate issued from it. The authority's key stays in $ca_root (root only): never in the repository or an image.
local_certificate_authority() {
  if [ "$(id -u)" != 0 ]; then log "  skipped: only root may trust an authority machine-wide; run setup as root once"; return; fi
  if ! command -v mkcert >/dev/null || ! command -v certutil >/dev/null; then
    log "  installing Debian's mkcert and libnss3-tools"
    apt_install mkcert libnss3-tools
  fi
  local nssdb="$HOME/.pki/nssdb"
  if [ ! -f "$nssdb/cert9.db" ]; then
    log "  creating Chromium's NSS database $nssdb"
    mkdir -p "$nssdb"
    certutil -d "sql:$nssdb" -N --empty-password
  fi
  install -d -m 0700 "$ca_root"
  if [ -f "$ca_root/rootCA.pem" ] && trusts_local_authority "$nssdb"; then
    log "  the local authority ($ca_root) is trusted by the system and by Chromium"
  else
    log "  mkcert -install (CAROOT=$ca_root): makes the authority where missing and trusts it"
    CAROOT=$ca_root mkcert -install 2>&1 | sed 's/^/[setup]    /'
  fi
  FOOBAR_CA_ROOT=$ca_root FOOBAR_TLS_DIR=$tls_dir "$repo/scripts/site-certificate.sh" | sed 's/^/[setup]   /'
}

# The authority is in the system's bundle and in the NSS database.
trusts_local_authority() {
  openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt "$ca_root/rootCA.pem" >/dev/null 2>&1 \
    && certutil -d "sql:$1" -L 2>/dev/null | grep -q "mkcert development CA"
}

# Aspire's orchestrator (DCP) serves its API with the ASP.NET Core developer certificate when it is trusted, instead
# of making a 4,096-bit RSA key at every start, and the dashboard drops its "No trusted development certificate"
# banner. On Linux `--trust` trusts it in .NET's own store, in Chromium's NSS database and in an OpenSSL folder
# that counts only when SSL_CERT_DIR lists it (scripts/environment.sh does).
developer_certificate() {
  local trust_dir="$HOME/.aspnet/dev-certs/trust"
  if SSL_CERT_DIR="$trust_dir:/usr/lib/ssl/certs" dotnet dev-certs https --check --trust >/dev/null 2>&1; then
    log "  a trusted developer certificate is present"; return
  fi
  log "  dotnet dev-certs https --trust"
  # It reports partial trust here (OpenSSL's folder counts only once SSL_CERT_DIR names it); the check below decides.
  dotnet dev-certs https --trust >/dev/null 2>&1 || true
  SSL_CERT_DIR="$trust_dir:/usr/lib/ssl/certs" dotnet dev-certs https --check --trust >/dev/null \
    || { log "  the developer certificate is still not trusted: see 'dotnet dev-certs https --check --trust --verbose'"; exit 1; }
}

mysql_image() {
  if [ "$images" = official ]; then log "  skipped: Aspire pulls the official image when it first starts MySQL"; return; fi
  [ -n "$mysql_local_image" ] || { log "  no ContainerImages:mysql in ${appsettings#"$repo"/}"; exit 1; }
  build_recipe "$repo/images/mysql-compatible" "$mysql_local_image"
}

# The browser tests drive Debian's Chromium; Playwright's own browser download needs hosts this
# machine cannot reach.
chromium() {
  if [ -x /usr/bin/chromium ]; then
    log "  $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
  else
    log "  installing Debian's chromium package (about a minute)"
    apt_install chromium
  fi
}

# The nginx exporter's unit tests (nginx/lua/test/run.lua) run on the host under Debian's LuaJIT.
lua_runner() {
  if command -v luajit >/dev/null; then
    log "  $(luajit -v 2>/dev/null | cut -d' ' -f1-2) already installed"
  else
    log "  installing Debian's luajit package"
    apt_install luajit
  fi
}

# The exporters whose figures the AppHost carries to the dashboard (WithMetricsExporter): Debian's packages, run by the
# AppHost on loopback, not as the services their packages would start.
metrics_exporters() {
  local exporter
  for exporter in prometheus-mysqld-exporter prometheus-nginx-exporter; do
    if command -v "$exporter" >/dev/null; then
      log "  $exporter $(dpkg-query -W -f '${Version}' "$exporter" 2>/dev/null) already installed"
    else
      log "  installing Debian's $exporter"
      apt_install "$exporter"
      # Not the package's own service on every address: the AppHost runs one exporter per server or door, on loopback.
      if [ -d /run/systemd/system ]; then systemctl disable --now "$exporter" >/dev/null 2>&1 || true; fi
    fi
  done
}

# The TLS scanner TlsTests runs against the site.
tls_scanner() {
  if command -v testssl >/dev/null; then log "  testssl $(dpkg-query -W -f '${Version}' testssl.sh 2>/dev/null) already installed"
  else log "  installing Debian's testssl.sh"; apt_install testssl.sh; fi
}

# The load generator of scripts/bench.sh and scripts/limits.sh, and the DNS library with which they find the site
# through the stack's DNS (scripts/lib/stack_dns.py).
load_tool() {
  if command -v wrk >/dev/null; then log "  wrk already installed"; else log "  installing Debian's wrk"; apt_install wrk; fi
  if dpkg -s python3-dnspython >/dev/null 2>&1; then
    log "  python3-dnspython already installed"
  else
    log "  installing Debian's python3-dnspython"
    apt_install python3-dnspython
  fi
}

# The bench's LEMP peer (nginx, PHP-FPM and PHP's MySQL driver from Debian), built on the same base image.
lemp_peer_image() {
  build_recipe "$repo/scripts/bench/lemp" foobar/bench-lemp:latest
}

# The Aspire CLI, with which scripts/limits.sh stops, starts and restarts the stack's resources: the repository's
# local tool (.config/dotnet-tools.json), restored from NuGet.
aspire_cli() {
  local version
  if version=$(cd "$repo" && dotnet tool run aspire -- --version 2>/dev/null); then
    log "  aspire ${version%%+*} already restored"
  else
    log "  dotnet tool restore (Aspire.Cli, as .config/dotnet-tools.json names it)"
    (cd "$repo" && dotnet tool restore >/dev/null)
  fi
}

step "Docker engine" docker_engine
step "Container isolation" container_isolation
step "TCP request migration (front doors)" tcp_request_migration
step "Base image" base
step "Aspire tunnel prerequisites" tunnel_prerequisites
step "MySQL image" mysql_image
step "Local certificate authority and the site's certificate" local_certificate_authority
step "Developer certificate (Aspire)" developer_certificate
step "Metrics exporters (MySQL, nginx)" metrics_exporters
for option in "$@"; do
  case "$option" in
    --tests)
      step "Chromium (browser tests)" chromium
      step "LuaJIT (nginx exporter tests)" lua_runner
      step "testssl.sh (TLS tests)" tls_scanner
      ;;
    --bench)
      step "wrk and dnspython (benchmark)" load_tool
      step "LEMP peer image (benchmark)" lemp_peer_image
      ;;
    --limits)
      step "wrk and dnspython (limits)" load_tool
      step "Aspire CLI (limits)" aspire_cli
      ;;
    *) log "unknown option $option"; exit 1 ;;
  esac
done
