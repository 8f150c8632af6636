# Shared by eng/start.sh and eng/test.sh: install the pinned npm tooling and make sure Azurite runs.
# Sourced, not executed.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_npm_tools() {
  if [[ ! -x "$repo_root/node_modules/.bin/azurite" || "$repo_root/package-lock.json" -nt "$repo_root/node_modules/.package-lock.json" ]]; then
    echo "Installing pinned npm tooling (Azurite) ..."
    (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Starts Azurite unless one already listens on the default ports. Sets AZURITE_PID when it started one.
# $1: a --location folder, or "memory" for --inMemoryPersistence.
ensure_azurite() {
  AZURITE_PID=""
  if port_open 10000 && port_open 10001 && port_open 10002; then
    echo "Azurite already listening on 10000-10002; using it."
    return
  fi
  local persistence=(--inMemoryPersistence)
  if [[ "$1" != "memory" ]]; then mkdir -p "$1"; persistence=(--location "$1"); fi
  # --skipApiVersionCheck: current Azure.Storage clients send a service version Azurite 3.37 refuses.
  # --disableTelemetry: Azurite otherwise builds an App Insights envelope per request and phones home.
  # --max-semi-space-size=2: Azurite keeps every entity in its JS heap, so each young-generation GC
  # copies the entities written since the last one; with the default size those pauses reach
  # 5-25 ms and stall every request. 2 MB keeps each under ~15 ms (there are more of them).
  node --max-semi-space-size=2 "$repo_root/node_modules/azurite/dist/src/azurite.js" \
    --silent --disableTelemetry --skipApiVersionCheck --loose "${persistence[@]}" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"${AZURITE_LOG:-/dev/null}" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 100); do
    if port_open 10000 && port_open 10001 && port_open 10002; then echo "Azurite started (pid $AZURITE_PID)."; return; fi
    sleep 0.2
  done
  echo "Azurite did not start listening on 10000-10002." >&2
  return 1
}
