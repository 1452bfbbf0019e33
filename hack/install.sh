#!/usr/bin/env bash
# Installs Skiff as a systemd service, or removes it: `install.sh install|uninstall`, with
# DESTDIR (stage into another root, e.g. a package build) and PREFIX (default /usr).
#
#   $PREFIX/lib/skiff/skiff.jar        the kubelet (built by `make build`)
#   $PREFIX/lib/skiff/lib/*.jar        the jars its manifest's Class-Path names
#   $PREFIX/bin/skiff                  the launcher
#   $PREFIX/lib/skiff/skiff.jsa*       not installed: the class data archive the launcher has the first kubelet run
#                                      write (AppCDS); removed at install (it belongs to the previous jar) and uninstall
#   /etc/systemd/system/skiff.service  the unit
#   /etc/skiff/config.yaml             commented default KubeletConfiguration  } conffiles: an edited one is
#   /etc/skiff/skiff.env               SKIFF_ARGS, SKIFF_JAVA_OPTS             } kept, as dpkg keeps its conffiles
#   /etc/kubernetes/manifests/         where static pods go (created; its contents are never touched)
#
# Uninstall removes those files and nothing else: pods keep running (their containers belong to
# dockerd), and /var/lib/kubelet, /var/log/pods and the manifests stay.
set -euo pipefail

