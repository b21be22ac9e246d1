#!/usr/bin/env bash
# The one test command. Installs missing Debian packages, configures and builds (-j2), starts
# nothing itself (each integration test starts its own redis-server / hallmark-server in a
# private temp dir), runs every test with CTest, and exits non-zero on any failure.
#
#   ./tests/run.sh              everything: unit + integration tests, then short fuzz runs
#   ./tests/run.sh unit         the fast tests only (no servers)
#   ./tests/run.sh integration  tests that start real servers
#   ./tests/run.sh fuzz         the libFuzzer targets only (about 20 s each; needs clang-14)
#   ./tests/run.sh NAME         one CTest test (e.g. server_functions_test): builds only its
#                               target (and what it needs), runs it; the fast inner loop
#
# Environment: HALLMARK_BUILD_DIR (default build), HALLMARK_FUZZ_SECONDS (default 20),
# HALLMARK_SANITIZE=1 for an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib/packages.sh

what=${1:-all}
case "$what" in
  all|unit|integration|fuzz) ;;
  *[!a-z0-9_]*) echo "usage: $0 [all|unit|integration|fuzz|TEST_NAME]" >&2; exit 2;;
  *) single=$what;;
esac

hallmark_ensure_packages "${HALLMARK_BUILD_PACKAGES[@]}" "${HALLMARK_TEST_PACKAGES[@]}"
if [ "$what" = all ] || [ "$what" = fuzz ]; then
  hallmark_ensure_packages "${HALLMARK_FUZZ_PACKAGES[@]}" || echo "clang-14 unavailable: skipping fuzzing" >&2
fi

build=${HALLMARK_BUILD_DIR:-build}
sanitize=OFF
[ "${HALLMARK_SANITIZE:-0}" = 1 ] && sanitize=ON

status=0
if [ -n "${single:-}" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHALLMARK_SANITIZE=$sanitize >/dev/null
  # The test's own binary; tests that run the server or CLI binaries depend on those too.
  cmake --build "$build" -j2 --target "$single" hallmark-server hallmarkctl
  ctest --test-dir "$build" --output-on-failure -R "^${single}(_part[0-9]+)?\$"
  exit
fi

if [ "$what" != fuzz ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHALLMARK_SANITIZE=$sanitize >/dev/null
  cmake --build "$build" -j2
  label=()
  [ "$what" = unit ] && label=(-L '^unit$')
  [ "$what" = integration ] && label=(-L '^integration$')
  ctest --test-dir "$build" --output-on-failure -j4 "${label[@]}" || status=1
fi

if { [ "$what" = all ] || [ "$what" = fuzz ]; } && command -v clang++-14 >/dev/null; then
  fuzz_build="${build}-fuzz"
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$fuzz_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHALLMARK_FUZZ=ON -DHALLMARK_BUILD_TESTS=OFF -DHALLMARK_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$fuzz_build" -j2 --target hallmark_fuzzers
  HALLMARK_FUZZ_SECONDS=${HALLMARK_FUZZ_SECONDS:-20} ./tests/fuzz/run_fuzzers.sh "$fuzz_build" || status=1
fi

exit $status
