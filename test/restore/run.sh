#!/usr/bin/env bash
# `npm run test:restore`: the backup and restore round trip on a real PostgreSQL with pgvector,
# the real ElizaOS agent and a real S3 server (versitygw), through the real pulumi CLI on the
# simulator. Setup (fast when warm) installs all of them; the vitest project "restore" runs on
# its own because `elizaos start` rebuilds agent/dist, which the agent tests of `npm test` use
# too. The last line is `N passed, N failed`; the exit code is non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
bash scripts/setup.sh || fail "setup failed"
# shellcheck disable=SC1091
source .tools/env.sh

report=$(mktemp -d)/vitest.json
echo
echo "==> tests (vitest project restore)"
npx vitest run --project restore --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_status=$?
node scripts/test-summary.js "$report" 0 0 "$vitest_status"
