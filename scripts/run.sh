#!/usr/bin/env bash
# Runs a command with this project's toolchain: setup first (seconds when warm; it prints what
# it builds on a fresh machine), then Node 22 and the pulumi CLI from .tools first on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/setup.sh"
# shellcheck disable=SC1091
source "$root/.tools/env.sh"
cd "$root"
exec "$@"
