/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc against a raw in-process AudioHook client on 127.0.0.1. */

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include "ahpeer.h"
#include "ah-duration.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define KEY "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
#define SECRET "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
#define WAIT 5000

#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define OFFER_STEREO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],\"rate\":8000}"
#define OFFER_STEREO_REV \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"internal\",\"external\"],\"rate\":8000}"

typedef struct
{
  GstElement *src;
  GstHarness *h;
  GstBus *bus;
  guint port;
  AhPeer *peer;
} Fixture;

static void
fixture_start (Fixture * f, const gchar * props)
{
  f->h = check_src_start (props, &f->bus, &f->port);
  f->src = f->h->element;
  f->peer = ah_peer_new ();
}

static void
fixture_stop (Fixture * f)
{
  ah_peer_free (f->peer);
  check_src_stop (f->h, f->bus);
}

static gchar *
open_params (const gchar * conversation, const gchar * participant,
    const gchar * offers)
{
  return g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"%s\",\"participant\":{\"id\":\"%s\","
      "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":\"+15557654321\"},"
      "\"media\":[%s],\"language\":\"en-US\"}", conversation, participant,
      offers);
}

/* Connects, opens with @offers, returns the opened frame's media JSON. */
static gchar *
open_session (Fixture * f, const AhPeerAuth * auth, const gchar * offers)
{
  guint status = 0;
  gchar *params, *media;
  AhPeerFrame *frame;
  JsonNode *node;

  g_assert_true (ah_peer_connect (f->peer, f->port, PATH, auth, &status));
  g_assert_cmpuint (status, ==, 101);
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", offers);
  ah_peer_send (f->peer, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (f->peer, "opened", WAIT);
  g_assert_nonnull (frame);
  g_assert_cmpint (json_object_get_int_member (frame->json, "clientseq"), ==,
      1);
  g_assert_cmpint (json_object_get_int_member (frame->json, "seq"), ==, 1);
  node = json_object_get_member (json_object_get_object_member (frame->json,
          "parameters"), "media");
  media = json_to_string (node, FALSE);
  ah_peer_frame_free (frame);
  return media;
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

static void
close_session (Fixture * f, const gchar * position)
{
  AhPeerFrame *frame;

  ah_peer_send (f->peer, "close", position, "{\"reason\":\"end\"}");
  frame = ah_peer_expect (f->peer, "closed", WAIT);
  g_assert_nonnull (frame);
  g_assert_nonnull (json_object_get_object_member (frame->json, "parameters"));
  ah_peer_frame_free (frame);
  ah_peer_close (f->peer);
}

static void
test_happy_mono (void)
{
  Fixture f;
  gchar *media;
  guint i;
  GstEvent *ev;
  GstCaps *caps;
  GstStructure *s;
  gint channels;

  fixture_start (&f, NULL);
  media = open_session (&f, NULL, OFFER_MONO);
  g_assert_cmpstr (media, ==, "[" OFFER_MONO "]");
  g_free (media);

  send_frames (&f, 5, 1600, 10);
  for (i = 0; i < 5; i++) {
    GstBuffer *buf = gst_harness_pull (f.h);
    GstMapInfo map;
    g_assert_nonnull (buf);
    g_assert_cmpuint (gst_buffer_get_size (buf), ==, 1600);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, i * 200 * GST_MSECOND);
    g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 200 * GST_MSECOND);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, i * 1600);
    g_assert_cmpuint (GST_BUFFER_OFFSET_END (buf), ==, (i + 1) * 1600);
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT),
        ==, i == 0);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_assert_cmpuint (map.data[0], ==, 10 + i);
    g_assert_cmpuint (map.data[1599], ==, 10 + i);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  ev = check_pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "audio/x-mulaw"));
  g_assert_true (gst_structure_get_int (s, "channels", &channels));
  g_assert_cmpint (channels, ==, 1);
  gst_event_unref (ev);

  close_session (&f, "PT1S");
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  fixture_stop (&f);
}

static void
check_stereo (const gchar * offer, gboolean reversed)
{
  Fixture f;
  gchar *media;
  GstBuffer *buf;
  GstMapInfo map;
  guint8 frame[3200];
  guint i;

  fixture_start (&f, NULL);
  media = open_session (&f, NULL, offer);
  g_assert_true (strstr (media, "\"internal\"") != NULL);
  g_free (media);

  /* The wire's first channel carries 0x11, the second 0x22. */
  for (i = 0; i < 1600; i++) {
    frame[2 * i] = 0x11;
    frame[2 * i + 1] = 0x22;
  }
  ah_peer_send_binary (f.peer, frame, sizeof (frame));
  buf = gst_harness_pull (f.h);
  g_assert_nonnull (buf);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, 3200);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET_END (buf), ==, 1600);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  /* Channel 0 is always external. */
  for (i = 0; i < 1600; i++) {
    g_assert_cmpuint (map.data[2 * i], ==, reversed ? 0x22 : 0x11);
    g_assert_cmpuint (map.data[2 * i + 1], ==, reversed ? 0x11 : 0x22);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  close_session (&f, "PT0.2S");
  fixture_stop (&f);
}

static void
test_stereo (void)
{
  check_stereo (OFFER_MONO "," OFFER_STEREO, FALSE);
}

static void
test_stereo_reversed (void)
{
  check_stereo (OFFER_STEREO_REV, TRUE);
}

static void
test_probe (void)
{
  Fixture f;
  guint status;
  gchar *params;
  AhPeerFrame *frame;
  GstStructure *stats;
  guint64 probes, sessions;
  GstEvent *ev;

  fixture_start (&f, NULL);
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  params = open_params ("00000000-0000-0000-0000-000000000000",
      "00000000-0000-0000-0000-000000000000", OFFER_STEREO);
  ah_peer_send (f.peer, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (f.peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  close_session (&f, "PT0S");
  g_assert_cmpuint (ah_peer_wait_closed (f.peer, WAIT), ==, 1000);

  /* No caps, no buffer, no EOS: only the initial stream-start. */
  g_usleep (200 * 1000);
  g_assert_cmpuint (gst_harness_buffers_received (f.h), ==, 0);
  while ((ev = gst_harness_try_pull_event (f.h))) {
    g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_EOS);
    g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_CAPS);
    gst_event_unref (ev);
  }
  g_object_get (f.src, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "probes", &probes);
  gst_structure_get_uint64 (stats, "sessions", &sessions);
  g_assert_cmpuint (probes, ==, 1);
  g_assert_cmpuint (sessions, ==, 1);
  gst_structure_free (stats);

  /* The element takes the next (real) session. */
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  close_session (&f, "PT0.2S");
  fixture_stop (&f);
}

static void
check_gap_event (GstHarness * h, GstClockTime pts, GstClockTime duration)
{
  GstEvent *ev = check_pull_event_of_type (h, GST_EVENT_GAP);
  GstClockTime t, d;

  g_assert_nonnull (ev);
  gst_event_parse_gap (ev, &t, &d);
  g_assert_cmpuint (t, ==, pts);
  g_assert_cmpuint (d, ==, duration);
  gst_event_unref (ev);
}

static void
test_pause_resume_gap (void)
{
  Fixture f;
  GstBuffer *buf;

  fixture_start (&f, NULL);
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_send (f.peer, "paused", "PT0.4S", "{}");
  ah_peer_send (f.peer, "resumed", "PT1.6375S",
      "{\"start\":\"PT0.4S\",\"discarded\":\"PT1.2375S\"}");
  send_frames (&f, 1, 1600, 7);
  check_gap_event (f.h, 400 * GST_MSECOND, 1237500 * GST_USECOND);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 1637500 * GST_USECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 13100);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  close_session (&f, "PT1.8375S");
  fixture_stop (&f);
}

static void
test_discarded_gap (void)
{
  Fixture f;
  GstBuffer *buf;

  fixture_start (&f, NULL);
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_send (f.peer, "discarded", "PT0.2S",
      "{\"start\":\"PT0.2S\",\"discarded\":\"PT0.000125S\"}");
  send_frames (&f, 1, 800, 2);
  check_gap_event (f.h, 200 * GST_MSECOND, 125 * GST_USECOND);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 200125 * GST_USECOND);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 100 * GST_MSECOND);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  close_session (&f, "PT0.300125S");
  fixture_stop (&f);
}

