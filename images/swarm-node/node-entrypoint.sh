#!/usr/bin/env bash
# Starts one swarm node's Docker engine. The manager names images 127.0.0.1:5000/...; the same name
# must work here, so this node's loopback port 5000 is forwarded to the registry container.
#
#   FOOBAR_REGISTRY        host:port of the registry on the nodes' network (default foobar-swarm-registry:5000)
#   FOOBAR_STORAGE_DRIVER  the engine's storage driver (default overlay2; vfs works anywhere, slowly)
set -euo pipefail

registry=${FOOBAR_REGISTRY:-foobar-swarm-registry:5000}
storage_driver=${FOOBAR_STORAGE_DRIVER:-overlay2}

# What --privileged would give, which the host's engine cannot grant (it lacks CAP_SYS_RESOURCE, so
# runc fails to apply "all" capabilities): a writable /sys and this container's own cgroups, where
# this node's engine makes the cgroups of its containers.
mount -o remount,rw /sys
for controller in /sys/fs/cgroup/*/; do
  mount -o remount,bind,rw "$controller"
done

# A node revived after a kill (its power cut) finds its engine's pid files, which would stop the engine from starting.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid

# 127.0.0.0/8 is an insecure (plain HTTP) registry for every engine by default, so no engine needs configuring.
socat TCP-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr "TCP:$registry" &

exec dockerd --host unix:///var/run/docker.sock --storage-driver "$storage_driver" "$@"
