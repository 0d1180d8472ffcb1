#!/bin/bash
# One node's VRRP instance for the site's floating address:
#   FLOATING_ADDRESS        the address and prefix length, on the nodes' own network (172.20.255.250/16)
#   FRONT_DOOR_HEALTH_URL   this node's front door as the node publishes it (http://127.0.0.1:8080/nginx/health)
#
# Every node starts as a backup with nopreempt: the first election goes to the highest priority (the node's own
# address on that network, so the last one added), and after that the address stays where it is until its holder
# or its front door fails; a node that comes back does not take it back (that would cut the connections on it).
# Adverts every 250 ms (VRRP v3): a holder that goes silent is replaced within about a second.
set -euo pipefail

address=${FLOATING_ADDRESS%/*}
# The interface that reaches the address's network, and this node's own address there.
route=$(ip -4 route get "$address")
interface=$(sed -n 's/.* dev \([^ ]*\).*/\1/p' <<<"$route")
if [ "$interface" = lo ]; then
  # A holder that stopped without giving it up left the address on its interface: take that one.
  interface=$(ip -o -4 addr show to "$address" | awk '{ print $2; exit }')
  ip addr del "$FLOATING_ADDRESS" dev "$interface"
  route=$(ip -4 route get "$address")
fi
own=$(sed -n 's/.* src \([0-9.]*\).*/\1/p' <<<"$route")
[ -n "$interface" ] && [ -n "$own" ] || { echo "no interface reaches $address: $route" >&2; exit 1; }
priority=$((100 + ${own##*.} % 150))
# One router id per address, so that two stacks on one network do not meet.
router_id=$(( ${address##*.} % 255 + 1 ))

cat >/etc/keepalived/keepalived.conf <<CONF
global_defs {
  vrrp_version 3
  enable_script_security
  script_user root
}
vrrp_script front_door {
  script "/usr/bin/curl --fail --silent --output /dev/null --max-time 2 $FRONT_DOOR_HEALTH_URL"
  interval 2
  timeout 3
  # Three misses in a row (6 s): a slow answer on a busy machine does not move the address.
  fall 3
  rise 2
}
vrrp_instance site {
  state BACKUP
  nopreempt
  interface $interface
  virtual_router_id $router_id
  priority $priority
  advert_int 0.25
  virtual_ipaddress {
    $FLOATING_ADDRESS dev $interface
  }
  track_script {
    front_door
  }
}
CONF
echo "floating address $FLOATING_ADDRESS on $interface (this node $own, priority $priority, router $router_id)"
exec keepalived --dont-fork --log-console --vrrp --no-syslog