static void
test_gap_silence (void)
{
  Fixture f;
  GstBuffer *buf;
  GstMapInfo map;

  fixture_start (&f, "gap-mode=silence");
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_send (f.peer, "discarded", "PT0.2S",
      "{\"start\":\"PT0.2S\",\"discarded\":\"PT0.5S\"}");
  send_frames (&f, 1, 1600, 2);
  buf = gst_harness_pull (f.h);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP));
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 500 * GST_MSECOND);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_assert_cmpuint (map.size, ==, 4000);
  g_assert_cmpuint (map.data[0], ==, 0xff);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 700 * GST_MSECOND);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  close_session (&f, "PT0.9S");
  fixture_stop (&f);
}

static gsize
rss_bytes (void)
{
  gchar *statm = NULL;
  gsize rss = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL)) {
    gchar **f = g_strsplit (statm, " ", 3);
    if (f[0] && f[1])
      rss = g_ascii_strtoull (f[1], NULL, 10) * sysconf (_SC_PAGESIZE);
    g_strfreev (f);
  }
  g_free (statm);
  return rss;
}

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean hold;                /* block buffers flagged GAP */
  gboolean held;                /* one is blocked */
} GapGate;

static GstPadProbeReturn
gap_gate (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GapGate *g = data;

  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
          GST_BUFFER_FLAG_GAP))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&g->lock);
  g->held = TRUE;
  g_cond_broadcast (&g->cond);
  while (g->hold)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
  return GST_PAD_PROBE_OK;
}

/* A long discarded span with gap-mode=silence goes out as silence a second
 * at a time, as the streaming thread gets to it: while downstream holds the
 * first second, the element makes none of the rest ahead (4 min of L16
 * stereo is 7.7 MB). Then every sample of it comes out. */
static void
test_gap_silence_lazy (void)
{
  Fixture f;
  GapGate g = { 0 };
  GstPad *pad;
  GstBuffer *buf;
  guint64 silence = 0;
  gsize before, after;
  guint8 frame[6400];

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  fixture_start (&f, "gap-mode=silence");
  pad = gst_element_get_static_pad (f.src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, gap_gate, &g, NULL);
  gst_object_unref (pad);
  g_free (open_session (&f, NULL, "{\"type\":\"audio\",\"format\":"
          "\"L16\",\"channels\":[\"external\",\"internal\"],"
          "\"rate\":8000}"));
  memset (frame, 0x11, sizeof (frame));
  ah_peer_send_binary (f.peer, frame, sizeof (frame));
  gst_buffer_unref (gst_harness_pull (f.h));

  g.hold = TRUE;
  before = rss_bytes ();
  ah_peer_send (f.peer, "discarded", "PT0.2S",
      "{\"start\":\"PT0.2S\",\"discarded\":\"PT240S\"}");
  ah_peer_send_binary (f.peer, frame, sizeof (frame));
  g_mutex_lock (&g.lock);
  while (!g.held)
    g_cond_wait (&g.cond, &g.lock);
  g_mutex_unlock (&g.lock);
  g_usleep (200 * 1000);
  after = rss_bytes ();
  g_test_message ("RSS %+.2f MB while 7.7 MB of silence is due",
      ((gdouble) after - (gdouble) before) / 1e6);
  g_assert_cmpint ((gssize) after - (gssize) before, <, 2000000);
  g_mutex_lock (&g.lock);
  g.hold = FALSE;
  g_cond_broadcast (&g.cond);
  g_mutex_unlock (&g.lock);

  /* all of it, a second at most at a time, then the audio */
  while ((buf = gst_harness_pull (f.h))) {
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
      g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 1600 + 240 * 8000);
      gst_buffer_unref (buf);
      break;
    }
    g_assert_cmpuint (gst_buffer_get_size (buf), <=, 8000 * 4);
    silence += gst_buffer_get_size (buf) / 4;
    gst_buffer_unref (buf);
  }
  g_assert_cmpuint (silence, ==, 240 * 8000);
  close_session (&f, "PT240.4S");
  fixture_stop (&f);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

/* Waits until the element has seen @n sessions vanish. */
static void
wait_sessions_lost (GstElement * src, guint64 n)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (check_stat_u64 (src, "sessions-lost") < n
      && g_get_monotonic_time () < end)
    g_usleep (2000);
  g_assert_cmpuint (check_stat_u64 (src, "sessions-lost"), ==, n);
}

static void
expect_refused (Fixture * f, const AhPeerAuth * auth, const gchar * counter)
{
  guint status = 0;
  gint64 start = g_get_monotonic_time ();

  g_assert_false (ah_peer_connect (f->peer, f->port, PATH, auth, &status));
  g_assert_cmpuint (status, ==, 401);
  /* The failure answer is delayed (timing side channel). */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 450 * 1000);
  if (check_stat_u64 (f->src, counter) != 1) {
    GstStructure *st;
    gchar *str;
    g_object_get (f->src, "stats", &st, NULL);
    str = gst_structure_to_string (st);
    g_test_message ("%s: %s", counter, str);
    g_free (str);
    gst_structure_free (st);
  }
  g_assert_cmpuint (check_stat_u64 (f->src, counter), ==, 1);
}

static void
test_auth (void)
{
  Fixture f;
  AhPeerAuth good = { KEY, SECRET };
  AhPeerAuth unsigned_req = { KEY, NULL };
  AhPeerAuth wrong_key = { "d3JvbmcgQVBJIGtleQ==", SECRET };
  AhPeerAuth bad_secret =
      { KEY, "b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmcuLi4=" };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  AhPeerAuth stale = { KEY, SECRET, NULL, NULL, now - 60, NULL, now + 60 };
  AhPeerAuth expired = { KEY, SECRET, NULL, NULL, now - 5, NULL, now - 4 };
  AhPeerAuth future = { KEY, SECRET, NULL, NULL, now + 60, NULL, now + 70 };
  AhPeerAuth short_nonce = { KEY, SECRET, NULL, NULL, 0, "c2hvcnQ=" };
  AhPeerAuth replay1 = { KEY, SECRET, "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a090",
    NULL, 0, "UmVwbGF5ZWROb25jZVZhbHVlMTI="
  };
  AhPeerAuth no_key = { NULL };
  AhPeerAuth garbled = { KEY, SECRET, NULL, NULL, 0, NULL, 0,
    "sig1=(\"@request-target\";keyid=\"unterminated"
  };
  GstMessage *msg;

  fixture_start (&f,
      "keep-listening=true api-key=" KEY " client-secret=" SECRET);
  expect_refused (&f, &unsigned_req, "auth-failures-unsigned");
  expect_refused (&f, &wrong_key, "auth-failures-unknown-api-key");
  expect_refused (&f, &bad_secret, "auth-failures-mismatch");
  expect_refused (&f, &stale, "auth-failures-too-old");
  expect_refused (&f, &expired, "auth-failures-expired");
  expect_refused (&f, &future, "auth-failures-created-in-future");
  expect_refused (&f, &short_nonce, "auth-failures-nonce");
  expect_refused (&f, &no_key, "auth-failures-missing-api-key");
  expect_refused (&f, &garbled, "auth-failures-malformed");
  msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_WARNING);
  g_assert_nonnull (msg);
  gst_message_unref (msg);

  g_free (open_session (&f, &replay1, OFFER_MONO));
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  /* The same nonce again: a replay. */
  expect_refused (&f, &replay1, "auth-failures-replayed");
  g_free (open_session (&f, &good, OFFER_MONO));
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static void
test_org_mismatch (void)
{
  Fixture f;
  AhPeerAuth other_org = { NULL, NULL, NULL,
    "11111111-2222-4333-8444-555555555555"
  };
  guint status;
  gchar *params;
  AhPeerFrame *frame;
  JsonObject *p;

  fixture_start (&f, NULL);
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, &other_org, &status));
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", OFFER_MONO);
  ah_peer_send (f.peer, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (f.peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==,
      "unauthorized");
  ah_peer_frame_free (frame);
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static GstPadProbeReturn
block_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  gint *blocked = data;

  if (g_atomic_int_compare_and_exchange (blocked, 0, 1)) {
    g_usleep (10 * G_USEC_PER_SEC);
    g_atomic_int_set (blocked, 2);
  }
  return GST_PAD_PROBE_OK;
}

