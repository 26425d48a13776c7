#!/usr/bin/env bash
# README command 2: every check tend has. Installs what is missing, then
# formatting, lints, unit tests, and the integration tests (tend as PID 1
# under unshare, real containers under podman + runc and under Docker
# Engine). Then the integration tests again, against the small build that
# the tend image ships (dist's tend-x86_64-small, made by release/build.sh
# with the pinned nightly), named by TEND_TEST_BINARY. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings

# The two tends under test, built first so that a missing toolchain stops
# the run at once: the static one (the containers' tend in the first pass)
# and the small one, built as released.
cargo build --release --target x86_64-unknown-linux-musl --bin tend
mkdir -p "${CARGO_TARGET_DIR:-target}"
target=$(realpath "${CARGO_TARGET_DIR:-target}")
TEND_DIST=$target/ci-small bash release/build.sh tend-x86_64-small
small=$target/ci-small/tend-x86_64-small

# A private Docker Engine for the container tests, with the tend under test
# as its init (`docker run --init`); stopped by its pid whatever happens.
dockerd_dir=""
start_dockerd() {
    dockerd_dir=$(mktemp -d "${TMPDIR:-/tmp}/tend-dockerd.XXXXXX")
    bash tests/engines/dockerd.sh start "$dockerd_dir" "$1"
    export DOCKER_HOST="unix://$dockerd_dir/docker.sock"
}
stop_dockerd() {
    [[ -z $dockerd_dir ]] || bash tests/engines/dockerd.sh stop "$dockerd_dir"
    dockerd_dir=""
}
trap stop_dockerd EXIT
start_dockerd "$target/x86_64-unknown-linux-musl/release/tend"

# Plain `cargo test`: unit tests, integration tests, and examples built (not run: they have no tests).
# --no-fail-fast: a failing test binary must not hide what the later ones would say.
status=0
cargo test --no-fail-fast || status=$?

# The second pass: every integration test but those about the build itself
# (release.rs builds and checks all four binaries, the small ones included;
# repository.rs reads the repository), against the small build. Failures
# here that the first pass did not have are bugs of the small build.
stop_dockerd
start_dockerd "$small"
again=()
for file in tests/*.rs; do
    name=$(basename "$file" .rs)
    case $name in release | repository) ;; *) again+=(--test "$name") ;; esac
done
echo "tests/run.sh: the integration tests again, against $small"
TEND_TEST_BINARY=$small cargo test --no-fail-fast "${again[@]}" || status=$?

# Nothing the tests started may outlive them: a process still running from
# this checkout's target directory (tend, the fixture, the example app) is a
# test that cleans up badly. Exits take a moment to be reaped, so look for
# up to 10 s before calling it a leak.
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
