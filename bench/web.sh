# bench/web.sh: the web workloads of bench/run.sh (source it after the server is up).
# web_workload NAME PORT PATHS ACCEPT CONNECTIONS: one wrk run of DURATION against the front
# door; prints a JSON line like hallmark-bench's (ops_per_s, p50_ms, p99_ms, errors).
web_workload() {
  local name=$1 port=$2 paths=$3 accept=$4 conns=$5
  local out
  out=$(wrk -t1 -c"$conns" -d"$dur" --latency -s bench/web_verify.lua \
          "http://127.0.0.1:$port" -- "$paths" "$accept" 1)
  python3 - "$name" "$out" <<'PY'
import json, re, sys
name, out = sys.argv[1], sys.argv[2]
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return round(float(n) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit], 3)
qps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, errs.groups())) if errs else 0)
print(json.dumps({"workload": name, "ops_per_s": qps, "items_per_s": qps,
                  "p50_ms": ms(lat["50"]), "p99_ms": ms(lat["99"]), "errors": errors}))
PY
}