static void
test_pong_while_blocked (void)
{
  Fixture f;
  gint blocked = 0;
  GstPad *pad;
  gint i;
  gint64 worst = 0;

  fixture_start (&f, NULL);
  pad = gst_element_get_static_pad (f.src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, block_probe, &blocked,
      NULL);
  gst_object_unref (pad);
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  while (g_atomic_int_get (&blocked) == 0)
    g_usleep (1000);

  /* Downstream is stuck for 10 s; audio and pings keep coming. */
  for (i = 0; i < 18; i++) {
    gint64 sent = g_get_monotonic_time ();
    gchar *pos = ah_duration_format_samples ((i + 2) * 1600, 8000);
    AhPeerFrame *frame;
    gint64 seq;
    send_frames (&f, 1, 1600, 2);
    seq = ah_peer_send (f.peer, "ping", pos, "{}");
    frame = ah_peer_expect (f.peer, "pong", WAIT);
    g_assert_nonnull (frame);
    g_assert_cmpint (json_object_get_int_member (frame->json, "clientseq"),
        ==, seq);
    worst = MAX (worst, frame->received_us - sent);
    ah_peer_frame_free (frame);
    g_free (pos);
    g_usleep (500 * 1000);
  }
  g_assert_cmpint (g_atomic_int_get (&blocked), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.src, "position-mismatches"), ==, 0);
  g_test_message ("worst pong time while blocked: %" G_GINT64_FORMAT " us",
      worst);
  g_assert_cmpint (worst, <, 50 * 1000);
  fixture_stop (&f);
}

static void
test_two_elements_and_503 (void)
{
  Fixture a, b;
  AhPeer *third;
  guint status = 0;

  fixture_start (&a, NULL);
  /* A second element on the same port. */
  b.src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (b.src, "port", a.port, "address", "127.0.0.1", NULL);
  b.bus = gst_bus_new ();
  gst_element_set_bus (b.src, b.bus);
  b.h = gst_harness_new_with_element (b.src, NULL, "src");
  gst_harness_play (b.h);
  b.port = a.port;
  b.peer = ah_peer_new ();

  g_free (open_session (&a, NULL, OFFER_MONO));
  g_free (open_session (&b, NULL, OFFER_MONO));
  send_frames (&a, 1, 1600, 1);
  send_frames (&b, 1, 1600, 2);
  /* Each element got one session, whichever took which. */
  {
    GstBuffer *x = gst_harness_pull (a.h);
    GstBuffer *y = gst_harness_pull (b.h);
    g_assert_nonnull (x);
    g_assert_nonnull (y);
    gst_buffer_unref (x);
    gst_buffer_unref (y);
  }
  third = ah_peer_new ();
  g_assert_false (ah_peer_connect (third, a.port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 503);
  ah_peer_free (third);

  close_session (&a, "PT0.2S");
  close_session (&b, "PT0.2S");
  fixture_stop (&b);
  fixture_stop (&a);
}

/* What an application reads from `genesys-session-opened`: the open's
 * customConfig and inputVariables as structures (and the JSON text). */
static void
test_session_opened_message (void)
{
  Fixture f;
  guint status = 0;
  AhPeerFrame *frame;
  GstMessage *msg;
  const GstStructure *s, *config, *vars;
  gint64 turns;

  fixture_start (&f, NULL);
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  ah_peer_send (f.peer, "open", "PT0S", "{\"organizationId\":\"" AH_PEER_ORG
      "\",\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":\"+1555\"},"
      "\"media\":[" OFFER_MONO "],\"language\":\"en-US\","
      "\"customConfig\":{\"greeting\":\"hi\",\"limits\":{\"turns\":3}},"
      "\"inputVariables\":{\"queue\":\"sales\",\"tier\":\"gold\"}}");
  frame = ah_peer_expect (f.peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);

  do {
    msg = gst_bus_timed_pop_filtered (f.bus, 5 * GST_SECOND,
        GST_MESSAGE_ELEMENT);
    g_assert_nonnull (msg);
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "genesys-session-opened"))
      break;
    gst_message_unref (msg);
  } while (TRUE);
  g_assert_cmpstr (gst_structure_get_string (s, "custom-config-json"), ==,
      "{\"greeting\":\"hi\",\"limits\":{\"turns\":3}}");
  config = gst_value_get_structure (gst_structure_get_value (s,
          "custom-config"));
  g_assert_cmpstr (gst_structure_get_string (config, "greeting"), ==, "hi");
  g_assert_true (gst_structure_get_int64 (gst_value_get_structure
          (gst_structure_get_value (config, "limits")), "turns", &turns));
  g_assert_cmpint (turns, ==, 3);
  vars = gst_value_get_structure (gst_structure_get_value (s,
          "input-variables"));
  g_assert_cmpstr (gst_structure_get_name (vars), ==, "input-variables");
  g_assert_cmpstr (gst_structure_get_string (vars, "queue"), ==, "sales");
  g_assert_cmpstr (gst_structure_get_string (vars, "tier"), ==, "gold");
  gst_message_unref (msg);

  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static void
test_keep_listening (void)
{
  Fixture f;
  GstBuffer *buf;
  GstEvent *ev;

  fixture_start (&f, "keep-listening=true");
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  buf = gst_harness_pull (f.h);
  gst_buffer_unref (buf);
  close_session (&f, "PT0.2S");
  g_assert_cmpuint (ah_peer_wait_closed (f.peer, WAIT), ==, 1000);

  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  /* The test clock stands still: the next session continues right after. */
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 2);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 1600);
  gst_buffer_unref (buf);
  close_session (&f, "PT0.2S");
  while ((ev = gst_harness_try_pull_event (f.h))) {
    g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_EOS);
    gst_event_unref (ev);
  }
  fixture_stop (&f);
}

/* keep-listening: the output follows the clock from its first audio on.
 * Time between sessions after that is a gap (here an event); time before
 * the first audio is not output, whether or not a session without audio
 * came first. */
static void
check_keep_listening_idle (gboolean first_has_audio, const gchar * props)
{
  Fixture f;
  GstBuffer *buf;
  GstEvent *ev;
  GstTestClock *clock;
  gboolean silence = props && strstr (props, "silence");

  fixture_start (&f, props);
  clock = gst_harness_get_testclock (f.h);
  g_free (open_session (&f, NULL, OFFER_MONO));
  if (first_has_audio) {
    send_frames (&f, 1, 1600, 1);
    buf = gst_harness_pull (f.h);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 0);
    gst_buffer_unref (buf);
  }
  close_session (&f, first_has_audio ? "PT0.2S" : "PT0S");
  ah_peer_free (f.peer);

  /* the next session's first frame arrives at 3.5 s */
  gst_test_clock_set_time (clock, 3500 * GST_MSECOND);
  f.peer = ah_peer_new ();
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 2);
  if (first_has_audio && !silence) {
    check_gap_event (f.h, 200 * GST_MSECOND, 3100 * GST_MSECOND);
  } else if (first_has_audio) {
    GstClockTime t = 200 * GST_MSECOND;
    while (t < 3300 * GST_MSECOND) {
      buf = gst_harness_pull (f.h);
      g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP));
      g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, t);
      t += GST_BUFFER_DURATION (buf);
      gst_buffer_unref (buf);
    }
  }
  buf = gst_harness_pull (f.h);
  g_test_message ("%s, first %s audio: first buffer at %" GST_TIME_FORMAT
      " for %" GST_TIME_FORMAT "%s", props, first_has_audio ? "with" :
      "without", GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
      GST_TIME_ARGS (GST_BUFFER_DURATION (buf)),
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP) ? " (gap)" : "");
  g_assert_false (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP));
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 3300 * GST_MSECOND);
  gst_buffer_unref (buf);
  if (!first_has_audio) {
    /* nothing before the first audio */
    while ((ev = gst_harness_try_pull_event (f.h))) {
      g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_GAP);
      gst_event_unref (ev);
    }
  }
  close_session (&f, "PT0.2S");
  gst_object_unref (clock);
  fixture_stop (&f);
}

static void
test_keep_listening_idle (void)
{
  check_keep_listening_idle (TRUE, "keep-listening=true");
  check_keep_listening_idle (TRUE, "keep-listening=true gap-mode=silence");
  check_keep_listening_idle (FALSE, "keep-listening=true");
  check_keep_listening_idle (FALSE, "keep-listening=true gap-mode=silence");
}

static void
expect_error_disconnect (Fixture * f, const gchar * what)
{
  AhPeerFrame *frame = ah_peer_expect (f->peer, "disconnect", WAIT);
  JsonObject *p;

  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "error");
  g_test_message ("%s -> disconnect info: %s", what,
      json_object_get_string_member (p, "info"));
  ah_peer_frame_free (frame);
}

