#!/usr/bin/env bash
# Builds and lints every Bicep file under infra/ with a pinned Bicep CLI.
#
# The Bicep CLI comes from the NuGet package Azure.Bicep.CommandLine.linux-x64
# (pinned below), fetched by `dotnet restore` of a throwaway project that only
# has a <PackageDownload>, so NuGet is the only network this needs. The package
# is cached (BICEP_CACHE_DIR, default ~/.cache/alpaca-connect/bicep), so a rerun
# does not restore again. Built ARM JSON goes to a temp dir, never the repo.
#
# Fails (non-zero) on any Bicep error OR warning, from `bicep build`,
# `bicep build-params` (for any .bicepparam) and `bicep lint`.
#
# Usage: bash .ci/bicep-build.sh        (from any directory)
set -euo pipefail

BICEP_PACKAGE="Azure.Bicep.CommandLine.linux-x64"
BICEP_VERSION="0.49.2"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

cache_dir="${BICEP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/alpaca-connect/bicep}"
pkg_dir="$cache_dir/packages"
package_id_lower="$(printf '%s' "$BICEP_PACKAGE" | tr '[:upper:]' '[:lower:]')"
bicep="$pkg_dir/$package_id_lower/$BICEP_VERSION/tools/bicep"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/bicep-build.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

# --- 1. Get the pinned Bicep CLI from NuGet (cached) ---------------------------
if [[ ! -f "$bicep" ]]; then
  echo "bicep-build: restoring $BICEP_PACKAGE $BICEP_VERSION from NuGet into $pkg_dir"
  mkdir -p "$pkg_dir" "$work_dir/restore"
  # Outside the repo so that its Directory.Build.props / Directory.Packages.props
  # (central package management) do not apply to this throwaway project.
  cat >"$work_dir/restore/bicep-download.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
    <ImportDirectoryBuildTargets>false</ImportDirectoryBuildTargets>
    <ImportDirectoryPackagesProps>false</ImportDirectoryPackagesProps>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$BICEP_PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
CSPROJ
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    dotnet restore "$work_dir/restore/bicep-download.csproj" --packages "$pkg_dir" --verbosity quiet
  if [[ ! -f "$bicep" ]]; then
    echo "bicep-build: ERROR: restore finished but $bicep is missing; package layout:" >&2
    find "$pkg_dir/$package_id_lower" -maxdepth 3 >&2 || true
    exit 1
  fi
fi
chmod +x "$bicep"
# Bicep is a self-contained .NET app; invariant globalization spares it a libicu dependency.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
echo "bicep-build: $("$bicep" --version)"

# --- 2. Build, build-params, lint ----------------------------------------------
mapfile -t bicep_files < <(find infra -type f -name '*.bicep' | LC_ALL=C sort)
mapfile -t param_files < <(find infra -type f -name '*.bicepparam' | LC_ALL=C sort)
if [[ ${#bicep_files[@]} -eq 0 ]]; then
  echo "bicep-build: ERROR: no .bicep files under infra/" >&2
  exit 1
fi

failed=0
checks=0
log="$work_dir/bicep.log"

# run LABEL CMD...: runs a bicep command, prints its output, and fails the check
# on a non-zero exit or on any Warning/Error diagnostic line (Bicep prints
# `file(line,col) : Warning BCPxxx: ...` and `... : Error BCPxxx: ...`).
run() {
  local label="$1"; shift
  checks=$((checks + 1))
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  if [[ -s "$log" ]]; then sed 's/^/    /' "$log"; fi
  if [[ $rc -ne 0 ]] || grep -Eq '(^|[[:space:]:])(Warning|Error)([[:space:]]|$)' "$log"; then
    echo "  FAIL  $label (exit $rc)"
    failed=$((failed + 1))
  else
    echo "  ok    $label"
  fi
}

out_dir="$work_dir/out"
mkdir -p "$out_dir"
# One process per command (`--pattern`): Bicep takes seconds to start, and the
# diagnostics still name each file. JSON lands in $out_dir mirroring infra/.
run "build ${#bicep_files[@]} files: infra/**/*.bicep -> $out_dir" \
  "$bicep" build --pattern 'infra/**/*.bicep' --outdir "$out_dir"
run "lint  ${#bicep_files[@]} files: infra/**/*.bicep" \
  "$bicep" lint --pattern 'infra/**/*.bicep'
for f in "${param_files[@]}"; do
  rel="${f#infra/}"
  mkdir -p "$out_dir/$(dirname "$rel")"
  run "build-params $f" "$bicep" build-params "$f" --outfile "$out_dir/${rel%.bicepparam}.parameters.json"
done
if [[ ! -f "$out_dir/main.json" ]]; then
  echo "  FAIL  no $out_dir/main.json after build"
  failed=$((failed + 1))
fi
for f in "${bicep_files[@]}"; do
  rel="${f#infra/}"
  if [[ -f "$out_dir/${rel%.bicep}.json" ]]; then echo "          built $f"; fi
done

# --- 3. The JSON parameters file must match main.bicep's parameters ------------
# Every parameter it sets must exist in main.bicep, and every main.bicep
# parameter without a default must be set (what `az deployment group create
# -f infra/main.bicep -p infra/main.parameters.json` needs).
if [[ -f infra/main.parameters.json && -f "$out_dir/main.json" ]]; then
  checks=$((checks + 1))
  if command -v python3 >/dev/null 2>&1; then
    if python3 - "$out_dir/main.json" infra/main.parameters.json <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
params_doc = json.load(open(sys.argv[2]))
declared = template.get("parameters", {})
given = params_doc.get("parameters", {})
problems = []
for name in given:
    if name not in declared:
        problems.append(f"main.parameters.json sets '{name}', which main.bicep does not declare")
for name, spec in declared.items():
    if "defaultValue" not in spec and name not in given and not spec.get("nullable"):
        problems.append(f"main.bicep parameter '{name}' has no default and is not set in main.parameters.json")
for name, entry in given.items():
    allowed = declared.get(name, {}).get("allowedValues")
    if allowed is not None and "value" in entry and entry["value"] not in allowed:
        problems.append(f"main.parameters.json '{name}' = {entry['value']!r} is not one of {allowed}")
for p in problems:
    print("    Error: " + p)
sys.exit(1 if problems else 0)
PY
    then
      echo "  ok    infra/main.parameters.json matches main.bicep parameters"
    else
      echo "  FAIL  infra/main.parameters.json does not match main.bicep parameters"
      failed=$((failed + 1))
    fi
  else
    echo "  skip  parameters-file check (no python3)"
  fi
fi

if [[ $failed -ne 0 ]]; then
  echo "bicep-build: FAILED: $failed of $checks checks failed (${#bicep_files[@]} .bicep, ${#param_files[@]} .bicepparam; Bicep $BICEP_VERSION)"
  exit 1
fi
echo "bicep-build: OK: $checks checks passed, 0 warnings, 0 errors (${#bicep_files[@]} .bicep, ${#param_files[@]} .bicepparam; Bicep $BICEP_VERSION)"
