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
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}" "${HALLMARK_BENCH_PACKAGES[@]}"
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hallmark-server hallmarkctl hallmark-bench floor_server >/dev/null

dir=$(mktemp -d)
cleanup() { bench_cleanup "$dir" "${server_pid:-}" "${floor_pid:-}"; }
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
  --keys_dir "$dir/keys" --principals "$dir/principals.textpb" \
  --http_listen 127.0.0.1:0 --http_client_rate 1000000000 --http_global_rate 1000000000 \
  2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done
for _ in $(seq 100); do
  http_port=$(sed -n 's/.*"msg":"serving HTTP".*"port":"\([0-9]*\)".*/\1/p' "$dir/server.log" | head -n 1)
  [ -n "$http_port" ] && break
  sleep 0.1
done

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
# The web front door, driven by wrk (an independent HTTP/1.1 load generator, keep-alive), on
# codes never asked about, like verify-unique's: the JSON verdict and the consumer page.
echo "web workloads..." >&2
source bench/web.sh
"$ctl" issue --addr "unix:$dir/grpc.sock" --token "$token" --gtin 9506000134352 --count 600000 \
  --request-id web-bench --json --out "$dir/web.jsonl" >/dev/null
python3 -c "
import json, sys
for line in open('$dir/web.jsonl'):
    link = json.loads(line)['digital_link']
    print(link[link.index('/', link.index('//') + 2):])" >"$dir/web-paths.txt"
split -n l/6 -d "$dir/web-paths.txt" "$dir/web-paths-"  # one share per run
{
  web_workload web-verify-json "$http_port" "$dir/web-paths-00" application/json 32
  web_workload web-verify-html "$http_port" "$dir/web-paths-01" text/html 32
} >>"$dir/results.jsonl"
# The page's p99 at about half of its peak (fewer connections), fresh codes again.
html_peak=$(python3 -c "import json; r=[json.loads(l) for l in open('$dir/results.jsonl')]; print(next(x['ops_per_s'] for x in r if x['workload']=='web-verify-html'))")
share=2
for c in 8 4 2 1; do
  line=$(web_workload web-html-half-load "$http_port" "$dir/web-paths-0$share" text/html $c)
  share=$((share + 1))
  qps=$(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['ops_per_s'])")
  if python3 -c "import sys; sys.exit(0 if $qps <= 0.6*$html_peak else 1)"; then
    echo "$line" >>"$dir/results.jsonl"
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
