#!/usr/bin/env bash
# `npm run test:proxy`: the agent's front door through the real Traefik. Setup (fast when warm),
# the container toolchain and the agent image (as test:production), Traefik built from Go
# modules (scripts/proxy/build-traefik.sh, cached), Chromium from Debian's packages, then the
# vitest project "proxy". The web UI screenshot is kept in test-artifacts/proxy/. The last line
# is `N passed, N failed`; the exit code is non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
bash scripts/setup.sh || fail "setup failed"
# shellcheck disable=SC1091
source .tools/env.sh
bash scripts/containers/setup.sh || fail "container toolchain setup failed"

echo
echo "==> Traefik (scripts/proxy/build-traefik.sh)"
bash scripts/proxy/build-traefik.sh || fail "building Traefik failed"

echo
echo "==> Chromium (Debian package)"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    fail "Chromium is missing and installing it needs root: apt-get install chromium"
  fi
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends chromium >/dev/null || fail "apt-get install chromium failed"
fi
echo "    $(chromium --version 2>/dev/null)"

echo
echo "==> agent image (agent/Dockerfile)"
npx tsx test/production/image.ts || fail "building the agent image failed"

report=$(mktemp -d)/vitest.json
echo
echo "==> tests (vitest project proxy)"
npx vitest run --project proxy --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_status=$?
node scripts/test-summary.js "$report" 0 0 "$vitest_status"
