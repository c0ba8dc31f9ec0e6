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
redis_pid=
# (dash's jobs -p in an EXIT trap does not list what functions started:
# redis-server is killed by its pid)
trap 'kill $(jobs -p) $redis_pid 2>/dev/null; rm -rf "$tmp"' EXIT
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

# start_redis: Debian's redis-server on a free loopback port, no
# persistence, in ./redis; its URL in $registry, its port in $rport.
# Fails the test at once when it is not installed.
start_redis () {
  command -v redis-server >/dev/null || { result "redis-server is installed (.ci/install-deps)" 1; finish; }
  rport=$(free_port)
  mkdir -p redis
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/redis" \
    >redis.log 2>&1 &
  redis_pid=$!
  i=0
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
  done
  registry="redis://127.0.0.1:$rport"
}

# frames_exact FILE SAMPLES [LOST]: FILE holds SAMPLES / 1600 frames of 1600
# bytes, frame i filled with 16 + i % 200 (continue-across.mjs's audio), but
# for the frames LOST names (a JSON list of [first, end) ranges, its
# report.lost), which are PCMU silence (0xff: gap-mode=silence)
frames_exact () {
  python3 - "$1" "$2" "${3:-[]}" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
n = int(sys.argv[2]) // 1600
lost = set(i for a, b in json.loads(sys.argv[3]) for i in range(a, b))
want = b"".join(bytes([0xff if i in lost else 16 + i % 200]) * 1600 for i in range(n))
if data != want:
    first = next((i for i in range(min(len(data), len(want))) if data[i] != want[i]), min(len(data), len(want)))
    print(f"{len(data)} bytes, {len(want)} expected; first difference at byte {first}")
    sys.exit(1)
PY
}
