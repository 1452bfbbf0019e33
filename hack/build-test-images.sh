#!/usr/bin/env bash
# Builds the images the tests and examples run, from Debian's static busybox: a rootfs
# with one symlink per applet, imported as skiff-test/busybox:1. No registry involved.
set -euo pipefail

IMAGE=${IMAGE:-skiff-test/busybox:1}
DOCKER=${DOCKER:-/usr/bin/docker}
command -v "$DOCKER" >/dev/null || DOCKER=docker

"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 && exit 0

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root,var,data}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
tar -C "$rootfs" -c . | "$DOCKER" import - "$IMAGE" >/dev/null
echo "build-test-images: built $IMAGE"
