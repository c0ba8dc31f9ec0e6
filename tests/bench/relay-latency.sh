#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The extra latency of a relay hop, wire to pad: one call of 2 x FRAMES
# frames (200 ms PCMU each, real time) whose first leg goes to the owner
# directly and whose second, after a drop, lands on another instance b that
# relays it to the owner. The owner (relay-latency-owner.py, in process
# through the typelib) notes when each frame reaches its appsink's pad; the
# client notes when it handed each frame to its socket. Prints p50/p99/max
# of both legs and the difference (the hop's cost). The first 5 frames of
# each leg are left out (the appsink is connected once the call started).
#   tests/bench/relay-latency.sh [BUILD_DIR] [FRAMES]   (default build 300)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib/serve-test.sh
. "$here/../interop/lib/serve-test.sh" "${1:-build}"
frames=${2:-300}
export GI_TYPELIB_PATH="$builddir/gst/genesys" LD_LIBRARY_PATH="$builddir/gst/genesys"

start_redis
printf 'bench:%s\n' "$(head -c 32 /dev/urandom | base64)" >relay.key
printf '{"continue-across": ""}\n' >creds.json
oport=$(free_port)
# a python3 with the gi module (Debian's python3-gi)
py=$(for p in ${PYTHON:-} python3 /usr/bin/python3; do
  "$p" -c 'import gi' 2>/dev/null && { echo "$p"; break; }; done)
[ -n "$py" ] || { echo "no python3 with the gi module (python3-gi)" >&2; exit 1; }
"$py" "$here/relay-latency-owner.py" "$oport" "$registry" owner relay.key creds.json >owner.out 2>owner.err &
owner=$!
wait_for owner.out '^listening' 20 || { cat owner.err; exit 1; }
"$serve_bin" --address 127.0.0.1 --port 0 --health-port 0 --registry "$registry" --instance b --relay-key relay.key \
  --credentials creds.json --quiet -- 'genesyssrc ! fakesink' >b.log 2>&1 &
wait_for b.log '^listening on' 10 || { cat b.log; exit 1; }
bport=$(sed -n 's/^listening on .*:\([0-9]*\)\/.*/\1/p' b.log | head -n 1)
[ -n "$bport" ] || bport=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' b.log | head -n 1)
node "$here/../interop/continue-across.mjs" --times times.json \
  --leg "ws://127.0.0.1:$oport/api/v1/audiohook/ws:$frames:drop" \
  --leg "ws://127.0.0.1:$bport/api/v1/audiohook/ws:$frames" >client.out 2>&1 || { tail -c 500 client.out; exit 1; }
hport=$(sed -n 's/^health on 127.0.0.1:\([0-9]*\).*/\1/p' b.log)
echo "b relayed $(curl -s "http://127.0.0.1:$hport/metrics" | awk '$1 == "gst_genesys_sessions_relayed_total" { print $2 }') session(s)"
kill -INT $owner
wait $owner
python3 - "$frames" <<'PY'
import json, sys
n = int(sys.argv[1])
sent = json.load(open("times.json"))
arrived = {}
for line in open("owner.out"):
    parts = line.split()
    if len(parts) == 2 and parts[0].isdigit():
        arrived.setdefault(int(parts[0]), float(parts[1]))
def stats(frames):
    lat = sorted(arrived[i] - sent[i] for i in frames if i in arrived)
    if not lat:
        return None
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return len(lat), pick(0.5), pick(0.99), lat[-1]
direct = stats(range(5, n))
relayed = stats(range(n + 5, 2 * n))
print("leg       frames   p50 ms   p99 ms   max ms")
for name, s in (("direct", direct), ("relayed", relayed)):
    print("%-8s %7d %8.2f %8.2f %8.2f" % ((name,) + s) if s else "%-8s none" % name)
if direct and relayed:
    print("relay hop extra: p50 %+.2f ms, p99 %+.2f ms" % (relayed[1] - direct[1], relayed[2] - direct[2]))
PY
