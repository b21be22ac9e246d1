#!/usr/bin/env bash
# Redis memory of what Verify and the lifecycle add per unit, through the real functions:
# a unit's scan record (first scan, then a scan from a second location), and its lifecycle
# state (a sale with a customer registration, then a return). Starts its own redis-server with
# deploy/redis/redis.conf on a unix socket in a temp dir and writes bench/lifecycle-memory.md.
#   bench/lifecycle_memory.sh [UNITS]
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-20000}
dir=$(mktemp -d)
sock="$dir/redis.sock"
trap 'redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
source bench/lib.sh
bench_start_redis "$dir" "appendonly no"
r() { redis-cli -s "$sock" "$@"; }
used() { r INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
meta='hm:{09506000134352}'
r FUNCTION LOAD REPLACE "$(cat server/registry/lua/*.lua)" >/dev/null
r FCALL hm_begin_batch 1 "$meta" '' 0 acme r1 issue RANDOM "$units" L1 '' k 0 '' seed '' '' '' fp '' '' >/dev/null
serial() { printf 'S%015d' "$1"; }
for ((first = 1; first <= units; first += 1000)); do
  last=$((first + 999 > units ? units : first + 999))
  r FCALL hm_register 1 "$meta" 1 1 $(for ((i = first; i <= last; i++)); do serial $i; echo -n ' '; done) >/dev/null
done
per_unit() { echo $(( ($2 - $1) / units )); }

m0=$(used)
for ((i = 1; i <= units; i++)); do
  echo "FCALL hm_verify 1 $meta $(serial $i) 1780000000 12345 1779900000"
done | r >/dev/null
m1=$(used)
for ((i = 1; i <= units; i++)); do
  echo "FCALL hm_verify 1 $meta $(serial $i) 1780000100 777 1779900000"
done | r >/dev/null
m2=$(used)
# A sale as hallmark-server applies it: status SOLD, the sale, its warranty, a 128-bit
# registration hash, the request id, and the event.
for ((i = 1; i <= units; i++)); do
  echo "FCALL hm_life_apply 1 $meta $(serial $i) 16 0 0 shop\nsale-$i 18 \"sold\n1780000000\n1780000001\nshop\nShop One\nRCPT-123456\nStore 12\n2\n\nwarranty 12 months\" 3 so \"1780000000\nShop One\nshop\" w \"1780000000\n1811536000\n12\n\" cr \"$(printf '%032x' $i)\n1780000001\" dc"
done | r >/dev/null
m3=$(used)
for ((i = 1; i <= units; i++)); do
  echo "FCALL hm_life_apply 1 $meta $(serial $i) 18 1 0 shop2\nret-$i 19 \"returned\n1780000100\n1780000101\nshop2\nShop Two\nRMA-12\nStore 9\n3\nreturn_other_retailer\nsold by Shop One\" 1 w \"1780000000\n1811536000\n12\nreturned\" so cr dc"
done | r >/dev/null
m4=$(used)
{
  echo "# Scan record and lifecycle memory per unit"
  echo
  echo "Command: \`bench/lifecycle_memory.sh $units\` ($(date -u +%Y-%m-%d), $(redis-server --version | cut -d' ' -f3)); \`used_memory\` deltas divided by $units units."
  echo
  echo "| what | bytes per unit |"
  echo "|---|---|"
  echo "| scan record, first scan | $(per_unit $m0 $m1) |"
  echo "| scan from a second location | $(per_unit $m1 $m2) |"
  echo "| first lifecycle event (sale with customer registration) | $(per_unit $m2 $m3) |"
  echo "| a further event (return at another retailer) | $(per_unit $m3 $m4) |"
} > bench/lifecycle-memory.md
cat bench/lifecycle-memory.md
