#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, and runs every test of gst-genesys:
#  - gst-indent: every tracked .c file as .ci/gst-indent leaves it (1 test);
#  - gcc, -Dwerror=true: the unit and element tests (meson test), then the
#    interop tests against the independent Node peers, and deploy/ on a
#    local cluster (deploy/test-deploy.sh);
#  - clang, -Dwerror=true, fuzzing, ASan+UBSan ($builddir-clang): each fuzz
#    harness over its checked-in corpus (meson test --suite fuzz);
#  - gcc, ASan+UBSan ($builddir-asan): the unit tests with leak detection,
#    the element tests without (meson test --suite unit, --suite check).
# Ends with one line, counting test cases: "N passed, N failed[, N skipped]".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=${BUILDDIR:-build}
passed=0
failed=0
skipped=0

fail_setup () {
  echo "$1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# add_counts "N passed, N failed[, N skipped]" (from a runner's last line)
add_counts () {
  p=$(echo "$1" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
  f=$(echo "$1" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  s=$(echo "$1" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-1}))
  skipped=$((skipped + ${s:-0}))
}

"$top/.ci/install-deps" || fail_setup "could not install the dependencies"

# stage NAME BUILDDIR "MESON OPTIONS" [MESON TEST OPTIONS...]: configures
# (or reconfigures) BUILDDIR, with CC=$stage_cc if set, builds it and runs
# its tests, two at a time; adds their counts. A failed setup or build
# counts as one failed test.
stage_cc=""
stage () {
  name=$1
  dir=$2
  opts=$3
  shift 3
  echo "== $name ($dir: $opts)"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" $opts >/dev/null
  else
    env ${stage_cc:+CC=$stage_cc} meson setup "$dir" $opts
  fi || { echo "$name: meson setup failed"; failed=$((failed + 1)); return 1; }
  if ! ninja -C "$dir" -j 2 >"$dir/ninja.log" 2>&1; then
    grep -E -A3 'FAILED|error' "$dir/ninja.log" | head -60
    echo "$name: the build failed (see $dir/ninja.log)"
    failed=$((failed + 1))
    return 1
  fi
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "$@"
  line=$(python3 "$top/tests/count-results.py" "$dir/meson-logs/testlog.json" | tail -1)
  echo "$name: $line"
  add_counts "$line"
}

echo "== gst-indent"
if "$top/.ci/check-indent"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# The independent Node peers (npm ci from the lock file), before the gcc
# stage: its serve-record-py test calls the Python example with one.
(cd "$top/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
npm_installed=$?

stage "gcc -Werror" "$builddir" "-Dwerror=true"
main_built=$?

# Interop: the elements against the Node peers.
if [ $main_built -ne 0 ]; then
  echo "interop: not run, $builddir did not build" >&2
  failed=$((failed + 1))
elif [ $npm_installed -eq 0 ]; then
  line=$("$top/tests/interop/selftest.sh" 2>&1 | tail -1)
  echo "interop peers self-test: $line"
  case "$line" in
    *" 0 failed"*) passed=$((passed + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
  # then deploy/: haproxy.cfg, the Kubernetes manifests offline, and a
  # local cluster (Redis, HAProxy, 3 instances) with a rolling restart
  i=tests/interop
  for t in $i/test-genesyssrc $i/test-genesyssink $i/test-bot $i/test-voice-bot \
      $i/test-timeline $i/test-readme $i/test-operate $i/test-registry \
      $i/test-relay $i/test-transcription deploy/test-deploy; do
    out=$("$top/$t.sh" "$builddir" 2>&1)
    echo "$out"
    add_counts "$(echo "$out" | tail -1)"
  done
else
  echo "npm ci failed in tests/interop" >&2
  failed=$((failed + 1))
fi

# The sanitizers: any ASan or UBSan report fails the test; so does a leak,
# but for the one-time allocations of the libraries (.ci/lsan.supp).
# Plugins are loaded in the test process, which carries the ASan runtime
# (no registry scanner). GIO's libproxy resolver runs C++ in a thread of
# its own, which LSan's tracer and ASan's __cxa_throw interceptor do not
# survive; the tests only talk to 127.0.0.1, so no proxy is looked up.
# G_SLICE=always-malloc: GLib's slices straight from malloc, where LSan
# sees them. Stacks stop at the first library without frame pointers: for
# whole ones, run the test again with fast_unwind_on_malloc=0 added to
# ASAN_OPTIONS.
export G_SLICE=always-malloc
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$top/.ci/lsan.supp:print_suppressions=0"
export GST_REGISTRY_FORK=no
export GIO_USE_PROXY_RESOLVER=dummy

stage_cc=clang
stage "clang -Werror, fuzz corpus replay" "$builddir-clang" \
  "-Dwerror=true -Dfuzzing=enabled -Db_sanitize=address,undefined -Db_lundef=false" \
  --suite fuzz
stage_cc=""

stage "ASan+UBSan+LSan, unit" "$builddir-asan" "-Db_sanitize=address,undefined" \
  --suite unit --timeout-multiplier 3
# The element tests without leak detection for now: LSan's tracer dies
# (signal 11) now and then at the exit of these many-threaded tests, with
# gcc's and clang's runtimes alike, and test-genesysserve shows a 16 KiB
# leak now and then whose stack stops in libglib. ASan and UBSan stay on.
ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
stage "ASan+UBSan, check" "$builddir-asan" "-Db_sanitize=address,undefined" \
  --suite check --timeout-multiplier 3

line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
