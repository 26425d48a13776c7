# The pinned nightly toolchain that builds the small binaries
# (tend-x86_64-small, tend-aarch64-small), sourced by release/tools.sh and
# release/build.sh.
#
# A nightly is a moving target: the small binaries are reproducible only
# from one. This pins it by the commit that `rustc -vV` reports, so any
# installed toolchain that is this nightly will do (rustup's `nightly`, or
# the dated name below), and build.sh refuses any other. tools.sh installs
# the dated name with rustup when no installed toolchain matches.
#
# Moving the pin changes the small binaries' bytes: do it in a commit of its
# own, with their new sizes, after the whole suite has passed against them
# (tests/run.sh runs it against tend-x86_64-small).
# Not a rust-toolchain file at the root: that would move every cargo command
# in the checkout, the stable build and its tests included, to nightly.

NIGHTLY_TOOLCHAIN=nightly-2026-05-20
NIGHTLY_RUSTC="rustc 1.97.0-nightly (e50aa6fba 2026-05-19)"
NIGHTLY_COMMIT=e50aa6fba4e63ab34c72bf9acfd2c307c1155d1a

# nightly_commit TOOLCHAIN: the commit-hash of an installed TOOLCHAIN's rustc,
# or nothing when it is not installed (never installs one).
nightly_commit() {
    rustup toolchain list | grep "^$1" >/dev/null || return 0
    rustc "+$1" -vV 2>/dev/null | sed -n 's/^commit-hash: //p'
}

# pinned_nightly: the installed toolchain that is the pinned nightly, from
# $TEND_NIGHTLY if it is set (and then only that one), else the dated name,
# else `nightly`. Prints nothing when none is.
pinned_nightly() {
    local candidate
    for candidate in ${TEND_NIGHTLY:-$NIGHTLY_TOOLCHAIN nightly}; do
        if [[ $(nightly_commit "$candidate") == "$NIGHTLY_COMMIT" ]]; then
            echo "$candidate"
            return
        fi
    done
}
