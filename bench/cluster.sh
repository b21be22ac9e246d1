#!/usr/bin/env bash
# What replicated acknowledgements cost (docs/scaling.md): on one Redis Cluster (3 masters + 3
# replicas, the shipped durable settings, started here on loopback), the same workloads against
# hallmark-server with --redis_replicas 0 (acknowledged once on the master's disk) and 1
# (acknowledged once a replica has it too), one after the other, then 0 again (drift check).
# Writes bench/cluster-results.md. A few minutes on a 2-core machine. Not part of the tests.
#   bench/cluster.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
dur=8s; warm=2s; stream_units=300000
[ "$quick" = --quick ] && { dur=3s; warm=1s; stream_units=60000; }

source bench/lib.sh
bench_build hallmark-server hallmarkctl hallmark-bench

dir=$(mktemp -d)
ports=()
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  for p in "${ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Six nodes with the shipped settings (deploy/redis/redis.conf + redis-cluster.conf).
seeds=()
for i in 1 2 3 4 5 6; do
  port=$(free_port); bus=$(free_port)
  mkdir -p "$dir/node$i"
  cat >"$dir/node$i/redis.conf" <<CONF
include $PWD/deploy/redis/redis.conf
include $PWD/deploy/redis/redis-cluster.conf
bind 127.0.0.1
port $port
cluster-port $bus
dir $dir/node$i
save ""
daemonize yes
pidfile $dir/node$i/redis.pid
logfile $dir/node$i/redis.log
CONF
  redis-server "$dir/node$i/redis.conf"
  ports+=("$port"); seeds+=("127.0.0.1:$port")
done
for p in "${ports[@]}"; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${seeds[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
echo "waiting for the cluster and its replicas..." >&2
for _ in $(seq 300); do
  ok=1
  for p in "${ports[@]}"; do
    redis-cli -p "$p" cluster info | grep -q cluster_state:ok || ok=0
    if redis-cli -p "$p" role | head -1 | grep -q master; then
      redis-cli -p "$p" info replication | grep -q 'state=online' || ok=0
    fi
  done
  [ $ok = 1 ] && break
  sleep 0.2
done
address="cluster://$(IFS=,; echo "${seeds[*]}")"

ctl="$build/client/hallmarkctl"
"$ctl" keys generate --keys_dir "$dir/keys" >/dev/null
token=$("$ctl" principals add --file "$dir/principals.textpb" --name bench --role issuer \
          --prefix 950600 --rate 1000000000 --burst 1000000000 --issue_rate 1000000000 \
          --issue_burst 1000000000 --max_streams 1000 | tail -n 1)

run_server() {  # replicas
  "$build/server/hallmark-server" --listen "unix:$dir/grpc.sock" --redis "$address" \
    --redis_replicas "$1" --keys_dir "$dir/keys" --principals "$dir/principals.textpb" \
    --log_rpcs=false 2>>"$dir/server-$1.log" &
  server_pid=$!
  for _ in $(seq 200); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done
}
stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  rm -f "$dir/grpc.sock"
}
bench() {  # label workload [extra flags]
  local label=$1 w=$2; shift 2
  "$build/client/hallmark-bench" --addr "unix:$dir/grpc.sock" --token "$token" --workload "$w" \
    --duration "$dur" --warmup "$warm" --server_pid "$server_pid" --json "$@" |
    sed "s/^{/{\"replicas\":\"$label\",/"
}
round() {  # replicas label
  run_server "$1"
  # Each round issues its own GTIN's stream and its own prepared codes: no round reads or
  # writes what another left in a cache.
  local gtin
  case $2 in 0) gtin=09506000134352;; 1) gtin=09506000134369;; *) gtin=09506000134376;; esac
  bench "$2" issue-stream --gtin "$gtin" --stream_units "$stream_units"
  bench "$2" issue --gtin "$gtin" --concurrency 4 --channels 2
  bench "$2" report-stolen --gtin "$gtin" --concurrency 16 --channels 2 --prepare 20000
  bench "$2" verify-unique --gtin "$gtin" --concurrency 8 --channels 2 --prepare 60000 --threads 1
  stop_server
}
echo "N=0, N=1, N=0 again..." >&2
{
  round 0 0
  round 1 1
  round 0 0b
} >"$dir/results.jsonl"
python3 - "$dir/results.jsonl" "$(nproc)" >bench/cluster-results.md <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
get = lambda label, w: next(r for r in rows if r["replicas"] == label and r["workload"] == w)
print("# Replicated acknowledgements: what they cost\n")
print("`bench/cluster.sh` on a 3-master, 3-replica Redis Cluster on loopback (the shipped")
print("durable settings, `appendfsync always` on every node), %s cores shared by the six" % sys.argv[2])
print("redis-servers, hallmark-server and the load generator. Same cluster, same run:")
print("`--redis_replicas 0` (acknowledged once in the master's AOF), then `1` (and a replica")
print("has it: Redis `WAIT`, one per group of writes), then `0` again to show the drift.\n")
print("| workload | measure | N = 0 | N = 1 | N = 0 again | N=1 ÷ N=0 |")
print("|---|---|---|---|---|---|")
def line(w, key, what, fmt="%.0f"):
    a, b, c = get("0", w)[key], get("1", w)[key], get("0b", w)[key]
    ratio = b / ((a + c) / 2) if (a + c) else float("nan")
    print("| %s | %s | %s | %s | %s | %.2f |" % (w, what, fmt % a, fmt % b, fmt % c, ratio))
line("issue-stream", "items_per_s", "units/s")
line("issue", "items_per_s", "units/s (1,000-unit calls, 4 in flight)")
line("issue", "p99_ms", "p99 ms", "%.2f")
line("report-stolen", "ops_per_s", "reports/s (1 unit, 16 in flight)")
line("report-stolen", "p99_ms", "p99 ms", "%.2f")
line("verify-unique", "ops_per_s", "verifications/s (8 in flight)")
line("verify-unique", "p50_ms", "p50 ms", "%.2f")
line("verify-unique", "p99_ms", "p99 ms", "%.2f")
errors = sum(r.get("errors", 0) for r in rows)
print("\nErrors in all rounds: %d. Raw results (JSON lines):\n" % errors)
print("```")
for r in rows:
    print(json.dumps(r))
print("```")
PY
cat bench/cluster-results.md
