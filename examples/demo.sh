#!/usr/bin/env bash
# README command 1: see tend run a service, in your terminal.
#
#   examples/demo.sh
#
# Builds tend and the example app as static musl binaries, then runs
# `tend -v -w -- app` in the foreground, with `tend --probe` checking the
# app's /health every second in the background. You see tend's JSON events
# (and a warning for each orphan it reaps), the app's own JSON lines, and the
# probe turning healthy after the app's warm-up. Ctrl-C stops it cleanly:
# tend gives the app the terminal, so Ctrl-C reaches the app, which finishes
# its requests and exits 0, and tend exits with that.
#
# While it runs, from another terminal:
#   curl localhost:8080/toggle      flip /health (or: touch /tmp/unhealthy)
#   curl localhost:8080/slow & ...  then Ctrl-C: the request still completes
#
# Knobs: PORT (8080), DEMO_SECONDS=N stops the demo with SIGTERM after N
# seconds (for scripts and tests), CARGO_TARGET_DIR as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-musl
export PORT="${PORT:-8080}"

if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi
cargo build --release --target "$TARGET" --bin tend --example app
bin="${CARGO_TARGET_DIR:-target}/$TARGET/release"

probe_loop() {
    while sleep 1; do
        if out=$("$bin/tend" --probe "http://127.0.0.1:$PORT/health" 2>&1); then
            echo "probe: healthy   ($out)"
        else
            echo "probe: unhealthy ($out)"
        fi
    done
}
probe_loop &
probe_pid=$!
trap 'kill "$probe_pid" 2>/dev/null || true' EXIT

echo "--- tend -v -w -- app   (Ctrl-C to stop)"
status=0
if [[ -n "${DEMO_SECONDS:-}" ]]; then
    # --foreground: leave the terminal alone; --preserve-status: tend's exit code.
    timeout --foreground --preserve-status --signal=TERM "$DEMO_SECONDS" \
        "$bin/tend" -v -w -- "$bin/examples/app" || status=$?
else
    "$bin/tend" -v -w -- "$bin/examples/app" || status=$?
fi
echo "--- tend exited with status $status"
exit "$status"
