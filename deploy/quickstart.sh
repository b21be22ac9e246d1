#!/usr/bin/env bash
# Quickstart: a local Hallmark on this machine.
#   ./deploy/quickstart.sh        install what is missing, build (Release), start a durable
#                                 redis-server (data in ./var/redis, unix socket) and
#                                 hallmark-server on 127.0.0.1:50051 (gRPC) and
#                                 127.0.0.1:8080 (the web page a scanned label opens), create a
#                                 dev signing key and dev principals if none exist, and issue a
#                                 few units; prints the URL of a demo unit's page.
#   ./deploy/quickstart.sh stop   stop both.
# Safe to re-run: what is running keeps running, what exists is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
var="$root/var"
build=${HALLMARK_BUILD_DIR:-build}
addr=127.0.0.1:50051
web=127.0.0.1:${HALLMARK_WEB_PORT:-8080}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  for p in hallmark-server redis; do
    if pid_alive "$var/$p.pid"; then
      kill "$(cat "$var/$p.pid")"
      for _ in $(seq 100); do pid_alive "$var/$p.pid" || break; sleep 0.1; done
      echo "stopped $p"
    fi
    rm -f "$var/$p.pid"
  done
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi

source deploy/lib/packages.sh
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hallmark-server hallmarkctl
ctl="$root/$build/client/hallmarkctl"
mkdir -p "$var/redis"
chmod 700 "$var"

# 1. A durable redis-server (deploy/redis/redis.conf: appendonly, appendfsync always).
if ! pid_alive "$var/redis.pid"; then
  cat >"$var/redis.conf" <<CONF
include $root/deploy/redis/redis.conf
port 0
unixsocket $var/redis.sock
unixsocketperm 700
dir $var/redis
pidfile $var/redis.pid
logfile $var/redis.log
daemonize yes
CONF
  redis-server "$var/redis.conf"
  for _ in $(seq 100); do redis-cli -s "$var/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "redis-server running (unix://$var/redis.sock, data in var/redis)"
fi

# 2. A dev signing key and dev principals (tokens kept in var/dev-tokens.env, mode 0600).
if ! grep -qs ACTIVE "$var/keys/keys.manifest"; then
  "$ctl" keys generate --keys_dir "$var/keys"
fi
"$ctl" keys registration-key --keys_dir "$var/keys" >/dev/null  # var/ from before lifecycle
if [ ! -f "$var/principals.textpb" ]; then
  umask 077
  : >"$var/dev-tokens.env"
  add() {  # name role organisation [prefix]
    local token
    token=$("$ctl" principals add --file "$var/principals.textpb" --name "$1" --role "$2" \
              --org "$3" ${4:+--prefix "$4"} | tail -n 1)
    echo "export HALLMARK_TOKEN_$(echo "$1" | tr 'a-z-' 'A-Z_')=$token" >>"$var/dev-tokens.env"
  }
  # One organisation each: a case belongs to the organisation that opened it.
  add dev-issuer issuer "Dev Brand" 950600
  add dev-retailer retailer "Dev Shop"
  add dev-verifier verifier "Dev App"
  add dev-police law_enforcement "Dev Police"
  umask 022
  echo "created dev principals; their tokens:"
  cat "$var/dev-tokens.env"
fi

# 3. hallmark-server.
if ! pid_alive "$var/hallmark-server.pid"; then
  nohup "$root/$build/server/hallmark-server" --listen "$addr" \
    --redis "unix://$var/redis.sock" --keys_dir "$var/keys" \
    --principals "$var/principals.textpb" --resolver_host id.example.com \
    --http_listen "$web" --http_public_base "http://$web" --responder_gln 0950600013439 \
    >>"$var/hallmark-server.log" 2>&1 &
  echo $! >"$var/hallmark-server.pid"
  for _ in $(seq 150); do
    (exec 3<>/dev/tcp/127.0.0.1/50051) 2>/dev/null && break
    pid_alive "$var/hallmark-server.pid" || { tail -n 5 "$var/hallmark-server.log"; exit 1; }
    sleep 0.1
  done
  echo "hallmark-server running on $addr (log: var/hallmark-server.log)"
fi

# 4. Demo: issue three signed units for GTIN 09506000134352 and check one offline.
source "$var/dev-tokens.env"
echo
echo "Issuing 3 units (hallmarkctl issue):"
"$ctl" issue --addr "$addr" --token "$HALLMARK_TOKEN_DEV_ISSUER" --gtin 09506000134352 \
  --lot DEMO1 --count 3 --request_id "quickstart-demo" | tee "$var/demo-units.csv"
link=$(sed -n 2p "$var/demo-units.csv" | cut -d, -f6)
echo
echo "Checking the first one offline against the key ring (hallmarkctl code inspect):"
"$ctl" code inspect "$link" --keys_dir "$var/keys" | tail -n 1
echo
unit=$(sed -n 3p "$var/demo-units.csv" | cut -d, -f1,2)
code=$(sed -n 3p "$var/demo-units.csv" | cut -d, -f6)
echo "A retailer sells the second one; its warranty starts (hallmarkctl event sold, warranty):"
"$ctl" event sold "$unit" --addr "$addr" --token "$HALLMARK_TOKEN_DEV_RETAILER" \
  --location "Demo store" || true  # already sold when the demo runs again
# A consumer's app asks with the code it scanned (a bare serial tells a verifier nothing).
"$ctl" warranty "$code" --addr "$addr" --token "$HALLMARK_TOKEN_DEV_VERIFIER" || true
echo
# What a genuine unit's page shows, set by the brand (hallmarkctl links set).
"$ctl" links set --addr "$addr" --token "$HALLMARK_TOKEN_DEV_ISSUER" --gtin 09506000134352 \
  --name "Demo Trail Runner" --brand "Demo Brand" --support "support@brand.example" \
  --link 'gs1:pip=https://brand.example/trail-runner|Product page' >/dev/null
# What a phone opens when it scans the label: the printed URL's path on this local resolver.
page="http://$web/${link#*://*/}"
echo "The consumer page of the first unit (open it in a browser; JSON with Accept: application/json):"
echo "  $page"
curl -s -H 'Accept: application/json' "$page" && echo
echo
# Regulated goods: a lot with its expiry date, and the GS1 verification message a pharmacy's
# system (or the DSCSA router) sends with its token (docs/regulated.md).
med=$("$ctl" issue --addr "$addr" --token "$HALLMARK_TOKEN_DEV_ISSUER" --gtin 09506000134352 \
  --lot MED1 --expiry 281130 --production 261115 --count 1 --request_id "quickstart-med" |
  sed -n 2p)
serial=$(echo "$med" | cut -d, -f2)
echo "A dated pack: $(echo "$med" | cut -d, -f7)"
echo "A pharmacy verifies its product identifier (GS1 verification message):"
curl -s -H "Authorization: Bearer $HALLMARK_TOKEN_DEV_RETAILER" \
  "http://$web/gtin/09506000134352/lot/MED1/ser/$serial?exp=281130&linkType=verificationService&context=dscsaSaleableReturn" &&
  echo
echo
echo "Stop with: ./deploy/quickstart.sh stop"
