#!/bin/sh
# In a swarm an upstream names its servers by DNS (servers.dns.conf: `server tasks.web:8080 max_fails=5;`), and the
# tasks behind a name come and go. This writes servers.conf beside each such file, with a `server` line for every
# address the name resolves to; with --follow it does so again every second and reloads nginx when one changed.
# nginx 1.22 (Debian's) resolves an upstream's names only when it starts; `resolve` on a server is newer.
set -eu

# The AppHost says where the upstreams are (NginxBuilderExtensions.WithUpstream).
upstreams=${NGINX_UPSTREAMS:?NGINX_UPSTREAMS names the upstreams folder}

# write_servers DIR: writes DIR/servers.conf from DIR/servers.dns.conf; true when its content changed.
write_servers() {
    names="$1/servers.dns.conf" servers="$1/servers.conf"
    while read -r keyword address rest; do
        case "$keyword" in
            server) ;;
            *) continue ;;
        esac
        host=${address%:*} port=${address##*:}
        found=$(getent ahostsv4 "$host" | awk '{ print $1 }' | sort -u)
        if [ -z "$found" ]; then
            # nginx needs a server in every upstream: none alive answers visitors with the 502 page.
            echo "# $host has no address yet"
            echo "server 127.0.0.1:$port down;"
        fi
        for ip in $found; do
            echo "server $ip:$port $rest"
        done
    done <"$names" >"$servers.new"
    if cmp -s "$servers.new" "$servers"; then
        rm "$servers.new"
        return 1
    fi
    mv "$servers.new" "$servers"
    echo "[follow-upstreams] $(basename "$1"): $(awk '/^server/ { printf "%s%s ", $2, ($NF == "down;" ? " (down)" : "") }' "$servers")"
}

write_all() {
    changed=1
    for names in "$upstreams"/*/servers.dns.conf; do
        [ -f "$names" ] || continue
        if write_servers "$(dirname "$names")"; then changed=0; fi
    done
    return $changed
}

if [ "${1:-}" != --follow ]; then
    write_all || true
    exit 0
fi
while sleep 1; do
    if write_all; then nginx -s reload; fi
done
