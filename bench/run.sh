#!/usr/bin/env bash
# The performance suite: builds Release, starts its own durable redis-server and hallmark-server
# (unix sockets in a temp dir), measures the machine's crypto limits with `openssl speed`, runs
# every hallmark-bench workload, and writes bench/RESULTS.md with the figures and the ratios
# against the targets. About 5 minutes on a 2-core machine. Not part of ./tests/run.sh.
#   bench/run.sh [--quick]      --quick: shorter windows and a 200,000-unit stream
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=${1:-}
dur=10s; warm=2s; stream_units=1000000
[ "$quick" = --quick ] && { dur=4s; warm=1s; stream_units=200000; }

source deploy/lib/packages.sh
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}"
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hallmark-server hallmarkctl hallmark-bench floor_server >/dev/null

dir=$(mktemp -d)
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "${floor_pid:-}" ] && kill "$floor_pid" 2>/dev/null && wait "$floor_pid" 2>/dev/null
  redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

# Redis: the shipped durable configuration.
source bench/lib.sh
bench_start_redis "$dir"
redis_pid=$(cat "$dir/redis.pid")

ctl="$build/client/hallmarkctl"
"$ctl" keys generate --keys_dir "$dir/keys" >/dev/null
token=$("$ctl" principals add --file "$dir/principals.textpb" --name bench --role issuer \
          --prefix 950600 --rate 1000000000 --burst 1000000000 --issue_rate 1000000000 \
          --issue_burst 1000000000 --max_streams 1000 | tail -n 1)
"$build/server/hallmark-server" --listen "unix:$dir/grpc.sock" --redis "unix://$dir/redis.sock" \
  --keys_dir "$dir/keys" --principals "$dir/principals.textpb" 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done

bench() {  # workload [extra flags]
  local w=$1; shift
  "$build/client/hallmark-bench" --addr "unix:$dir/grpc.sock" --token "$token" --workload "$w" \
    --duration "$dur" --warmup "$warm" --server_pid "$server_pid" --redis_pid "$redis_pid" \
    --json "$@"
}

echo "openssl speed (crypto limits)..." >&2
openssl speed -seconds 3 ecdsap256 ed25519 >"$dir/speed.txt" 2>/dev/null
echo "workloads..." >&2
{
  bench health --concurrency 32 --channels 2
  # verify-unique is bound by the server's CPU: one load-generator thread leaves the most of
  # the two shared cores to it (the floor below is driven the same way).
  bench verify-unique --concurrency 32 --channels 2 --prepare 400000 --threads 1
  bench verify-repeat --concurrency 32 --channels 2
  bench verify-batch --concurrency 4 --channels 2 --batch 100 --prepare 100000
  bench check-stolen --concurrency 1 --channels 1 --prepare 10000
  bench issue --concurrency 4 --channels 2
  bench issue-stream --stream_units "$stream_units"
} >"$dir/results.jsonl"
# P5: Verify latency at about half of the peak verify-unique rate (fewer calls in flight).
peak=$(python3 -c "import json,sys; r=[json.loads(l) for l in open('$dir/results.jsonl')]; print(next(x['ops_per_s'] for x in r if x['workload']=='verify-unique'))")
for c in 8 4 2 1; do
  line=$(bench verify-unique --concurrency $c --channels 2 --prepare 200000 --threads 1)
  qps=$(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['ops_per_s'])")
  if python3 -c "import sys; sys.exit(0 if $qps <= 0.6*$peak else 1)"; then
    echo "$line" | sed 's/"workload":"verify-unique"/"workload":"verify-half-load"/' >>"$dir/results.jsonl"
    break
  fi
done
# The floor: the same calls against bench/floor_server (gRPC + the signature check only, no
# Redis, no auth), with codes issued by the real server: what gRPC itself costs on this machine.
"$build/bench/floor_server" --listen "unix:$dir/floor.sock" --keys_dir "$dir/keys" &
floor_pid=$!
for _ in $(seq 100); do [ -S "$dir/floor.sock" ] && break; sleep 0.1; done
floor() {  # workload [extra flags]
  local w=$1; shift
  "$build/client/hallmark-bench" --addr "unix:$dir/floor.sock" --prepare_addr "unix:$dir/grpc.sock" \
    --token "$token" --workload "$w" --duration "$dur" --warmup "$warm" --server_pid "$floor_pid" \
    --json "$@" | sed "s/\"workload\":\"$w\"/\"workload\":\"floor-$w\"/"
}
{
  floor health --concurrency 32 --channels 2
  floor verify-unique --concurrency 32 --channels 2 --prepare 400000 --threads 1
} >>"$dir/results.jsonl"
used=$(redis-cli -s "$dir/redis.sock" info memory | tr -d '\r' | sed -n 's/^used_memory://p')
units=$(redis-cli -s "$dir/redis.sock" --raw fcall hm_count 1 'hm:{09506000134352}')

python3 bench/report.py "$dir/speed.txt" "$dir/results.jsonl" "$used" "$units" >bench/RESULTS.md
cat bench/RESULTS.md
