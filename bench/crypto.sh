#!/usr/bin/env bash
# Crypto limits vs Hallmark's signature path, measured in the same run on this machine:
#   openssl speed -seconds 3 ecdsap256 ed25519     (the machine's limit, one core)
#   crypto_bench (Google Benchmark)                (Hallmark's PublicKeySign/Verify and
#                                                   SignUnit/VerifyUnitCode, one core)
# Prints a table of ops/s and ratios (Hallmark / OpenSSL; 1.00 = as fast as openssl speed)
# and writes it to bench/crypto-results.md. Not part of the test run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HALLMARK_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target crypto_bench >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

openssl speed -seconds 3 ecdsap256 ed25519 >"$out/speed.txt" 2>/dev/null
"$build/bench/crypto_bench" --benchmark_min_time=3 --benchmark_format=json >"$out/bench.json"

python3 - "$out/speed.txt" "$out/bench.json" <<'PY' | tee bench/crypto-results.md
import json, re, subprocess, sys
speed = open(sys.argv[1]).read()
es = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed)
ed = re.search(r"253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed)
limit = {("Sign", "ES256"): float(es.group(1)), ("Verify", "ES256"): float(es.group(2)),
         ("Sign", "Ed25519"): float(ed.group(1)), ("Verify", "Ed25519"): float(ed.group(2))}
bench = json.load(open(sys.argv[2]))
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
print("# Crypto benchmark: Hallmark vs `openssl speed`, same run\n")
print(f"Machine: {cpu}, {bench['context']['num_cpus']} cores; {ossl}. One thread each.")
print("Command: `bench/crypto.sh`\n")
print("| operation | openssl speed ops/s | Hallmark primitive ops/s | ratio | Hallmark full code path ops/s | ratio |")
print("|---|---|---|---|---|---|")
rows = {}
for b in bench["benchmarks"]:
    m = re.match(r"BM_(Primitive|Code)(Sign|Verify)/(\w+)", b["name"])
    ns = b["cpu_time"] if b["time_unit"] == "ns" else b["cpu_time"] * 1000
    rows[(m.group(2), m.group(3), m.group(1))] = 1e9 / ns
for alg in ("ES256", "Ed25519"):
    for op in ("Sign", "Verify"):
        l = limit[(op, alg)]
        p = rows[(op, alg, "Primitive")]
        c = rows[(op, alg, "Code")]
        print(f"| {alg} {op.lower()} | {l:,.0f} | {p:,.0f} | {p/l:.2f} | {c:,.0f} | {c/l:.2f} |")
print("\nratio = Hallmark ops/s / openssl speed ops/s (target: >= 0.90, i.e. within 10%).")
PY
