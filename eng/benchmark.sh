#!/usr/bin/env bash
# Runs the trading benchmark (tests/AlpacaConnect.Benchmarks, Release): installs the pinned tooling,
# starts Azurite if needed, then measures. Works from any directory; arguments go to the benchmark
# (--trades N --users U --concurrency C --rate R --ack-trades N --latency-ms L --warmup N --out PATH).
# A relative --out is relative to the directory you run this from; the default is <repo>/.data/benchmark.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_npm_tools
AZURITE_LOG="${TMPDIR:-/tmp}/alpaca-connect-azurite-benchmark.log" ensure_azurite memory
trap '[[ -n "${AZURITE_PID:-}" ]] && kill "$AZURITE_PID" 2>/dev/null || true' EXIT

dotnet run -c Release --project "$repo_root/tests/AlpacaConnect.Benchmarks" -- "$@"
