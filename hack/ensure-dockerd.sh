#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock: starts it through systemd
# when systemd runs the machine, otherwise runs dockerd in the background itself.
set -euo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
command -v "$DOCKER" >/dev/null || DOCKER=docker
answers() { "$DOCKER" version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

answers && exit 0
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
    systemctl start docker
else
    echo "ensure-dockerd: starting dockerd (log: /var/log/dockerd.log)"
    # The daemon outlives this script: it must not inherit our other descriptors (a CI runner's pipe, a lock).
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
    done
    setsid nohup /usr/sbin/dockerd >>/var/log/dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
    answers && exit 0
    sleep 1
done
echo "ensure-dockerd: Docker did not answer within 60s; see /var/log/dockerd.log" >&2
exit 1
