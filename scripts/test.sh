#!/usr/bin/env bash
# The project's test command (`npm test`): setup (fast when warm), lint and format check,
# type check, then every vitest project. The last line is `N passed, N failed`, counted from
# vitest's JSON report plus the lint and type checks; the exit code is non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
source .tools/env.sh

checks_passed=0
checks_failed=0
run_check() { # run_check <name> <command...>
  local name=$1
  shift
  echo
  echo "==> $name"
  if "$@"; then checks_passed=$((checks_passed + 1)); else
    checks_failed=$((checks_failed + 1))
    echo "$name FAILED"
  fi
}
run_check "lint and format (biome ci)" npx biome ci .
run_check "type check (tsc)" npx tsc -p tsconfig.check.json

report=$(mktemp -d)/vitest.json
# The "production" project (podman, the agent image) has its own command: npm run test:production.
[ $# -gt 0 ] || set -- --project unit --project e2e
echo
echo "==> tests (vitest $*)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_status=$?

node scripts/test-summary.js "$report" "$checks_passed" "$checks_failed" "$vitest_status"
