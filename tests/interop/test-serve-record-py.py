#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/examples/serve-record.py (GstGenesysServe through GObject
# introspection) against the independent Node AudioHook client: one signed
# call of 2 s of stereo tone, then SIGINT. The example must record exactly
# what the client sent, in {conversation-id}-{session-id}.wav, and exit 0
# after its drain.
#
#   test-serve-record-py.py PYTHON   (a python3 with the gi module; the
#                                     environment finds the typelib and
#                                     library: GI_TYPELIB_PATH,
#                                     LD_LIBRARY_PATH)
#   test-serve-record-py.py --skip REASON | --fail REASON
#
# Exit status: 0 passed, 1 failed, 77 skipped (meson's convention).
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(TOP, 'docs', 'examples', 'serve-record.py')
CLIENT = os.path.join(HERE, 'audiohook-client.mjs')
KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh'
SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU='
SECONDS = 2
WAIT = 20


def ulaw_decode(byte):
    """G.711 mu-law to linear 16 bits, as mulawdec decodes it."""
    u = ~byte & 0xff
    magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84
    return -magnitude if u & 0x80 else magnitude


def lines_of(proc):
    """The example's output lines, read on a thread, in a queue."""
    q = queue.Queue()

    def read():
        for line in proc.stdout:
            q.put(line.rstrip('\n'))
        q.put(None)
    threading.Thread(target=read, daemon=True).start()
    return q


def expect_line(q, out, prefix):
    """The next line starting with @prefix (within WAIT s); all are kept."""
    while True:
        try:
            line = q.get(timeout=WAIT)
        except queue.Empty:
            return None
        if line is None:
            return None
        out.append(line)
        if line.startswith(prefix) or prefix in line:
            return line


def check_recording(tmp, report):
    """Problems with the recording, compared with what the client sent."""
    problems = []
    name = '%s-%s.wav' % (report['conversationId'], report['sessionId'])
    files = sorted(f for f in os.listdir(tmp) if f.endswith('.wav'))
    if files != [name]:
        return ['expected only %s, found %s' % (name, files)]
    with open(os.path.join(tmp, 'sent.raw'), 'rb') as f:
        sent = f.read()
    channels = report['channels']
    with wave.open(os.path.join(tmp, name), 'rb') as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (
                channels, 2, 8000):
            problems.append('format %d ch, %d bytes, %d Hz; want %d ch S16 '
                            '8000 Hz' % (w.getnchannels(), w.getsampwidth(),
                                         w.getframerate(), channels))
        if w.getnframes() != report['samplesSent']:
            problems.append('%d sample frames recorded, the client sent %d'
                            % (w.getnframes(), report['samplesSent']))
        data = w.readframes(w.getnframes())
    want = b''.join(ulaw_decode(b).to_bytes(2, 'little', signed=True)
                    for b in sent)
    if not problems and data != want:
        at = next(i for i in range(min(len(data), len(want)))
                  if data[i] != want[i]) if data[:len(want)] != want else -1
        problems.append('the samples differ from the client\'s (byte %d)'
                        % at)
    return problems


def run(python):
    if not os.path.isdir(os.path.join(HERE, 'node_modules', 'ws')):
        print('tests/interop/node_modules is missing: run npm ci in '
              'tests/interop')
        return 1
    tmp = tempfile.mkdtemp(prefix='serve-record-py-')
    out = []
    proc = subprocess.Popen([python, EXAMPLE, KEY, SECRET, '0'], cwd=tmp,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        q = lines_of(proc)
        line = expect_line(q, out, 'listening on port ')
        if not line:
            print('the example did not listen:\n  ' + '\n  '.join(out))
            return 1
        port = int(line.split()[-1])
        client = subprocess.run(
            ['node', CLIENT, '--url',
             'ws://127.0.0.1:%d/api/v1/audiohook/ws' % port,
             '--api-key', KEY, '--client-secret', SECRET, '--tone', '440',
             '--seconds', str(SECONDS), '--dump', 'sent.raw',
             '--report', 'report.json', '--quiet'],
            cwd=tmp, timeout=WAIT + SECONDS)
        if client.returncode != 0:
            print('the client exited %d' % client.returncode)
            return 1
        with open(os.path.join(tmp, 'report.json')) as f:
            report = json.load(f)
        # the call ended: its file is complete
        if not expect_line(q, out, ': recorded'):
            print('no recorded call:\n  ' + '\n  '.join(out))
            return 1
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=WAIT)
        while (line := q.get(timeout=WAIT)) is not None:
            out.append(line)
        print('example:\n  ' + '\n  '.join(out))
        if rc != 0 or 'draining' not in out:
            print('the example exited %d after SIGINT' % rc)
            return 1
        problems = check_recording(tmp, report)
        for p in problems:
            print('not ok: ' + p)
        if not problems:
            print('ok: %d sample frames of %d channels recorded, as sent'
                  % (report['samplesSent'], report['channels']))
        return 1 if problems else 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


def main(argv):
    if len(argv) == 3 and argv[1] in ('--skip', '--fail'):
        print(argv[2])
        return 77 if argv[1] == '--skip' else 1
    if len(argv) != 2:
        print('usage: %s PYTHON | --skip REASON | --fail REASON' % argv[0])
        return 1
    return run(argv[1])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
