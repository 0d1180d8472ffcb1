#!/usr/bin/env bash
# Issues the site's TLS certificate from this machine's local certificate authority (mkcert's, made by
# scripts/setup.sh) where it is missing, does not chain to that authority, or expires within 30 days.
# One file holds the certificate and its key, replaced in one rename, so nginx never reads one without the other.
#
#   scripts/site-certificate.sh           issue where needed
#   scripts/site-certificate.sh --renew   issue a new one now (a running nginx takes it on its next reload)
#
#   FOOBAR_CA_ROOT   the authority's folder (/etc/foobar/ca); its key stays there, readable by root only
#   FOOBAR_TLS_DIR   the site certificate's folder (/etc/foobar/tls), which nginx mounts read-only
set -euo pipefail

ca_root=${FOOBAR_CA_ROOT:-/etc/foobar/ca}
tls_dir=${FOOBAR_TLS_DIR:-/etc/foobar/tls}
site_pem="$tls_dir/www.foobar.com.pem"
names=(www.foobar.com foobar.com localhost 127.0.0.1 ::1)
renew_within=$((30 * 24 * 3600))

log() { printf '[certificate] %s\n' "$*"; }

[ -f "$ca_root/rootCA.pem" ] || { log "no local authority in $ca_root: run scripts/setup.sh"; exit 1; }

if [ "${1:-}" != --renew ] && [ -f "$site_pem" ] \
  && openssl x509 -in "$site_pem" -noout -checkend "$renew_within" >/dev/null \
  && openssl verify -CAfile "$ca_root/rootCA.pem" "$site_pem" >/dev/null 2>&1; then
  log "$site_pem is valid until $(openssl x509 -in "$site_pem" -noout -enddate | cut -d= -f2)"
  exit 0
fi

install -d -m 0755 "$tls_dir"
work=$(mktemp -d "$tls_dir/.issuing.XXXXXX")
trap 'rm -rf "$work"' EXIT
# ECDSA P-256: the cheapest handshake of the key types every current client accepts.
CAROOT=$ca_root mkcert -ecdsa -cert-file "$work/cert.pem" -key-file "$work/key.pem" "${names[@]}" >"$work/mkcert.log" 2>&1 \
  || { cat "$work/mkcert.log"; exit 1; }
(umask 077; cat "$work/cert.pem" "$work/key.pem" >"$work/site.pem")
mv -f "$work/site.pem" "$site_pem"
log "issued $site_pem for ${names[*]}, valid until $(openssl x509 -in "$site_pem" -noout -enddate | cut -d= -f2)"
