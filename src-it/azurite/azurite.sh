#!/usr/bin/env bash
# A throwaway Azurite (Microsoft's Azure Storage emulator) serving Blob Storage on 127.0.0.1.
#
#   azurite.sh install            install npm azurite@3.37.0 into a cache directory (no root, nothing global)
#   azurite.sh start DIR [PORT]   start the blob service only (default port 10000), data on disk in DIR/data;
#                                 creates the container tenure-it; writes DIR/env
#   azurite.sh stop DIR           stop the server started in DIR
#
# DIR/env holds AZURE_STORAGE_CONNECTION_STRING (Azurite's well-known development account and key,
# published in Microsoft's documentation, with its BlobEndpoint), TENURE_AZURE_ENDPOINT and
# TENURE_AZURE_CONTAINER for the integration tests, and TENURE_AZURE_SAS_FILE: a file holding a
# connection string with an account SAS instead of the key, so the tests prove SAS authorisation too.
#
# Disk persistence, not --inMemoryPersistence: the in-memory mode stalls during its periodic cleanup
# after tens of thousands of uploads. Neither --loose nor --skipApiVersionCheck: Tenure sends only
# headers Azure documents and an x-ms-version that 3.37.0 knows, and the tests should fail if not.
set -euo pipefail

VERSION=3.37.0
CACHE=${TENURE_AZURITE_CACHE:-$HOME/.cache/tenure-azurite}
PREFIX=$CACHE/$VERSION
BIN=$PREFIX/node_modules/.bin/azurite-blob
ACCOUNT=devstoreaccount1
# Azurite's fixed development key (Microsoft documents it; it guards nothing).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONTAINER=tenure-it

install() {
  if [ -x "$BIN" ] && [ "$("$BIN" --version 2>/dev/null)" = "$VERSION" ]; then
    echo "azurite.sh: azurite $VERSION is installed in $PREFIX"
    return 0
  fi
  command -v npm >/dev/null || { echo "azurite.sh: npm (Node.js 18 or later) is needed to install azurite" >&2; return 1; }
  echo "azurite.sh: installing azurite@$VERSION into $PREFIX"
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "azurite@$VERSION" >/dev/null
  [ -x "$BIN" ] || { echo "azurite.sh: $BIN missing after npm install" >&2; return 1; }
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Creates the container (Shared Key signed, by Node's own crypto: no SDK needed) and writes an account
# SAS connection string into a file. Prints the HTTP status of the create.
prepare() {
  local endpoint=$1 sasfile=$2
  AZ_ENDPOINT=$endpoint AZ_KEY=$KEY AZ_ACCOUNT=$ACCOUNT AZ_CONTAINER=$CONTAINER AZ_SASFILE=$sasfile node -e '
const http = require("http"), crypto = require("crypto"), fs = require("fs");
const {AZ_ENDPOINT: endpoint, AZ_KEY: key, AZ_ACCOUNT: account, AZ_CONTAINER: container, AZ_SASFILE: sasfile} = process.env;
const version = "2025-01-05", date = new Date().toUTCString();
const url = new URL(endpoint + "/" + container + "?restype=container");
const toSign = ["PUT", "", "", "", "", "", "", "", "", "", "", "",
  "x-ms-date:" + date, "x-ms-version:" + version,
  "/" + account + url.pathname + "\nrestype:container"].join("\n");
const sig = crypto.createHmac("sha256", Buffer.from(key, "base64")).update(toSign, "utf8").digest("base64");
const expiry = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
// Account SAS (version 2018-11-09 form): account, permissions, services, resource types, start, expiry, ip, protocol, version.
const sasSign = [account, "rwdlac", "b", "co", "", expiry, "", "", "2018-11-09", ""].join("\n");
const sasSig = crypto.createHmac("sha256", Buffer.from(key, "base64")).update(sasSign, "utf8").digest("base64");
const sas = "sv=2018-11-09&ss=b&srt=co&sp=rwdlac&se=" + encodeURIComponent(expiry) + "&sig=" + encodeURIComponent(sasSig);
fs.writeFileSync(sasfile, "BlobEndpoint=" + endpoint + ";SharedAccessSignature=" + sas + "\n", {mode: 0o600});
const req = http.request(url, {method: "PUT", headers: {"x-ms-date": date, "x-ms-version": version,
  "Authorization": "SharedKey " + account + ":" + sig, "Content-Length": "0"}}, res => { console.log(res.statusCode); res.resume(); });
req.on("error", e => { console.error(e.message); process.exit(1); });
req.end();'
}

start() {
  local dir=${1:?usage: azurite.sh start DIR [PORT]} port=${2:-10000}
  [ -x "$BIN" ] || { echo "azurite.sh: azurite is not installed; run: azurite.sh install" >&2; return 1; }
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  stop "$dir" 2>/dev/null || true
  if port_in_use "$port"; then
    echo "azurite.sh: port $port on 127.0.0.1 is in use (another Azurite still running?); stop it or choose another port" >&2
    return 1
  fi
  rm -rf "${dir:?}/data"
  mkdir -p "$dir/data"
  local started; started=$(date +%s)
  # setsid: its own process group, so stop ends node and nothing else.
  setsid "$BIN" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/data" --silent --disableTelemetry \
    > "$dir/azurite.log" 2>&1 < /dev/null &
  echo $! > "$dir/azurite.pid"
  local endpoint=http://127.0.0.1:$port/$ACCOUNT status=""
  for _ in $(seq 1 300); do
    if ! kill -0 "$(cat "$dir/azurite.pid")" 2>/dev/null; then
      echo "azurite.sh: azurite exited; its log:" >&2
      tail -n 20 "$dir/azurite.log" >&2
      return 1
    fi
    status=$(prepare "$endpoint" "$dir/sas-connection-string" 2>/dev/null || true)
    if [ "$status" = 201 ] || [ "$status" = 409 ]; then break; fi
    sleep 0.1
  done
  if [ "$status" != 201 ] && [ "$status" != 409 ]; then
    echo "azurite.sh: azurite did not answer on 127.0.0.1:$port within 30 s (last status '$status'); log in $dir/azurite.log" >&2
    return 1
  fi
  cat > "$dir/env" <<ENV
export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$endpoint;'
export TENURE_AZURE_ENDPOINT=$endpoint
export TENURE_AZURE_CONTAINER=$CONTAINER
export TENURE_AZURE_SAS_FILE=$dir/sas-connection-string
ENV
  echo "azurite.sh: azurite $VERSION (blob) ready on $endpoint in $(( $(date +%s) - started )) s, data in $dir/data (pid $(cat "$dir/azurite.pid"))"
}

stop() {
  local dir=${1:?usage: azurite.sh stop DIR}
  [ -f "$dir/azurite.pid" ] || return 0
  local pid; pid=$(cat "$dir/azurite.pid")
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$pid" 2>/dev/null || true
  rm -f "$dir/azurite.pid"
}

cmd=${1:-}
shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: azurite.sh install | start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
