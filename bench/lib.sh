# bench/lib.sh: shared by the bench scripts (source it from the repository root).

# bench_start_redis DIR [EXTRA_CONFIG]: starts a private redis-server with the shipped durable
# deploy/redis/redis.conf, listening only on DIR/redis.sock (data, log and pid file in DIR),
# and returns once it answers. The caller stops it (redis-cli -s DIR/redis.sock shutdown).
bench_start_redis() {
  local dir=$1 extra=${2:-}
  cat >"$dir/redis.conf" <<CONF
include $PWD/deploy/redis/redis.conf
port 0
unixsocket $dir/redis.sock
dir $dir
save ""
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
$extra
CONF
  redis-server "$dir/redis.conf"
  for _ in $(seq 100); do
    redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "redis-server did not start; see $dir/redis.log" >&2
  return 1
}

# bench_cleanup DIR [PID...]: stops the given processes (empty ones are skipped) and the
# redis-server of DIR, and removes DIR. For the scripts' EXIT traps.
bench_cleanup() {
  local dir=$1 pid
  shift
  for pid in "$@"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}

# bench_build TARGET...: installs what the build needs (Debian packages) and builds the targets
# in Release, in $HALLMARK_BUILD_DIR (default build). Sets $build.
bench_build() {
  source deploy/lib/packages.sh
  hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}"
  build=${HALLMARK_BUILD_DIR:-build}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target "$@" >/dev/null
}
