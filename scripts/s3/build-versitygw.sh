#!/usr/bin/env bash
# Builds the Versity S3 Gateway (versitygw, Apache-2.0) from Go modules (tools/versitygw pins the
# release): the S3-compatible server the backup and restore tests run, with a posix directory as
# its storage. It checks every request's SigV4 signature against its one access key and secret,
# as AWS and MinIO do, so a wrong secret fails the way it would against real storage.
# The build is cached outside the work tree, keyed by version and recipe, like Traefik's
# (scripts/proxy/build-traefik.sh): cold, it downloads ~360 MB of modules and compiles for about
# 5 minutes on 2 cores (measured: 21 s + 266 s); warm, it takes a second.
#
# Prints the path of the binary on its last line.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root/tools/versitygw"

VERSITYGW_VERSION=v1.8.0 # must equal the require in tools/versitygw/go.mod
cache="${ELIZA_COOLIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eliza-coolify}"
recipe_sum=$(cat go.mod go.sum tools.go | sha256sum | cut -c1-12)
built="$cache/versitygw-$VERSITYGW_VERSION-$recipe_sum"
bin="$built/versitygw"

grep -q "github.com/versity/versitygw $VERSITYGW_VERSION\$" go.mod ||
  { echo "build-versitygw: tools/versitygw/go.mod does not require versitygw $VERSITYGW_VERSION" >&2; exit 1; }

if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "    cached build in $built" >&2
else
  command -v go >/dev/null || { echo "build-versitygw: Go 1.25+ is needed to build versitygw (the S3 server of the backup tests)" >&2; exit 1; }
  echo "    building versitygw $VERSITYGW_VERSION from Go modules (cold: ~5 minutes on 2 cores);" >&2
  echo "    later runs reuse $built" >&2
  mkdir -p "$built"
  # nice, and one package at a time unless VERSITYGW_BUILD_JOBS says more: the machine is shared.
  if ! CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" nice -n 10 go build -p "${VERSITYGW_BUILD_JOBS:-1}" \
    -ldflags "-s -w" -o "$bin.tmp" github.com/versity/versitygw/cmd/versitygw >"$built/build.log" 2>&1; then
    tail -20 "$built/build.log" >&2
    echo "build-versitygw: go build of github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION failed (log: $built/build.log)" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
