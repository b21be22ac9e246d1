#!/usr/bin/env bash
# Redis memory per issued unit (target: <= 48 bytes, `used_memory` delta over 1,000,000 units).
# Starts its own redis-server with deploy/redis/redis.conf on a unix socket in a temp dir,
# registers the units through the real Lua functions, and writes bench/registry-memory.md.
#   bench/registry_memory.sh [UNITS]
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-1000000}
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target registry_memory >/dev/null
dir=$(mktemp -d)
trap 'redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
source bench/lib.sh
bench_start_redis "$dir"
line=$("$build/bench/registry_memory" --redis "unix://$dir/redis.sock" --units "$units")
echo "$line"
per_unit=$(echo "$line" | sed -n 's/.*bytes_per_unit=\([0-9.]*\).*/\1/p')
{
  echo "# Registry memory per unit"
  echo
  echo "Command: \`bench/registry_memory.sh $units\` ($(date -u +%Y-%m-%d), $(redis-server --version | cut -d' ' -f3))"
  echo
  echo "| units | bytes per unit (used_memory delta) | target |"
  echo "|---|---|---|"
  echo "| $units | $per_unit | <= 48 |"
  echo
  echo "Raw: \`$line\`"
} > bench/registry-memory.md