ACTION=${1:-}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case "$PREFIX" in
    /*) PREFIX=${PREFIX%/} ;;
    *) echo "install.sh: PREFIX must be an absolute path, not '$PREFIX'" >&2; exit 2 ;;
esac
case "$DESTDIR" in
    ''|/*) DESTDIR=${DESTDIR%/} ;;
    *) echo "install.sh: DESTDIR must be an absolute path, not '$DESTDIR'" >&2; exit 2 ;;
esac

JAR_SRC=$REPO/kubelet-core/target/skiff.jar
DEPS_SRC=$REPO/kubelet-core/target/lib
LIB_DIR=$DESTDIR$PREFIX/lib/skiff
JAR=$LIB_DIR/skiff.jar
DEPS=$LIB_DIR/lib
BIN=$DESTDIR$PREFIX/bin/skiff
UNIT_DIR=$DESTDIR/etc/systemd/system
UNIT=$UNIT_DIR/skiff.service
ETC=$DESTDIR/etc/skiff
CONFIG=$ETC/config.yaml
ENV_FILE=$ETC/skiff.env
MANIFESTS=$DESTDIR/etc/kubernetes/manifests
# sha256 of each conffile as installed: tells an unedited default (replaced, removed) from an edit (kept)
SUMS=$LIB_DIR/conffiles.sha256

say() { echo "skiff $ACTION: $*"; }

# systemctl only for the real root of a machine systemd runs (sd_booted's test)
systemd_manages_this_root() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; }

sum_of() { sha256sum "$1" | cut -d' ' -f1; }

# the checksum recorded for conffile $1 (its path without DESTDIR) at the last install, or ""
recorded_sum() {
    [ -f "$SUMS" ] || return 0
    awk -v f="$1" '$2 == f { print $1 }' "$SUMS"
}

record_sum() {
    local file=$1 sum=$2 tmp
    tmp=$(mktemp "$LIB_DIR/.conffiles.XXXXXX")
    if [ -f "$SUMS" ]; then
        awk -v f="$file" '$2 != f' "$SUMS" >"$tmp"
    fi
    echo "$sum $file" >>"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$SUMS"
}

# put SRC DST MODE: a new file beside the old one, then a rename (a running JVM keeps its open jar)
put() {
    local src=$1 dst=$2 mode=$3 tmp
    install -d -m 0755 "$(dirname "$dst")"
    tmp=$(mktemp "$(dirname "$dst")/.$(basename "$dst").XXXXXX")
    install -m "$mode" "$src" "$tmp"
    mv -f "$tmp" "$dst"
}

# install_conffile SRC DST: dpkg's rules. Absent, or the unedited previous default: (re)placed.
# Edited: kept, and the new default written beside it as DST.default.
install_conffile() {
    local src=$1 dst=$2 name=${2#"$DESTDIR"} new old
    new=$(sum_of "$src")
    if [ ! -e "$dst" ]; then
        put "$src" "$dst" 0644
        record_sum "$name" "$new"
        say "installed $dst"
        return
    fi
    old=$(sum_of "$dst")
    if [ "$old" = "$new" ]; then
        record_sum "$name" "$new"
        rm -f "$dst.default"
        say "$dst is already the current default"
    elif [ "$old" = "$(recorded_sum "$name")" ]; then
        put "$src" "$dst" 0644
        record_sum "$name" "$new"
        rm -f "$dst.default"
        say "updated $dst (it was the unedited previous default)"
    else
        put "$src" "$dst.default" 0644
        say "kept $dst: it was edited; the new default is $dst.default (compare: diff $dst $dst.default)"
    fi
}

# remove_conffile SRC DST: removed when it is a default Skiff installed, kept when edited
remove_conffile() {
    local src=$1 dst=$2 name=${2#"$DESTDIR"} sum
    if [ -e "$dst.default" ]; then
        rm -f "$dst.default"
        say "removed $dst.default"
    fi
    [ -e "$dst" ] || return 0
    sum=$(sum_of "$dst")
    if [ "$sum" = "$(sum_of "$src")" ] || [ "$sum" = "$(recorded_sum "$name")" ]; then
        rm -f "$dst"
        say "removed $dst"
    else
        say "kept $dst: it was edited (delete it yourself if you no longer want it)"
    fi
}

# The launcher's class data archive and its key, and dumps not taken up yet: they belong to one jar.
remove_class_archive() {
    local f
    for f in "$LIB_DIR"/skiff.jsa "$LIB_DIR"/skiff.jsa.*; do
        if [ -e "$f" ]; then
            rm -f "$f"
            say "removed $f (the launcher's class data archive)"
        fi
    done
}

remove_file() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -f "$1"
        say "removed $1"
    fi
}

# rmdir_empty DIR...: each directory that is empty, in order
rmdir_empty() {
    local d
    for d in "$@"; do
        if [ -d "$d" ] && rmdir "$d" 2>/dev/null; then
            say "removed empty directory $d"
        fi
    done
}

# The jar names of skiff.jar's Class-Path (lib/x.jar ...); every jar in target/lib without unzip.
class_path_jars() {
    if command -v unzip >/dev/null; then
        unzip -p "$JAR_SRC" META-INF/MANIFEST.MF | tr -d '\r' \
            | awk '/^Class-Path:/ { cp = substr($0, 13); on = 1; next }
                   on && /^ / { cp = cp substr($0, 2); next }
                   { on = 0 }
                   END { n = split(cp, a, " "); for (i = 1; i <= n; i++) { sub(/^lib\//, "", a[i]); print a[i] } }'
    else
        (cd "$DEPS_SRC" && ls -- *.jar)
    fi
}

# The dependency jars into a new directory, then swapped in: no stale jar of an older build survives.
install_deps() {
    local jar staged=$LIB_DIR/.lib.new old=$LIB_DIR/.lib.old n=0
    rm -rf "$staged" "$old"
    install -d -m 0755 "$staged"
    while IFS= read -r jar; do
        [ -n "$jar" ] || continue
        if [ ! -f "$DEPS_SRC/$jar" ]; then
            echo "install.sh: $DEPS_SRC/$jar (named by skiff.jar's Class-Path) not found: run 'make build'" >&2
            rm -rf "$staged"
            exit 1
        fi
        install -m 0644 "$DEPS_SRC/$jar" "$staged/$jar"
        n=$((n + 1))
    done < <(class_path_jars)
    if [ -d "$DEPS" ]; then
        mv "$DEPS" "$old"
    fi
    mv "$staged" "$DEPS"
    rm -rf "$old"
    say "installed $n jars in $DEPS"
}

do_install() {
    if [ ! -f "$JAR_SRC" ]; then
        echo "install.sh: $JAR_SRC not found: run 'make build' first (or 'make install' without INSTALL_BUILD=)" >&2
        exit 1
    fi
    install -d -m 0755 "$LIB_DIR"
    install_deps
    put "$JAR_SRC" "$JAR" 0644
    say "installed $JAR"
    remove_class_archive
    put "$REPO/bin/skiff" "$BIN" 0755
    say "installed $BIN"

    local unit_src
    unit_src=$(mktemp)
    sed "s#^ExecStart=/usr/bin/skiff #ExecStart=$PREFIX/bin/skiff #" "$REPO/systemd/skiff.service" >"$unit_src"
    put "$unit_src" "$UNIT" 0644
    rm -f "$unit_src"
    say "installed $UNIT"

    install_conffile "$REPO/systemd/config.yaml" "$CONFIG"
    install_conffile "$REPO/systemd/skiff.env" "$ENV_FILE"
    if [ ! -d "$MANIFESTS" ]; then
        install -d -m 0755 "$MANIFESTS"
        say "created $MANIFESTS"
    fi

    if systemd_manages_this_root; then
        systemctl daemon-reload
        say "ran systemctl daemon-reload"
        if systemctl is-active --quiet skiff; then
            say "skiff is running the previous version: systemctl restart skiff (pods keep running)"
        fi
    elif [ -z "$DESTDIR" ]; then
        say "systemd does not run this machine: no daemon-reload; run $PREFIX/bin/skiff --config /etc/skiff/config.yaml yourself"
    fi
    echo
    echo "Next: put pod manifests in /etc/kubernetes/manifests, adjust /etc/skiff/config.yaml, then"
    echo "  systemctl enable --now skiff     # start now and at boot (after docker.service)"
    echo "  systemctl status skiff           # its status line says what it is doing"
    echo "  journalctl -u skiff -f           # its log"
}

do_uninstall() {
    if systemd_manages_this_root; then
        if systemctl is-enabled --quiet skiff 2>/dev/null || systemctl is-active --quiet skiff 2>/dev/null; then
            say "systemctl disable --now skiff: stops the kubelet only (KillMode=process); pods keep running under dockerd"
            systemctl disable --now skiff || say "systemctl disable --now skiff failed; carrying on"
        fi
    fi
    remove_file "$UNIT"
    # the link `systemctl enable` made, when it could not be undone through systemctl
    remove_file "$UNIT_DIR/multi-user.target.wants/skiff.service"
    if [ -d "$UNIT.d" ]; then
        say "kept $UNIT.d: your drop-ins"
    fi
    remove_file "$BIN"
    remove_conffile "$REPO/systemd/config.yaml" "$CONFIG"
    remove_conffile "$REPO/systemd/skiff.env" "$ENV_FILE"
    remove_file "$JAR"
    remove_class_archive
    if [ -d "$DEPS" ]; then
        rm -rf "$DEPS"
        say "removed $DEPS"
    fi
    remove_file "$SUMS"
    rmdir_empty "$LIB_DIR" "$ETC" "$MANIFESTS" "$DESTDIR/etc/kubernetes"
    if [ -d "$MANIFESTS" ]; then
        say "kept $MANIFESTS and the manifests in it"
    fi
    if systemd_manages_this_root; then
        systemctl daemon-reload
        say "ran systemctl daemon-reload"
    fi
    echo
    echo "Left alone: running pods (docker ps --filter label=io.kubernetes.pod.name), the kubelet root dir"
    echo "(/var/lib/kubelet: pods, volumes), pod logs (/var/log/pods) and static pod manifests."
}

case "$ACTION" in
    install) do_install ;;
    uninstall) do_uninstall ;;
    *) echo "usage: [DESTDIR=/stage] [PREFIX=/usr] $0 install|uninstall" >&2; exit 2 ;;
esac