static void
test_bad_input (void)
{
  Fixture f;
  guint status;
  gchar *big;
  guint i;
  guint8 odd[3] = { 1, 2, 3 };

  fixture_start (&f, "keep-listening=true");

  /* Audio before open. */
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  send_frames (&f, 1, 1600, 1);
  expect_error_disconnect (&f, "audio before open");
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* Garbage text. */
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  ah_peer_send_text (f.peer, "{this is not json");
  expect_error_disconnect (&f, "garbage");
  ah_peer_drop (f.peer);
  wait_sessions_lost (f.src, 1);
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* Partial sample frame in stereo. */
  g_assert_cmpuint (check_stat_u64 (f.src, "protocol-errors"), ==, 2);
  g_free (open_session (&f, NULL, OFFER_STEREO));
  ah_peer_send_binary (f.peer, odd, 3);
  expect_error_disconnect (&f, "partial sample frame");
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* Audio while paused. */
  g_free (open_session (&f, NULL, OFFER_MONO));
  ah_peer_send (f.peer, "paused", "PT0S", "{}");
  send_frames (&f, 1, 1600, 1);
  expect_error_disconnect (&f, "audio while paused");
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* A second open. */
  g_free (open_session (&f, NULL, OFFER_MONO));
  {
    gchar *params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
        "0f1e2d3c-4b5a-4697-8877-665544332211", OFFER_MONO);
    ah_peer_send (f.peer, "open", "PT0S", params);
    g_free (params);
  }
  expect_error_disconnect (&f, "second open");
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* A sequence number out of order. */
  g_free (open_session (&f, NULL, OFFER_MONO));
  ah_peer_send_text (f.peer, "{\"version\":\"2\",\"id\":\"00000000-0000-0000-"
      "0000-000000000000\",\"type\":\"ping\",\"seq\":7,\"serverseq\":1,"
      "\"position\":\"PT0S\",\"parameters\":{}}");
  expect_error_disconnect (&f, "wrong seq and id");
  ah_peer_drop (f.peer);
  wait_sessions_lost (f.src, 2);
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();

  /* Oversized text: closed with 1009. */
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  big = g_malloc (70000);
  memset (big, ' ', 69999);
  big[0] = '{';
  big[69998] = '}';
  big[69999] = 0;
  ah_peer_send_text (f.peer, big);
  g_free (big);
  g_assert_cmpuint (ah_peer_wait_closed (f.peer, WAIT), ==, 1009);
  ah_peer_free (f.peer);
  wait_sessions_lost (f.src, 3);

  /* 1000 quick connections that drop at once: each is upgraded, or
   * refused with 503 while the element still holds the previous one. */
  {
    guint upgraded = 0, busy = 0;
    for (i = 0; i < 1000; i++) {
      f.peer = ah_peer_new ();
      if (ah_peer_connect (f.peer, f.port, PATH, NULL, &status))
        upgraded++;
      else if (status == 503)
        busy++;
      else
        g_error ("connection %u: HTTP %u", i, status);
      ah_peer_free (f.peer);
    }
    g_test_message ("1000 connections: %u upgraded, %u refused busy",
        upgraded, busy);
    g_assert_cmpuint (upgraded, >, 0);
    wait_sessions_lost (f.src, 3 + upgraded);
  }

  /* Still serving. */
  f.peer = ah_peer_new ();
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 3);
  gst_buffer_unref (gst_harness_pull (f.h));
  close_session (&f, "PT0.2S");
  fixture_stop (&f);
}

static void
test_tls (void)
{
  Fixture f;
  GstBuffer *buf;

  fixture_start (&f, "tls-certificate-file=" TEST_DATA_DIR "/test-cert.pem "
      "tls-key-file=" TEST_DATA_DIR "/test-key.pem");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new_tls (TEST_DATA_DIR "/test-cert.pem");
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 9);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, 1600);
  gst_buffer_unref (buf);
  close_session (&f, "PT0.2S");
  fixture_stop (&f);
}

static void
test_credentials_file (void)
{
  Fixture f;
  gchar *path, *props;
  AhPeerAuth signed_key = { KEY, SECRET };
  AhPeerAuth open_key = { "b3BlbiBrZXk=", NULL };
  AhPeerAuth open_key_signed = { "b3BlbiBrZXk=", SECRET };
  GError *error = NULL;
  gint fd;

  fd = g_file_open_tmp ("genesys-creds-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, "{\"" KEY "\": \"" SECRET "\", "
          "\"b3BlbiBrZXk=\": \"\"}", -1, NULL));
  props = g_strdup_printf ("keep-listening=true credentials-file=%s", path);
  fixture_start (&f, props);
  g_free (props);

  g_free (open_session (&f, &signed_key, OFFER_MONO));
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  /* An empty secret lets that key in unsigned... */
  g_free (open_session (&f, &open_key, OFFER_MONO));
  close_session (&f, "PT0S");
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  /* ...and a signature for it is not checked against any secret. */
  g_free (open_session (&f, &open_key_signed, OFFER_MONO));
  close_session (&f, "PT0S");
  fixture_stop (&f);
  g_unlink (path);
  g_free (path);
}

/* A configuration that would open the door by mistake fails at start,
 * saying why. */
