#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Relays between gst-genesys-serve instances sharing Debian's redis-server
# as their registry, with a relay key (--relay-key): a continuation that
# reaches an instance while its call's owner is up is relayed to the owner
# over an AudioHook hop, so the owner records the whole call in one file.
#   - a call dropped three times, alternating between the owner a and b
#     (each continuation on b relayed to a, the one back on a taken by a
#     directly), pinging and sending a DTMF digit on each leg: one recording
#     on a, its exact timeline byte for byte, every ping answered, the
#     server's seq and clientseq in order on every leg, no disconnect,
#     nothing recorded on b;
#   - the owner drains during a relayed leg: its reconnect reaches the
#     client through the relay, the client's close reaches the owner, which
#     then exits, its recording whole;
#   - a call whose relay hop itself drops every 1.5 s (tests/interop/
#     drop-proxy.mjs between b and the owner c, through c's --relay-url):
#     the hop reconnects, and c's one recording is still exact;
#   - an owner that does not answer (SIGSTOP, its heartbeat still "up"):
#     the relay gives up after 3 s and the call moves to b instead, its
#     two segments joining to the exact timeline; a second call of that
#     owner continuing later moves without trying the relay again;
#   - a connection that goes half-open, on the owner and on a relaying
#     instance: the server's idle timeout ends the session as a lost
#     connection, and the client's later continuation still continues the
#     call, one recording with the lost frames as silence;
#   - the relay key with a wrong secret is refused (401).
#   tests/interop/test-relay.sh [BUILDDIR]
# WRAP_B="valgrind ..." runs the relaying instance b under that command
# (its output in b.log, which is kept as $KEEP_B when set).
# Ends with "N passed, N failed".
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib/serve-test.sh"

start_redis
mkdir rec
template="genesyssrc gap-mode=silence ! filesink location=$tmp/rec/{session-id}-{segment}-{start-position}.raw"
relay_secret=$(head -c 32 /dev/urandom | base64)
printf 'relay-test:%s\n' "$relay_secret" >relay.key
# the test client's key, unsigned
printf '{"continue-across": ""}\n' >creds.json

# start NAME [OPTION...]: an instance; its port in $port_NAME (or preset),
# its URL in $url_NAME, its health port in $health_NAME
start () {
  name=$1
  shift
  eval "p=\${port_$name:-}"
  [ -n "$p" ] || p=$(free_port)
  eval "wrap=\${WRAP_$(echo "$name" | tr a-z A-Z):-}"
  # shellcheck disable=SC2086
  $wrap "$serve_bin" --address 127.0.0.1 --port "$p" --health-port 0 --registry "$registry" \
    --instance "$name" --credentials creds.json --relay-key relay.key --drain-timeout 10 "$@" \
    -- "$template" >"$name.log" 2>&1 &
  eval "pid_$name=$!"
  eval "port_$name=$p"
  eval "url_$name=ws://127.0.0.1:$p/api/v1/audiohook/ws"
  wait_for "$name.log" "^health on" 60
  eval "health_$name=$(sed -n 's/^health on 127.0.0.1:\([0-9]*\).*/\1/p' "$name.log")"
}

# metric NAME FAMILY: the value of FAMILY on instance NAME's /metrics
metric () {
  eval "curl -s http://127.0.0.1:\$health_$1/metrics" | awk -v f="$2" '$1 == f { print $2 }'
}

