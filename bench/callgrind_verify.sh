#!/usr/bin/env bash
# The stable regression figure for Verify: instructions executed by hallmark-server per Verify,
# counted by valgrind's callgrind (repeatable whatever else the machine does). Runs the server
# under callgrind against its own Redis, sends N health checks, N repeat and N unique Verify
# calls, and prints instructions per call for each (total minus an idle run's).
#   bench/callgrind_verify.sh [N]     (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD; n=${1:-2000}
build=${HALLMARK_BUILD_DIR:-build}
cmake --build "$build" -j2 --target hallmark-server hallmarkctl hallmark-bench >/dev/null
dir=$(mktemp -d)
spid=""
trap 'kill $spid 2>/dev/null; redis-cli -s $dir/redis.sock shutdown nosave >/dev/null 2>&1; [ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf $dir' EXIT
source bench/lib.sh
bench_start_redis "$dir"
"$build/client/hallmarkctl" keys generate --keys_dir "$dir/keys" >/dev/null
token=$("$build/client/hallmarkctl" principals add --file "$dir/p.textpb" --name b --role issuer \
  --prefix 950600 --rate 1000000000 --burst 1000000000 --issue_rate 1000000000 \
  --issue_burst 1000000000 --max_streams 1000 | tail -n 1)
server() {  # [valgrind args...]: starts hallmark-server in the background
  "$@" "$build/server/hallmark-server" \
    --listen "unix:$dir/grpc.sock" --redis "unix://$dir/redis.sock" --keys_dir "$dir/keys" \
    --principals "$dir/p.textpb" --redis_timeout=30s 2>>"$dir/server.log" &
  spid=$!
  for _ in $(seq 300); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done
  sleep 2
}
stop() { kill "$spid"; wait "$spid" 2>/dev/null || true; rm -f "$dir/grpc.sock"; }
# The codes are issued by an uninstrumented server: only verification is counted.
server
"$build/client/hallmarkctl" issue --addr "unix:$dir/grpc.sock" --token "$token" \
  --gtin 09506000134352 --count "$n" --request-id callgrind --out "$dir/codes.csv"
stop
run() {  # label workload
  server valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$1"
  if [ "$2" != idle ]; then
    "$build/client/hallmark-bench" --addr "unix:$dir/grpc.sock" --token "$token" --workload "$2" \
      --concurrency 4 --channels 1 --warmup 0s --duration 600s --requests "$n" \
      --codes "$dir/codes.csv" --repeat_set 10 >/dev/null
  fi
  stop
  callgrind_annotate "$dir/cg.$1" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
idle=$(run idle idle)
health=$(run health health)
repeat=$(run repeat verify-repeat)
[ -n "${SKIP_UNIQUE:-}" ] && unique=0 || unique=$(run unique verify-unique)
echo "instructions per health check (the empty-RPC baseline): $(( (health - idle) / n ))"
echo "instructions per Verify (repeat, signature cache): $(( (repeat - idle) / n ))"
echo "instructions per Verify (unique, signature check): $(( (unique - idle) / n ))"
