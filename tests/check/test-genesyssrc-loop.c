/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc push-from-loop against a raw in-process AudioHook client on
 * 127.0.0.1: the same output as through the streaming thread, the end
 * after all audio, stops mid-stream. */

#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include "ahpeer.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define WAIT 5000

#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"

typedef struct
{
  GstElement *src;
  GstHarness *h;
  guint port;
  AhPeer *peer;
  GMutex lock;
  GPtrArray *seen;              /* what left the src pad, in order */
  gboolean eos;
} Fixture;

/* Every buffer, GAP and EOS on the src pad, whichever thread pushes it. */
static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Fixture *f = data;
  gchar *line = NULL;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
    line = g_strdup_printf ("buffer pts=%" G_GUINT64_FORMAT " dur=%"
        G_GUINT64_FORMAT " off=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
        " discont=%d gap=%d size=%" G_GSIZE_FORMAT, GST_BUFFER_PTS (b),
        GST_BUFFER_DURATION (b), GST_BUFFER_OFFSET (b),
        GST_BUFFER_OFFSET_END (b),
        GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT),
        GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_GAP),
        gst_buffer_get_size (b));
  } else if (GST_PAD_PROBE_INFO_TYPE (info) &
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime t, d;
      gst_event_parse_gap (ev, &t, &d);
      line = g_strdup_printf ("gap pts=%" G_GUINT64_FORMAT " dur=%"
          G_GUINT64_FORMAT, t, d);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      line = g_strdup ("eos");
    }
  }
  if (line) {
    g_mutex_lock (&f->lock);
    g_ptr_array_add (f->seen, line);
    if (strcmp (line, "eos") == 0)
      f->eos = TRUE;
    g_mutex_unlock (&f->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
fixture_start (Fixture * f, gboolean push_from_loop)
{
  GstPad *pad;

  memset (f, 0, sizeof (*f));
  g_mutex_init (&f->lock);
  f->seen = g_ptr_array_new_with_free_func (g_free);
  f->src = gst_element_factory_make ("genesyssrc", NULL);
  g_assert_nonnull (f->src);
  g_object_set (f->src, "port", 0, "address", "127.0.0.1", "push-from-loop",
      push_from_loop, NULL);
  pad = gst_element_get_static_pad (f->src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, f, NULL);
  gst_object_unref (pad);
  f->h = gst_harness_new_with_element (f->src, NULL, "src");
  gst_harness_play (f->h);
  g_object_get (f->src, "current-port", &f->port, NULL);
  g_assert_cmpuint (f->port, >, 0);
  f->peer = ah_peer_new ();
}

static void
fixture_stop (Fixture * f)
{
  ah_peer_free (f->peer);
  gst_harness_teardown (f->h);
  gst_object_unref (f->src);
  g_ptr_array_unref (f->seen);
  g_mutex_clear (&f->lock);
}

static void
open_session (Fixture * f)
{
  guint status = 0;
  AhPeerFrame *frame;

  g_assert_true (ah_peer_connect (f->peer, f->port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 101);
  ah_peer_send (f->peer, "open", "PT0S", "{\"organizationId\":\"" AH_PEER_ORG
      "\",\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":"
      "\"+15557654321\"},\"media\":[" OFFER_MONO "],\"language\":\"en-US\"}");
  frame = ah_peer_expect (f->peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
}

static void
send_frames (Fixture * f, guint n, gsize size, guint8 first)
{
  guint i;

  for (i = 0; i < n; i++) {
    guint8 *data = g_malloc (size);
    memset (data, first + i, size);
    ah_peer_send_binary (f->peer, data, size);
    g_free (data);
  }
}

static guint
n_seen (Fixture * f)
{
  guint n;

  g_mutex_lock (&f->lock);
  n = f->seen->len;
  g_mutex_unlock (&f->lock);
  return n;
}

static void
wait_seen (Fixture * f, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;

  while (n_seen (f) < n && g_get_monotonic_time () < end)
    g_usleep (2000);
  g_assert_cmpuint (n_seen (f), >=, n);
}

/* One session: audio, a discarded span, audio, a pause whose span the
 * client reports, audio, close. Returns what left the pad; *@pushed:
 * loop-pushed-buffers. */
static gchar **
run_session (gboolean push_from_loop, guint64 * pushed)
{
  Fixture f;
  gchar **lines;
  gint64 end;
  guint i;

  fixture_start (&f, push_from_loop);
  open_session (&f);
  send_frames (&f, 1, 1600, 1);
  /* the first buffer, through basesrc, before the loop takes over */
  wait_seen (&f, 1);
  send_frames (&f, 4, 1600, 2);
  wait_seen (&f, 5);
  ah_peer_send (f.peer, "discarded", "PT1S",
      "{\"start\":\"PT1S\",\"discarded\":\"PT0.000125S\"}");
  send_frames (&f, 3, 800, 10);
  send_frames (&f, 2, 1600, 20);
  ah_peer_send (f.peer, "paused", "PT1.700125S", "{}");
  ah_peer_send (f.peer, "resumed", "PT2.900125S",
      "{\"start\":\"PT1.700125S\",\"discarded\":\"PT1.2S\"}");
  send_frames (&f, 5, 1600, 30);
  ah_peer_send (f.peer, "close", "PT3.900125S", "{\"reason\":\"end\"}");
  ah_peer_frame_free (ah_peer_expect (f.peer, "closed", WAIT));
  end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < end) {
    gboolean eos;
    g_mutex_lock (&f.lock);
    eos = f.eos;
    g_mutex_unlock (&f.lock);
    if (eos)
      break;
    g_usleep (2000);
  }
  *pushed = check_stat_u64 (f.src, "loop-pushed-buffers");
  g_mutex_lock (&f.lock);
  lines = g_new0 (gchar *, f.seen->len + 1);
  for (i = 0; i < f.seen->len; i++)
    lines[i] = g_strdup (g_ptr_array_index (f.seen, i));
  g_mutex_unlock (&f.lock);
  fixture_stop (&f);
  return lines;
}

static void
test_same_output (void)
{
  guint64 pushed_stream, pushed_loop;
  gchar **stream = run_session (FALSE, &pushed_stream);
  gchar **loop = run_session (TRUE, &pushed_loop);
  guint i, n = g_strv_length (stream), gaps = 0;

  for (i = 0; stream[i] || loop[i]; i++) {
    g_test_message ("%s | %s", GST_STR_NULL (stream[i]),
        GST_STR_NULL (loop[i]));
    g_assert_cmpstr (loop[i], ==, stream[i]);
    if (g_str_has_prefix (stream[i], "gap "))
      gaps++;
  }
  /* 15 frames, the discarded span and the pause, then the end */
  g_assert_cmpuint (n, ==, 15 + 2 + 1);
  g_assert_cmpuint (gaps, ==, 2);
  g_assert_cmpstr (stream[n - 1], ==, "eos");
  g_assert_cmpuint (pushed_stream, ==, 0);
  /* all but the first buffer (and the few its push overlapped) */
  g_assert_cmpuint (pushed_loop, >=, 10);
  g_strfreev (stream);
  g_strfreev (loop);
}

/* Set to NULL while the loop thread pushes a burst: no deadlock, no
 * crash, nothing left behind. */
static void
test_stop_mid_stream (void)
{
  guint round;

  for (round = 0; round < 20; round++) {
    Fixture f;

    fixture_start (&f, TRUE);
    open_session (&f);
    send_frames (&f, 1, 1600, 1);
    wait_seen (&f, 1);
    send_frames (&f, 2, 1600, 2);
    wait_seen (&f, 3);
    send_frames (&f, 200, 160, 3);
    g_usleep (g_random_int_range (0, 3000));
    gst_element_set_state (f.src, GST_STATE_NULL);
    fixture_stop (&f);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/genesyssrc-loop/same-output", test_same_output);
  g_test_add_func ("/genesyssrc-loop/stop-mid-stream", test_stop_mid_stream);
  return g_test_run ();
}
