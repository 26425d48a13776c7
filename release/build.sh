#!/usr/bin/env bash
# tend's release in one command:
#
#   bash release/build.sh [ARTIFACT...]
#
# writes into dist/ (or $TEND_DIST), replacing what an earlier run left:
#   tend-x86_64  tend-aarch64              static musl binaries, stable toolchain
#   tend-x86_64-small  tend-aarch64-small  the small build, what the tend image
#                                          ships: the pinned nightly
#                                          (release/nightly.sh), std rebuilt for
#                                          size with panic=immediate-abort
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
#   TEND_NIGHTLY       the installed toolchain for the small build (default:
#                      whichever of nightly-YYYY-MM-DD and nightly is the pinned
#                      one); it must be the nightly that release/nightly.sh pins
#
# Without the pinned nightly, a small binary is refused before anything is
# built, rather than left out: the tend image ships it.
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
dist=${TEND_DIST:-dist}
# The small build's flags, and what each saved on tend-x86_64-small when
# they were chosen (issue 21: 328,664 B before, 261,208 B after):
# - panic=immediate-abort, with std rebuilt for it (build-std): no panic
#   machinery, messages or backtrace printer;
# - no unwind tables (-44,288 B): nothing unwinds once a panic aborts;
# - identical functions folded by rust-lld (--icf=all, -1,120 B);
# - the static-pie's relative relocations packed (-z pack-relative-relocs,
#   DT_RELR, -16,480 B), which musl's start-up applies: ASLR stays, cheaper;
# - no panic locations (-1,376 B): nothing prints them;
# - std's own optimize_for_size (-4,192 B).
# opt-level stays "z" ("s" is 23 KB larger). Not taken: -Zfmt-debug=none
# (-2,208 B) blanks the {:?} in messages users read, and the machine
# outliner (-1,408 B) is off by default on x86_64 for a reason.
# The two link flags work on the stable toolchain too, and every build takes them.
LINK_FLAGS=(-Clink-arg=--icf=all -Clink-arg=-zpack-relative-relocs)
SMALL_FLAGS=(-Zunstable-options -Cpanic=immediate-abort -Cforce-unwind-tables=no
    -Zlocation-detail=none "${LINK_FLAGS[@]}")
SMALL_STD=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)

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
# shellcheck source=release/nightly.sh
source release/nightly.sh

# The pinned nightly, checked before a build that takes minutes.
NIGHTLY=""
for entry in "${SMALL[@]}"; do
    is_wanted "${entry%%:*}" || continue
    NIGHTLY=$(pinned_nightly)
    if [[ -z $NIGHTLY ]]; then
        found=""
        for candidate in ${TEND_NIGHTLY:-$NIGHTLY_TOOLCHAIN nightly}; do
            says="not installed"
            [[ -z $(nightly_commit "$candidate") ]] || says=$(rustc "+$candidate" -V)
            found+="; $candidate: $says"
        done
        die "${entry%%:*} is built only with the pinned nightly, $NIGHTLY_RUSTC (release/nightly.sh), and no toolchain here is it${found}. Install it with: rustup toolchain install $NIGHTLY_TOOLCHAIN --component rust-src; or build the stable binaries only: bash release/build.sh tend-x86_64 tend-aarch64"
    fi
    rustup component list --toolchain "$NIGHTLY" --installed | grep '^rust-src' >/dev/null ||
        die "$NIGHTLY has no rust-src, which the small build rebuilds std from: rustup component add --toolchain $NIGHTLY rust-src"
    break
done

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
        flags=("${SMALL_FLAGS[@]}")
        build_std=("${SMALL_STD[@]}")
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
        flags=("${LINK_FLAGS[@]}")
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
