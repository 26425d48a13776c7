#!/usr/bin/env bash
# tend's release in one command:
#
#   bash release/build.sh [ARTIFACT...]
#
# writes into dist/ (or $TEND_DIST), replacing what an earlier run left:
#   tend-x86_64  tend-aarch64              static musl binaries, stable toolchain
#   tend-x86_64-small  tend-aarch64-small  the smallest build: nightly, std rebuilt
#                                          with panic=immediate-abort (skipped, with
#                                          a message, when there is no nightly)
#   tend.cdx.json                          CycloneDX SBOM: the crate and its locked dependencies
#   tend.1                                 the man page, docs/tend.1 as committed
#   SHA256SUMS                             sha256sum's format, over everything above
#   SHA256SUMS.minisig                     minisign's signature of SHA256SUMS, with a key only
# and prints the size of each. ARTIFACT... builds only the binaries named
# (the tests build `tend-x86_64 tend-aarch64`); the rest is always made.
#
# Environment:
#   TEND_MINISIGN_KEY  the minisign secret key, a path outside the repository.
#                      minisign asks for its password itself. Unset: nothing is
#                      signed, and the script says so.
#   TEND_MINISIGN_PUB  public key to check the new signature with (default:
#                      release/minisign.pub when it exists)
#   TEND_DIST          output directory (default: dist)
#   TEND_NIGHTLY       toolchain for the smallest build (default: nightly)
#
# Reproducible: the same commit and the same toolchains give byte-identical
# binaries in any directory, on any machine. The paths that would otherwise
# end up in the binaries (panic locations name source files) are remapped:
# the checkout to /tend, CARGO_HOME to /cargo, the toolchain to
# /rustup/toolchain. Every target links with rust-lld, which comes with the
# toolchain, so the host's binutils do not matter either. Nothing reads the
# clock; the SBOM's timestamp is the commit's (SOURCE_DATE_EPOCH).
set -euo pipefail
cd "$(dirname "$0")/.."
# Physical paths: cargo hands rustc getcwd()'s answer, never a symlinked one.
root=$(pwd -P)

STABLE=(tend-x86_64:x86_64-unknown-linux-musl tend-aarch64:aarch64-unknown-linux-musl)
SMALL=(tend-x86_64-small:x86_64-unknown-linux-musl tend-aarch64-small:aarch64-unknown-linux-musl)
NIGHTLY=${TEND_NIGHTLY:-nightly}
dist=${TEND_DIST:-dist}

say() { echo "release: $*"; }
die() {
    echo "release: $*" >&2
    exit 1
}

