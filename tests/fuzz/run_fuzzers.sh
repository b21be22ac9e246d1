#!/usr/bin/env bash
# Runs every libFuzzer target for HALLMARK_FUZZ_SECONDS (default 20) each, starting from the
# seed corpus in tests/fuzz/corpus/<target> (new inputs go to a scratch copy, the repository
# stays clean). Prints executions per target; exits non-zero if any target crashed.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR            (tests/run.sh calls it this way)
#   HALLMARK_FUZZ_SECONDS=600 tests/fuzz/run_fuzzers.sh build-fuzz   (a longer run)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: $0 BUILD_DIR}
seconds=${HALLMARK_FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in element_string digital_link digsig; do
  bin="$build/tests/fuzz/${target}_fuzzer"
  mkdir -p "$work/$target"
  cp "$here/corpus/$target/"* "$work/$target/" 2>/dev/null || true
  if "$bin" -max_total_time="$seconds" -max_len=600 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work/$target" >"$work/$target.log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$')
    echo "fuzz $target: ok, ${execs:-?} executions in ${seconds}s"
  else
    echo "fuzz $target: CRASH" >&2
    tail -n 40 "$work/$target.log" >&2
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
      [ -e "$a" ] && { echo "reproducer ($a):" >&2; od -c "$a" | head -20 >&2; }
    done
    status=1
  fi
done
exit $status
