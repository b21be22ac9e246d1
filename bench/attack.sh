#!/usr/bin/env bash
# Hostile callers against one hallmark-server (docs/security.md), measured in one run and
# written to bench/attack-results.md. Not part of ./tests/run.sh; about 2 minutes.
#
#  1. half-open: 200 unauthenticated streams over 4 connections, each announcing a 4 MiB Verify
#     request and sending all of it the server lets through, never finishing (held 12 s);
#  2. empty streams: 50,000 header-only streams over 50 connections (held 12 s);
#  3. issuance flood: 50 concurrent StreamIssueSerials of 200,000 units each, by an issuer with
#     the default limits, then by one without limits (50 streams, no units budget).
# During each, a well-behaved verifier (verify-repeat, 4 calls in flight) measures p99 and
# errors; the server's peak RSS is sampled every 0.2 s. Everything runs on unix sockets.
#   bench/attack.sh [hallmark-server flags...]   e.g. --max_concurrent_streams=1000 to compare
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build hallmark-server hallmarkctl hallmark-bench

dir=$(mktemp -d)
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
bench_start_redis "$dir"
ctl="$build/client/hallmarkctl"
"$ctl" keys generate --keys_dir "$dir/keys" >/dev/null
unlimited=(--rate 1000000000 --burst 1000000000)
verifier=$("$ctl" principals add --file "$dir/p.textpb" --name verifier --role issuer \
             --prefix 950600 "${unlimited[@]}" | tail -n 1)
# Two flooding issuers: one with a real issuer's defaults (4 streams, 20,000 units/s), one
# that may run 50 streams with no units budget, so that only the bulk gate and the signing
# pool's lower CPU priority stand between its flood and the verifier.
flooder=$("$ctl" principals add --file "$dir/p.textpb" --name flooder --role issuer \
            --prefix 950601 "${unlimited[@]}" | tail -n 1)
unlimited_flooder=$("$ctl" principals add --file "$dir/p.textpb" --name unlimited-flooder \
            --role issuer --prefix 950601 "${unlimited[@]}" --issue_rate 1000000000 \
            --issue_burst 1000000000 --max_streams 50 | tail -n 1)
server_flags=("$@")
start_server() {  # a fresh server for each scenario, so one's memory does not hide another's
  rm -f "$dir/grpc.sock"
  "$build/server/hallmark-server" --listen "unix:$dir/grpc.sock" --redis "unix://$dir/redis.sock" \
    --keys_dir "$dir/keys" --principals "$dir/p.textpb" --log_rpcs=false "${server_flags[@]}" \
    2>>"$dir/server.log" &
  server_pid=$!
  for _ in $(seq 100); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done
  sleep 0.5
}
stop_server() { kill "$server_pid"; wait "$server_pid" || true; server_pid=; }
hb="$build/client/hallmark-bench"

rss_kb() { awk '/VmRSS/{print $2}' "/proc/$server_pid/status"; }
verifier_load() {  # the well-behaved verifier: 5 s of verify-repeat, JSON
  "$hb" --addr "unix:$dir/grpc.sock" --token "$verifier" --workload verify-repeat \
    --concurrency 4 --channels 1 --threads 1 --duration 5s --warmup 1s --json || true
}
sample_peak() {  # PID: prints the server's peak RSS (kB) while PID runs
  local peak=0 now
  while kill -0 "$1" 2>/dev/null; do
    now=$(rss_kb); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.2
  done
  echo "$peak"
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ''))" "$1" "$2"; }

echo "baseline..." >&2
start_server
rss_idle=$(rss_kb)
base=$(verifier_load)
stop_server

attack() {  # name, then hallmark-bench flags of the attack
  local name=$1; shift
  echo "$name..." >&2
  start_server
  "$hb" --addr "unix:$dir/grpc.sock" "$@" >"$dir/$name.json" 2>"$dir/$name.err" &
  local apid=$!
  sample_peak "$apid" >"$dir/$name.peak" &
  local spid=$!
  sleep 3
  verifier_load >"$dir/$name.verify"
  wait "$apid" || true
  wait "$spid"
  stop_server
}
attack half-open --workload half-open --attack_streams 200 --attack_bytes 4194304 --channels 4 \
  --duration 12s
attack empty-streams --workload half-open --attack_streams 50000 --attack_bytes 0 --channels 50 \
  --duration 12s
flood() {  # name token: 50 streams of one issuer at once, while the verifier measures
  local name=$1 token=$2
  echo "$name..." >&2
  start_server
  rm -f "$dir"/flood.*.json
  for i in $(seq 50); do
    # At nice 19: the flooding clients share the two cores with the server here; elsewhere
    # they would not.
    nice -n 19 "$hb" --addr "unix:$dir/grpc.sock" --token "$token" --gtin 09506010000005 \
      --workload issue-stream --stream_units 200000 --json >"$dir/flood.$i.json" 2>&1 &
  done
  sleep 3
  verifier_load >"$dir/$name.verify" &
  local vpid=$!
  sample_peak "$vpid" >"$dir/$name.peak"
  wait "$vpid" || true
  pkill -f "hallmark-bench --addr unix:$dir/grpc.sock --token $token" 2>/dev/null || true
  sleep 0.5
  issued=$(redis-cli -s "$dir/redis.sock" --raw fcall_ro hm_count 1 'hm:{09506010000005}' || true)
  refused=$(cat "$dir"/flood.*.json | grep -c "max_streams" || true)
  echo "50 concurrent streams of 200,000 units: $refused refused (max_streams), $issued units registered in all" >"$dir/$name.json"
  redis-cli -s "$dir/redis.sock" flushall >/dev/null
  stop_server
}
flood issue-flood "$flooder"
flood issue-flood-unlimited "$unlimited_flooder"

{
  echo "# Hostile callers: bench/attack.sh"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, hallmark-server flags: ${*:-defaults}."
  echo "A well-behaved verifier (verify-repeat, 4 calls in flight) runs 5 s alone, then during"
  echo "each attack. RSS is the server's resident memory (peak sampled every 0.2 s)."
  echo
  echo "| run | verifier p99 ms | ÷ baseline | verifier errors | server RSS peak MiB | attack |"
  echo "|---|---|---|---|---|---|"
  b99=$(field "$base" p99_ms)
  echo "| baseline | $b99 | 1.00 | $(field "$base" errors) | $((rss_idle / 1024)) (idle) | — |"
  for name in half-open empty-streams issue-flood issue-flood-unlimited; do
    v=$(cat "$dir/$name.verify")
    p99=$(field "$v" p99_ms)
    ratio=$(python3 -c "print(f'{float(\"$p99\")/float(\"$b99\"):.2f}')" 2>/dev/null || echo "?")
    peak=$(cat "$dir/$name.peak")
    what=$(cat "$dir/$name.json")
    echo "| $name | $p99 | $ratio | $(field "$v" errors) | $((peak / 1024)) | \`$what\` |"
  done
} >bench/attack-results.md
cat bench/attack-results.md