static void
expect_start_error (const gchar * props, const gchar * says)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL, **kv, **p;

  g_object_set (src, "port", 0, "address", "127.0.0.1", NULL);
  kv = g_strsplit (props, " ", -1);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    gst_util_set_object_arg (G_OBJECT (src), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  gst_element_set_bus (src, bus);
  g_assert_cmpint (gst_element_set_state (src, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, &debug);
  g_test_message ("%s: %s", props, error->message);
  if (!strstr (error->message, says))
    g_error ("%s: \"%s\" does not say \"%s\"", props, error->message, says);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
}

static void
test_bad_credentials_file (void)
{
  gchar *file = NULL, *props;
  gint fd;

  expect_start_error ("credentials-file=/nonexistent/keys.json", "keys.json");
  expect_start_error ("client-secret=" SECRET,
      "client-secret is set without api-key");
  fd = g_file_open_tmp ("creds-XXXXXX.json", &file, NULL);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_assert_true (g_file_set_contents (file, "{}", -1, NULL));
  props = g_strdup_printf ("credentials-file=%s", file);
  expect_start_error (props, "holds no API key");
  g_free (props);
  g_unlink (file);
  g_free (file);
}

/* Downstream accepts mono only: the mono offer is chosen over stereo. */
static void
test_caps_choose_media (void)
{
  Fixture f;
  gchar *media;
  GstCaps *caps = gst_caps_from_string ("audio/x-mulaw, channels=1");

  fixture_start (&f, NULL);
  gst_harness_set_sink_caps (f.h, caps);
  media = open_session (&f, NULL, OFFER_STEREO "," OFFER_MONO);
  g_assert_cmpstr (media, ==, "[" OFFER_MONO "]");
  g_free (media);
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static void
test_media_preference (void)
{
  Fixture f;
  gchar *media;

  fixture_start (&f, "media-preference=external");
  media = open_session (&f, NULL, OFFER_STEREO "," OFFER_MONO);
  g_assert_cmpstr (media, ==, "[" OFFER_MONO "]");
  g_free (media);
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static void
test_actions (void)
{
  Fixture f;
  gboolean ok;
  AhPeerFrame *frame;
  JsonObject *p;
  JsonArray *entities;

  fixture_start (&f, NULL);
  g_signal_emit_by_name (f.src, "pause", &ok);
  g_assert_false (ok);          /* no session yet */
  g_free (open_session (&f, NULL, OFFER_MONO));

  g_signal_emit_by_name (f.src, "pause", &ok);
  g_assert_true (ok);
  frame = ah_peer_expect (f.peer, "pause", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  g_signal_emit_by_name (f.src, "resume", &ok);
  g_assert_true (ok);
  frame = ah_peer_expect (f.peer, "resume", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);

  g_signal_emit_by_name (f.src, "send-event", "[{\"type\":\"transcript\","
      "\"data\":{\"id\":\"a1b2c3d4-0000-4000-8000-000000000001\","
      "\"channelId\":0,\"isFinal\":true,\"alternatives\":[]}}]", &ok);
  g_assert_true (ok);
  frame = ah_peer_expect (f.peer, "event", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  entities = json_object_get_array_member (p, "entities");
  g_assert_cmpuint (json_array_get_length (entities), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (entities, 0), "type"), ==, "transcript");
  ah_peer_frame_free (frame);

  g_signal_emit_by_name (f.src, "send-event", "not json", &ok);
  g_assert_false (ok);

  g_signal_emit_by_name (f.src, "disconnect", "completed", "bye", &ok);
  g_assert_true (ok);
  frame = ah_peer_expect (f.peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==,
      "completed");
  g_assert_cmpstr (json_object_get_string_member (p, "info"), ==, "bye");
  ah_peer_frame_free (frame);
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

static void
test_latency_query (void)
{
  Fixture f;
  GstQuery *q = gst_query_new_latency ();
  gboolean live;
  GstClockTime min, max;

  fixture_start (&f, "latency=300000000");
  g_assert_true (gst_element_query (f.src, q));
  gst_query_parse_latency (q, &live, &min, &max);
  g_assert_true (live);
  g_assert_cmpuint (min, ==, 300 * GST_MSECOND);
  g_assert_cmpuint (max, >=, min);
  gst_query_unref (q);
  fixture_stop (&f);
}

/* A session that vanishes without close: a warning with the position, then
 * EOS after session-timeout. Client errors are reported, not fatal. */
static void
test_session_lost (void)
{
  Fixture f;
  GstMessage *msg;
  GstEvent *ev;
  gint64 dropped;
  const GstStructure *s;
  guint64 position;

  fixture_start (&f, "session-timeout=500000000");
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_send (f.peer, "error", "PT0.4S",
      "{\"code\":500,\"message\":\"client trouble\"}");
  msg = gst_bus_timed_pop_filtered (f.bus, 5 * GST_SECOND, GST_MESSAGE_ELEMENT);
  while (msg && !gst_message_has_name (msg, "genesys-client-error")) {
    gst_message_unref (msg);
    msg = gst_bus_timed_pop_filtered (f.bus, 5 * GST_SECOND,
        GST_MESSAGE_ELEMENT);
  }
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  /* still running: pings answered */
  ah_peer_send (f.peer, "ping", "PT0.4S", "{}");
  ah_peer_frame_free (ah_peer_expect (f.peer, "pong", WAIT));

  ah_peer_drop (f.peer);
  dropped = g_get_monotonic_time ();
  msg = gst_bus_timed_pop_filtered (f.bus, 5 * GST_SECOND, GST_MESSAGE_ELEMENT);
  while (msg && !gst_message_has_name (msg, "genesys-session-lost")) {
    gst_message_unref (msg);
    msg = gst_bus_timed_pop_filtered (f.bus, 5 * GST_SECOND,
        GST_MESSAGE_ELEMENT);
  }
  g_assert_nonnull (msg);
  s = gst_message_get_structure (msg);
  g_assert_true (gst_structure_get_uint64 (s, "position", &position));
  g_assert_cmpuint (position, ==, 400 * GST_MSECOND);
  gst_message_unref (msg);
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  g_assert_cmpint (g_get_monotonic_time () - dropped, >=, 450 * 1000);
  fixture_stop (&f);
}

/* A client that goes silent (a half-open connection) is over after
 * idle-timeout: disconnect (error), then the stream ends once no
 * continuation came; every message pushes the deadline back. */
static void
test_idle_timeout (void)
{
  Fixture f;
  AhPeerFrame *frame;
  GstEvent *ev;
  gint64 silent;
  guint i;

  fixture_start (&f, "idle-timeout=1000000000 session-timeout=500000000");
  g_free (open_session (&f, NULL, OFFER_MONO));
  /* pings every 0.5 s for 2 s: more than the idle timeout, not over */
  for (i = 0; i < 4; i++) {
    g_usleep (500 * 1000);
    ah_peer_send (f.peer, "ping", "PT0S", "{}");
    frame = ah_peer_expect (f.peer, "pong", WAIT);
    g_assert_nonnull (frame);
    ah_peer_frame_free (frame);
  }
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  silent = g_get_monotonic_time ();
  frame = ah_peer_expect (f.peer, "disconnect", 5000);
  g_assert_nonnull (frame);
  g_assert_cmpint (frame->received_us - silent, >=, 900 * 1000);
  g_assert_cmpint (frame->received_us - silent, <, 3000 * 1000);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (frame->json, "parameters"), "reason"), ==, "error");
  ah_peer_frame_free (frame);
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  fixture_stop (&f);
}

/* L16 (taken as little-endian) comes out as S16LE, stereo swapped to
 * external first by whole 16-bit samples. */
static void
test_l16_stereo (void)
{
  Fixture f;
  GstBuffer *buf;
  GstMapInfo map;
  GstEvent *ev;
  GstCaps *caps;
  GstStructure *s;
  guint8 frame[1600 * 4];
  guint i;
  guint64 mask;

  fixture_start (&f, NULL);
  g_free (open_session (&f, NULL,
          "{\"type\":\"audio\",\"format\":\"L16\",\"channels\":"
          "[\"internal\",\"external\"],\"rate\":8000}"));
  for (i = 0; i < 1600; i++) {
    /* internal 0x0102, external 0x0304 (little-endian on the wire) */
    frame[4 * i] = 0x02;
    frame[4 * i + 1] = 0x01;
    frame[4 * i + 2] = 0x04;
    frame[4 * i + 3] = 0x03;
  }
  ah_peer_send_binary (f.peer, frame, sizeof (frame));
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, sizeof (frame));
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 200 * GST_MSECOND);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < 1600; i++) {
    g_assert_cmpuint (GST_READ_UINT16_LE (map.data + 4 * i), ==, 0x0304);
    g_assert_cmpuint (GST_READ_UINT16_LE (map.data + 4 * i + 2), ==, 0x0102);
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  ev = check_pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "audio/x-raw"));
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "S16LE");
  g_assert_true (gst_structure_get (s, "channel-mask", GST_TYPE_BITMASK,
          &mask, NULL));
  g_assert_cmpuint (mask, ==, 0x3);
  gst_event_unref (ev);
  close_session (&f, "PT0.2S");
  fixture_stop (&f);
}

static gchar *
continued_params (const gchar * old_id)
{
  return g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},\"media\":[" OFFER_MONO
      "],\"continuedSessions\":[{\"id\":\"%s\",\"serverseq\":1,"
      "\"clientseq\":1}]}", old_id);
}

/* Opens a session that continues @old_id at @position. */
static void
open_continued (Fixture * f, const gchar * old_id, const gchar * position)
{
  guint status;
  gchar *params = continued_params (old_id);
  AhPeerFrame *frame;

  g_assert_true (ah_peer_connect (f->peer, f->port, PATH, NULL, &status));
  ah_peer_send (f->peer, "open", position, params);
  g_free (params);
  frame = ah_peer_expect (f->peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
}

/* A dropped session continued on a new connection: the same output goes
 * on, the lost span (reported as discarded) is a GAP of exactly its
 * length, no EOS. */
static void
test_continued_session (void)
{
  Fixture f;
  gchar *old_id;
  GstBuffer *buf;

  fixture_start (&f, "session-timeout=10000000000");
  g_free (open_session (&f, NULL, OFFER_MONO));
  old_id = g_strdup (ah_peer_session_id (f.peer));
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_drop (f.peer);
  wait_sessions_lost (f.src, 1);
  ah_peer_free (f.peer);

  f.peer = ah_peer_new ();
  open_continued (&f, old_id, "PT0.4S");
  ah_peer_send (f.peer, "discarded", "PT0.4S",
      "{\"start\":\"PT0.4S\",\"discarded\":\"PT0.35S\"}");
  send_frames (&f, 1, 1600, 3);
  check_gap_event (f.h, 400 * GST_MSECOND, 350 * GST_MSECOND);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 750 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 6000);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  g_assert_cmpuint (check_stat_u64 (f.src, "sessions-continued"), ==, 1);
  close_session (&f, "PT0.95S");
  {
    GstEvent *ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
    g_assert_nonnull (ev);
    gst_event_unref (ev);
  }
  g_free (old_id);
  fixture_stop (&f);
}

/* A client whose connection went half-open (its messages lost, ours still
 * reaching it) is timed out: disconnect (error), and its connection is
 * dropped 2 s later, before the client noticed anything. Its continuation
 * after that still continues the same output, as after a drop: the
 * timed-out session was lost, not closed. */
