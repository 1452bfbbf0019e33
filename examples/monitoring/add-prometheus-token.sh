#!/bin/sh
# Gives Prometheus a bearer token of its own for Skiff's secure port: a random token in
# DIR/prometheus.token (what prometheus.yml reads) and its line in DIR/tokens.csv (what
# skiff --token-auth-file reads): user "prometheus", uid 1001, group "monitoring".
# DIR defaults to /etc/skiff. Run it once; a second run keeps the token that is there.
set -eu
dir=${1:-/etc/skiff}
umask 077
mkdir -p "$dir"
if [ -s "$dir/prometheus.token" ]; then
    echo "add-prometheus-token: $dir/prometheus.token exists; keeping it"
    exit 0
fi
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$token" > "$dir/prometheus.token"
if [ -s "$dir/tokens.csv" ] && [ -n "$(tail -c 1 "$dir/tokens.csv")" ]; then
    echo >> "$dir/tokens.csv" # the last line had no newline: keep it a line of its own
fi
printf '%s,prometheus,1001,monitoring\n' "$token" >> "$dir/tokens.csv"
echo "add-prometheus-token: wrote $dir/prometheus.token and its line in $dir/tokens.csv"
