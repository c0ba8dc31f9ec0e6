/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Mouth-to-ear delay that genesyssink adds to bot audio: a bot speaks in
 * real time (20 ms buffers, rendered by the clock) into a genesyssink that
 * shares the session a genesyssrc accepted; a raw client on 127.0.0.1
 * notes when each message arrives. The delay of a 20 ms chunk is the
 * arrival of the message that carries it minus the time the chunk was due
 * (its running time on the pipeline clock, when the sink renders it). It is
 * mostly the coalescing into frame-duration messages, which the client's
 * message rate limit dictates (Genesys: 5 per second, so 200 ms frames).
 *
 *   GST_PLUGIN_PATH=build/gst/genesys build/tests/bench/bench-bot [SECONDS]
 */

#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/base/gstbasesink.h>
#include "ahpeer.h"

#define PATH "/api/v1/audiohook/ws"
#define RATE 8000
#define CHUNK 160               /* 20 ms of PCMU mono */
#define OPEN_PARAMS \
  "{\"organizationId\":\"" AH_PEER_ORG "\"," \
  "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\"," \
  "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\"," \
  "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"}," \
  "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\"," \
  "\"channels\":[\"external\"],\"rate\":8000}],\"language\":\"en-US\"}"

typedef struct
{
  GstHarness *h;
  guint chunks;
  GstClockTime first_pts;
} Speaker;

static gpointer
speak (gpointer data)
{
  Speaker *sp = data;
  guint8 chunk[CHUNK];
  guint i;

  memset (chunk, 0x7f, sizeof (chunk));
  for (i = 0; i < sp->chunks; i++) {
    GstBuffer *buf = gst_buffer_new_memdup (chunk, CHUNK);
    GST_BUFFER_PTS (buf) = sp->first_pts + i * 20 * GST_MSECOND;
    GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
    if (gst_harness_push (sp->h, buf) != GST_FLOW_OK)
      break;
  }
  return NULL;
}

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
run (guint frame_ms, gdouble rate, guint seconds)
{
  static gint counter;
  gchar *name = g_strdup_printf ("bench-%d", counter++);
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstElement *sink = gst_element_factory_make ("genesyssink", NULL);
  GstHarness *src_h, *sink_h;
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *f;
  GArray *delays = g_array_new (FALSE, FALSE, sizeof (gint64));
  Speaker sp;
  GThread *th;
  GstClock *clock;
  GstClockTime base, now;
  guint port = 0, status = 0, done = 0, messages = 0;
  gsize received = 0;
  gint64 *d;

  g_object_set (src, "port", 0, "address", "127.0.0.1", "session-name",
      name, NULL);
  src_h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_use_systemclock (src_h);
  gst_harness_play (src_h);
  g_object_get (src, "current-port", &port, NULL);
  g_object_set (sink, "session-name", name, "frame-duration",
      (guint64) frame_ms * GST_MSECOND, "message-rate", rate, NULL);
  sink_h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_harness_use_systemclock (sink_h);
  gst_harness_set_src_caps_str (sink_h,
      "audio/x-mulaw, rate=(int)8000, channels=(int)1");
  /* the harness turns sync off; a bot speaking in real time has it on */
  gst_base_sink_set_sync (GST_BASE_SINK (sink), TRUE);
  gst_harness_play (sink_h);

  if (!ah_peer_connect (peer, port, PATH, NULL, &status))
    g_error ("could not connect (HTTP %u)", status);
  ah_peer_send (peer, "open", "PT0S", OPEN_PARAMS);
  f = ah_peer_expect (peer, "opened", 5000);
  g_assert (f);
  ah_peer_frame_free (f);

  clock = gst_element_get_clock (sink);
  base = gst_element_get_base_time (sink);
  now = gst_clock_get_time (clock);
  sp.h = sink_h;
  sp.chunks = seconds * 50;
  sp.first_pts = now - base + 100 * GST_MSECOND;
  th = g_thread_new ("speaker", speak, &sp);

  while (done < sp.chunks && (f = ah_peer_next (peer, 3000))) {
    if (f->binary) {
      received += g_bytes_get_size (f->data);
      messages++;
      /* every chunk whose last sample came with this message */
      while (done < sp.chunks && (done + 1) * CHUNK <= received) {
        GstClockTime due = base + sp.first_pts + done * 20 * GST_MSECOND;
        gint64 delay = f->received_us * 1000 - (gint64) due;
        g_array_append_val (delays, delay);
        done++;
      }
    }
    ah_peer_frame_free (f);
  }
  g_thread_join (th);

  g_array_sort (delays, cmp_i64);
  d = (gint64 *) delays->data;
  if (delays->len > 0)
    g_print ("%8u ms %6.0f/s %9u %10.1f %10.1f %10.1f %10.1f\n", frame_ms, rate,
        messages, d[0] / 1e6, d[delays->len / 2] / 1e6,
        d[(delays->len * 99) / 100] / 1e6, d[delays->len - 1] / 1e6);
  else
    g_print ("%8u ms: no audio arrived\n", frame_ms);

  ah_peer_free (peer);
  gst_harness_teardown (sink_h);
  gst_harness_teardown (src_h);
  gst_object_unref (clock);
  g_array_free (delays, TRUE);
  g_free (name);
}

int
main (int argc, char **argv)
{
  guint seconds = argc > 1 ? (guint) atoi (argv[1]) : 20;

  gst_init (&argc, &argv);
  g_print ("bot audio, %u s per row, 20 ms chunks rendered by the clock; "
      "delay = arrival at the client - when the chunk was due (ms)\n", seconds);
  g_print ("%11s %8s %9s %10s %10s %10s %10s\n", "frame", "rate", "messages",
      "min", "median", "p99", "max");
  run (200, 5, seconds);
  run (100, 10, seconds);
  run (40, 25, seconds);
  run (20, 50, seconds);
  return 0;
}
