#!/bin/sh
# Installs what is missing, builds, and runs every test of gst-genesys.
# Ends with one line: "N passed, N failed[, N skipped]" counting test cases
# (each GLib/gst-check test case, each interop check).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
builddir=${BUILDDIR:-build}

"$top/.ci/install-deps" || { echo "0 passed, 1 failed"; exit 1; }

if [ -f "$builddir/build.ninja" ]; then
  meson setup --reconfigure "$builddir" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
else
  meson setup "$builddir" || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$builddir" || { echo "0 passed, 1 failed"; exit 1; }

rm -f "$builddir/meson-logs/testlog.json"
meson test -C "$builddir" --print-errorlogs --num-processes 2
status=$?

python3 "$top/tests/count-results.py" "$builddir/meson-logs/testlog.json"
count_status=$?
[ $status -eq 0 ] && [ $count_status -eq 0 ]
