/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * genesyssrc's push-mode=auto: the walk downstream
 * (gst_genesys_downstream_never_blocks) over real elements, by table, and
 * the element choosing the thread in a pipeline that relinks while playing.
 */

#include <string.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "gstgenesysdownstream.h"
#include "ahpeer.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define WAIT 5000
#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"

typedef struct
{
  const gchar *downstream;      /* after "fakesrc name=s ! "; NULL: none */
  gboolean never_blocks;
  const gchar *blocker;         /* a part of what it says blocks */
} Row;

static const Row rows[] = {
  {NULL, TRUE, NULL},
  {"fakesink", TRUE, NULL},
  {"fakesink name=fs sync=true", FALSE, "fs waits for the clock (sync=true)"},
  {"mulawdec ! wavenc ! filesink location=/dev/null", TRUE, NULL},
  {"audioconvert ! audioresample ! capsfilter ! volume ! level ! valve "
        "! audiorate ! fakesink", TRUE, NULL},
  {"identity ! fakesink", TRUE, NULL},
  {"identity name=id sync=true ! fakesink", FALSE,
      "id waits for the clock (sync=true)"},
  {"identity sleep-time=1000 ! fakesink", FALSE, "sleeps (sleep-time=1000)"},
  {"queue name=q ! fakesink", FALSE, "q can fill and wait (leaky=no)"},
  {"queue leaky=downstream ! fakesink sync=true", TRUE, NULL},
  {"queue2 ! fakesink", FALSE, "(queue2) is not known"},
  {"appsink name=app", FALSE, "app waits for the clock"},
  {"appsink sync=false", TRUE, NULL},
  {"appsink sync=false max-buffers=5", FALSE,
      "max-buffers=5 without drop=true"},
  {"appsink sync=false max-buffers=5 drop=true", TRUE, NULL},
  {"tee name=t t. ! fakesink t. ! fakesink", TRUE, NULL},
  {"tee name=t t. ! fakesink t. ! fakesink name=late sync=true", FALSE,
      "late waits for the clock"},
  {"tee name=t t. ! fakesink t. ! queue leaky=upstream ! fakesink sync=true",
      TRUE, NULL},
  {"tee name=t", TRUE, NULL},
  {"audiomixer ! fakesink", FALSE, "(audiomixer) is not known never to block"},
  {"interleave ! fakesink", FALSE, "(interleave) is not known"},
  /* bins: in through a ghost sink pad, out through a ghost source pad */
  {"( audioconvert ! fakesink )", TRUE, NULL},
  {"( audioconvert ! fakesink name=inner sync=true )", FALSE,
      "inner waits for the clock"},
  {"( identity ) ! fakesink", TRUE, NULL},
  {"( identity ) ! fakesink name=after sync=true", FALSE, "after waits"},
  {"( ( identity ) ! identity ) ! fakesink name=deep sync=true", FALSE,
      "deep waits"},
};

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rows); i++) {
    const Row *row = &rows[i];
    gchar *launch = g_strconcat ("fakesrc name=s", row->downstream ? " ! " : "",
        row->downstream, NULL);
    GError *error = NULL;
    GstElement *pipeline = gst_parse_launch (launch, &error);
    GstElement *src;
    GstPad *pad;
    gchar *blocker = NULL;
    gboolean never;

    g_assert_no_error (error);
    /* one element alone comes without a pipeline */
    src = GST_IS_BIN (pipeline) ? gst_bin_get_by_name (GST_BIN (pipeline),
        "s") : gst_object_ref (pipeline);
    pad = gst_element_get_static_pad (src, "src");
    never = gst_genesys_downstream_never_blocks (pad, &blocker);
    g_test_message ("%s: %s%s%s", launch, never ? "never blocks" : "blocks",
        blocker ? ": " : "", blocker ? blocker : "");
    if (never != row->never_blocks)
      g_error ("%s: expected %s, got %s (%s)", launch,
          row->never_blocks ? "never blocks" : "blocks",
          never ? "never blocks" : "blocks", GST_STR_NULL (blocker));
    if (row->never_blocks)
      g_assert_null (blocker);
    else if (!blocker || !strstr (blocker, row->blocker))
      g_error ("%s: said \"%s\", expected it to contain \"%s\"", launch,
          GST_STR_NULL (blocker), row->blocker);
    g_free (blocker);
    gst_object_unref (pad);
    gst_object_unref (src);
    gst_object_unref (pipeline);
    g_free (launch);
  }
}

/* An application's pad (GstHarness, a pad of no element), and a chain
 * deeper than the walk goes. */
