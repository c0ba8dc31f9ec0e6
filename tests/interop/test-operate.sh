#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-genesys-serve as an operator runs it: JSON logs, the health port's
# /metrics scraped by hand (checked with promtool) and by Debian's
# Prometheus (queried through its HTTP API), readiness while draining, and
# a SIGHUP that rotates the API keys during a call, with signed calls from
# the independent Node client.
#   tests/interop/test-operate.sh [BUILDDIR]
# Needs prometheus and promtool (Debian's prometheus package). Ends with
# "N passed, N failed".
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib/serve-test.sh"
client="$here/audiohook-client.mjs"

for p in prometheus promtool curl; do
  command -v $p >/dev/null || { result "$p is installed (.ci/install-deps)" 1; finish; }
done

# metric FILE 'NAME{LABELS}': its value (first match), empty when absent
metric () {
  awk -v n="$2" '$1 == n { print $2; exit }' "$1"
}

scrape () {
  curl -s "http://127.0.0.1:$health/metrics" >"$1"
}

secret_one=$(printf 'operate-secret-one-0123456789' | base64)
secret_two=$(printf 'operate-secret-two-0123456789' | base64)
printf '{"key-one": "%s"}\n' "$secret_one" >creds.json
mkdir calls
"$serve_bin" --address 127.0.0.1 --port 0 --health-port 0 --log-format json \
  --credentials "$tmp/creds.json" --stats-interval 1 --drain-timeout 20 -- \
  "genesyssrc ! filesink location=$tmp/calls/{session-id}.raw" >serve.out 2>serve.err &
serve=$!
wait_for serve.out '"event":"health"' 10
result "the server starts and logs its ports" $?
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' serve.out)
health=$(sed -n 's/.*health on 127.0.0.1:\([0-9]*\).*/\1/p' serve.out)
url="ws://127.0.0.1:$port/api/v1/audiohook/ws"
[ -n "$port" ] && [ -n "$health" ] || finish

# Debian's Prometheus scraping the health port every second
pport=$(free_port)
cat >prometheus.yml <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: gst-genesys-serve
    static_configs:
      - targets: ['127.0.0.1:$health']
EOF
prometheus --config.file=prometheus.yml --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >prometheus.log 2>&1 &

# call one: 12 s, signed with key-one, a discarded span at 2 s (a gap)
node "$client" --url "$url" --api-key key-one --client-secret "$secret_one" \
  --tone 440 --seconds 12 --discard-at 2 --discard-ms 400 --quiet --report one.json &
one=$!
wait_for serve.out '"event":"call-started"' 10
sleep 2
scrape m1.txt
sleep 2
scrape m2.txt
promtool check metrics <m2.txt >promtool.out 2>&1
result "promtool check metrics passes on /metrics during a call" $? "$(head -3 promtool.out | tr '\n' ' ')"
[ "$(metric m1.txt gst_genesys_sessions)" = 1 ] && [ "$(metric m1.txt gst_genesys_calls)" = 1 ]
result "during the call: gst_genesys_sessions 1, gst_genesys_calls 1" $? \
  "$(metric m1.txt gst_genesys_sessions) $(metric m1.txt gst_genesys_calls)"
f1=$(metric m1.txt gst_genesys_audio_received_frames_total)
f2=$(metric m2.txt gst_genesys_audio_received_frames_total)
[ "${f1:-0}" -gt 0 ] && [ "${f2:-0}" -gt "${f1:-0}" ]
result "audio frames received move with the call" $? "$f1 then $f2"
g2=$(metric m2.txt gst_genesys_gap_seconds_total)
awk -v g="${g2:-0}" 'BEGIN { exit !(g >= 0.35 && g <= 0.45) }'
result "the discarded 400 ms is counted as gap seconds" $? "$g2"

# Prometheus sees the call
pq=""
i=0
while [ $i -lt 40 ]; do
  pq=$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=gst_genesys_sessions" \
    | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{try{const r=JSON.parse(d).data.result;console.log(r.length?r[0].value[1]:"")}catch{console.log("")}})')
  [ "$pq" = 1 ] && break
  i=$((i + 1)); sleep 0.25
done
[ "$pq" = 1 ]
result "Prometheus scrapes serve and answers gst_genesys_sessions = 1 during the call" $? "got '$pq'"

# SIGHUP: key-two replaces key-one; call one goes on
printf '{"key-two": "%s"}\n' "$secret_two" >creds.json
kill -HUP $serve
wait_for serve.out '"event":"credentials-reloaded"' 5
result "SIGHUP reloads the credentials file" $?
node "$client" --url "$url" --api-key key-one --client-secret "$secret_one" --expect-status 401 --quiet
result "after the reload the old key is refused (401)" $?
node "$client" --url "$url" --api-key key-two --client-secret "$secret_two" --tone 440 --seconds 1 \
  --quiet --report two.json
