#!/usr/bin/env python3
# gst-genesys
# Copyright (C) 2026 gst-genesys developers
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The owner instance of tests/bench/relay-latency.sh: a GstGenesys.Serve
with a registry and a relay key whose calls end in an appsink; prints one
line per buffer, "FRAME WALL-MS", the frame index (buffer offset / 1600
samples) and the wall-clock time the buffer reached the appsink's pad.

  relay-latency-owner.py PORT REGISTRY INSTANCE RELAY-KEY-FILE CREDENTIALS

From a build directory: GI_TYPELIB_PATH and LD_LIBRARY_PATH set to
build/gst/genesys. SIGINT ends it.
"""

import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstGenesys", "1.0")
from gi.repository import GLib, Gst, GstGenesys  # noqa: E402

# wait-on-eos=false: samples queued before call-started connects the
# handler must not hold the call's EOS (and GstGenesysServe.stop) forever
LAUNCH = ("genesyssrc ! appsink name=sink emit-signals=true sync=false "
          "wait-on-eos=false")
FRAME = 1600


def main(argv):
    Gst.init(None)
    port, registry, instance, key, creds = argv[1:6]
    serve = GstGenesys.Serve(launch=LAUNCH, port=int(port), address="127.0.0.1",
                             registry=registry, instance=instance,
                             relay_key_file=key, credentials_file=creds)
    serve.init(None)
    loop = GLib.MainLoop()

    def on_sample(sink):
        # every queued sample, so that a sample queued before the handler
        # was connected cannot make each later one read a frame behind
        now = time.time() * 1000.0
        while True:
            sample = sink.emit("try-pull-sample", 0)
            if sample is None:
                return Gst.FlowReturn.OK
            buf = sample.get_buffer()
            if buf.offset != Gst.BUFFER_OFFSET_NONE:
                print("%d %.3f" % (buf.offset // FRAME, now), flush=True)

    def started(serve, session_id, conversation_id, pipeline):
        # call-started comes once the pipeline plays: what reached the sink
        # before has no arrival time, and is left out
        sink = pipeline.get_by_name("sink")
        while sink.emit("try-pull-sample", 0) is not None:
            pass
        sink.connect("new-sample", on_sample)

    serve.connect("call-started", started)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print("listening", flush=True)
    loop.run()
    serve.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
