#!/bin/sh
# Installs what is missing, builds, and runs every test of gst-genesys:
# the unit and element tests (meson test), then the interop tests against
# the independent Node peers. Ends with one line, counting test cases:
# "N passed, N failed[, N skipped]".
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

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" >/dev/null || fail_setup "meson setup failed"
else
  meson setup "$builddir" || fail_setup "meson setup failed"
fi
ninja -C "$builddir" || fail_setup "the build failed"

rm -f "$builddir/meson-logs/testlog.json"
meson test -C "$builddir" --print-errorlogs --num-processes 2
add_counts "$(python3 "$top/tests/count-results.py" "$builddir/meson-logs/testlog.json" | tail -1)"

# Interop: the independent Node peers (npm ci from the lock file).
if (cd "$top/tests/interop" && npm ci --no-audit --no-fund --loglevel=error); then
  line=$("$top/tests/interop/selftest.sh" 2>&1 | tail -1)
  echo "interop peers self-test: $line"
  case "$line" in
    *" 0 failed"*) passed=$((passed + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
  for t in test-genesyssrc test-genesyssink test-bot test-timeline test-readme; do
    out=$("$top/tests/interop/$t.sh" "$builddir" 2>&1)
    echo "$out"
    add_counts "$(echo "$out" | tail -1)"
  done
else
  echo "npm ci failed in tests/interop" >&2
  failed=$((failed + 1))
fi

line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
