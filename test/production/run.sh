#!/usr/bin/env bash
# `npm run test:production`: production mode end to end. Setup (fast when warm), the container
# toolchain (scripts/containers/setup.sh: podman and the base images, cached), the agent image
# (built from agent/Dockerfile unless the store has it for this tree), then the vitest project
# "production". The last line is `N passed, N failed`; the exit code is non-zero on any failure.
# Writes bench/production-results.json.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
bash scripts/setup.sh || fail "setup failed"
# shellcheck disable=SC1091
source .tools/env.sh
bash scripts/containers/setup.sh || fail "container toolchain setup failed"

echo
echo "==> agent image (agent/Dockerfile)"
# Built here, before the tests, so its progress shows as it happens; the test reuses it.
npx tsx test/production/image.ts || fail "building the agent image failed"

report=$(mktemp -d)/vitest.json
echo
echo "==> tests (vitest project production)"
npx vitest run --project production --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_status=$?
node scripts/test-summary.js "$report" 0 0 "$vitest_status"
