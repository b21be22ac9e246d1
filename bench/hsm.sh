#!/usr/bin/env bash
# Stream issuance with the signing key inside a PKCS#11 token (SoftHSM2) against a file key,
# same run, same server: the file key first, then `keys generate --pkcs11` and SIGHUP. Writes
# bench/hsm-results.md. Not part of ./tests/run.sh.
#   bench/hsm.sh [UNITS]        default 200,000 units a run
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-200000}
source deploy/lib/packages.sh
hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}" softhsm2
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hallmark-server hallmarkctl hallmark-bench >/dev/null

dir=$(mktemp -d)
cleanup() { bench_cleanup "$dir" "${server_pid:-}"; }
trap cleanup EXIT
source bench/lib.sh
bench_start_redis "$dir"
redis_pid=$(cat "$dir/redis.pid")

# A SoftHSM2 token of our own.
export SOFTHSM2_CONF="$dir/softhsm2.conf"
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$dir" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
printf '1234\n' >"$dir/pin"
chmod 600 "$dir/pin"
uri="pkcs11:token=bench?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$dir/pin"

ctl="$build/client/hallmarkctl"
"$ctl" keys generate --keys_dir "$dir/keys" >/dev/null
token=$("$ctl" principals add --file "$dir/principals.textpb" --name bench --role issuer \
          --prefix 950600 --rate 1000000000 --burst 1000000000 --issue_rate 1000000000 \
          --issue_burst 1000000000 --max_streams 1000 | tail -n 1)
"$build/server/hallmark-server" --listen "unix:$dir/grpc.sock" --redis "unix://$dir/redis.sock" \
  --keys_dir "$dir/keys" --principals "$dir/principals.textpb" 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -S "$dir/grpc.sock" ] && break; sleep 0.1; done

stream() {
  "$build/client/hallmark-bench" --addr "unix:$dir/grpc.sock" --token "$token" \
    --workload issue-stream --stream_units "$units" --server_pid "$server_pid" \
    --redis_pid "$redis_pid" --json |
    python3 -c "import json,sys; print(json.load(sys.stdin)['ops_per_s'])"
}
echo "file key..." >&2
file_rate=$(stream)
"$ctl" keys generate --keys_dir "$dir/keys" --pkcs11 "$uri" >/dev/null
kill -HUP "$server_pid"
for _ in $(seq 100); do grep -q '"reloaded keys"' "$dir/server.log" && break; sleep 0.1; done
echo "token key..." >&2
hsm_rate=$(stream)
python3 - "$file_rate" "$hsm_rate" "$units" <<'PY' | tee bench/hsm-results.md
import subprocess, sys
file_rate, hsm_rate, units = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True,
                     capture_output=True, text=True).stdout.strip()
print("# Stream issuance: signing key in a PKCS#11 token vs a file key\n")
print(f"Machine: {cpu}. Command: `bench/hsm.sh` ({units:,} units a run, one stream, same "
      "server; SoftHSM2 2.6 through p11-kit, one PKCS#11 session per signing thread).\n")
print("| signing key | units/s |")
print("|---|---|")
print(f"| file (OpenSSL) | {file_rate:,.0f} |")
print(f"| SoftHSM2 token (PKCS#11) | {hsm_rate:,.0f} |")
print(f"\nRatio token ÷ file: **{hsm_rate / file_rate:.2f}**. A hardware HSM signs at its own rate "
      "(typically hundreds to a few thousand ECDSA signatures a second): measure it with this "
      "script and its module before sizing issuance on it.")
PY
