#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer harnesses with clang under ASan and UBSan and runs
# each for SECONDS (default 60), one after another, or JOBS at a time.
#   tests/fuzz/run-fuzzers.sh [SECONDS] [JOBS]
# Prints one line per harness with its executions; exits non-zero on any
# finding (the crashing input is left in build-fuzz/findings/).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
jobs=${2:-1}
build="$top/build-fuzz"

"$top/.ci/install-deps" >/dev/null || exit 1
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" -Dfuzzing=enabled -Dtests=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    >/dev/null || exit 1
fi
ninja -C "$build" tests/fuzz/fuzz-message tests/fuzz/fuzz-duration \
  tests/fuzz/fuzz-signature tests/fuzz/fuzz-timeline tests/fuzz/fuzz-session \
  tests/fuzz/fuzz-frames tests/fuzz/fuzz-wsframe tests/fuzz/fuzz-template \
  tests/fuzz/fuzz-credentials tests/fuzz/fuzz-health tests/fuzz/fuzz-relay \
  >/dev/null || exit 1

mkdir -p "$build/findings"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
status=0
run_one () {
  name=$1
  corpus="$build/corpus-$name"
  mkdir -p "$corpus"
  seeds="$top/tests/fuzz/corpus/${name#fuzz-}"
  [ -d "$seeds" ] || seeds=""
  log="$build/$name.log"
  "$build/tests/fuzz/$name" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$build/findings/$name-" -max_len=70000 \
    "$corpus" $seeds >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "$name: ${execs:-?} executions in ${secs} s, no finding"
  else
    echo "$name: FINDING (exit $rc), see $log"
    return 1
  fi
}

pids=""
for f in fuzz-message fuzz-duration fuzz-signature fuzz-timeline fuzz-session \
    fuzz-frames fuzz-wsframe fuzz-template fuzz-credentials fuzz-health fuzz-relay; do
  if [ "$jobs" -gt 1 ]; then
    run_one "$f" &
    pids="$pids $!"
  else
    run_one "$f" || status=1
  fi
done
for p in $pids; do
  wait "$p" || status=1
done
exit $status
