#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building and testing Skiff. Idempotent:
# it only calls apt-get when something is missing.
set -euo pipefail

missing=()
need() { # need PACKAGE TEST...
    local pkg=$1; shift
    "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }

need docker.io        test -x /usr/sbin/dockerd
need containerd       test -x /usr/bin/containerd      # interop tests drive its CRI plugin
need docker-registry  test -x /usr/bin/docker-registry # a loopback registry for real pulls
need busybox-static   is_static /bin/busybox
need gcc              command -v gcc
need libc6-dev        test -f /usr/lib/x86_64-linux-gnu/libc.a
need maven            command -v mvn
need default-jdk-headless command -v javac
need iproute2         command -v ip
need procps           command -v ps
need e2fsprogs        command -v mkfs.ext4             # persistent volumes: mkfs on loop devices
need util-linux       command -v blkid                 # blkid, losetup
need xfsprogs         command -v mkfs.xfs              # StorageClass/PV fsType: xfs
need systemd          command -v systemd-inhibit       # node shutdown: systemd-inhibit, busctl; the unit: systemd-analyze
need dbus-daemon      command -v dbus-daemon           # node shutdown IT: a private system bus
need python3-dbus     /usr/bin/python3 -c 'import dbus' # node shutdown IT: a fake logind on that bus
need python3-gi       /usr/bin/python3 -c 'from gi.repository import GLib' # ... and its main loop
need python3-grpcio   /usr/bin/python3 -c 'import grpc'  # CRI interop IT: an independent CRI client (crictl is not in Debian)
need python3-protobuf /usr/bin/python3 -c 'import google.protobuf' # ... its messages
need protobuf-compiler command -v protoc                # ... compiled from proto/ at test time
need kubernetes-client command -v kubectl           # streaming IT: a real Go client (Debian's is 1.20, SPDY only; a newer kubectl also speaks WebSocket v5)
need prometheus       command -v prometheus            # monitoring IT and bench: a real Prometheus scrapes the secure port

# inotify: dockerd spends one instance per followed container log (Skiff's log copiers), and every
# WatchService is one more; Debian's default of 128 per user runs out near 100 pods. Raised as
# Kubernetes node images do, only when lower.
raise_sysctl() { # raise_sysctl KEY MIN
    local now; now=$(sysctl -n "$1" 2>/dev/null || echo 0)
    if [ "$now" -lt "$2" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            sysctl -qw "$1=$2" && echo "install-host-deps: $1 $now -> $2"
        else
            echo "install-host-deps: $1 is $now; run as root to raise it to $2" >&2
        fi
    fi
}
raise_sysctl fs.inotify.max_user_instances 8192
raise_sysctl fs.inotify.max_user_watches 524288

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-host-deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install-host-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
