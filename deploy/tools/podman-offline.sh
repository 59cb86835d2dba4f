#!/usr/bin/env bash
# podman-offline.sh: readies Podman on a Debian machine that reaches Debian's mirror and
# PyPI but no container registry (the test machines), and prints the path of the
# containers.conf every podman command here must be given as CONTAINERS_CONF.
#   1. apt-installs podman, runc and debootstrap when one is missing (needs root);
#   2. writes .tools/containers.conf: runc, and ulimits the kernel here allows;
#   3. builds stand-ins for the two base images of deploy/docker/base-images.env, unless
#      images made from this same recipe are there, under names no registry serves:
#      localhost/eda-standin/python:<tag> from debootstrap (a venv on /usr/local gives
#      /usr/local/bin/python and pip, as in the official image; the host's CA bundle,
#      without which PyPI is not reached), and localhost/eda-standin/uv:<UV_VERSION>
#      from the uv wheel, its sha256 checked (deploy/tools/uv-requirements.txt). Each is
#      labelled eda.standin.recipe with the sha256 of this script, so a change to the
#      recipe rebuilds them and nothing else does; build-images.sh never pushes an image
#      built on one. A stand-in an older version of this script left under the official
#      name is untagged;
#   4. writes .tools/base-images.env: the base images to build the tests' images on, in
#      the form of deploy/docker/base-images.env (build-images.sh's EDA_BASE_IMAGES_FILE).
# With EDA_BASE_IMAGES=pull (a machine that reaches the registries, such as hosted CI)
# the official base images are pulled instead, and debootstrap is not needed.
# Only stdout is the path; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools"
conf="$tools/containers.conf"
suite=bookworm
base_file="$root/deploy/docker/base-images.env"
official_python="$(sed -n 's/^PYTHON_IMAGE=//p' "$base_file")"
official_uv="$(sed -n 's/^UV_IMAGE=//p' "$base_file")"
uv_version="$(sed -n 's/^UV_VERSION := //p' "$root/Makefile")"
uv_requirements="$root/deploy/tools/uv-requirements.txt"
python_tag="${official_python%@*}"
python_tag="${python_tag##*:}"
python_ref="localhost/eda-standin/python:$python_tag"
uv_ref="localhost/eda-standin/uv:$uv_version"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
label=eda.standin.recipe
recipe="$(sha256sum "$0" | cut -d' ' -f1)-uv$uv_version"

say() { echo ">> podman-offline: $*" >&2; }
fail() { echo "podman-offline: $*" >&2; exit 1; }

base_images="${EDA_BASE_IMAGES:-standin}"
case "$base_images" in
    standin) needed=(podman runc debootstrap) ;;
    pull) needed=(podman runc) ;;
    *) fail "EDA_BASE_IMAGES=$base_images; standin or pull expected" ;;
esac
[[ -n "$official_python" && -n "$official_uv" ]] || fail "$base_file: PYTHON_IMAGE and UV_IMAGE expected"
grep -q "^uv==$uv_version " "$uv_requirements" \
    || fail "$uv_requirements does not pin uv==$uv_version, the Makefile's UV_VERSION"
missing=()
for tool in "${needed[@]}"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null || fail "${missing[*]} missing and no apt-get here: install them (Podman 4.3 or newer)"
    [[ "$(id -u)" -eq 0 ]] || fail "${missing[*]} missing: run as root, or apt-get install -y podman runc debootstrap"
    say "installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >&2 \
        || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >&2; } \
        || fail "apt-get could not install podman, runc and debootstrap"
fi

mkdir -p "$tools"
# crun is not installed with Debian's podman here; the default nofile limit is above
# what the kernel lets a container raise to.
wanted_conf='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"'
if [[ ! -f "$conf" || "$(cat "$conf")" != "$wanted_conf" ]]; then
    printf '%s\n' "$wanted_conf" >"$conf.part"
    mv "$conf.part" "$conf"
fi
export CONTAINERS_CONF="$conf"

labelled() { # ref: the stand-in label's value, empty when the image has none or is not here
    local value
    value="$(podman image inspect --format "{{ index .Labels \"$label\" }}" "$1" 2>/dev/null)" || return 0
    [[ "$value" == "<no value>" ]] || echo "$value"
}
current() { # ref: true when the image is there, made from this recipe
    [[ "$(labelled "$1")" == "$recipe" ]]
}
# base-images.env for build-images.sh: the references the tests build on.
record() { # python uv
    printf '# Written by deploy/tools/podman-offline.sh: the base images the tests build on.\nPYTHON_IMAGE=%s\nUV_IMAGE=%s\n' \
        "$1" "$2" >"$tools/base-images.env.part"
    mv "$tools/base-images.env.part" "$tools/base-images.env"
}

# Two test sessions may start at once on one machine: one builds, the other waits.
exec 9>"$tools/podman-offline.lock"
flock 9

# Earlier versions of this script built the stand-ins under the official names, where
# a build by tag would take them for the real images.
for ref in "${official_python%@*}" "${official_uv%@*}"; do
    if [[ -n "$(labelled "$ref")" ]]; then
        say "untagging the stand-in left under the official name $ref"
        podman untag "$ref" "$ref" >&2 || fail "could not untag the stand-in $ref"
    fi
done

if [[ "$base_images" == pull ]]; then
    for ref in "$official_python" "$official_uv"; do
        podman image exists "$ref" || podman pull --quiet "$ref" >/dev/null \
            || fail "could not pull $ref"
    done
    record "$official_python" "$official_uv"
    echo "$conf"
    exit 0
fi

if ! current "$python_ref"; then
    say "building $python_ref from debootstrap ($suite, Debian's mirror; about a minute)"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$suite" "$work/rootfs" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    chroot "$work/rootfs" python3 -m venv /usr/local
    cp "$ca_bundle" "$work/rootfs$ca_bundle"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -c . | podman import --quiet \
        --change "ENV SSL_CERT_FILE=$ca_bundle" \
        --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change 'CMD ["python3"]' \
        --change "LABEL $label=$recipe" \
        - "$python_ref" >/dev/null
    rm -rf "$work"
    trap - EXIT
fi

if ! current "$uv_ref"; then
    say "building $uv_ref from the uv $uv_version wheel (PyPI, sha256-checked)"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
        --dest "$work" -r "$uv_requirements" >&2 \
        || fail "could not download uv $uv_version with a sha256 of $uv_requirements"
    python3 - "$work" <<'PY'
import glob
import os
import sys
import zipfile

work = sys.argv[1]
(wheel,) = glob.glob(os.path.join(work, "uv-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    (member,) = [n for n in archive.namelist() if n.endswith(".data/scripts/uv")]
    with open(os.path.join(work, "uv"), "wb") as out:
        out.write(archive.read(member))
os.chmod(os.path.join(work, "uv"), 0o755)
PY
    printf 'FROM scratch\nCOPY uv /uv\nLABEL %s=%s\n' "$label" "$recipe" >"$work/Containerfile"
    podman build --quiet --pull=never -t "$uv_ref" -f "$work/Containerfile" "$work" >/dev/null
    rm -rf "$work"
    trap - EXIT
fi

record "$python_ref" "$uv_ref"
echo "$conf"