result "after the reload the new key's call runs" $?
printf '{"key-two": ' >creds.json
kill -HUP $serve
wait_for serve.out '"event":"reload-failed"' 5
result "a broken credentials file is refused on SIGHUP, said in the log" $?
node "$client" --url "$url" --api-key key-two --client-secret "$secret_two" --probe --quiet
result "after the failed reload the keys stay" $?

wait $one
result "call one ran to its end across both reloads" $?
scrape m3.txt
bytes=$(node -e 'console.log(require("./one.json").bytesSent)')
session=$(node -e 'console.log(require("./one.json").sessionId)')
file=$(wc -c <"calls/$session.raw" 2>/dev/null)
[ -n "$bytes" ] && [ "${file:-x}" = "$bytes" ]
result "call one's recording holds every byte it sent" $? "$file of $bytes"
[ "$(metric m3.txt gst_genesys_calls_started_total)" = 2 ] \
  && [ "$(metric m3.txt gst_genesys_open_duration_seconds_count)" = 2 ] \
  && [ "$(metric m3.txt gst_genesys_calls)" = 0 ]
result "after the calls: 2 started, 2 open -> opened observed, 0 now" $? \
  "$(metric m3.txt gst_genesys_calls_started_total) $(metric m3.txt gst_genesys_open_duration_seconds_count)"
[ "$(metric m3.txt 'gst_genesys_auth_failures_total{cause="unknown-api-key"}')" = 1 ] \
  && [ "$(metric m3.txt 'gst_genesys_upgrades_refused_total{reason="unauthorized"}')" = 1 ] \
  && [ "$(metric m3.txt gst_genesys_probes_total)" = 1 ]
result "the refused old key is counted by cause and reason, the probe as a probe" $?
rtt=$(metric m3.txt gst_genesys_pong_rtt_seconds_count)
[ "${rtt:-0}" -ge 1 ] && [ "$(metric m3.txt 'gst_genesys_pong_rtt_seconds_bucket{le="+Inf"}')" = "$rtt" ]
result "the clients' ping round trips are in the histogram" $? "$rtt"

# draining: not ready, still live; the server exits when the call is gone
node "$client" --url "$url" --api-key key-two --client-secret "$secret_two" --tone 440 --seconds 6 \
  --quiet >/dev/null 2>&1 &
three=$!
n=$(grep -c '"event":"call-started"' serve.out)
i=0
while [ "$(grep -c '"event":"call-started"' serve.out)" = "$n" ] && [ $i -lt 100 ]; do
  i=$((i + 1)); sleep 0.05
done
kill -TERM $serve
wait_for serve.out '"event":"draining"' 5
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/ready")
hl=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/health")
live=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$health/live")
scrape m4.txt
[ "$ready" = 503 ] && [ "$hl" = 503 ] && [ "$live" = 200 ] && [ "$(metric m4.txt gst_genesys_draining)" = 1 ]
result "draining: /ready and /health 503, /live 200, gst_genesys_draining 1" $? \
  "ready $ready health $hl live $live draining $(metric m4.txt gst_genesys_draining)"
wait $three
wait $serve
status=$?
grep -q '"event":"drained"' serve.out && [ $status = 0 ]
result "the server drains and exits 0" $? "status $status"

# every line of the log is one JSON object with time, level and event; call
# lines carry the conversation, session and call ids
node --input-type=module -e '
  import fs from "node:fs";
  const lines = fs.readFileSync("serve.out", "utf8").split("\n").filter((l) => l);
  let bad = 0, calls = 0, stats = 0;
  for (const l of lines) {
    let o;
    try { o = JSON.parse(l); } catch { bad++; continue; }
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(o.time) || !o.level || !o.event) bad++;
    if (o.event === "call-started" || o.event === "call-ended") {
      if (!o.conversation_id || !o.session_id || o.call_id !== o.session_id) bad++;
      calls++;
    }
    if (o.event === "stats" && typeof o.sessions === "number") stats++;
  }
  console.log(`${lines.length} lines, ${bad} bad, ${calls} call lines, ${stats} stats lines`);
  process.exit(bad === 0 && calls >= 6 && stats > 0 ? 0 : 1);
' >log-check.out 2>&1
result "every log line is a JSON object; call lines carry the ids" $? "$(cat log-check.out)"
[ ! -s serve.err ]
result "nothing outside the JSON log (stderr empty)" $? "$(head -2 serve.err)"

finish