static void
test_idle_timeout_continued (void)
{
  Fixture f;
  AhPeerFrame *frame;
  gchar *old_id;
  GstBuffer *buf;

  fixture_start (&f, "idle-timeout=1000000000 session-timeout=10000000000");
  g_free (open_session (&f, NULL, OFFER_MONO));
  old_id = g_strdup (ah_peer_session_id (f.peer));
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  frame = ah_peer_expect (f.peer, "disconnect", 5000);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  /* the server lets go of the connection; no close ever came */
  wait_sessions_lost (f.src, 1);
  ah_peer_free (f.peer);

  f.peer = ah_peer_new ();
  open_continued (&f, old_id, "PT3S");
  send_frames (&f, 1, 1600, 3);
  check_gap_event (f.h, 400 * GST_MSECOND, 2600 * GST_MSECOND);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 3 * GST_SECOND);
  gst_buffer_unref (buf);
  g_assert_cmpuint (check_stat_u64 (f.src, "sessions-continued"), ==, 1);
  close_session (&f, "PT3.2S");
  {
    GstEvent *ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
    g_assert_nonnull (ev);
    gst_event_unref (ev);
  }
  g_free (old_id);
  fixture_stop (&f);
}

/* A continuation whose positions restart at zero lands where its audio
 * arrives: the time between is a gap measured on the pipeline clock. */
static void
test_continued_restart (void)
{
  Fixture f;
  gchar *old_id;
  GstBuffer *buf;
  GstTestClock *clock;

  fixture_start (&f, "session-timeout=10000000000");
  clock = gst_harness_get_testclock (f.h);
  g_free (open_session (&f, NULL, OFFER_MONO));
  old_id = g_strdup (ah_peer_session_id (f.peer));
  send_frames (&f, 2, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));
  gst_buffer_unref (gst_harness_pull (f.h));
  ah_peer_drop (f.peer);
  wait_sessions_lost (f.src, 1);
  ah_peer_free (f.peer);

  /* the new session's first frame arrives at 2.0 s */
  gst_test_clock_set_time (clock, 2 * GST_SECOND);
  f.peer = ah_peer_new ();
  open_continued (&f, old_id, "PT0S");
  send_frames (&f, 1, 1600, 3);
  check_gap_event (f.h, 400 * GST_MSECOND, 1400 * GST_MSECOND);
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 1800 * GST_MSECOND);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  close_session (&f, "PT0.2S");
  gst_object_unref (clock);
  g_free (old_id);
  fixture_stop (&f);
}

/* While one element waits for the continuation of its lost session, an
 * unrelated session goes to the other element on the port, and the
 * continuation still finds its element. A close for a reconnect does not
 * end the stream either. */
static void
test_continuation_routing (void)
{
  Fixture a, b;
  gchar *old_id;
  GstBuffer *buf;

  fixture_start (&a, "session-timeout=10000000000");
  b.src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (b.src, "port", a.port, "address", "127.0.0.1", NULL);
  b.bus = gst_bus_new ();
  gst_element_set_bus (b.src, b.bus);
  b.h = gst_harness_new_with_element (b.src, NULL, "src");
  gst_harness_play (b.h);
  b.port = a.port;
  b.peer = ah_peer_new ();

  /* a gets the first session (first registered), which ends in a reconnect */
  g_free (open_session (&a, NULL, OFFER_MONO));
  old_id = g_strdup (ah_peer_session_id (a.peer));
  send_frames (&a, 1, 1600, 1);
  gst_buffer_unref (gst_harness_pull (a.h));
  ah_peer_send (a.peer, "close", "PT0.2S", "{\"reason\":\"reconnect\"}");
  ah_peer_frame_free (ah_peer_expect (a.peer, "closed", WAIT));
  ah_peer_close (a.peer);
  ah_peer_free (a.peer);

  /* an unrelated call: a claims it, hands it to b */
  g_free (open_session (&b, NULL, OFFER_MONO));
  send_frames (&b, 1, 1600, 7);
  buf = gst_harness_pull (b.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 0);
  gst_buffer_unref (buf);
  g_assert_cmpuint (check_stat_u64 (b.src, "sessions"), ==, 1);

  /* the continuation reaches a */
  a.peer = ah_peer_new ();
  open_continued (&a, old_id, "PT0.2S");
  send_frames (&a, 1, 1600, 2);
  buf = gst_harness_pull (a.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, 1600);
  gst_buffer_unref (buf);
  g_assert_cmpuint (check_stat_u64 (a.src, "sessions-continued"), ==, 1);
  g_assert_cmpuint (check_stat_u64 (a.src, "sessions-lost"), ==, 0);

  close_session (&a, "PT0.4S");
  close_session (&b, "PT0.2S");
  g_free (old_id);
  fixture_stop (&b);
  fixture_stop (&a);
}

/* EOS sent by the application ends the stream after the audio already
 * received, not before it. */
static void
test_eos_drains (void)
{
  Fixture f;
  gchar *media;
  GstEvent *ev;
  guint i;
  gint64 end;

  fixture_start (&f, NULL);
  media = open_session (&f, NULL, OFFER_MONO);
  g_free (media);
  send_frames (&f, 3, 1600, 1);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (check_stat_u64 (f.src, "samples") < 4800
      && g_get_monotonic_time () < end)
    g_usleep (1000);
  g_assert_cmpuint (check_stat_u64 (f.src, "samples"), ==, 4800);
  g_assert_true (gst_element_send_event (f.src, gst_event_new_eos ()));
  for (i = 0; i < 3; i++) {
    GstBuffer *buf = gst_harness_pull (f.h);
    g_assert_nonnull (buf);
    g_assert_cmpuint (gst_buffer_get_size (buf), ==, 1600);
    gst_buffer_unref (buf);
  }
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  fixture_stop (&f);
}

/* ws:// and wss:// URIs make a client-mode genesyssrc. */
static void
test_uri_handler (void)
{
  GstElement *e;
  GError *error = NULL;
  GParamSpec *pspec;
  gint mode;
  gchar *uri;

  e = gst_element_make_from_uri (GST_URI_SRC, "wss://bot.example.com/audio?x=1",
      NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (e);
  g_object_get (e, "uri", &uri, "mode", &mode, NULL);
  g_assert_cmpstr (uri, ==, "wss://bot.example.com/audio?x=1");
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "mode");
  g_assert_cmpstr (g_enum_get_value (G_PARAM_SPEC_ENUM (pspec)->enum_class,
          mode)->value_nick, ==, "client");
  g_free (uri);
  g_assert_false (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "http://example.com/", &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "ws:///no/host", &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI);
  g_clear_error (&error);
  gst_object_unref (e);
}

/* A URI through the handler changes the uri and the mode, nothing else;
 * a bad one set as the property is refused at start with its reason. */
static void
test_uri_keeps_settings (void)
{
  GstElement *e = gst_element_factory_make ("genesyssrc", NULL);
  GValue langs = G_VALUE_INIT, v = G_VALUE_INIT, got = G_VALUE_INIT;
  GstStateChangeReturn ret;
  GstMessage *msg;
  GError *error = NULL;
  GstBus *bus;
  gchar *uri;

  g_value_init (&langs, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, "en-US");
  gst_value_array_append_value (&langs, &v);
  g_object_set_property (G_OBJECT (e), "supported-languages", &langs);
  g_assert_true (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "ws://127.0.0.1:9/a", &error));
  g_assert_no_error (error);
  g_value_init (&got, GST_TYPE_ARRAY);
  g_object_get_property (G_OBJECT (e), "supported-languages", &got);
  g_assert_cmpuint (gst_value_array_get_size (&got), ==, 1);
  g_assert_cmpstr (g_value_get_string (gst_value_array_get_value (&got, 0)),
      ==, "en-US");

  g_object_set (e, "uri", "http://example.com/", NULL);
  g_object_get (e, "uri", &uri, NULL);
  g_assert_cmpstr (uri, ==, "ws://127.0.0.1:9/a");
  g_free (uri);
  bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  ret = gst_element_set_state (e, GST_STATE_PAUSED);
  g_assert_cmpint (ret, ==, GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &error, NULL);
  g_assert_nonnull (strstr (error->message, "http://example.com/"));
  g_clear_error (&error);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  g_value_unset (&langs);
  g_value_unset (&v);
  g_value_unset (&got);
  gst_object_unref (e);
}

/* current-port is the bound port while running, 0 after; a latency shorter
 * than the client's frame period is said at start. */
static gboolean
said_latency (GstBus * bus)
{
  GstMessage *msg;
  gboolean said = FALSE;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *error = NULL;
    gst_message_parse_warning (msg, &error, NULL);
    said |= strstr (error->message,
        "shorter than the client's frame period") != NULL;
    g_error_free (error);
    gst_message_unref (msg);
  }
  return said;
}

