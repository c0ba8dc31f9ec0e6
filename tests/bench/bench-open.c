/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How fast genesyssrc answers open: N sessions one after another against
 * one element (keep-listening), each timed by the client from sending open
 * to receiving opened, over loopback. Prints median, p99 and max.
 *
 *   bench-open [N]     (default 1000)
 */

#include <stdlib.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include "ahpeer.h"

#define OFFER "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],\"rate\":8000}"

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? atoi (argv[1]) : 1000;
  GstElement *src;
  GstHarness *h;
  guint port, i;
  gint64 *times = g_new0 (gint64, n);
  gchar *params;

  gst_init (&argc, &argv);
  src = gst_element_factory_make ("genesyssrc", NULL);
  if (!src) {
    g_printerr ("genesyssrc not found: set GST_PLUGIN_PATH\n");
    return 1;
  }
  g_object_set (src, "port", 0, "address", "127.0.0.1", "keep-listening",
      TRUE, NULL);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);
  g_object_get (src, "current-port", &port, NULL);

  params = g_strdup ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},\"media\":[" OFFER "]}");

  for (i = 0; i < n; i++) {
    AhPeer *peer = ah_peer_new ();
    AhPeerFrame *frame;
    guint status;
    gint64 sent;

    if (!ah_peer_connect (peer, port, "/api/v1/audiohook/ws", NULL, &status)) {
      g_printerr ("session %u refused: HTTP %u\n", i, status);
      return 1;
    }
    sent = g_get_monotonic_time ();
    ah_peer_send (peer, "open", "PT0S", params);
    frame = ah_peer_expect (peer, "opened", 5000);
    if (!frame) {
      g_printerr ("session %u: no opened\n", i);
      return 1;
    }
    times[i] = frame->received_us - sent;
    ah_peer_frame_free (frame);
    ah_peer_send (peer, "close", "PT0S", "{\"reason\":\"end\"}");
    frame = ah_peer_expect (peer, "closed", 5000);
    if (frame)
      ah_peer_frame_free (frame);
    ah_peer_close (peer);
    ah_peer_wait_closed (peer, 5000);
    ah_peer_free (peer);
    /* the element takes the next session once this one is gone */
    while (TRUE) {
      GstStructure *stats;
      guint64 sessions;
      g_object_get (src, "stats", &stats, NULL);
      gst_structure_get_uint64 (stats, "sessions", &sessions);
      gst_structure_free (stats);
      if (sessions == i + 1)
        break;
      g_usleep (100);
    }
    g_usleep (2000);
  }

  qsort (times, n, sizeof (gint64), cmp_i64);
  g_print ("open -> opened over loopback, %u sessions: median %.3f ms, "
      "p99 %.3f ms, max %.3f ms\n", n, times[n / 2] / 1000.0,
      times[(n * 99) / 100] / 1000.0, times[n - 1] / 1000.0);

  g_free (params);
  g_free (times);
  gst_harness_teardown (h);
  gst_object_unref (src);
  return 0;
}
