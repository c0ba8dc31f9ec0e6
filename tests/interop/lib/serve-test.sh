# SPDX-License-Identifier: LGPL-2.1-or-later
# What the tests of gst-genesys-serve share; sourced with the build dir as
# $1. Sets here, top, builddir, serve_bin, GST_PLUGIN_PATH, a temporary
# working directory (the current one, removed at exit with every background
# job stopped), and result / finish / free_port / wait_for.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${1:-build}
case "$builddir" in /*) ;; *) builddir="$top/$builddir" ;; esac
export GST_PLUGIN_PATH="$builddir/gst/genesys"
serve_bin="$builddir/tools/gst-genesys-serve"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# result NAME STATUS [DETAIL]
result () {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1${3:+: $3}"
  else failed=$((failed + 1)); echo "not ok - $1${3:+: $3}"; fi
}

finish () {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}

free_port () {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_for FILE PATTERN SECONDS
wait_for () {
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt $(($3 * 20)) ] && return 1; sleep 0.05
  done
}