static void
test_edges (void)
{
  GstElement *src = gst_element_factory_make ("fakesrc", NULL);
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstPad *free_pad = gst_pad_new ("app", GST_PAD_SINK);
  GstElement *pipeline, *prev;
  gchar *blocker = NULL;
  guint i;

  g_assert_cmpint (gst_pad_link (srcpad, free_pad), ==, GST_PAD_LINK_OK);
  g_assert_false (gst_genesys_downstream_never_blocks (srcpad, &blocker));
  g_assert_nonnull (strstr (blocker, "belongs to no element"));
  g_free (blocker);
  gst_pad_unlink (srcpad, free_pad);
  gst_object_unref (free_pad);
  gst_object_unref (srcpad);
  gst_object_unref (src);

  pipeline = gst_pipeline_new (NULL);
  prev = gst_element_factory_make ("fakesrc", "s");
  gst_bin_add (GST_BIN (pipeline), prev);
  for (i = 0; i < 40; i++) {
    GstElement *e = gst_element_factory_make ("identity", NULL);
    gst_bin_add (GST_BIN (pipeline), e);
    g_assert_true (gst_element_link (prev, e));
    prev = e;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  srcpad = gst_element_get_static_pad (src, "src");
  g_assert_false (gst_genesys_downstream_never_blocks (srcpad, &blocker));
  g_assert_nonnull (strstr (blocker, "deep"));
  g_free (blocker);
  /* NULL for what blocks is allowed */
  g_assert_false (gst_genesys_downstream_never_blocks (srcpad, NULL));
  gst_object_unref (srcpad);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

/* Handoffs counted on a fakesink: what reached it, whoever pushed. */
static void
count_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

static void
wait_count (gint * count, gint n)
{
  gint64 end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;

  while (g_atomic_int_get (count) < n && g_get_monotonic_time () < end)
    g_usleep (2000);
  g_assert_cmpint (g_atomic_int_get (count), >=, n);
}

/* @n frames of 200 ms, one at a time, each once the sink has it (so the
 * loop thread, when it pushes, finds the queue empty). */
static void
send_frames (AhPeer * peer, gint * reached, guint n)
{
  guint8 data[1600];
  guint i;

  for (i = 0; i < n; i++) {
    gint before = g_atomic_int_get (reached);
    memset (data, 0x7f + i, sizeof (data));
    ah_peer_send_binary (peer, data, sizeof (data));
    wait_count (reached, before + 1);
  }
}

/* push-mode=auto in a playing pipeline: fakesink alone, the loop thread
 * pushes; a branch with a sync=true sink linked while playing (a
 * RECONFIGURE) hands the pushing back to the streaming thread, with no
 * buffer lost; with that branch gone (relinked again) the loop pushes
 * again. */
static void
test_auto_relink (void)
{
  GError *error = NULL;
  GstElement *pipeline, *src, *tee, *first, *branch = NULL, *late = NULL;
  GstPad *tee_pad = NULL, *branch_pad;
  AhPeer *peer = ah_peer_new ();
  gchar *params;
  guint status = 0, port;
  guint64 before, after;
  gint reached = 0;
  AhPeerFrame *frame;

  pipeline = gst_parse_launch ("genesyssrc name=src port=0 path=" PATH
      " ! tee name=t allow-not-linked=true ! fakesink name=first "
      "signal-handoffs=true", &error);
  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  tee = gst_bin_get_by_name (GST_BIN (pipeline), "t");
  first = gst_bin_get_by_name (GST_BIN (pipeline), "first");
  g_signal_connect (first, "handoff", G_CALLBACK (count_handoff), &reached);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_object_get (src, "current-port", &port, NULL);
  g_assert_cmpuint (port, !=, 0);

  g_assert_true (ah_peer_connect (peer, port, PATH, NULL, &status));
  params = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":"
      "\"+15557654321\"},\"media\":[" OFFER_MONO "],\"language\":\"en-US\"}");
  ah_peer_send (peer, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);

  /* nothing downstream blocks: all but the first through the loop */
  send_frames (peer, &reached, 10);
  before = check_stat_u64 (src, "loop-pushed-buffers");
  g_assert_cmpuint (before, >=, 8);

  /* a branch that waits for the clock, linked while playing */
  branch = gst_element_factory_make ("identity", NULL);
  late = gst_element_factory_make ("fakesink", "late");
  g_object_set (late, "sync", TRUE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), branch, late, NULL);
  g_assert_true (gst_element_link (branch, late));
  gst_element_sync_state_with_parent (late);
  gst_element_sync_state_with_parent (branch);
  tee_pad = gst_element_request_pad_simple (tee, "src_%u");
  branch_pad = gst_element_get_static_pad (branch, "sink");
  g_assert_cmpint (gst_pad_link (tee_pad, branch_pad), ==, GST_PAD_LINK_OK);
  gst_object_unref (branch_pad);

  /* from the next frame on, the streaming thread pushes */
  before = check_stat_u64 (src, "loop-pushed-buffers");
  send_frames (peer, &reached, 10);
  after = check_stat_u64 (src, "loop-pushed-buffers");
  g_test_message ("loop-pushed-buffers %" G_GUINT64_FORMAT " then %"
      G_GUINT64_FORMAT, before, after);
  g_assert_cmpuint (after, ==, before);

  /* the branch unlinked and removed; relinking the first sink tells the
   * source (a RECONFIGURE): the loop pushes again */
  branch_pad = gst_element_get_static_pad (branch, "sink");
  gst_pad_unlink (tee_pad, branch_pad);
  gst_object_unref (branch_pad);
  gst_element_release_request_pad (tee, tee_pad);
  gst_object_unref (tee_pad);
  gst_element_set_state (late, GST_STATE_NULL);
  gst_element_set_state (branch, GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (pipeline), branch, late, NULL);
  branch_pad = gst_element_get_static_pad (first, "sink");
  gst_pad_push_event (branch_pad, gst_event_new_reconfigure ());
  gst_object_unref (branch_pad);
  send_frames (peer, &reached, 10);
  after = check_stat_u64 (src, "loop-pushed-buffers");
  g_assert_cmpuint (after, >=, before + 8);

  ah_peer_send (peer, "close", "PT6S", "{\"reason\":\"end\"}");
  frame = ah_peer_expect (peer, "closed", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  ah_peer_free (peer);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpint (g_atomic_int_get (&reached), ==, 30);
  gst_object_unref (first);
  gst_object_unref (tee);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/downstream/table", test_table);
  g_test_add_func ("/downstream/edges", test_edges);
  g_test_add_func ("/downstream/auto-relink", test_auto_relink);
  return g_test_run ();
}