static void
test_port_and_latency_said (void)
{
  GstElement *e = gst_element_factory_make ("genesyssrc", NULL);
  GstBus *bus = gst_bus_new ();
  guint port;

  gst_element_set_bus (e, bus);
  g_object_set (e, "port", 0, "address", "127.0.0.1", "latency",
      (guint64) 50 * GST_MSECOND, NULL);
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_object_get (e, "current-port", &port, NULL);
  g_assert_cmpuint (port, >, 0);
  g_assert_true (said_latency (bus));
  gst_element_set_state (e, GST_STATE_NULL);
  g_object_get (e, "current-port", &port, NULL);
  g_assert_cmpuint (port, ==, 0);

  /* the default says nothing */
  g_object_set (e, "latency", (guint64) 300 * GST_MSECOND, NULL);
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_false (said_latency (bus));
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

/* opened lists supported-languages when the open asks, [] when none is set,
 * and nothing when the open does not ask. */
static gchar *
opened_languages (const gchar * props, gboolean ask)
{
  Fixture f;
  guint status = 0;
  AhPeerFrame *frame;
  JsonObject *params;
  gchar *params_json, *languages = NULL;

  fixture_start (&f, props);
  g_assert_true (ah_peer_connect (f.peer, f.port, PATH, NULL, &status));
  params_json = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":\"+1555\"},"
      "\"media\":[" OFFER_MONO "],\"language\":\"en-US\"%s}",
      ask ? ",\"supportedLanguages\":true" : "");
  ah_peer_send (f.peer, "open", "PT0S", params_json);
  g_free (params_json);
  frame = ah_peer_expect (f.peer, "opened", WAIT);
  g_assert_nonnull (frame);
  params = json_object_get_object_member (frame->json, "parameters");
  if (json_object_has_member (params, "supportedLanguages"))
    languages = json_to_string (json_object_get_member (params,
            "supportedLanguages"), FALSE);
  ah_peer_frame_free (frame);
  close_session (&f, "PT0S");
  fixture_stop (&f);
  return languages;
}

static void
test_supported_languages (void)
{
  gchar *l;

  l = opened_languages ("supported-languages=<en-US,de-DE>", TRUE);
  g_assert_cmpstr (l, ==, "[\"en-US\",\"de-DE\"]");
  g_free (l);
  l = opened_languages (NULL, TRUE);
  g_assert_cmpstr (l, ==, "[]");
  g_free (l);
  l = opened_languages ("supported-languages=<en-US>", FALSE);
  g_assert_null (l);
}

/* Stopping the element ends the session with its close transaction: the
 * client's close after the disconnect still gets `closed`. */
static void
test_stop_close_transaction (void)
{
  Fixture f;
  AhPeerFrame *frame;
  JsonObject *p;
  GThread *stopper;

  fixture_start (&f, NULL);
  g_free (open_session (&f, NULL, OFFER_MONO));
  send_frames (&f, 1, 1600, 1);
  gst_buffer_unref (gst_harness_pull (f.h));

  stopper = check_stop_in_thread (f.src);
  frame = ah_peer_expect (f.peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==,
      "completed");
  ah_peer_frame_free (frame);
  ah_peer_send (f.peer, "close", "PT0.2S", "{\"reason\":\"disconnect\"}");
  frame = ah_peer_expect (f.peer, "closed", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  ah_peer_close (f.peer);
  g_thread_join (stopper);
  fixture_stop (&f);
}

/* Audio Connector: the element's path matches as a prefix; the rest is the
 * connector id, on the bus. Other paths get 404, counted and said. */
static void
test_connector_id (void)
{
  Fixture f;
  guint status = 0;
  gchar *params;
  AhPeerFrame *frame;
  GstMessage *msg;
  const GstStructure *s;
  GstStructure *stats;
  guint64 not_found = 0;
  gboolean warned = FALSE;
  AhPeer *stray = ah_peer_new ();

  fixture_start (&f, "path=/api/v1/audioconnector");
  g_assert_false (ah_peer_connect (stray, f.port, "/api/v1/audioconnectorx",
          NULL, &status));
  g_assert_cmpuint (status, ==, 404);
  g_assert_false (ah_peer_connect (stray, f.port, "/elsewhere", NULL, &status));
  g_assert_cmpuint (status, ==, 404);
  ah_peer_free (stray);

  g_assert_true (ah_peer_connect (f.peer, f.port,
          "/api/v1/audioconnector/my-bot-7?lang=de", NULL, &status));
  g_assert_cmpuint (status, ==, 101);
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", OFFER_MONO);
  ah_peer_send (f.peer, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (f.peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);

  while ((msg = gst_bus_timed_pop (f.bus, 5 * GST_SECOND))) {
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      GError *error = NULL;
      gst_message_parse_warning (msg, &error, NULL);
      if (strstr (error->message, "/api/v1/audioconnectorx")
          && strstr (error->message, "HTTP 404"))
        warned = TRUE;
      g_error_free (error);
    } else if (s && gst_structure_has_name (s, "genesys-session-opened")) {
      g_assert_cmpstr (gst_structure_get_string (s, "connector-id"), ==,
          "my-bot-7?lang=de");
      gst_message_unref (msg);
      break;
    }
    gst_message_unref (msg);
  }
  g_assert_nonnull (msg);
  /* the second 404 came within 10 s of the first: counted, not said */
  g_assert_true (warned);
  g_object_get (f.src, "stats", &stats, NULL);
  g_assert_true (gst_structure_get_uint64 (stats, "not-found", &not_found));
  g_assert_cmpuint (not_found, ==, 2);
  gst_structure_free (stats);
  close_session (&f, "PT0S");
  fixture_stop (&f);
}

/* Two elements on one port and path must share their credentials: a
 * session could go to either. */
static void
test_conflicting_credentials (void)
{
  Fixture a;
  gchar *props;
  guint port = ah_peer_free_port ();    /* for both */

  props = g_strdup_printf ("port=%u api-key=" KEY " client-secret=" SECRET,
      port);
  fixture_start (&a, props);
  g_free (props);
  g_assert_cmpuint (a.port, ==, port);
  props = g_strdup_printf ("port=%u api-key=other-key client-secret=" SECRET,
      a.port);
  expect_start_error (props, "already served with other credentials");
  g_free (props);
  props = g_strdup_printf ("port=%u", a.port);
  expect_start_error (props, "already served with other credentials");
  g_free (props);
  fixture_stop (&a);
}

/* Hostile spans (a `discarded` or `resumed` of 31 years) end the session
 * with disconnect (error) and produce no gap, whatever gap-mode; and close,
 * audio and ping in one burst: closed is the last word. */
static void
check_hostile_span (const gchar * props, gboolean via_resumed)
{
  Fixture f;
  AhPeerFrame *frame;
  JsonObject *p;
  GstEvent *ev;
  gsize rss0 = rss_bytes ();
  guint8 audio[1600];

  fixture_start (&f, props);
  g_free (open_session (&f, NULL, OFFER_MONO));
  if (via_resumed) {
    ah_peer_send (f.peer, "paused", "PT0S", "{}");
    ah_peer_send (f.peer, "resumed", "PT999999999S",
        "{\"start\":\"PT0S\",\"discarded\":\"PT999999999S\"}");
  } else {
    ah_peer_send (f.peer, "discarded", "PT999999999S",
        "{\"start\":\"PT0S\",\"discarded\":\"PT999999999S\"}");
  }
  frame = ah_peer_expect (f.peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "error");
  g_test_message ("%s: %s", props ? props : "default",
      json_object_get_string_member (p, "info"));
  ah_peer_frame_free (frame);
  /* the client's close, with audio and a ping behind it in one burst */
  memset (audio, 0xff, sizeof (audio));
  ah_peer_send (f.peer, "close", "PT0S", "{\"reason\":\"disconnect\"}");
  ah_peer_send_binary (f.peer, audio, sizeof (audio));
  ah_peer_send (f.peer, "ping", "PT0S", "{}");
  frame = ah_peer_expect (f.peer, "closed", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  /* nothing after closed */
  frame = ah_peer_next (f.peer, 500);
  if (frame)
    g_error ("%s after closed", frame->binary ? "binary" :
        ah_peer_type (frame));
  ah_peer_close (f.peer);
  /* no gap went out, and memory stayed where it was */
  while ((ev = gst_harness_try_pull_event (f.h))) {
    g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_GAP);
    gst_event_unref (ev);
  }
  g_assert_cmpuint (gst_harness_buffers_received (f.h), ==, 0);
  g_test_message ("RSS %+.1f MB", ((gdouble) rss_bytes () - rss0) / 1e6);
  g_assert_cmpint ((gssize) rss_bytes () - (gssize) rss0, <, 20 * 1000 * 1000);
  fixture_stop (&f);
}

static void
test_hostile_spans (void)
{
  check_hostile_span (NULL, FALSE);
  check_hostile_span ("gap-mode=silence", FALSE);
  check_hostile_span ("gap-mode=silence", TRUE);
}

/* ---- push-mode: which thread pushes the audio ---- */

typedef struct
{
  GMutex lock;
  GPtrArray *seen;              /* what left the src pad, in order */
  gboolean eos;
} Recorder;

/* Every buffer, GAP and EOS on the src pad, whichever thread pushes it. */
static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Recorder *f = data;
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
recorder_start (Recorder * r, Fixture * f)
{
  GstPad *pad = gst_element_get_static_pad (f->src, "src");

  g_mutex_init (&r->lock);
  r->seen = g_ptr_array_new_with_free_func (g_free);
  r->eos = FALSE;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, r, NULL);
  gst_object_unref (pad);
}

