#!/usr/bin/env bash
# README command 2: every check tend has. Installs what is missing, then
# formatting, lints, unit tests, and the integration tests (tend as PID 1
# under unshare, real containers under podman + runc and under Docker
# Engine). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings

# A private Docker Engine for the container tests, with the static tend as
# its init (`docker run --init`): build that first, stop the daemon by its
# pid whatever happens.
cargo build --release --target x86_64-unknown-linux-musl --bin tend
dockerd_dir=$(mktemp -d "${TMPDIR:-/tmp}/tend-dockerd.XXXXXX")
trap 'bash tests/engines/dockerd.sh stop "$dockerd_dir"' EXIT
bash tests/engines/dockerd.sh start "$dockerd_dir" "${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/tend"
export DOCKER_HOST="unix://$dockerd_dir/docker.sock"

# Plain `cargo test`: unit tests, integration tests, and examples built (not run: they have no tests).
# --no-fail-fast: a failing test binary must not hide what the later ones would say.
status=0
cargo test --no-fail-fast || status=$?

# Nothing the tests started may outlive them: a process still running from
# this checkout's target directory (tend, the fixture, the example app) is a
# test that cleans up badly. Exits take a moment to be reaped, so look for
# up to 10 s before calling it a leak.
target=$(realpath "${CARGO_TARGET_DIR:-target}")
for _ in $(seq 20); do
    left=$(for exe in /proc/[0-9]*/exe; do
        path=$(readlink "$exe" 2>/dev/null) || continue
        case "$path" in "$target"/*) pid=${exe#/proc/}; echo "${pid%/exe} $path" ;; esac
    done)
    [ -z "$left" ] && break
    sleep 0.5
done
if [ -n "$left" ]; then
    echo "tests/run.sh: processes the tests left running (pid, program):" >&2
    echo "$left" >&2
    exit 1
fi
exit "$status"
