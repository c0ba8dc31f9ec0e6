#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Calls that move between gst-genesys-serve instances sharing Debian's
# redis-server as their registry (--registry), each recording its part
# (genesyssrc gap-mode=silence ! filesink,
# {session-id}-{segment}-{start-position}.raw): a call whose connection
# drops twice and continues on the other instance each time, a call whose
# instance drains under it (the client closes with reason reconnect and
# continues elsewhere), a repeated close landing on the other instance, and
# a wrong registry refused at start. gst-genesys-join must give each call's
# exact timeline, byte for byte.
#   tests/interop/test-registry.sh [BUILDDIR]
# Ends with "N passed, N failed".
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib/serve-test.sh"
join="$top/tools/gst-genesys-join"

start_redis
mkdir rec
template="genesyssrc gap-mode=silence ! filesink location=$tmp/rec/{session-id}-{segment}-{start-position}.raw"

# start NAME: an instance on a free port, its URL in $url_NAME
start () {
  p=$(free_port)
  "$serve_bin" --address 127.0.0.1 --port "$p" --health-port 0 --registry "$registry" \
    --instance "$1" --drain-timeout 10 -- "$template" >"$1.log" 2>&1 &
  eval "pid_$1=$!"
  eval "url_$1=ws://127.0.0.1:$p/api/v1/audiohook/ws"
  wait_for "$1.log" "^health on" 10
  eval "health_$1=$(sed -n 's/^health on 127.0.0.1:\([0-9]*\).*/\1/p' "$1.log")"
}

# moved NAME: the instance's gst_genesys_calls_moved_in_total
moved () {
  eval "curl -s http://127.0.0.1:\$health_$1/metrics" | awk '$1 == "gst_genesys_calls_moved_in_total" { print $2 }'
}

stop () {
  eval "kill -TERM \$pid_$1; wait \$pid_$1"
}

# joined CALL-ID SAMPLES: the joined recording is frames 16 + i % 200
joined () {
  "$join" "$tmp/rec/{session-id}-{segment}-{start-position}.raw" "$1" "$1.joined" >"$1.join.log" 2>&1 || return 1
  frames_exact "$1.joined" "$2"
}

start a
start b
result "two instances start with the registry" $?

# 1. dropped twice: a -> b -> a
node "$here/continue-across.mjs" --leg "$url_a:5:drop" --leg "$url_b:5:drop" --leg "$url_a:5" \
  --repeat-close "$url_b" --report one.json >one.out 2>&1
result "a call dropped twice continues on the other instance each time" $? "$(tail -c 300 one.out)"
call=$(node -e 'console.log(require("./one.json").callId)')
samples=$(node -e 'console.log(require("./one.json").samples)')
n=$(node -e 'console.log(require("./one.json").repeat?.media)')
result "a repeated close on the other instance is answered without media" "$([ "$n" = 0 ]; echo $?)"
ma=$(moved a)
mb=$(moved b)
[ "$ma" = 1 ] && [ "$mb" = 1 ]
result "each instance counts the call that moved in (/metrics)" $? "a $ma, b $mb"

# 2. a drains under its call: the client closes with reconnect, goes on at b
node "$here/continue-across.mjs" --leg "$url_a:10:reconnect" --leg "$url_b:5" --report two.json \
  >two.out 2>&1 &
client=$!
sleep 1
kill -TERM $pid_a
wait $client
result "a call whose instance drains goes on at the other one" $? "$(tail -c 300 two.out)"
wait $pid_a
grep -q '^drained' a.log
result "the draining instance exits once its calls are gone" $? "$(tail -n 2 a.log | tr '\n' ' ')"
call2=$(node -e 'console.log(require("./two.json").callId)')
samples2=$(node -e 'console.log(require("./two.json").samples)')
stop b

joined "$call" "$samples"
result "the call that moved twice joins to its exact timeline" $? "$(tail -n 1 "$call.join.log")"
[ "$(ls rec | grep -c "^$call-")" = 3 ]
result "it was recorded in three segments" $? "$(ls rec | grep "^$call-" | tr '\n' ' ')"
joined "$call2" "$samples2"
result "the call that moved for a drain joins to its exact timeline" $? "$(tail -n 1 "$call2.join.log")"
[ "$(ls rec | grep -c "^$call2-")" = 2 ]
result "it was recorded in two segments" $? "$(ls rec | grep "^$call2-" | tr '\n' ' ')"
[ "$(ls rec | wc -l)" = 5 ]
result "no other recording (the repeated close made none)" $? "$(ls rec | wc -l) files"

"$serve_bin" --port 0 --registry "redis://127.0.0.1:1" -- "$template" >bad.log 2>&1
st=$?
[ $st = 1 ] && grep -q "registry redis://127.0.0.1:1" bad.log
result "an unreachable registry is refused at start" $? "status $st: $(tail -n 1 bad.log)"
"$serve_bin" --port 0 --registry "http://127.0.0.1" -- "$template" >bad2.log 2>&1
st=$?
[ $st = 1 ] && grep -q "not redis://" bad2.log
result "a registry URL that is not redis:// is refused at start" $? "status $st: $(tail -n 1 bad2.log)"

finish
