#!/usr/bin/env bash
# Runs every test: installs the pinned tooling, starts Azurite if needed, runs the solution's tests.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Connect").
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

ensure_npm_tools
AZURITE_LOG="${TMPDIR:-/tmp}/alpaca-connect-azurite-test.log" ensure_azurite memory
trap '[[ -n "${AZURITE_PID:-}" ]] && kill "$AZURITE_PID" 2>/dev/null || true' EXIT

dotnet test AlpacaConnectFunctions.sln --logger "console;verbosity=normal" "$@"
