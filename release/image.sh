#!/usr/bin/env bash
# The tend image, for `COPY --from=localhost/tend:VERSION /tend /tend`:
#
#   bash release/image.sh [--name NAME] [--save DIR]
#
# From dist/tend-x86_64-small and dist/tend-aarch64-small, the small build
# (run release/build.sh first, which needs the pinned nightly of
# release/nightly.sh; $TEND_DIST as there) it builds, with podman and offline:
#   NAME:VERSION-amd64, NAME:VERSION-arm64   FROM scratch, holding /tend and
#                                            /LICENSE only (one COPY, no RUN)
#   NAME:VERSION                             a manifest list of the two
# NAME defaults to localhost/tend; VERSION is Cargo.toml's. With --save DIR,
# also DIR/tend-VERSION-amd64.docker.tar and …-arm64.docker.tar:
# docker-archive tarballs that `docker load -i` takes, each tagged
# NAME:VERSION (Docker Engine keeps one architecture per tag).
#
# The images are reproducible: file times and the creation time are the
# commit's, so the same binaries give the same image IDs. Without the small
# binaries it refuses, rather than ship the stable ones under the same tag. podman reads
# $CONTAINERS_CONF as usual (the tests pass tests/container/containers.conf).
set -euo pipefail
cd "$(dirname "$0")/.."

name=localhost/tend
save=""
while (($#)); do
    case $1 in
    --name) name=${2:?--name needs a value} && shift 2 ;;
    --save) save=${2:?--save needs a directory} && shift 2 ;;
    *) echo "usage: bash release/image.sh [--name NAME] [--save DIR]" >&2 && exit 2 ;;
    esac
done

die() {
    echo "release/image: $*" >&2
    exit 1
}

# podman builds the images; on a fresh machine this is what installs it.
bash .ci/apt-install podman

dist=${TEND_DIST:-dist}
pkgid=$(cargo pkgid --quiet)
version=${pkgid##*[@#]}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
timestamp=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
licence=$(sed -n 's/^license *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
tag=$name:$version

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The Docker/OCI architecture names of tend's two targets, and their small builds.
pairs=(amd64:tend-x86_64-small arm64:tend-aarch64-small)
for pair in "${pairs[@]}"; do
    binary=$dist/${pair#*:}
    [[ -x $binary ]] ||
        die "$binary is missing: the tend image ships the small build; run bash release/build.sh first (it needs the pinned nightly, release/nightly.sh)"
done
for pair in "${pairs[@]}"; do
    arch=${pair%%:*} binary=$dist/${pair#*:}
    context=$work/$arch
    mkdir -p "$context"
    # COPY keeps the modes: tend executable, nothing writable but by root.
    install -m 0755 "$binary" "$context/tend"
    install -m 0644 LICENSE "$context/LICENSE"
    cat >"$context/Containerfile" <<'EOF'
FROM scratch
COPY tend LICENSE /
ENTRYPOINT ["/tend"]
CMD ["--version"]
EOF
    # No RUN, so building an arm64 image needs no emulation.
    podman build --quiet --os linux --arch "$arch" --timestamp "$timestamp" \
        --label org.opencontainers.image.title=tend \
        --label "org.opencontainers.image.version=$version" \
        --label "org.opencontainers.image.revision=$commit" \
        --label "org.opencontainers.image.licenses=$licence" \
        -t "$tag-$arch" "$context" >/dev/null
done

# A name holds one image: replace an earlier list (or image) of that name.
if podman manifest exists "$tag"; then
    podman manifest rm "$tag" >/dev/null
elif podman image exists "$tag"; then
    podman rmi "$tag" >/dev/null
fi
podman manifest create "$tag" >/dev/null
for arch in amd64 arm64; do
    podman manifest add "$tag" "containers-storage:$tag-$arch" >/dev/null
done
echo "release/image: $tag (amd64, arm64), the small build from $dist/ at commit $commit"

if [[ -n $save ]]; then
    mkdir -p "$save"
    for arch in amd64 arm64; do
        archive=$save/tend-$version-$arch.docker.tar
        rm -f "$archive"
        # Pushed rather than saved, to name it $tag inside the archive.
        podman push --quiet "$tag-$arch" "docker-archive:$archive:$tag"
        echo "release/image: $archive ($(stat -c %s "$archive") B), docker load -i it for $tag on $arch"
    done
fi
