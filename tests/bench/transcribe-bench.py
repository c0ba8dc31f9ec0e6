#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Transcription Connector on pocketsphinx, measured from the client.

pipelines/transcription-connector.sh (gst-genesys-serve, genesystranscript
after Debian's pocketsphinx) takes signed calls from the Node client
(tests/interop/audiohook-client.mjs), each an espeak-ng phrase as PCMU at
8 kHz with 1 s of silence before and 2 s after, streamed in real time.

1. The 20 phrases one call after the other: word error rate of the final
   transcripts against the phrases (the engine's, on synthetic telephone
   audio), and the latency from the end of the speech (found from the
   samples) to the final transcript's arrival at the client, p50 and p99.
2. N calls at once (default 1, 4, 8, 16): the connector's CPU time per
   second of call, its CPU share of the machine, and the latency again:
   how many transcribed calls one machine holds shows where the latency
   stops holding.

Prints numbers; it does not pass or fail.

    tests/bench/transcribe-bench.py [BUILD_DIR] [N...]
"""

import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CLIENT = os.path.join(TOP, "tests", "interop", "audiohook-client.mjs")
CONNECTOR = os.path.join(TOP, "pipelines", "transcription-connector.sh")
KEY = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
SECRET = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
RATE = 8000

PHRASES = [
    "please connect me to the billing department",
    "i would like to speak to an agent",
    "my account number is one two three four",
    "i need help with my internet connection",
    "can you check the status of my order",
    "i want to cancel my subscription",
    "the payment did not go through",
    "please send me a new invoice",
    "i have a question about my bill",
    "my phone is not working",
    "i would like to change my address",
    "thank you very much goodbye",
    "yes that is correct",
    "no i do not want that",
    "can i talk to technical support",
    "when will the technician arrive",
    "i forgot my password",
    "please repeat that",
    "the delivery was late again",
    "transfer me to customer service",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_call_wav(phrase, path, tmp):
    """espeak-ng at 8 kHz, padded; returns (start, end) of the speech in s."""
    raw = os.path.join(tmp, "say.wav")
    subprocess.run(["espeak-ng", "-w", raw, phrase], check=True,
                   stderr=subprocess.DEVNULL)
    narrow = os.path.join(tmp, "say-8k.wav")
    subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + raw, "!",
                    "wavparse", "!", "audioconvert", "!", "audioresample", "!",
                    "audio/x-raw,format=S16LE,rate=8000,channels=1", "!",
                    "wavenc", "!", "filesink", "location=" + narrow],
                   check=True)
    src = wave.open(narrow)
    data = b"\0\0" * RATE + src.readframes(src.getnframes()) + \
        b"\0\0" * 2 * RATE
    dst = wave.open(path, "wb")
    dst.setnchannels(1)
    dst.setsampwidth(2)
    dst.setframerate(RATE)
    dst.writeframes(data)
    dst.close()
    samples = struct.unpack("<%dh" % (len(data) // 2), data)
    loud = [i for i, v in enumerate(samples) if abs(v) > 300]
    return loud[0] / RATE, (loud[-1] + 1) / RATE


def words(text):
    return [w for w in text.lower().replace("'", " ").split() if w]


def edit_distance(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
            prev, row[j] = row[j], cur
    return row[len(hyp)]


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def cpu_seconds(pid):
    """utime + stime of @pid and its waited-for children."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def serve_pid(connector):
    # the connector script execs gst-genesys-serve: same pid
    return connector.pid


def start_connector(build, log):
    port = free_port()
    env = dict(os.environ, GST_GENESYS_BUILD_DIR=build)
    proc = subprocess.Popen([CONNECTOR, "--port", str(port), "--api-key", KEY,
                             "--client-secret", SECRET], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the connector did not start")


def run_call(port, wav, report):
    return subprocess.Popen(["node", CLIENT, "--url",
                             "ws://127.0.0.1:%d/api/v1/audiohook/ws" % port,
                             "--api-key", KEY, "--client-secret", SECRET,
                             "--wav", wav, "--offers", "external",
                             "--report", report, "--quiet"],
                            stderr=subprocess.DEVNULL)


def finals_of(report):
    """[(text, offset, duration, received at ms after opened)]."""
    with open(report) as f:
        r = json.load(f)
    opened = next((m["atMs"] for m in r["serverEvents"]
                   if m["type"] == "opened"), None)
    out = []
    for m in r["serverEvents"]:
        if m["type"] != "event" or opened is None:
            continue
        for e in m["parameters"]["entities"]:
            d = e.get("data", {})
            if e.get("type") != "transcript" or not d.get("isFinal"):
                continue
            alt = d["alternatives"][0]
            text = alt["interpretations"][0]["transcript"]
            off = float(d["offset"][2:-1])
            dur = float(d["duration"][2:-1])
            out.append((text, off, dur, m["atMs"] - opened))
    return out


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                            os.path.join(TOP, "build"))
    loads = [int(n) for n in sys.argv[2:]] or [1, 4, 8, 16]
    tmp = tempfile.mkdtemp(prefix="transcribe-bench-")
    log = open(os.path.join(tmp, "connector.log"), "w")
    calls = []
    for i, phrase in enumerate(PHRASES):
        wav = os.path.join(tmp, "call-%02d.wav" % i)
        start, end = make_call_wav(phrase, wav, tmp)
        calls.append((phrase, wav, start, end))
    call_seconds = [wave.open(c[1]).getnframes() / RATE for c in calls]

    proc, port = start_connector(build, log)
    try:
        print("# transcription connector on pocketsphinx: %d espeak-ng "
              "phrases, PCMU 8 kHz, signed, real time" % len(PHRASES))
        errors = ref_words = 0
        latencies = []
        for i, (phrase, wav, start, end) in enumerate(calls):
            report = os.path.join(tmp, "seq-%02d.json" % i)
            run_call(port, wav, report).wait()
            finals = finals_of(report)
            heard = " ".join(f[0] for f in finals)
            ref = words(phrase)
            errors += edit_distance(ref, words(heard))
            ref_words += len(ref)
            if finals:
                latencies.append(finals[-1][3] - end * 1000)
            print("  %-45s heard %r" % (phrase, heard))
        print("word error rate: %.1f %% (%d errors in %d words)" %
              (100.0 * errors / ref_words, errors, ref_words))
        print("end of speech -> final transcript at the client: p50 %.0f ms, "
              "p99 %.0f ms (%d calls)" % (percentile(latencies, 50),
                                          percentile(latencies, 99),
                                          len(latencies)))

        pid = serve_pid(proc)
        for n in loads:
            before = cpu_seconds(pid)
            t0 = time.monotonic()
            clients = []
            for k in range(n):
                phrase, wav, start, end = calls[k % len(calls)]
                report = os.path.join(tmp, "load-%d-%02d.json" % (n, k))
                clients.append((run_call(port, wav, report), report, end,
                                call_seconds[k % len(calls)]))
            lat = []
            secs = 0.0
            for c, report, end, length in clients:
                c.wait()
                finals = finals_of(report)
                if finals:
                    lat.append(finals[-1][3] - end * 1000)
                secs += length
            wall = time.monotonic() - t0
            cpu = cpu_seconds(pid) - before
            print("%2d calls at once: %.1f ms CPU per second of call, %.0f %% "
                  "of one core over %.1f s; end of speech -> final p50 %.0f "
                  "ms, p99 %.0f ms, %d/%d calls got a final" %
                  (n, 1000 * cpu / secs, 100 * cpu / wall, wall,
                   percentile(lat, 50), percentile(lat, 99), len(lat), n))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    print("# logs and reports in %s" % tmp)


if __name__ == "__main__":
    main()
