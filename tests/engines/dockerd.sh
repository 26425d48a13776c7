#!/usr/bin/env bash
# A private Docker Engine for the container tests, with tend as its init.
#
#   bash tests/engines/dockerd.sh start DIR TEND    then export DOCKER_HOST=unix://DIR/docker.sock
#   bash tests/engines/dockerd.sh stop DIR
#
# start runs dockerd in the background with everything under DIR (socket,
# images, state, log), so the machine's own Docker, if any, is left alone,
# and waits until it answers. TEND, the static tend binary, is copied to
# DIR/bin/docker-init and given as --init-path: `docker run --init` then runs
# it as /sbin/docker-init, and `docker info`/`docker version` run
# `docker-init --version` under that name. No networking: the tests run every
# container with --network none, and iptables is not for a test to touch.
#
# stop sends SIGTERM to that dockerd by its pid file (it stops its containers
# and its own containerd), KILLs it if it is still there after 30 s, ends any
# containerd or shim still naming DIR, unmounts what is left under DIR and
# removes DIR.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR TEND | stop DIR" >&2
    exit 2
}

# Pids of the processes whose command line names DIR: dockerd, its
# containerd and the containerd shims, all started by this script.
pids_naming() {
    local dir=$1 pid
    for pid in /proc/[0-9]*; do
        pid=${pid#/proc/}
        [[ $pid == "$$" ]] && continue
        tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$dir/" && echo "$pid"
    done
    return 0
}

start() {
    local dir=$1 tend=$2
    [[ -x $tend ]] || { echo "dockerd.sh: $tend is not an executable tend" >&2; exit 1; }
    command -v dockerd >/dev/null || { echo "dockerd.sh: no dockerd (apt-get install -y docker.io)" >&2; exit 1; }
    mkdir -p "$dir/bin"
    # A copy, not a link: a rebuild during the run cannot swap the init under a running container.
    cp "$tend" "$dir/bin/docker-init"
    chmod 0755 "$dir/bin/docker-init"
    dockerd \
        --host "unix://$dir/docker.sock" \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" \
        --init-path "$dir/bin/docker-init" \
        --iptables=false --ip6tables=false --bridge=none \
        --storage-driver=overlay2 \
        >"$dir/dockerd.log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$dir/dockerd.started"
    local deadline=$((SECONDS + 60))
    until DOCKER_HOST="unix://$dir/docker.sock" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            echo "dockerd.sh: dockerd did not come up within 60 s; its log:" >&2
            tail -n 40 "$dir/dockerd.log" >&2
            stop "$dir"
            exit 1
        fi
        sleep 0.2
    done
    echo "dockerd.sh: dockerd $pid answers on unix://$dir/docker.sock, init $dir/bin/docker-init" >&2
}

stop() {
    local dir=$1 pid=""
    [[ -d $dir ]] || return 0
    if [[ -s $dir/dockerd.started ]]; then
        pid=$(<"$dir/dockerd.started")
    fi
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        local deadline=$((SECONDS + 30))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "dockerd.sh: dockerd $pid still running after 30 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true # it may have exited just now
        fi
    fi
    # A containerd or shim that outlived dockerd (a crashed run) names DIR in its arguments.
    local left
    left=$(pids_naming "$dir")
    if [[ -n $left ]]; then
        echo "dockerd.sh: ending leftover processes ${left//$'\n'/ }" >&2
        # shellcheck disable=SC2086 # one pid per word
        kill -KILL $left 2>/dev/null || true # each may be gone already
    fi
    # Mounts of containers that were never cleaned up; deepest first.
    local mounts
    mounts=$(findmnt -rn -o TARGET | grep -F -- "$dir/" | sort -r || true) # none is the usual case
    while read -r mount; do
        [[ -n $mount ]] && { umount -l "$mount" 2>/dev/null || true; } # already gone with its parent
    done <<<"$mounts"
    rm -rf "$dir"
}

case "${1:-}" in
start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
*) usage ;;
esac