# one_recording CALL-ID SAMPLES: the call has one recording (on its owner),
# holding frames 16 + i % 200 of 1600 bytes
one_recording () {
  files=$(ls rec | grep "^$1-")
  [ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || { echo "recordings: $files"; return 1; }
  frames_exact "rec/$files" "$2" "${3:-[]}"
}

# c advertises a relay URL through the drop proxy, which cuts every
# connection after 1.5 s
port_c=$(free_port)
node "$here/drop-proxy.mjs" --target "127.0.0.1:$port_c" --drop-every-ms 1500 >proxy.log 2>&1 &
proxy=$!
wait_for proxy.log "^LISTENING" 10
pport=$(sed -n 's/^LISTENING //p' proxy.log)

start a
start b
start c --relay-url "ws://127.0.0.1:$pport/api/v1/audiohook/ws"
redis-cli -p "$rport" get gg:relay:a | grep -qx "$url_a"
result "three instances start, each advertising its relay URL" $? "a: $(redis-cli -p "$rport" get gg:relay:a)"

# 1. a -> b -> a -> b, the owner a up all along
node "$here/continue-across.mjs" --ping --dtmf --leg "$url_a:10:drop" --leg "$url_b:10:drop" \
  --leg "$url_a:10:drop" --leg "$url_b:10" --report one.json >one.out 2>&1
result "a call whose continuations land on b while its owner a is up runs to its end" $? \
  "$(tail -c 300 one.out)"
call=$(node -e 'console.log(require("./one.json").callId)')
samples=$(node -e 'console.log(require("./one.json").samples)')
pings=$(node -e 'const r=require("./one.json");console.log(r.pings+" pings, "+r.pongs+" pongs, max "+r.pongMaxMs+" ms")')
node -e 'const r=require("./one.json");process.exit(r.pings>=8&&r.pings===r.pongs?0:1)'
result "every ping of the client is answered, relayed legs included" $? "$pings"
msgs=$(node -e 'const r=require("./one.json");console.log(r.legs.map((l)=>l.messages.join(",")).join(" / ")+"; seq errors "+r.seqErrors)')
node -e 'const r=require("./one.json");process.exit(r.seqErrors===0&&!r.legs.some((l)=>l.messages.includes("disconnect"))?0:1)'
result "every leg's messages in order (seq, clientseq), DTMF taken without a disconnect" $? "$msgs"
one_recording "$call" "$samples"
result "the owner has the call in one recording, its exact timeline" $? "$(ls rec | tr '\n' ' ')"
r=$(metric b gst_genesys_sessions_relayed_total)
[ "$r" = 2 ]
result "b relayed both sessions (/metrics)" $? "relayed $r"
m=$(metric a gst_genesys_calls_moved_in_total)$(metric b gst_genesys_calls_moved_in_total)
[ "$m" = 00 ]
result "no call moved" $? "moved in a,b: $m"

# 2. the hop b -> c drops every 1.5 s
node "$here/continue-across.mjs" --leg "$url_c:5:drop" --leg "$url_b:30" --report two.json \
  >two.out 2>&1
result "a call relayed over a hop that drops runs to its end" $? "$(tail -c 300 two.out)"
call2=$(node -e 'console.log(require("./two.json").callId)')
samples2=$(node -e 'console.log(require("./two.json").samples)')
one_recording "$call2" "$samples2"
result "the owner's one recording of it is its exact timeline" $? "$(ls rec | tr '\n' ' ')"
i=0
until [ "$(metric b gst_genesys_relay_hops_total)" != 2 ] || [ $i -gt 40 ]; do
  i=$((i + 1)); sleep 0.25
done
hops=$(metric b gst_genesys_relay_hops_total)
drops=$(kill -TERM $proxy; wait $proxy; sed -n 's/^DROPS //p' proxy.log)
[ "$hops" -ge 5 ]
result "the hop reconnected after its drops (continuing its previous hop session)" $? \
  "hop sessions $hops (2 from the first call), proxy drops $drops"

# 3. the owner d stops answering: no relay, the call moves to b
start d
# A second call of d continues after b gave up on d: it moves at once,
# without holding a worker for the relay's 3 s.
node "$here/continue-across.mjs" --gap-ms 2500 --leg "$url_d:5:drop" --leg "$url_b:5" \
  --report three.json >three.out 2>&1 &
client=$!
node "$here/continue-across.mjs" --gap-ms 7000 --leg "$url_d:5:drop" --leg "$url_b:5" \
  --report three-b.json >three-b.out 2>&1 &
client_b=$!
sleep 2
kill -STOP $pid_d
wait $client
st=$?
wait $client_b
st_b=$?
kill -CONT $pid_d
result "a call whose owner does not answer the relay goes on at b" $st "$(tail -c 300 three.out)"
f=$(metric b gst_genesys_relay_fallbacks_total)
m=$(metric b gst_genesys_calls_moved_in_total)
[ "$f" = 2 ] && [ "$m" = 2 ]
result "b counts the relays it gave up and the calls that moved in" $? "fallbacks $f, moved in $m"
[ "$st_b" = 0 ] && [ "$(grep -c 'did not answer a relay less than 10 s ago' b.log)" = 1 ]
result "the next call of that owner moves without trying the relay again" $? \
  "client $st_b: $(tail -c 200 three-b.out); $(grep -c 'not tried' b.log) skipped in b.log"
call3=$(node -e 'console.log(require("./three.json").callId)')
samples3=$(node -e 'console.log(require("./three.json").samples)')
kill -TERM $pid_d
wait $pid_d
"$top/tools/gst-genesys-join" "$tmp/rec/{session-id}-{segment}-{start-position}.raw" "$call3" \
  "$call3.joined" >"$call3.join.log" 2>&1 && frames_exact "$call3.joined" "$samples3"
result "its two segments join to the exact timeline" $? \
  "$(ls rec | grep "^$call3-" | tr '\n' ' ') $(tail -n 1 "$call3.join.log")"
call3b=$(node -e 'console.log(require("./three-b.json").callId)')
samples3b=$(node -e 'console.log(require("./three-b.json").samples)')
"$top/tools/gst-genesys-join" "$tmp/rec/{session-id}-{segment}-{start-position}.raw" "$call3b" \
  "$call3b.joined" >"$call3b.join.log" 2>&1 && frames_exact "$call3b.joined" "$samples3b"
result "so do the second call's" $? \
  "$(ls rec | grep "^$call3b-" | tr '\n' ' ') $(tail -n 1 "$call3b.join.log")"

# 4. the owner e drains while its call is relayed from b
start e
node "$here/continue-across.mjs" --leg "$url_e:5:drop" --leg "$url_b:25" --report four.json \
  >four.out 2>&1 &
client=$!
sleep 3
kill -TERM $pid_e
wait $client
result "a relayed call whose owner drains runs to its end" $? "$(tail -c 300 four.out)"
node -e 'process.exit(require("./four.json").legs[1].messages.includes("reconnect")?0:1)'
result "the owner's reconnect reaches the client through the relay" $? \
  "$(node -e 'console.log(require("./four.json").legs[1].messages.join(","))')"
wait $pid_e
grep -q '^drained' e.log
result "the owner exits drained once the client's close reached it" $? "$(tail -n 2 e.log | tr '\n' ' ')"
call4=$(node -e 'console.log(require("./four.json").callId)')
samples4=$(node -e 'console.log(require("./four.json").samples)')
one_recording "$call4" "$samples4"
result "the owner's one recording of it is whole" $? "$(ls rec | grep "^$call4-" | tr '\n' ' ')"

# 5. a connection that goes half-open (behind a proxy that lost the
# client's direction): the server's idle timeout ends that session as a lost
# connection, not as a close, so the client's continuation, arriving after
# the server let go of the connection, still continues the call; on the
# owner itself, and on a relaying instance whose client leg went silent
start f --idle-timeout 2
start g --idle-timeout 2
node "$here/continue-across.mjs" --leg "$url_f:10:silent" --leg "$url_f:10" --report five.json \
  >five.out 2>&1
result "a call whose connection went silent continues after the server timed it out" $? \
  "$(tail -c 300 five.out)"
node -e 'const r=require("./five.json");process.exit(/idle timeout/.test(r.legs[0].disconnect?.info)?0:1)'
result "the silent session got the idle timeout's disconnect" $? \
  "$(node -e 'console.log(JSON.stringify(require("./five.json").legs[0].disconnect))')"
call5=$(node -e 'console.log(require("./five.json").callId)')
lost5=$(node -e 'console.log(JSON.stringify(require("./five.json").lost))')
one_recording "$call5" "$(node -e 'console.log(require("./five.json").samples)')" "$lost5"
result "one recording, its exact timeline (the lost frames silence)" $? \
  "$(ls rec | grep "^$call5-" | tr '\n' ' ') lost $lost5"
node "$here/continue-across.mjs" --leg "$url_f:5:drop" --leg "$url_g:10:silent" --leg "$url_f:10" \
  --report six.json >six.out 2>&1
result "so does one whose relayed leg went silent on the relaying instance" $? "$(tail -c 300 six.out)"
call6=$(node -e 'console.log(require("./six.json").callId)')
lost6=$(node -e 'console.log(JSON.stringify(require("./six.json").lost))')
one_recording "$call6" "$(node -e 'console.log(require("./six.json").samples)')" "$lost6"
result "its owner has one recording, its exact timeline" $? \
  "$(ls rec | grep "^$call6-" | tr '\n' ' ') lost $lost6"

# 6. a forged relay credential
node "$here/audiohook-client.mjs" --url "$url_a" --api-key relay-test \
  --client-secret "$(head -c 32 /dev/urandom | base64)" --expect-status 401 --quiet >forged.out 2>&1
result "the relay key with a wrong secret is refused (401)" $? "$(tail -c 200 forged.out)"
node "$here/audiohook-client.mjs" --url "$url_a" --api-key relay-test --expect-status 401 --quiet \
  >unsigned.out 2>&1
result "the relay key without a signature is refused (401)" $? "$(tail -c 200 unsigned.out)"

for n in a b c f g; do
  eval "kill -TERM \$pid_$n; wait \$pid_$n"
done
[ -n "${KEEP_B:-}" ] && cp b.log "$KEEP_B"
[ "$(ls rec | wc -l)" = 9 ]
result "no other recording" $? "$(ls rec | tr '\n' ' ')"

finish
