#!/usr/bin/env bash
# Runs every test: installs the pinned tooling, starts Azurite if needed, runs the solution's tests.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Connect").
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

ensure_npm_tools
AZURITE_LOG="${TMPDIR:-/tmp}/alpaca-connect-azurite-test.log" ensure_azurite memory
trap '[[ -n "${AZURITE_PID:-}" ]] && kill "$AZURITE_PID" 2>/dev/null || true' EXIT

log="$(mktemp)"
status=0
dotnet test AlpacaConnectFunctions.sln "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test assemblies: "N passed, N failed, N skipped".
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [[ $status -eq 0 && $passed -eq 0 ]]; then echo "No test ran." >&2; exit 1; fi
exit $status
