#!/usr/bin/env bash
# Builds the Traefik reverse proxy from Go modules (tools/traefik pins the release), for the
# front-door test that puts the real agent container behind the proxy Coolify runs. Coolify
# starts `traefik:v3.6` on every server (bootstrap/helpers/proxy.php), so the pin is a 3.6 release.
# The build is cached outside the work tree, keyed by version and recipe, like the Pulumi CLI in
# scripts/setup.sh: a cold build compiles for several minutes on 2 cores, a warm run takes a second.
#
# Prints the path of the binary on its last line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root/tools/traefik"

TRAEFIK_VERSION=v3.6.12 # must equal the require in tools/traefik/go.mod
cache="${ELIZA_COOLIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eliza-coolify}"
recipe_sum=$(cat go.mod go.sum tools.go | sha256sum | cut -c1-12)
built="$cache/traefik-$TRAEFIK_VERSION-$recipe_sum"
bin="$built/traefik"

grep -q "github.com/traefik/traefik/v3 $TRAEFIK_VERSION\$" go.mod ||
  { echo "build-traefik: tools/traefik/go.mod does not require traefik $TRAEFIK_VERSION" >&2; exit 1; }

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "Version: *${TRAEFIK_VERSION#v}"; then
  echo "    cached build in $built" >&2
else
  command -v go >/dev/null || { echo "build-traefik: Go 1.25+ is needed to build Traefik" >&2; exit 1; }
  echo "    building Traefik $TRAEFIK_VERSION from Go modules (cold: downloads ~400 MB of modules," >&2
  echo "    compiles for 5-15 minutes on 2 cores); later runs reuse $built" >&2
  mkdir -p "$built"
  # nice, and one package at a time unless TRAEFIK_BUILD_JOBS says more: the machine is shared.
  # An interrupted build resumes from Go's build cache.
  if ! CGO_ENABLED=0 GOFLAGS=-trimpath nice -n 10 go build -p "${TRAEFIK_BUILD_JOBS:-1}" \
    -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}" \
    -o "$bin.tmp" github.com/traefik/traefik/v3/cmd/traefik >"$built/build.log" 2>&1; then
    tail -20 "$built/build.log" >&2
    echo "build-traefik: go build of github.com/traefik/traefik/v3/cmd/traefik@$TRAEFIK_VERSION failed (log: $built/build.log)" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
