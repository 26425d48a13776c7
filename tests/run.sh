#!/usr/bin/env bash
# README command 2: every check tend has. Installs what is missing, then
# formatting, lints, unit tests, and the integration tests (tend as PID 1
# under unshare, real containers under podman + runc). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Plain `cargo test`: unit tests, integration tests, and examples built (not run: they have no tests).
cargo test
