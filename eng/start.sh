#!/usr/bin/env bash
# Starts the whole system on its embedded default: Azurite, the Sandbox (a local stand-in for
# Alpaca) and the Server (the Functions app's routes on http://localhost:7071). Stays in the
# foreground; Ctrl+C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

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
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
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

for _ in $(seq 1 150); do
  if curl -fsS "$server_url/api/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "$server_url/api/health" >/dev/null || { echo "The Server did not become healthy; see the output above and $data/sandbox.log" >&2; exit 1; }

cat <<INFO

Alpaca Connect Functions is running.
  API (Server)      $server_url/api        health: $server_url/api/health
  Demo page         $server_url/demo       (connect, trade, watch it fill)
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
