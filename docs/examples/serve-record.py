#!/usr/bin/env python3
# gst-genesys
# Copyright (C) 2026 gst-genesys developers
# SPDX-License-Identifier: LGPL-2.1-or-later

"""serve-record.c in Python, through GObject introspection: every call that
Genesys Cloud sends to port 9000 is recorded as a WAV file named after the
conversation; Ctrl-C asks the clients to reconnect elsewhere and exits once
the calls are over, or after 10 s.

  serve-record.py API_KEY CLIENT_SECRET [PORT]

PORT (default 9000) 0 picks a free one; the port is printed. From a build
directory, uninstalled: GI_TYPELIB_PATH and LD_LIBRARY_PATH set to
build/gst/genesys.
"""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstGenesys", "1.0")
from gi.repository import GLib, Gst, GstGenesys  # noqa: E402

LAUNCH = ("genesyssrc ! mulawdec ! audioconvert ! wavenc ! "
          "filesink location={conversation-id}-{session-id}.wav")


def main(argv):
    Gst.init(None)
    if len(argv) not in (3, 4):
        print("usage: %s API_KEY CLIENT_SECRET [PORT]" % argv[0],
              file=sys.stderr)
        return 2
    port = int(argv[3]) if len(argv) == 4 else 9000

    serve = GstGenesys.Serve(launch=LAUNCH, port=port, api_key=argv[1],
                             client_secret=argv[2])
    try:
        serve.init(None)
    except GLib.Error as error:
        print(error.message, file=sys.stderr)
        return 1
    loop = GLib.MainLoop()

    def ended(serve, session_id, conversation_id, error):
        print("%s (conversation %s): %s" % (
            session_id, conversation_id,
            error.message if error else "recorded"), flush=True)

    def interrupted():
        print("draining", flush=True)
        serve.drain()
        GLib.timeout_add_seconds(10, loop.quit)
        return GLib.SOURCE_REMOVE

    serve.connect("call-ended", ended)
    serve.connect("drained", lambda serve: loop.quit())
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, interrupted)
    print("listening on port %u" % serve.get_port(), flush=True)
    loop.run()

    # the calls left end here (their files complete), not whenever the
    # garbage collector lets go of the object
    serve.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
