#!/bin/bash
# deploy/test-deploy.sh: checks deploy/: haproxy.cfg with `haproxy -c`, the
# Kubernetes manifests offline (deploy/check), then a local cluster of 3
# instances behind HAProxy (deploy/local/cluster.sh): signed calls through
# the front recorded whole, a rolling restart while calls run (the open
# calls of a draining instance run to their end, new ones go to the others,
# none is refused), and a stop that leaves no process behind.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   deploy/test-deploy.sh [BUILDDIR]     (default build)
#
# REGISTRY=1 runs the instances with --registry (the default when
# gst-genesys-serve lists it in --help), REGISTRY=0 without. About a
# minute. Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
builddir=$(cd "$top" && realpath -m "${1:-build}")
export BUILDDIR="$builddir"
cluster="$here/local/cluster.sh"
client="$top/tests/interop/audiohook-client.mjs"
tmp=$(mktemp -d)
export GST_GENESYS_CLUSTER_DIR="$tmp/cluster"
passed=0
failures=()

# shellcheck disable=SC2317
cleanup () {
  [ -f "$GST_GENESYS_CLUSTER_DIR/cluster.env" ] && "$cluster" stop >/dev/null 2>&1
  jobs -p | xargs -r kill 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# result NAME STATUS [DETAIL]: one check; the failed ones are listed again
# at the end, above the count
result () {
  local verdict=ok
  [ "$2" = 0 ] && passed=$((passed + 1)) || { verdict="not ok"; failures+=("$1"); }
  echo "$verdict - $1${3:+: $3}"
  return "$2"
}

finish () {
  [ ${#failures[@]} = 0 ] || printf 'failed: %s\n' "${failures[@]}"
  echo "$passed passed, ${#failures[@]} failed"
  exit $(( ${#failures[@]} > 0 ))
}

# What the test itself runs; cluster.sh installs redis-server and the rest.
need=""
command -v haproxy >/dev/null || need="$need haproxy"
command -v node >/dev/null || need="$need nodejs"
command -v npm >/dev/null || need="$need npm"
if [ -n "$need" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
[ -x "$builddir/tools/gst-genesys-serve" ]
result "gst-genesys-serve is built in $builddir" $? || finish

# ---- haproxy.cfg

out=$(haproxy -dW -c -f "$here/haproxy.cfg" 2>&1)
result "haproxy -dW -c -f deploy/haproxy.cfg (valid, no warning)" $? \
  "$(echo "$out" | tail -n 1)"
cfg_problems=""
for want in 'mode http' 'timeout tunnel 1h' 'timeout http-request 10s' \
    'balance roundrobin' 'option httpchk GET /ready' \
    'http-check expect status 200' 'option forwardfor' \
    'default-server inter 1s fall 2 rise 2'; do
  grep -q "^ *$want\$" "$here/haproxy.cfg" || cfg_problems="$cfg_problems [no '$want']"
done
grep -q '^ *on-marked-down' "$here/haproxy.cfg" &&
  cfg_problems="$cfg_problems [on-marked-down would cut open sessions]"
grep '^ *server ' "$here/haproxy.cfg" | grep -qv ' check port [0-9]' &&
  cfg_problems="$cfg_problems [a server without 'check port']"
[ -z "$cfg_problems" ]
result "haproxy.cfg: WebSocket timeouts, round robin, /ready checks, sessions kept when down" $? "$cfg_problems"

# ---- the Kubernetes manifests

(cd "$here/check" && npm ci --ignore-scripts --no-audit --no-fund >"$tmp/npm-check.log" 2>&1)
result "deploy/check: npm ci" $? || tail -n 5 "$tmp/npm-check.log"
node "$here/check/check-manifests.mjs" >"$tmp/manifests.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/manifests.out"
result "the Kubernetes manifests pass check-manifests.mjs" $rc "$(tail -n 1 "$tmp/manifests.out")"
node "$here/check/check-manifests.mjs" --self-test >"$tmp/selftest.out" 2>&1
rc=$?
grep -v '^    ' "$tmp/selftest.out" | sed 's/^/    /'
result "check-manifests.mjs catches each of its broken manifests" $rc "$(tail -n 1 "$tmp/selftest.out")"

# ---- the local cluster

if [ ! -d "$top/tests/interop/node_modules/ws" ]; then
  (cd "$top/tests/interop" && npm ci --no-audit --no-fund >"$tmp/npm-interop.log" 2>&1)
fi
if [ -z "${REGISTRY:-}" ]; then
  if "$builddir/tools/gst-genesys-serve" --help | grep -q -- --registry; then
    REGISTRY=1
  else
    REGISTRY=0
  fi
fi
export REGISTRY
echo "# cluster: REGISTRY=$REGISTRY, drain timeout ${DRAIN_TIMEOUT:-60} s"

"$cluster" start 3 >"$tmp/start.out" 2>"$tmp/start.err"
rc=$?
sed 's/^/    /' "$tmp/start.out" "$tmp/start.err"
result "cluster.sh start 3" $rc || finish
front=$(sed -n 's/^front \(ws:\/\/127\.0\.0\.1:[0-9]*\/api\/v1\/audiohook\/ws\)$/\1/p' "$tmp/start.out")
outputs=$(sed -n 's/^outputs \(\/.*\)$/\1/p' "$tmp/start.out")
[ "$(wc -l <"$tmp/start.out")" = 2 ] && [ -n "$front" ] && [ -d "$outputs" ]
result "start prints exactly 'front ws://127.0.0.1:PORT/api/v1/audiohook/ws' and 'outputs DIR'" $? ||
  finish
"$cluster" status >"$tmp/status.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/status.out"
[ $rc = 0 ] && [ "$(grep -c '/ready: ok 200  haproxy: UP L7OK' "$tmp/status.out")" = 3 ]
result "status: 3 instances answer /ready 200 and are up in HAProxy" $?
set -a
# shellcheck disable=SC1091
. "$GST_GENESYS_CLUSTER_DIR/client.env"
set +a

# call NAME SECONDS [OPTIONS...]: a signed call through the front, in the
# background is up to the caller; NAME.json (report), NAME.rc, NAME.log
call () {
  local name=$1 seconds=$2
  shift 2
  node "$client" --url "$front" --tone 440 --seconds "$seconds" --quiet \
    --report "$tmp/$name.json" "$@" >"$tmp/$name.log" 2>&1
  echo $? >"$tmp/$name.rc"
}

# report NAME FIELD: a field of NAME's report
report () {
  node -e 'const r = require(process.argv[1]); console.log(JSON.stringify(r[process.argv[2]]))' \
    "$tmp/$1.json" "$2" 2>/dev/null
}

# check_call NAME: clean, and the recording of the call (its segments)
# holds every byte the client sent; prints what is wrong
check_call () {
  local sid bytes size
  [ "$(cat "$tmp/$1.rc" 2>/dev/null)" = 0 ] || { echo "$1: client exit $(cat "$tmp/$1.rc" 2>/dev/null)"; return 1; }
  sid=$(report "$1" sessionId | tr -d '"')
  bytes=$(report "$1" bytesSent)
  size=$(cat "$outputs/$sid"*.raw 2>/dev/null | wc -c)
  if [ -z "$sid" ] || [ "$bytes" -le 0 ] || [ "$size" != "$bytes" ]; then
    echo "$1: session $sid sent $bytes bytes, recorded $size"
    return 1
  fi
}

# instance_of NAME: the instance whose log has NAME's call
instance_of () {
  local sid
  sid=$(report "$1" sessionId | tr -d '"')
  grep -l "\"event\":\"call-started\".*\"session_id\":\"$sid\"" \
    "$GST_GENESYS_CLUSTER_DIR"/i*.log 2>/dev/null | sed 's/.*\/\(i[0-9]*\)\.log$/\1/'
}

for i in 1 2 3; do
  call "c$i" 3 &
done
wait
problems=""
for i in 1 2 3; do
  wrong=$(check_call "c$i") || problems="$problems [$wrong]"
done
[ -z "$problems" ]
result "3 signed calls through the front: clean, each recording has all the bytes sent" $? "$problems"
where=$(for i in 1 2 3; do instance_of "c$i"; done | sort -u | tr '\n' ' ')
[ "$where" = "i1 i2 i3 " ]
result "round robin: the 3 calls went to 3 instances" $? "$where"
call bad 1 --client-secret "$(printf 'not the secret' | base64)" --expect-status 401
[ "$(cat "$tmp/bad.rc")" = 0 ]
result "a call with a wrong secret is refused with 401 through the front" $?

# ---- rolling restart under calls: a 6 s call starts every 1.5 s
pids_before=$(cat "$GST_GENESYS_CLUSTER_DIR"/i*.pid | cut -d' ' -f1 | tr '\n' ' ')
(
  n=0
  while [ ! -e "$tmp/stop-calls" ] && [ $n -lt 40 ]; do
    n=$((n + 1))
    call "r$n" 6 &
    sleep 1.5
  done
  wait
) &
callers=$!
sleep 3
"$cluster" restart-rolling >"$tmp/rolling.out" 2>"$tmp/rolling.err"
rc=$?
sed 's/^/    /' "$tmp/rolling.out" "$tmp/rolling.err"
: >"$tmp/stop-calls"
wait $callers
[ $rc = 0 ] && [ "$(grep -c '^i[0-9]*: [0-9.]* s: marked down after' "$tmp/rolling.out")" = 3 ]
result "restart-rolling drains and restarts each instance, with its timings" $?
pids_after=$(cat "$GST_GENESYS_CLUSTER_DIR"/i*.pid | cut -d' ' -f1 | tr '\n' ' ')
same=""
for p in $pids_after; do
  case " $pids_before " in *" $p "*) same="$same $p" ;; esac
done
[ -z "$same" ]
result "every instance runs as a new process" $? "before: $pids_before after: $pids_after"

calls=0
moved=0
problems=""
for rcfile in "$tmp"/r*.rc; do
  name=$(basename "$rcfile" .rc)
  calls=$((calls + 1))
  wrong=$(check_call "$name") || problems="$problems [$wrong]"
  case "$(report "$name" reconnectRequests)" in '['*'{'*) moved=$((moved + 1)) ;; esac
done
[ "$calls" -ge 10 ] && [ -z "$problems" ]
result "$calls calls during the rolling restart: all clean, none refused, each recording whole" $? "$problems"
[ "$moved" -gt 0 ]
result "calls that were asked to reconnect (their instance drained) ran to their end" $? "$moved calls"

# each instance drained while calls of its own were still running
drained_with_calls=""
for log in "$GST_GENESYS_CLUSTER_DIR"/i*.log; do
  awk '/"event":"draining"/ { d = 1 } d && /"event":"call-ended"/ { n++ }
       d && /"event":"drained"/ { exit } END { exit !(n > 0) }' "$log" &&
    drained_with_calls="$drained_with_calls $(basename "$log" .log)"
done
[ "$drained_with_calls" = " i1 i2 i3" ]
result "each instance drained with calls running, which ended there" $? "${drained_with_calls:- none}"

# ---- the moment between SIGTERM and HAProxy's next checks: an instance
# that drains (a call keeps it running) answers upgrades with 503 until it
# is marked down; HAProxy sends those to another instance
# httplog: ... actconn/feconn/beconn/srv_conn/retries ("+N": redispatched)
redispatched () {
  grep -cE ' [0-9]+/[0-9]+/[0-9]+/[0-9]+/\+[1-9][0-9]* [0-9]+/[0-9]+ "' \
    "$GST_GENESYS_CLUSTER_DIR/haproxy.log"
}
before=$(redispatched)
call long 4 &
sleep 1.5
draining=""
for name in i1 i2 i3; do
  health=$(sed -n "s/^HEALTH_$name=//p" "$GST_GENESYS_CLUSTER_DIR/cluster.env")
  curl -s "http://127.0.0.1:$health/metrics" | grep -q '^gst_genesys_calls 1$' &&
    draining=$name
done
[ -n "$draining" ] && kill -TERM "$(cut -d' ' -f1 "$GST_GENESYS_CLUSTER_DIR/$draining.pid")"
for i in 1 2 3; do
  call "d$i" 1 &
  sleep 0.1
done
wait
problems=""
for name in long d1 d2 d3; do
  wrong=$(check_call "$name") || problems="$problems [$wrong]"
done
[ -n "$draining" ] && [ -z "$problems" ] && [ "$(redispatched)" -gt "$before" ]
result "3 calls right after SIGTERM to ${draining:-an instance}: the upgrade it refused went to another instance, all whole" $? \
  "$(( $(redispatched) - before )) redispatched$problems"

# ---- stop
recorded=$(cat "$GST_GENESYS_CLUSTER_DIR"/*.pid | cut -d' ' -f1 | tr '\n' ' ')
"$cluster" stop >"$tmp/stop.out" 2>&1
rc=$?
sed 's/^/    /' "$tmp/stop.out"
left=""
for p in $recorded; do
  [ -d "/proc/$p" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] && left="$left $p"
done
others=$(pgrep -af -- "$GST_GENESYS_CLUSTER_DIR")
listening=""
for port in $(sed -n 's/^\(REDIS_PORT\|FRONT_PORT\|STATS_PORT\|PORT_i[0-9]*\|HEALTH_i[0-9]*\)=//p' \
    "$GST_GENESYS_CLUSTER_DIR/cluster.env"); do
  [ -n "$(ss -Htln "( sport = :$port )")" ] && listening="$listening $port"
done
[ $rc = 0 ] && [ -z "$left" ] && [ -z "$others" ] && [ -z "$listening" ]
result "cluster.sh stop leaves no process and no listening port behind" $? \
  "${left:+pids$left }${others:+others: $others }${listening:+ports$listening}"
finish
