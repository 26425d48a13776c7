#!/usr/bin/env bash
# Fuzz tend's pure parsers: each target (or the ones named) for SECONDS (30).
#   bash fuzz/run.sh [SECONDS] [TARGET...]      targets: expand, http, url, words, procfile
# Installs cargo-fuzz if it is missing; needs a nightly toolchain. A crash
# leaves its input in fuzz/artifacts/TARGET/; replay it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-30}
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
    echo "fuzz: $target for ${seconds}s"
    dict=()
    [[ -f dicts/$target.dict ]] && dict=(-dict="dicts/$target.dict")
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" "${dict[@]}"
done