static void
recorder_clear (Recorder * r)
{
  g_ptr_array_unref (r->seen);
  g_mutex_clear (&r->lock);
}

static void
wait_seen (Recorder * r, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&r->lock);
  while (r->seen->len < n && g_get_monotonic_time () < end) {
    g_mutex_unlock (&r->lock);
    g_usleep (2000);
    g_mutex_lock (&r->lock);
  }
  g_assert_cmpuint (r->seen->len, >=, n);
  g_mutex_unlock (&r->lock);
}

/* A session open, and its first buffer out through basesrc (before the
 * loop takes over). */
static void
loop_session_start (Fixture * f, Recorder * r, const gchar * props)
{
  fixture_start (f, props);
  recorder_start (r, f);
  g_free (open_session (f, NULL, OFFER_MONO));
  send_frames (f, 1, 1600, 1);
  wait_seen (r, 1);
}

/* One session: audio, a discarded span, audio, a pause whose span the
 * client reports, audio, close. Returns what left the pad; *@pushed:
 * loop-pushed-buffers. */
static gchar **
run_loop_session (const gchar * props, guint64 * pushed)
{
  Fixture f;
  Recorder r;
  gchar **lines;
  gint64 end;
  guint i;

  loop_session_start (&f, &r, props);
  send_frames (&f, 4, 1600, 2);
  wait_seen (&r, 5);
  ah_peer_send (f.peer, "discarded", "PT1S",
      "{\"start\":\"PT1S\",\"discarded\":\"PT0.000125S\"}");
  send_frames (&f, 3, 800, 10);
  send_frames (&f, 2, 1600, 20);
  ah_peer_send (f.peer, "paused", "PT1.700125S", "{}");
  ah_peer_send (f.peer, "resumed", "PT2.900125S",
      "{\"start\":\"PT1.700125S\",\"discarded\":\"PT1.2S\"}");
  send_frames (&f, 5, 1600, 30);
  close_session (&f, "PT3.900125S");
  end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&r.lock);
  while (!r.eos && g_get_monotonic_time () < end) {
    g_mutex_unlock (&r.lock);
    g_usleep (2000);
    g_mutex_lock (&r.lock);
  }
  lines = g_new0 (gchar *, r.seen->len + 1);
  for (i = 0; i < r.seen->len; i++)
    lines[i] = g_strdup (g_ptr_array_index (r.seen, i));
  g_mutex_unlock (&r.lock);
  *pushed = check_stat_u64 (f.src, "loop-pushed-buffers");
  fixture_stop (&f);
  recorder_clear (&r);
  return lines;
}

/* The same buffers (PTS, duration, offsets, flags), GAP events and EOS,
 * in the same order, as through the streaming thread. */
static void
test_loop_same_output (void)
{
  guint64 pushed_stream, pushed_loop;
  gchar **stream = run_loop_session ("push-mode=thread", &pushed_stream);
  gchar **loop = run_loop_session ("push-mode=loop", &pushed_loop);
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
 * crash. */
static void
test_loop_stop_mid_stream (void)
{
  guint round;

  for (round = 0; round < 20; round++) {
    Fixture f;
    Recorder r;

    loop_session_start (&f, &r, "push-mode=loop");
    send_frames (&f, 2, 1600, 2);
    wait_seen (&r, 3);
    send_frames (&f, 200, 160, 3);
    g_usleep (g_random_int_range (0, 3000));
    gst_element_set_state (f.src, GST_STATE_NULL);
    fixture_stop (&f);
    recorder_clear (&r);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/genesyssrc/happy-mono", test_happy_mono);
  g_test_add_func ("/genesyssrc/loop-same-output", test_loop_same_output);
  g_test_add_func ("/genesyssrc/loop-stop-mid-stream",
      test_loop_stop_mid_stream);
  g_test_add_func ("/genesyssrc/stereo", test_stereo);
  g_test_add_func ("/genesyssrc/stereo-reversed", test_stereo_reversed);
  g_test_add_func ("/genesyssrc/probe", test_probe);
  g_test_add_func ("/genesyssrc/pause-resume-gap", test_pause_resume_gap);
  g_test_add_func ("/genesyssrc/discarded-gap", test_discarded_gap);
  g_test_add_func ("/genesyssrc/gap-silence", test_gap_silence);
  g_test_add_func ("/genesyssrc/gap-silence-lazy", test_gap_silence_lazy);
  g_test_add_func ("/genesyssrc/auth", test_auth);
  g_test_add_func ("/genesyssrc/org-mismatch", test_org_mismatch);
  g_test_add_func ("/genesyssrc/pong-while-blocked", test_pong_while_blocked);
  g_test_add_func ("/genesyssrc/two-elements-and-503",
      test_two_elements_and_503);
  g_test_add_func ("/genesyssrc/keep-listening", test_keep_listening);
  g_test_add_func ("/genesyssrc/uri-handler", test_uri_handler);
  g_test_add_func ("/genesyssrc/uri-keeps-settings", test_uri_keeps_settings);
  g_test_add_func ("/genesyssrc/hostile-spans", test_hostile_spans);
  g_test_add_func ("/genesyssrc/connector-id", test_connector_id);
  g_test_add_func ("/genesyssrc/conflicting-credentials",
      test_conflicting_credentials);
  g_test_add_func ("/genesyssrc/stop-close-transaction",
      test_stop_close_transaction);
  g_test_add_func ("/genesyssrc/supported-languages", test_supported_languages);
  g_test_add_func ("/genesyssrc/port-and-latency-said",
      test_port_and_latency_said);
  g_test_add_func ("/genesyssrc/keep-listening-idle", test_keep_listening_idle);
  g_test_add_func ("/genesyssrc/session-opened-message",
      test_session_opened_message);
  g_test_add_func ("/genesyssrc/bad-input", test_bad_input);
  g_test_add_func ("/genesyssrc/tls", test_tls);
  g_test_add_func ("/genesyssrc/credentials-file", test_credentials_file);
  g_test_add_func ("/genesyssrc/bad-credentials-file",
      test_bad_credentials_file);
  g_test_add_func ("/genesyssrc/caps-choose-media", test_caps_choose_media);
  g_test_add_func ("/genesyssrc/media-preference", test_media_preference);
  g_test_add_func ("/genesyssrc/actions", test_actions);
  g_test_add_func ("/genesyssrc/latency-query", test_latency_query);
  g_test_add_func ("/genesyssrc/session-lost", test_session_lost);
  g_test_add_func ("/genesyssrc/idle-timeout", test_idle_timeout);
  g_test_add_func ("/genesyssrc/idle-timeout-continued",
      test_idle_timeout_continued);
  g_test_add_func ("/genesyssrc/l16-stereo", test_l16_stereo);
  g_test_add_func ("/genesyssrc/continued-session", test_continued_session);
  g_test_add_func ("/genesyssrc/eos-drains", test_eos_drains);
  g_test_add_func ("/genesyssrc/continued-restart", test_continued_restart);
  g_test_add_func ("/genesyssrc/continuation-routing",
      test_continuation_routing);
  return g_test_run ();
}
