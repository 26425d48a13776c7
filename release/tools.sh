#!/usr/bin/env bash
# Installs what a release build and its tests need on a fresh Debian 12
# machine, and only what is missing, so it is cheap to run every time
# (release/build.sh and .ci/setup both do):
#   - the two musl targets for the default (stable) toolchain;
#   - for the small build, the pinned nightly (release/nightly.sh) with
#     rust-src and the musl targets: an installed toolchain that is that
#     nightly if there is one, else rustup installs it by its dated name;
#   - qemu-user-static, to run the aarch64 binary and its unit tests here;
#   - minisign, to sign and verify SHA256SUMS;
#   - cargo-cyclonedx, which writes the SBOM from Cargo.lock.
set -euo pipefail

# Pinned, and built from its own Cargo.lock (--locked), so that the SBOM of
# every release comes from the same tool. Raise it deliberately.
CYCLONEDX_VERSION=0.5.9
TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
# shellcheck source=release/nightly.sh
source "$(dirname "$0")/nightly.sh"

bash "$(dirname "$0")/../.ci/apt-install" qemu-user-static minisign file

for target in "${TARGETS[@]}"; do
    rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done

NIGHTLY=$(pinned_nightly)
if [[ -z $NIGHTLY && -z ${TEND_NIGHTLY:-} ]]; then
    echo "release/tools: installing $NIGHTLY_TOOLCHAIN ($NIGHTLY_RUSTC), the pinned nightly of the small build"
    # Offline, this fails; build.sh then refuses the small build and says why.
    rustup toolchain install --profile minimal --component rust-src "$NIGHTLY_TOOLCHAIN" ||
        echo "release/tools: could not install $NIGHTLY_TOOLCHAIN" >&2
    NIGHTLY=$(pinned_nightly)
fi
if [[ -n $NIGHTLY ]]; then
    rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src' ||
        rustup component add --toolchain "$NIGHTLY" rust-src
    for target in "${TARGETS[@]}"; do
        rustup target list --toolchain "$NIGHTLY" --installed | grep -qx "$target" && continue
        # A nightly's std for a target can be missing from the dist server
        # (a 404). The smallest build rebuilds std from rust-src anyway and
        # needs only musl's start files and libc.a, which build.sh then takes
        # from the stable toolchain, and says so.
        RUST_BACKTRACE=0 rustup target add --toolchain "$NIGHTLY" "$target" >/dev/null 2>&1 || true
    done
fi

# `cargo cyclonedx --version` prints "cargo-cyclonedx-cyclonedx 0.5.9"; compare the number only.
installed=$(cargo cyclonedx --version 2>/dev/null | awk '{print $NF}' || true)
if [[ $installed != "$CYCLONEDX_VERSION" ]]; then
    echo "release/tools: installing cargo-cyclonedx $CYCLONEDX_VERSION (was: ${installed:-none}); this compiles for a few minutes, once"
    cargo install --quiet --locked --version "$CYCLONEDX_VERSION" cargo-cyclonedx
fi
