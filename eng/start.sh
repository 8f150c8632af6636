#!/usr/bin/env bash
# Starts the whole system on its embedded default: Azurite, the Sandbox (a local stand-in for
# Alpaca) and the Server (the Functions app's routes on http://localhost:7071). Stays in the
# foreground; Ctrl+C stops everything it started.
#   --functions   the Functions app under a real Functions host instead of the Server: `func start`
#                 when Azure Functions Core Tools are installed, else the host built from source in
#                 ../shared/functions-host (built once, cached in .data/functions-host/).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

mode=server
case "${1:-}" in
  "") ;;
  --functions) mode=functions ;;
  *) echo "Usage: eng/start.sh [--functions]" >&2; exit 2 ;;
esac

# Where the Functions host comes from (checked before anything starts).
shared_host=""
if [[ $mode == functions ]] && ! command -v func >/dev/null; then
  for dir in "$repo_root/.." "$repo_root/../.."; do
    if compgen -G "$dir/shared/functions-host/host-src-*.tar.gz" >/dev/null; then shared_host="$(cd "$dir/shared/functions-host" && pwd)"; break; fi
  done
  if [[ -z $shared_host ]]; then
    echo "--functions needs Azure Functions Core Tools (func on PATH) or ../shared/functions-host (the Functions host built from source)." >&2
    echo "Neither is here; ./eng/start.sh without --functions runs the same app on the self-hosted Server." >&2
    exit 1
  fi
fi

data="$repo_root/.data"
mkdir -p "$data"
ensure_npm_tools

# Local secrets, made once and kept so stored tokens stay readable across restarts.
if [[ ! -f "$data/local-secrets.env" ]]; then
  {
    echo "FUNCTION_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    echo "TOKEN_KEY=$(head -c 32 /dev/urandom | base64)"
    echo "LINK_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
  } >"$data/local-secrets.env"
fi
source "$data/local-secrets.env"

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "Stopping ..."
  # (children too: the Functions host runs its worker as a child process)
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

AZURITE_LOG="$data/azurite.log" ensure_azurite "$data/azurite"
[[ -n "$AZURITE_PID" ]] && pids+=("$AZURITE_PID")

echo "Building ..."
dotnet build AlpacaConnectFunctions.sln -c Release --nologo -v quiet -clp:ErrorsOnly

sandbox_url="http://localhost:7072"
server_url="http://localhost:7071"

Sandbox__RedirectUris="$server_url/api/oauth/callback" \
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="$sandbox_url" \
  dotnet run --project src/AlpacaConnect.Sandbox -c Release --no-build --no-launch-profile >"$data/sandbox.log" 2>&1 &
pids+=($!)

app_settings=(
  Alpaca__SandboxUrl="$sandbox_url"
  Connect__PublicBaseUrl="$server_url"
  Connect__AllowedReturnOrigins="$server_url,http://localhost:3000,http://localhost:5173"
  Secrets__AlpacaClientSecret="sandbox-client-secret"
  Secrets__TokenEncryptionKey="$TOKEN_KEY"
  Secrets__LinkSigningSecret="$LINK_SECRET"
)
if [[ $mode == functions ]]; then
  app_dir="$repo_root/src/AlpacaConnect.Functions/bin/Release/net10.0"
  if command -v func >/dev/null; then
    host_name="func start"
    (cd "$app_dir" && exec env AzureWebJobsStorage="UseDevelopmentStorage=true" FUNCTIONS_WORKER_RUNTIME=dotnet-isolated "${app_settings[@]}" \
      func start --port 7071) &
  else
    host_name="the Functions host built from $shared_host"
    checksum=$(sha256sum "$shared_host"/host-src-*.tar.gz | cut -c1-16)
    cache="$data/functions-host/$checksum"
    if [[ ! -f "$cache/host-dir.txt" || ! -f "$(cat "$cache/host-dir.txt" 2>/dev/null)/Microsoft.Azure.WebJobs.Script.WebHost.dll" ]]; then
      echo "Building the Functions host from source (once, about a minute) ..."
      mkdir -p "$cache"
      bash "$shared_host/build-host.sh" "$cache/build" | tail -1 >"$cache/host-dir.txt"
    fi
    # Keys the host reads (AzureWebJobsSecretStorageType=files): the local key is its default function key.
    keys="$data/functions-keys"; mkdir -p "$keys"
    printf '{"masterKey":{"name":"master","value":"%s","encrypted":false},"functionKeys":[{"name":"default","value":"%s","encrypted":false}],"systemKeys":[],"hostName":null,"instanceId":"00000000000000000000000000000000","source":"runtime","decryptionKeyId":""}' \
      "master-$FUNCTION_KEY" "$FUNCTION_KEY" >"$keys/host.json"
    env HOST_DIR="$(cat "$cache/host-dir.txt")" APP_DIR="$app_dir" HOST_PORT=7071 BLOB_PORT=10000 QUEUE_PORT=10001 TABLE_PORT=10002 \
      FUNCTIONS_SECRETS_PATH="$keys" "${app_settings[@]}" bash "$shared_host/run-host.sh" >"$data/functions-host.log" 2>&1 &
  fi
  pids+=($!)
else
AzureWebJobsStorage="UseDevelopmentStorage=true" \
Alpaca__SandboxUrl="$sandbox_url" \
Connect__PublicBaseUrl="$server_url" \
Connect__AllowedReturnOrigins="$server_url,http://localhost:3000,http://localhost:5173" \
Server__FunctionKey="$FUNCTION_KEY" \
Secrets__AlpacaClientSecret="sandbox-client-secret" \
Secrets__TokenEncryptionKey="$TOKEN_KEY" \
Secrets__LinkSigningSecret="$LINK_SECRET" \
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="$server_url" \
  dotnet run --project src/AlpacaConnect.Server -c Release --no-build --no-launch-profile &
pids+=($!)
host_name="the Server"
fi

for _ in $(seq 1 600); do
  if curl -fsS "$server_url/api/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "$server_url/api/health" >/dev/null || { echo "$host_name did not become healthy; see the output above, $data/sandbox.log and (Functions) $data/functions-host.log" >&2; exit 1; }

cat <<INFO

Alpaca Connect Functions is running on $host_name.
  API               $server_url/api        health: $server_url/api/health
  Demo page         $server_url/demo       (connect, trade, watch it fill; the Server only)
  Sandbox (Alpaca)  $sandbox_url           logs: $data/sandbox.log
  Azurite           http://127.0.0.1:10000-10002 (data in $data/azurite)
  Function key      $FUNCTION_KEY   (send as x-functions-key)

Try it:
  curl -s -X POST $server_url/api/connect-links -H "x-functions-key: $FUNCTION_KEY" \\
    -H "content-type: application/json" \\
    -d '{"user_id":"alice","env":"paper","return_url":"$server_url/api/health"}'
  then open the returned url in a browser.

Press Ctrl+C to stop.
INFO
wait -n "${pids[@]}"
