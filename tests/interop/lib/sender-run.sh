# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154
# Sourced by tests/interop/test-timeline.sh and tests/bench/sender-table.sh:
# runs audiohook-client.mjs sessions (with a sender model) into genesyssrc,
# standalone (gst-launch-1.0) or under gst-genesys-serve, and keeps in a
# directory per session what was sent (sent.raw, the client's --dump) and what
# the element wrote (out.raw).
#
# The caller sets: $interop (tests/interop), $build, $tmp (scratch directory),
# $KEY and $SECRET (signed upgrades), and may set $SRC_FLAGS (extra
# gst-launch-1.0 options, e.g. -m) and $SERVE_FLAGS (extra serve options).
# Processes started here have a file in $tmp/pids while they run (the
# caller's cleanup kills those: kill_started).

export GST_PLUGIN_PATH="$build/gst/genesys"
mkdir -p "$tmp/pids"

kill_started () {
  for f in "$tmp"/pids/*; do
    [ -f "$f" ] && kill "${f##*/}" 2>/dev/null
  done
}

SRC_FLAGS=${SRC_FLAGS:-}
SERVE_FLAGS=${SERVE_FLAGS:-}

# A TCP port free on 127.0.0.1 right now, not handed out before in this run.
free_port () {
  while :; do
    p=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    grep -qx "$p" "$tmp/ports" 2>/dev/null || break
  done
  echo "$p" >>"$tmp/ports"
  echo "$p"
}

# wait_port PORT PID: until PORT accepts connections (1 when PID ends or 10 s pass)
wait_port () {
  i=0
  while ! node -e "require('net').connect($1,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || return 1
    i=$((i + 1))
    [ $i -gt 200 ] && return 1
    sleep 0.05
  done
}

# wait_pid PID SECONDS: its exit status, or 124 (killed) when it runs longer
wait_pid () {
  i=0
  while kill -0 "$1" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt $(($2 * 10)) ]; then
      kill "$1" 2>/dev/null
      wait "$1" 2>/dev/null
      return 124
    fi
    sleep 0.1
  done
  wait "$1"
}

# client DIR URL ARGS...: one session; DIR/sent.raw, DIR/report.json, DIR/client.rc
client () {
  d=$1 u=$2
  shift 2
  node "$interop/audiohook-client.mjs" --url "$u" --api-key "$KEY" --client-secret "$SECRET" \
    --dump "$d/sent.raw" --report "$d/report.json" --quiet "$@" >"$d/client.log" 2>&1
  echo $? >"$d/client.rc"
}

# report DIR EXPR: a value of the client's report, e.g. report DIR .samplesSent
report () {
  node -e "const r=require('$1/report.json');console.log(r$2)" 2>/dev/null || echo "?"
}

# standalone DIR PORT ARGS...: `gst-launch-1.0 -e genesyssrc ! filesink` (default
# settings, signed) and one client session; the pipeline must end by itself.
# Writes DIR/out.raw, DIR/gst.log, DIR/gst.rc and the client files.
standalone () {
  d=$1 port=$2
  shift 2
  mkdir -p "$d"
  # shellcheck disable=SC2086
  gst-launch-1.0 -e $SRC_FLAGS genesyssrc address=127.0.0.1 port="$port" api-key="$KEY" \
    client-secret="$SECRET" ! filesink location="$d/out.raw" >"$d/gst.log" 2>&1 &
  gpid=$!
  : >"$tmp/pids/$gpid"
  if ! wait_port "$port" "$gpid"; then
    echo "pipeline did not listen" >"$d/client.log"
    echo 2 >"$d/client.rc"
  else
    client "$d" "ws://127.0.0.1:$port/api/v1/audiohook/ws" "$@"
  fi
  wait_pid "$gpid" 15
  echo $? >"$d/gst.rc"
  rm -f "$tmp/pids/$gpid"
}

# serve_start DIR: gst-genesys-serve recording each call to DIR/rec/{session-id}.raw;
# sets serve_pid and serve_url.
serve_start () {
  serve_rec=$1/rec
  serve_log=$1/serve.log
  mkdir -p "$serve_rec"
  # shellcheck disable=SC2086
  "$build/tools/gst-genesys-serve" --address 127.0.0.1 --port 0 --api-key "$KEY" \
    --client-secret "$SECRET" --drain-timeout 15 $SERVE_FLAGS -- \
    "genesyssrc ! filesink location=$serve_rec/{session-id}.raw" >"$serve_log" 2>&1 &
  serve_pid=$!
  : >"$tmp/pids/$serve_pid"
  i=0
  serve_url=
  while [ $i -lt 100 ]; do
    serve_url=$(sed -n 's|^listening on \(.*\)$|ws://\1|p' "$serve_log")
    [ -n "$serve_url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    i=$((i + 1))
    sleep 0.05
  done
  [ -n "$serve_url" ]
}

# serve_call DIR ARGS...: one client session into the serve
serve_call () {
  d=$1
  shift
  mkdir -p "$d"
  client "$d" "$serve_url" "$@"
}

# serve_stop DIRS...: SIGTERM, wait for `drained` and the exit; then each
# call's recording becomes its DIR/out.raw. 0 when it drained.
serve_stop () {
  kill -TERM "$serve_pid" 2>/dev/null
  wait_pid "$serve_pid" 30
  src=$?
  rm -f "$tmp/pids/$serve_pid"
  for d in "$@"; do
    sid=$(report "$d" .sessionId)
    [ -f "$serve_rec/$sid.raw" ] && cp "$serve_rec/$sid.raw" "$d/out.raw"
    echo $src >"$d/gst.rc"
  done
  [ $src -eq 0 ] && grep -qx drained "$serve_log"
}

# size FILE: its length in bytes (0 when it does not exist)
size () {
  if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi
}

# same_bytes SENT GOT [BYTES_PER_SECOND]: one line; 0 when GOT holds exactly
# the bytes of SENT (else where they part: the first byte that differs or is
# missing or extra, 1-based, and its time)
same_bytes () {
  a=$(size "$1")
  b=$(size "$2")
  if [ -f "$1" ] && [ -f "$2" ] && cmp -s "$1" "$2"; then
    echo "$a bytes sent, the same $b in the file"
    return 0
  fi
  at=$(cmp "$1" "$2" 2>&1 | head -1 | sed -n 's/.* differ: .*byte \([0-9]*\).*/\1/p; s/^cmp: EOF on .* after byte \([0-9]*\).*/\1+1/p; s/^cmp: EOF on .* is empty.*/1/p')
  [ -n "$at" ] || at=1
  at=$(($at)) # "N+1" after an EOF
  when=
  [ -n "${3:-}" ] && when=$(awk "BEGIN{printf \" (%.3f s)\", ($at - 1) / $3}")
  echo "$a bytes sent, $b in the file ($((b - a))), first difference at byte $at$when"
  return 1
}