wanted=("$@")
if ((${#wanted[@]} == 0)); then
    for entry in "${STABLE[@]}" "${SMALL[@]}"; do wanted+=("${entry%%:*}"); done
fi
for name in "${wanted[@]}"; do
    [[ " ${STABLE[*]} ${SMALL[*]} " == *" $name:"* ]] ||
        die "unknown artifact $name (known: tend-x86_64 tend-aarch64 tend-x86_64-small tend-aarch64-small)"
done
is_wanted() { [[ " ${wanted[*]} " == *" $1 "* ]]; }

# Check the key before a build that takes minutes, and refuse one inside the
# repository: a key there is one `git add .` away from being published.
if [[ -n ${TEND_MINISIGN_KEY:-} ]]; then
    [[ -r $TEND_MINISIGN_KEY ]] || die "TEND_MINISIGN_KEY=$TEND_MINISIGN_KEY is not a readable file"
    key=$(realpath "$TEND_MINISIGN_KEY")
    [[ $key/ != "$root"/* ]] ||
        die "TEND_MINISIGN_KEY=$TEND_MINISIGN_KEY is inside the repository; keep the secret key outside it (say ~/.minisign/tend.key)"
fi

bash release/tools.sh

# A stale Cargo.lock would let cargo pick other versions than the ones committed.
cargo metadata --locked --format-version 1 >/dev/null ||
    die "Cargo.lock does not match Cargo.toml; commit an up-to-date Cargo.lock"

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
pkgid=$(cargo pkgid --quiet)
version=${pkgid##*[@#]}
# The SBOM's timestamp: the commit's, so that it does not change between builds.
if [[ $commit != unknown ]]; then
    export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
fi

mkdir -p "$dist"
# Only what this script writes, so that a TEND_DIST with other files keeps them.
for entry in "${STABLE[@]}" "${SMALL[@]}"; do rm -f "$dist/${entry%%:*}"; done
rm -f "$dist/tend.cdx.json" "$dist/tend.1" "$dist/SHA256SUMS" "$dist/SHA256SUMS.minisig"

# --remap-path-prefix for a directory, under its given and its physical name.
# rustc applies the last prefix that matches, so the checkout comes last: it
# must win when it sits inside CARGO_HOME (a `cargo install --git` checkout).
remaps=()
remap() {
    remaps+=("--remap-path-prefix=$1=$2")
    local physical
    physical=$(realpath -m "$1")
    [[ $physical == "$1" ]] || remaps+=("--remap-path-prefix=$physical=$2")
}

# build NAME TRIPLE [small]: one binary into $dist/NAME.
build() {
    local name=$1 triple=$2 small=${3:-}
    local toolchain=() flags=() build_std=() sysroot target_dir
    if [[ -n $small ]]; then
        toolchain=("+$NIGHTLY")
        flags=(-Zunstable-options -Cpanic=immediate-abort)
        build_std=("-Zbuild-std=std,panic_abort")
        target_dir=$root/target/dist/small
        local own
        own=$(rustc "+$NIGHTLY" --print sysroot)/lib/rustlib/$triple/lib/self-contained
        if [[ ! -e $own/crt1.o ]]; then
            # This nightly has no std for the target (see release/tools.sh).
            # std is rebuilt from rust-src anyway; what is missing is musl's
            # start files and libc.a, which are the same musl in the stable
            # toolchain (byte-identical files where both have them).
            say "$NIGHTLY has no $triple std; linking $name with the stable toolchain's musl start files and libc.a"
            flags+=("-Lnative=$(rustc --print sysroot)/lib/rustlib/$triple/lib/self-contained")
        fi
    else
        target_dir=$root/target/dist/stable
    fi
    sysroot=$(rustc "${toolchain[@]}" --print sysroot)
    remaps=()
    remap "$sysroot" /rustup/toolchain
    remap "${CARGO_HOME:-$HOME/.cargo}" /cargo
    remap "$root" /tend
    flags+=("${remaps[@]}")
    local linker_var
    linker_var=CARGO_TARGET_$(echo "$triple" | tr '[:lower:]-' '[:upper:]_')_LINKER
    say "building $name ($triple, $(rustc "${toolchain[@]}" -V))"
    # CARGO_ENCODED_RUSTFLAGS (separated by 0x1f) keeps paths with spaces
    # whole, and wins over any RUSTFLAGS in the caller's environment.
    (
        IFS=$'\x1f'
        export CARGO_ENCODED_RUSTFLAGS="${flags[*]}"
        export "$linker_var=rust-lld"
        cargo "${toolchain[@]}" build --quiet --release --locked --bin tend \
            --target "$triple" --target-dir "$target_dir" "${build_std[@]}"
    )
    cp "$target_dir/$triple/release/tend" "$dist/$name"
    # A release binary that needs a dynamic loader would not run FROM scratch.
    file -b "$dist/$name" | grep -q 'static' ||
        die "$name is not statically linked: $(file -b "$dist/$name")"
}

have_nightly() {
    rustup toolchain list | grep -q "^$NIGHTLY" &&
        rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src'
}

built=()
for entry in "${STABLE[@]}"; do
    name=${entry%%:*}
    is_wanted "$name" || continue
    build "$name" "${entry#*:}"
    built+=("$name")
done
for entry in "${SMALL[@]}"; do
    name=${entry%%:*}
    is_wanted "$name" || continue
    if ! have_nightly; then
        say "skipping $name: it needs the $NIGHTLY toolchain with rust-src (rustup toolchain install $NIGHTLY --component rust-src), and there is none"
        continue
    fi
    build "$name" "${entry#*:}" small
    built+=("$name")
done

# The SBOM covers every target (the dependencies are the same on both).
# cargo-cyclonedx can only write beside Cargo.toml: under a name of this
# run's own, so that two runs in one checkout cannot take each other's, and
# moved out at once.
sbom=$root/tend-sbom-$$.json
trap 'rm -f "$sbom"' EXIT
RUST_BACKTRACE=0 cargo cyclonedx --quiet --format json --spec-version 1.5 --target all --override-filename "tend-sbom-$$"
# Its bom-refs name the checkout (path+file:///home/…#tend@0.1.0); use the
# same name the binaries use, so the SBOM does not depend on the directory.
content=$(<"$sbom")
printf '%s\n' "${content//"path+file://$root#"/"path+file:///tend#"}" >"$dist/tend.cdx.json"
rm -f "$sbom"

# Generated from the option declarations and checked by the tests; the binary carries none of it.
cp docs/tend.1 "$dist/tend.1"

(cd "$dist" && sha256sum -- "${built[@]}" tend.cdx.json tend.1 >SHA256SUMS)

if [[ -n ${TEND_MINISIGN_KEY:-} ]]; then
    # The trusted comment is signed too: it tells a verifier which release
    # this is, so an older SHA256SUMS cannot pass for this one.
    minisign -S -s "$TEND_MINISIGN_KEY" -m "$dist/SHA256SUMS" -x "$dist/SHA256SUMS.minisig" \
        -t "tend $version, commit $commit: SHA256SUMS"
    pub=${TEND_MINISIGN_PUB:-release/minisign.pub}
    if [[ -e $pub ]]; then
        minisign -V -q -p "$pub" -m "$dist/SHA256SUMS" -x "$dist/SHA256SUMS.minisig" ||
            die "the new signature does not verify with $pub: signed with the wrong key?"
        say "signed SHA256SUMS; the signature verifies with $pub"
    else
        say "signed SHA256SUMS; not checked, there is no public key at $pub"
    fi
else
    say "NOT SIGNED: TEND_MINISIGN_KEY is not set, so there is no SHA256SUMS.minisig"
fi

# Sizes with thousands separators: the numbers people compare.
say "$dist/ for tend $version, commit $commit:"
for file in "${built[@]}" tend.cdx.json tend.1 SHA256SUMS SHA256SUMS.minisig; do
    [[ -e $dist/$file ]] || continue
    bytes=$(stat -c %s "$dist/$file")
    grouped=$(echo "$bytes" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
    kind=$(file -b "$dist/$file" | grep -o 'static-pie linked\|statically linked' || true)
    printf '  %-20s %12s B  %s\n' "$file" "$grouped" "$kind"
done
