#!/bin/sh
# Renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ (as the official image does),
# substituting only variables that are set, so nginx's own $variables survive; then starts nginx.
# Upstreams whose servers are named by DNS (in a swarm) are resolved first and then followed.
set -eu

# Which front door this is, sent to the app (X-Front-Door): its telemetry name where it has one, else the container's.
export NGINX_FRONT_DOOR="${NGINX_FRONT_DOOR:-${OTEL_SERVICE_NAME:-$(hostname)}}"

template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}

# The site's HTTPS port as visitors reach it, for the redirect from HTTP (none: the site is served over HTTP).
export NGINX_HTTPS_PORT="${NGINX_HTTPS_PORT:-}"

# Per-client limits (templates/default.conf.template): connections at once, requests a second to the app, and the
# burst above that rate; whole numbers above 0. 32 requests at once keep one address from filling the app instances' queues (a
# benchmark from one address sets its own: scripts/lib/stack.py UNLIMITED_CLIENT).
export NGINX_CLIENT_CONNECTIONS="${NGINX_CLIENT_CONNECTIONS:-32}"
export NGINX_CLIENT_RATE="${NGINX_CLIENT_RATE:-1000}"
export NGINX_CLIENT_BURST="${NGINX_CLIENT_BURST:-2000}"
for limit in NGINX_CLIENT_CONNECTIONS NGINX_CLIENT_RATE NGINX_CLIENT_BURST; do
    value=$(eval "echo \"\$$limit\"")
    case "$value" in
        '' | *[!0-9]* | 0 | 0*) echo "[entrypoint] $limit is '$value'; it must be a whole number above 0" >&2; exit 1 ;;
    esac
done

if [ "${1:-}" = nginx ] && [ -d "$template_dir" ]; then
    defined=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
    mkdir -p "$output_dir"
    for template in "$template_dir"/*"$suffix"; do
        [ -f "$template" ] || continue
        output="$output_dir/$(basename "$template" "$suffix")"
        echo "[entrypoint] rendering $template to $output"
        envsubst "$defined" <"$template" >"$output"
    done
    # The site's addresses (NGINX_LISTEN: comma-separated `listen` parameters, 80 by default). An address's options
    # (reuseport) may appear on one `listen` only, so they go on the default server's and the other servers get the address.
    mkdir -p /etc/nginx/listen
    echo "${NGINX_LISTEN:-80}" | tr ',' '\n' | sed 's/^ *//; s/ *$//; /^$/d' >/etc/nginx/listen/addresses
    sed 's/.*/listen & default_server;/' /etc/nginx/listen/addresses >/etc/nginx/listen/default-server.conf
    sed 's/ .*//; s/.*/listen &;/' /etc/nginx/listen/addresses >/etc/nginx/listen/server.conf
    # HTTPS (NGINX_TLS_LISTEN: addresses as above; NGINX_TLS_CERTIFICATE: one PEM file with the certificate and its key),
    # beside HTTP, on every server; the TLS settings are snippets/tls.conf. Neither set: no HTTPS.
    : >/etc/nginx/listen/tls.conf
    if [ -n "${NGINX_TLS_LISTEN:-}" ]; then
        echo "$NGINX_TLS_LISTEN" | tr ',' '\n' | sed 's/^ *//; s/ *$//; /^$/d' >/etc/nginx/listen/tls-addresses
        sed 's/.*/listen & ssl http2 default_server;/' /etc/nginx/listen/tls-addresses >>/etc/nginx/listen/default-server.conf
        sed 's/ .*//; s/.*/listen & ssl http2;/' /etc/nginx/listen/tls-addresses >>/etc/nginx/listen/server.conf
        printf 'ssl_certificate %s;\nssl_certificate_key %s;\ninclude snippets/tls.conf;\n' \
            "$NGINX_TLS_CERTIFICATE" "$NGINX_TLS_CERTIFICATE" >/etc/nginx/listen/tls.conf
    fi
    # nginx's figures (NGINX_STATUS_LISTEN: one loopback address and port), for the AppHost's exporter; unset: none.
    case "${NGINX_STATUS_LISTEN:-}" in
        '') ;;
        127.0.0.1:[0-9]*) envsubst '$NGINX_STATUS_LISTEN' </etc/nginx/status.conf.template >"$output_dir/status.conf" ;;
        *) echo "[entrypoint] NGINX_STATUS_LISTEN is '$NGINX_STATUS_LISTEN'; it must be 127.0.0.1:<port>" >&2; exit 1 ;;
    esac
fi

if [ "${1:-}" = nginx ] && [ -n "${NGINX_UPSTREAMS:-}" ] && ls "$NGINX_UPSTREAMS"/*/servers.dns.conf >/dev/null 2>&1; then
    follow-upstreams
    follow-upstreams --follow &
fi

exec "$@"
