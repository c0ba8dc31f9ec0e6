/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssink against genesyssrc in the same process, and against a raw
 * in-process AudioHook server (ahserver.c) that misbehaves on request.
 * The sink is paced by a GstTestClock (sync=TRUE): each frame is pushed
 * once the test clock reached its timestamp. Sockets are real. */

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include "ahserver.h"
#include "ahpeer.h"
#include "ah-duration.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define KEY "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
#define SECRET "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
#define ORG "d7934305-0972-4844-938e-9060eef73d05"
#define WAIT 5000
#define FRAME (200 * GST_MSECOND)
#define FRAME_SAMPLES 1600

#define MEDIA_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define MEDIA_STEREO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],\"rate\":8000}"
#define CAPS_MONO "audio/x-mulaw, rate=(int)8000, channels=(int)1"
#define CAPS_STEREO "audio/x-mulaw, rate=(int)8000, channels=(int)2"
/* Fast reconnection for tests. */
#define FAST_RETRY "retry-backoff-factor=10000000 retry-backoff-max=50000000"

typedef struct
{
  AhServer *server;
  GstElement *sink;
  GstHarness *h;
  GstBus *bus;
  GstClockTime ts;
  guint bpf;                    /* bytes per sample frame */
} Fixture;

/* The sink toward @uri (NULL: the fixture's test server). */
static void
fixture_start_uri (Fixture * f, const gchar * uri, const gchar * caps,
    const gchar * props)
{
  gchar *u = uri ? g_strdup (uri) : ah_server_uri (f->server, PATH);
  GstCaps *c;
  GstStructure *s;
  gint channels;

  f->sink = gst_element_factory_make ("genesyssink", NULL);
  g_assert_nonnull (f->sink);
  g_object_set (f->sink, "uri", u, "async", FALSE, NULL);
  g_free (u);
  check_set_props (f->sink, props);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->sink, f->bus);
  f->h = gst_harness_new_with_element (f->sink, "sink", NULL);
  gst_harness_use_testclock (f->h);
  gst_harness_play (f->h);
  f->ts = 0;
  c = gst_caps_from_string (caps);
  s = gst_caps_get_structure (c, 0);
  g_assert_true (gst_structure_get_int (s, "channels", &channels));
  f->bpf = channels * (gst_structure_has_name (s, "audio/x-raw") ? 2 : 1);
  gst_harness_set_src_caps (f->h, c);
}

static void
fixture_start (Fixture * f, const gchar * caps, const gchar * props)
{
  f->server = ah_server_new ();
  fixture_start_uri (f, NULL, caps, props);
}

static void
fixture_stop (Fixture * f)
{
  gst_harness_teardown (f->h);
  gst_element_set_bus (f->sink, NULL);
  gst_object_unref (f->sink);
  gst_object_unref (f->bus);
  if (f->server)
    ah_server_free (f->server);
}

static void
check_element (Fixture * f, const gchar * name)
{
  gst_structure_free (check_expect_element (f->bus, name, WAIT));
}

static GstMessage *
wait_error (Fixture * f, guint timeout_ms)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (f->bus,
      timeout_ms * GST_MSECOND, GST_MESSAGE_ERROR);

  g_assert_nonnull (msg);
  return msg;
}

static GstBuffer *
make_frame (Fixture * f, guint8 value, GstClockTime duration)
{
  gsize size = gst_util_uint64_scale_int (duration, 8000, GST_SECOND) * f->bpf;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, value, size);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = f->ts;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

/* Pushes @buf once the test clock reached its timestamp. */
static GstFlowReturn
push_paced (Fixture * f, GstBuffer * buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);

  f->ts = pts + GST_BUFFER_DURATION (buf);
  g_assert_true (gst_harness_set_time (f->h, pts));
  return gst_harness_push (f->h, buf);
}

static void
push_frame (Fixture * f, guint8 value)
{
  g_assert_cmpint (push_paced (f, make_frame (f, value, FRAME)), ==,
      GST_FLOW_OK);
}

static void
push_eos (Fixture * f)
{
  g_assert_true (gst_harness_set_time (f->h, f->ts));
  g_assert_true (gst_harness_push_event (f->h, gst_event_new_eos ()));
}

/* ---- server side expectations ---- */

/* The next frame that is not a ping. */
static AhServerFrame *
next_frame (Fixture * f)
{
  while (TRUE) {
    AhServerFrame *frame = ah_server_next (f->server, WAIT);
    g_assert_nonnull (frame);
    if (g_strcmp0 (ah_server_frame_type (frame), "ping") != 0)
      return frame;
    ah_server_frame_free (frame);
  }
}

static void
expect_binary (Fixture * f, guint8 value, gsize size)
{
  AhServerFrame *frame = next_frame (f);
  gsize n, i;
  const guint8 *data;

  if (!frame->binary)
    g_error ("expected audio %u, got a %s message", value,
        ah_server_frame_type (frame));
  data = g_bytes_get_data (frame->data, &n);
  g_assert_cmpuint (n, ==, size);
  for (i = 0; i < n; i++)
    g_assert_cmpuint (data[i], ==, value);
  ah_server_frame_free (frame);
}

static AhServerFrame *
expect_text (Fixture * f, const gchar * type)
{
  AhServerFrame *frame = next_frame (f);

  if (frame->binary)
    g_error ("expected %s, got %" G_GSIZE_FORMAT " bytes of audio", type,
        g_bytes_get_size (frame->data));
  g_assert_cmpstr (ah_server_frame_type (frame), ==, type);
  return frame;
}

static guint64
duration_member (JsonObject * obj, const gchar * name)
{
  guint64 ns = G_MAXUINT64;

  g_assert_true (json_object_has_member (obj, name));
  g_assert_true (ah_duration_parse (json_object_get_string_member (obj, name),
          &ns, NULL));
  return ns;
}

static void
expect_span (Fixture * f, const gchar * type, GstClockTime start,
    GstClockTime span)
{
  AhServerFrame *frame = expect_text (f, type);
  JsonObject *p = ah_server_frame_params (frame);

  g_assert_cmpuint (duration_member (p, "start"), ==, start);
  g_assert_cmpuint (duration_member (p, "discarded"), ==, span);
  g_assert_cmpuint (duration_member (frame->json, "position"), ==,
      start + span);
  ah_server_frame_free (frame);
}

static void
expect_close (Fixture * f, const gchar * reason, GstClockTime position)
{
  AhServerFrame *frame = expect_text (f, "close");

  g_assert_cmpstr (json_object_get_string_member (ah_server_frame_params
          (frame), "reason"), ==, reason);
  if (GST_CLOCK_TIME_IS_VALID (position))
    g_assert_cmpuint (duration_member (frame->json, "position"), ==, position);
  ah_server_frame_free (frame);
}

/* Connects and opens; returns the open frame. */
static AhServerFrame *
expect_open (Fixture * f)
{
  AhServerFrame *frame = expect_text (f, "open");

  check_element (f, "genesys-opened");
  return frame;
}

static void
end_stream (Fixture * f, GstClockTime position)
{
  GstStructure *s;

  push_eos (f);
  expect_close (f, "end", position);
  s = check_expect_element (f->bus, "genesys-closed", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "reason"), ==, "end");
  gst_structure_free (s);
}

/* ---- against genesyssrc ---- */

static void
check_to_genesyssrc (const gchar * caps, guint channels)
{
  Fixture f = { 0 };
  GstElement *src;
  GstHarness *hsrc;
  GstBus *src_bus;
  guint port, i, n = 10;
  gchar *uri;
  GByteArray *sent = g_byte_array_new ();
  GByteArray *got = g_byte_array_new ();
  GstEvent *ev;

  src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (src, "port", 0, "address", "127.0.0.1", NULL);
  check_set_props (src, "api-key=" KEY " client-secret=" SECRET);
  src_bus = gst_bus_new ();
  gst_element_set_bus (src, src_bus);
  hsrc = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (hsrc);
  g_object_get (src, "current-port", &port, NULL);
  uri = g_strdup_printf ("ws://127.0.0.1:%u" PATH, port);

  fixture_start_uri (&f, uri, caps, "api-key=" KEY " client-secret=" SECRET
      " organization-id=" ORG);
  check_element (&f, "genesys-opened");
  for (i = 0; i < n; i++) {
    GstBuffer *buf = make_frame (&f, 0, FRAME);
    GstMapInfo map;
    gsize j;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    /* every sample differs; in stereo, channel 1 differs from channel 0 */
    for (j = 0; j < map.size; j++)
      map.data[j] = (guint8) (i * 7 + j / channels + (j % channels) * 100);
    g_byte_array_append (sent, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    g_assert_cmpint (push_paced (&f, buf), ==, GST_FLOW_OK);
  }
  while (got->len < sent->len) {
    GstBuffer *buf = gst_harness_pull (hsrc);
    GstMapInfo map;
    g_assert_nonnull (buf);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (got, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  g_assert_cmpuint (got->len, ==, sent->len);
  g_assert_true (memcmp (got->data, sent->data, sent->len) == 0);

  push_eos (&f);
  gst_structure_free (check_expect_element (f.bus, "genesys-closed", WAIT));
  while ((ev = gst_harness_pull_event (hsrc))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      break;
  }
  g_assert_cmpuint (check_stat_u64 (src, "position-mismatches"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (src, "bytes"), ==, sent->len);
  g_assert_cmpuint (check_stat_u64 (f.sink, "bytes"), ==, sent->len);
  g_assert_cmpuint (check_stat_u64 (f.sink, "frames"), ==, n);
  g_assert_cmpuint (check_stat_u64 (f.sink, "discarded"), ==, 0);

  fixture_stop (&f);
  gst_harness_teardown (hsrc);
  gst_element_set_bus (src, NULL);
  gst_object_unref (src);
  gst_object_unref (src_bus);
  g_byte_array_unref (sent);
  g_byte_array_unref (got);
  g_free (uri);
}

static void
test_to_genesyssrc_mono (void)
{
  check_to_genesyssrc (CAPS_MONO, 1);
}

static void
test_to_genesyssrc_stereo (void)
{
  check_to_genesyssrc (CAPS_STEREO, 2);
}

/* ---- against the test server ---- */

static void
test_open_and_headers (void)
{
  Fixture f = { 0 };
  AhServerFrame *frame;
  JsonObject *p, *part, *obj;
  JsonArray *media;
  gchar *value, *session1, *uri;
  GstStructure *s;

  f.server = ah_server_new ();
  ah_server_set_credentials (f.server, KEY, SECRET);
  uri = ah_server_uri (f.server, PATH "?bot=abc&x=1");
  f.sink = gst_element_factory_make ("genesyssink", NULL);
  g_object_set (f.sink, "uri", uri, "async", FALSE,
      "custom-config", "{\"greeting\":\"hi\",\"n\":1}", NULL);
  check_set_props (f.sink, "api-key=" KEY " client-secret=" SECRET
      " organization-id=" ORG
      " conversation-id=6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60"
      " participant-id=0f1e2d3c-4b5a-4697-8877-665544332211"
      " ani=+15551234567 ani-name=Caller dnis=+15557654321 language=en-US "
      FAST_RETRY);
  s = gst_structure_from_string ("vars, intent=(string)billing, "
      "attempt=(int)2", NULL);
  g_object_set (f.sink, "input-variables", s, NULL);
  gst_structure_free (s);
  s = gst_structure_from_string ("headers, X-Test=(string)yes", NULL);
  g_object_set (f.sink, "extra-headers", s, NULL);
  gst_structure_free (s);
  {
    gchar *got = NULL;
    g_object_get (f.sink, "uri", &got, NULL);
    g_assert_cmpstr (got, ==, uri);
    g_free (got);
  }
  g_free (uri);
  f.bus = gst_bus_new ();
  gst_element_set_bus (f.sink, f.bus);
  f.h = gst_harness_new_with_element (f.sink, "sink", NULL);
  gst_harness_use_testclock (f.h);
  gst_harness_play (f.h);
  f.bpf = 1;
  gst_harness_set_src_caps_str (f.h, CAPS_MONO);

  frame = expect_open (&f);
  g_assert_cmpuint (frame->conn, ==, 1);
  session1 = ah_server_header (f.server, 1, "Audiohook-Session-Id");
  g_assert_cmpstr (json_object_get_string_member (frame->json, "id"), ==,
      session1);
  g_assert_cmpint (json_object_get_int_member (frame->json, "seq"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (frame->json, "serverseq"), ==,
      0);
  g_assert_cmpstr (json_object_get_string_member (frame->json, "position"),
      ==, "PT0S");
  p = ah_server_frame_params (frame);
  g_assert_cmpstr (json_object_get_string_member (p, "organizationId"), ==,
      ORG);
  g_assert_cmpstr (json_object_get_string_member (p, "conversationId"), ==,
      "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60");
  part = json_object_get_object_member (p, "participant");
  g_assert_cmpstr (json_object_get_string_member (part, "id"), ==,
      "0f1e2d3c-4b5a-4697-8877-665544332211");
  g_assert_cmpstr (json_object_get_string_member (part, "ani"), ==,
      "+15551234567");
  g_assert_cmpstr (json_object_get_string_member (part, "aniName"), ==,
      "Caller");
  g_assert_cmpstr (json_object_get_string_member (part, "dnis"), ==,
      "+15557654321");
  g_assert_cmpstr (json_object_get_string_member (p, "language"), ==, "en-US");
  obj = json_object_get_object_member (p, "customConfig");
  g_assert_cmpstr (json_object_get_string_member (obj, "greeting"), ==, "hi");
  obj = json_object_get_object_member (p, "inputVariables");
  g_assert_cmpstr (json_object_get_string_member (obj, "intent"), ==,
      "billing");
  g_assert_cmpstr (json_object_get_string_member (obj, "attempt"), ==, "2");
  media = json_object_get_array_member (p, "media");
  g_assert_cmpuint (json_array_get_length (media), ==, 1);
  {
    JsonNode *node = json_node_copy (json_array_get_element (media, 0));
    gchar *json = json_to_string (node, FALSE);
    g_assert_cmpstr (json, ==, MEDIA_MONO);
    g_free (json);
    json_node_unref (node);
  }
  g_assert_false (json_object_has_member (p, "continuedSessions"));
  ah_server_frame_free (frame);

  /* Upgrade headers; the signature was checked by the server. */
  value = ah_server_header (f.server, 1, "Audiohook-Organization-Id");
  g_assert_cmpstr (value, ==, ORG);
  g_free (value);
  value = ah_server_header (f.server, 1, "X-API-KEY");
  g_assert_cmpstr (value, ==, KEY);
  g_free (value);
  value = ah_server_header (f.server, 1, "Audiohook-Correlation-Id");
  g_assert_cmpuint (strlen (value), ==, 36);
  g_free (value);
  value = ah_server_header (f.server, 1, "User-Agent");
  g_assert_true (g_str_has_prefix (value, "gst-genesys/"));
  g_free (value);
  value = ah_server_header (f.server, 1, "X-Test");
  g_assert_cmpstr (value, ==, "yes");
  g_free (value);
  value = ah_server_header (f.server, 1, "Signature-Input");
  g_assert_nonnull (strstr (value, "\"@request-target\" \"@authority\""));
  g_free (value);
  value = ah_server_target (f.server, 1);
  g_assert_cmpstr (value, ==, PATH "?bot=abc&x=1");
  g_free (value);

  /* A second connection: a new session id, freshly signed. */
  push_frame (&f, 1);
  expect_binary (&f, 1, FRAME_SAMPLES);
  ah_server_drop (f.server);
  frame = expect_open (&f);
  g_assert_cmpuint (frame->conn, ==, 2);
  value = ah_server_header (f.server, 2, "Audiohook-Session-Id");
  g_assert_cmpstr (value, !=, session1);
  g_assert_cmpstr (json_object_get_string_member (frame->json, "id"), ==,
      value);
  g_free (value);
  ah_server_frame_free (frame);
  g_free (session1);

  push_frame (&f, 2);
  expect_binary (&f, 2, FRAME_SAMPLES);
  end_stream (&f, 400 * GST_MSECOND);
  fixture_stop (&f);
}

/* Buffers of 10 ms are sent in frames of frame-duration; the rest goes out
 * short at EOS; no message is larger than 64000 bytes. */
static void
test_framing (void)
{
  Fixture f = { 0 };
  guint i;

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  for (i = 0; i < 25; i++)
    g_assert_cmpint (push_paced (&f, make_frame (&f, 9, 10 * GST_MSECOND)),
        ==, GST_FLOW_OK);
  expect_binary (&f, 9, 1600);
  push_eos (&f);
  expect_binary (&f, 9, 400);
  expect_close (&f, "end", 250 * GST_MSECOND);
  check_element (&f, "genesys-closed");
  fixture_stop (&f);
}

static void
test_framing_cap (void)
{
  Fixture f = { 0 };
  GstBuffer *buf;

  fixture_start (&f, "audio/x-raw, format=(string)S16LE, rate=(int)8000, "
      "channels=(int)2, layout=(string)interleaved",
      "frame-duration=" "3000000000");
  {
    AhServerFrame *frame = expect_text (&f, "open");
    JsonArray *media = json_object_get_array_member (ah_server_frame_params
        (frame), "media");
    g_assert_cmpuint (json_array_get_length (media), ==, 3);
    ah_server_frame_free (frame);
  }
  check_element (&f, "genesys-opened");
  /* 3 s of stereo L16 is 96000 bytes: two messages of 64000 and 32000. */
  buf = make_frame (&f, 3, 3 * GST_SECOND);
  g_assert_cmpint (push_paced (&f, buf), ==, GST_FLOW_OK);
  expect_binary (&f, 3, 64000);
  push_eos (&f);
  expect_binary (&f, 3, 32000);
  expect_close (&f, "end", 3 * GST_SECOND);
  check_element (&f, "genesys-closed");
  fixture_stop (&f);
}

/* The server drops the TCP connection without a close frame every second
 * of test-clock time. */
static void
test_drops (void)
{
  Fixture f = { 0 };
  const guint drops = 5, per_session = 5, lost_frames = 3;
  guint d, i;
  guint8 value = 0;
  GstClockTime position = 0;
  AhServerFrame *frame;
  gchar *prev_id;

  fixture_start (&f, CAPS_MONO, FAST_RETRY);
  ah_server_frame_free (expect_open (&f));
  prev_id = ah_server_header (f.server, 1, "Audiohook-Session-Id");

  for (d = 0; d < drops; d++) {
    GstStructure *s;
    JsonObject *p, *cs;
    JsonArray *continued;
    guint conn = d + 1;
    gint64 server_seq, client_seq;
    GstClockTime drop_position;
    gchar *id;

    for (i = 0; i < per_session; i++) {
      push_frame (&f, value);
      if (d > 0 && i == 0)
        expect_span (&f, "discarded", position, lost_frames * FRAME);
      expect_binary (&f, value, FRAME_SAMPLES);
      value++;
    }
    if (d > 0)
      position += lost_frames * FRAME;
    position += per_session * FRAME;
    drop_position = position;
    server_seq = ah_server_seq (f.server, conn);
    client_seq = ah_server_client_seq (f.server, conn);

    /* Hold the next connection until the lost frames are pushed. */
    ah_server_hold (f.server, TRUE);
    ah_server_drop (f.server);
    s = check_expect_element (f.bus, "genesys-disconnected", WAIT);
    g_assert_cmpuint (g_value_get_uint (gst_structure_get_value (s, "code")),
        ==, 1006);
    g_assert_false (g_value_get_boolean (gst_structure_get_value (s, "clean")));
    gst_structure_free (s);
    s = check_expect_element (f.bus, "genesys-reconnecting", WAIT);
    g_assert_cmpuint (g_value_get_uint (gst_structure_get_value (s,
                "attempt")), >=, 1);
    gst_structure_free (s);
    for (i = 0; i < lost_frames; i++) {
      push_frame (&f, 0xee);
      value++;
    }
    ah_server_hold (f.server, FALSE);

    frame = expect_text (&f, "open");
    g_assert_cmpuint (frame->conn, ==, conn + 1);
    g_assert_cmpuint (duration_member (frame->json, "position"), ==,
        drop_position);
    p = ah_server_frame_params (frame);
    continued = json_object_get_array_member (p, "continuedSessions");
    g_assert_cmpuint (json_array_get_length (continued), ==, 1);
    cs = json_array_get_object_element (continued, 0);
    g_assert_cmpstr (json_object_get_string_member (cs, "id"), ==, prev_id);
    g_assert_cmpint (json_object_get_int_member (cs, "serverseq"), <=,
        server_seq);
    g_assert_cmpint (json_object_get_int_member (cs, "serverseq"), >=, 1);
    g_assert_cmpint (json_object_get_int_member (cs, "clientseq"), >=,
        client_seq);
    id = ah_server_header (f.server, conn + 1, "Audiohook-Session-Id");
    g_assert_cmpstr (json_object_get_string_member (frame->json, "id"), ==, id);
    g_free (prev_id);
    prev_id = id;
    ah_server_frame_free (frame);

    s = check_expect_element (f.bus, "genesys-opened", WAIT);
    g_assert_cmpstr (gst_structure_get_string (s, "continued-session-id"),
        !=, NULL);
    gst_structure_free (s);
  }

  /* The last outage is reported with the next audio; nothing else came. */
  push_frame (&f, value);
  expect_span (&f, "discarded", position, lost_frames * FRAME);
  expect_binary (&f, value, FRAME_SAMPLES);
  position += (lost_frames + 1) * FRAME;
  end_stream (&f, position);

  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, drops);
  g_assert_cmpuint (check_stat_u64 (f.sink, "sessions"), ==, drops + 1);
  g_assert_cmpuint (check_stat_u64 (f.sink, "discarded"), ==, drops);
  g_assert_cmpuint (check_stat_u64 (f.sink, "discarded-duration"), ==,
      drops * lost_frames * FRAME);
  g_assert_cmpuint (check_stat_u64 (f.sink, "close-code-1006"), ==, drops);
  g_assert_cmpuint (check_stat_u64 (f.sink, "frames"), ==,
      drops * per_session + 1);
  g_assert_cmpuint (ah_server_connections (f.server), ==, drops + 1);
  g_free (prev_id);
  fixture_stop (&f);
}

/* A peer that goes silent (half-open TCP): no pong, so the watchdog
 * declares the connection dead and the sink reconnects. */
static void
test_keepalive_watchdog (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  gint64 start, elapsed;

  fixture_start (&f, CAPS_MONO, FAST_RETRY " keepalive-interval=1000000000"
      " keepalive-timeout=1000000000 ping-interval=60000000000");
  ah_server_frame_free (expect_open (&f));
  push_frame (&f, 1);
  expect_binary (&f, 1, FRAME_SAMPLES);

  start = g_get_monotonic_time ();
  ah_server_stall (f.server, 4000);
  s = check_expect_element (f.bus, "genesys-disconnected", WAIT);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("watchdog fired after %" G_GINT64_FORMAT " ms: %s",
      elapsed / 1000, gst_structure_get_string (s, "cause"));
  g_assert_cmpuint (g_value_get_uint (gst_structure_get_value (s, "code")),
      ==, 1006);
  g_assert_nonnull (strstr (gst_structure_get_string (s, "cause"), "pong"));
  /* Within keepalive-interval + keepalive-timeout of the last pong. */
  g_assert_cmpint (elapsed, <, 3500 * 1000);
  gst_structure_free (s);
  check_element (&f, "genesys-reconnecting");
  /* The server comes back: a new session. */
  check_element (&f, "genesys-opened");
  g_assert_cmpuint (check_stat_u64 (f.sink, "keepalive-timeouts"), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, 1);

  while (TRUE) {
    AhServerFrame *frame = next_frame (&f);
    gboolean open = frame->conn == 2
        && g_strcmp0 (ah_server_frame_type (frame), "open") == 0;
    ah_server_frame_free (frame);
    if (open)
      break;
  }
  push_frame (&f, 2);
  expect_binary (&f, 2, FRAME_SAMPLES);
  end_stream (&f, 400 * GST_MSECOND);
  fixture_stop (&f);
}

static void
test_unauthorized (void)
{
  Fixture f = { 0 };
  GstMessage *msg;
  GError *err;
  gchar *dbg;

  f.server = ah_server_new ();
  ah_server_set_status (f.server, 401);
  fixture_start_uri (&f, NULL, CAPS_MONO, FAST_RETRY);
  msg = wait_error (&f, WAIT);
  gst_message_parse_error (msg, &err, &dbg);
  g_test_message ("error: %s", err->message);
  g_assert_true (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED));
  g_assert_nonnull (strstr (err->message, "401"));
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);

  /* Never retried. */
  g_usleep (300 * 1000);
  g_assert_cmpuint (ah_server_requests (f.server), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, 0);
  g_assert_cmpint (push_paced (&f, make_frame (&f, 1, FRAME)), ==,
      GST_FLOW_ERROR);
  fixture_stop (&f);
}

static void
test_refused_gives_up (void)
{
  Fixture f = { 0 };
  GSocketListener *l = g_socket_listener_new ();
  GstMessage *msg;
  GError *err;
  gchar *dbg, *uri;
  guint16 port;

  /* A port nobody listens on. */
  port = g_socket_listener_add_any_inet_port (l, NULL, NULL);
  g_socket_listener_close (l);
  g_object_unref (l);
  uri = g_strdup_printf ("ws://127.0.0.1:%u" PATH, port);
  fixture_start_uri (&f, uri, CAPS_MONO, FAST_RETRY " retries=2");
  g_free (uri);
  check_element (&f, "genesys-reconnecting");
  check_element (&f, "genesys-reconnecting");
  msg = wait_error (&f, WAIT);
  gst_message_parse_error (msg, &err, &dbg);
  g_test_message ("error: %s", err->message);
  g_assert_nonnull (strstr (err->message, "Gave up after 2"));
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  g_assert_cmpuint (check_stat_u64 (f.sink, "connection-attempts"), ==, 3);
  g_assert_cmpuint (check_stat_u64 (f.sink, "connections"), ==, 0);
  fixture_stop (&f);
}

static void
test_start_paused (void)
{
  Fixture f = { 0 };
  guint i;

  f.server = ah_server_new ();
  ah_server_set_opened (f.server, "{\"media\":[" MEDIA_MONO "],"
      "\"startPaused\":true}");
  fixture_start_uri (&f, NULL, CAPS_MONO, NULL);
  ah_server_frame_free (expect_text (&f, "open"));
  check_element (&f, "genesys-opened");
  check_element (&f, "genesys-paused");
  ah_server_frame_free (expect_text (&f, "paused"));
  for (i = 0; i < 3; i++)
    push_frame (&f, i);
  g_usleep (50 * 1000);
  ah_server_send (f.server, "resume", "{}");
  expect_span (&f, "resumed", 0, 3 * FRAME);
  check_element (&f, "genesys-resumed");
  push_frame (&f, 3);
  expect_binary (&f, 3, FRAME_SAMPLES);
  end_stream (&f, 4 * FRAME);
  fixture_stop (&f);
}

static void
test_pause_resume (void)
{
  Fixture f = { 0 };

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  push_frame (&f, 0);
  push_frame (&f, 1);
  expect_binary (&f, 0, FRAME_SAMPLES);
  expect_binary (&f, 1, FRAME_SAMPLES);
  ah_server_send (f.server, "pause", "{}");
  ah_server_frame_free (expect_text (&f, "paused"));
  check_element (&f, "genesys-paused");
  push_frame (&f, 2);
  push_frame (&f, 3);
  g_usleep (50 * 1000);
  /* A second pause is re-confirmed, not a new span. */
  ah_server_send (f.server, "pause", "{}");
  ah_server_frame_free (expect_text (&f, "paused"));
  ah_server_send (f.server, "resume", "{}");
  expect_span (&f, "resumed", 2 * FRAME, 2 * FRAME);
  push_frame (&f, 4);
  expect_binary (&f, 4, FRAME_SAMPLES);
  end_stream (&f, 5 * FRAME);
  fixture_stop (&f);
}

static void
test_discard_to (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  guint i;

  f.server = ah_server_new ();
  ah_server_set_opened (f.server, "{\"media\":[" MEDIA_MONO "],"
      "\"startPaused\":false,\"discardTo\":\"PT1S\"}");
  fixture_start_uri (&f, NULL, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  for (i = 0; i < 7; i++)
    push_frame (&f, i);
  expect_span (&f, "discarded", 0, GST_SECOND);
  expect_binary (&f, 5, FRAME_SAMPLES);
  expect_binary (&f, 6, FRAME_SAMPLES);
  s = check_expect_element (f.bus, "genesys-discarded", WAIT);
  g_assert_cmpuint (g_value_get_uint64 (gst_structure_get_value (s,
              "start")), ==, 0);
  g_assert_cmpuint (g_value_get_uint64 (gst_structure_get_value (s,
              "duration")), ==, GST_SECOND);
  gst_structure_free (s);
  end_stream (&f, 7 * FRAME);
  fixture_stop (&f);
}

static void
test_disconnect (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  const GstStructure *vars;

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  push_frame (&f, 0);
  expect_binary (&f, 0, FRAME_SAMPLES);
  ah_server_send (f.server, "disconnect", "{\"reason\":\"completed\","
      "\"info\":\"bot done\",\"outputVariables\":{\"result\":\"paid\","
      "\"amount\":\"12\"}}");
  expect_close (&f, "disconnect", FRAME);
  s = check_expect_element (f.bus, "genesys-disconnect", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "reason"), ==, "completed");
  g_assert_cmpstr (gst_structure_get_string (s, "info"), ==, "bot done");
  vars = gst_value_get_structure (gst_structure_get_value (s,
          "output-variables"));
  g_assert_cmpstr (gst_structure_get_string (vars, "result"), ==, "paid");
  g_assert_cmpstr (gst_structure_get_string (vars, "amount"), ==, "12");
  gst_structure_free (s);
  s = check_expect_element (f.bus, "genesys-closed", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "reason"), ==, "disconnect");
  gst_structure_free (s);
  /* The stream is over: upstream gets EOS, nothing reconnects. */
  g_assert_cmpint (push_paced (&f, make_frame (&f, 1, FRAME)), ==,
      GST_FLOW_EOS);
  g_assert_true (ah_server_wait_closed (f.server, 1, WAIT));
  g_usleep (100 * 1000);
  g_assert_cmpuint (ah_server_connections (f.server), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, 0);
  fixture_stop (&f);
}

static void
test_disconnect_unauthorized (void)
{
  Fixture f = { 0 };
  GstMessage *msg;
  GError *err;
  gchar *dbg;

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  ah_server_send (f.server, "disconnect", "{\"reason\":\"unauthorized\","
      "\"info\":\"bad org\"}");
  expect_close (&f, "disconnect", 0);
  msg = wait_error (&f, WAIT);
  gst_message_parse_error (msg, &err, &dbg);
  g_assert_true (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED));
  g_assert_nonnull (strstr (err->message, "bad org"));
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  fixture_stop (&f);
}

static void
test_reconnect_request (void)
{
  Fixture f = { 0 };
  AhServerFrame *frame;
  JsonArray *continued;
  GstStructure *s;
  gchar *id1;

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  id1 = ah_server_header (f.server, 1, "Audiohook-Session-Id");
  push_frame (&f, 0);
  push_frame (&f, 1);
  expect_binary (&f, 0, FRAME_SAMPLES);
  expect_binary (&f, 1, FRAME_SAMPLES);

  ah_server_hold (f.server, TRUE);
  ah_server_send (f.server, "reconnect", "{\"info\":\"draining\"}");
  expect_close (&f, "reconnect", 2 * FRAME);
  s = check_expect_element (f.bus, "genesys-message", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "type"), ==, "reconnect");
  gst_structure_free (s);
  s = check_expect_element (f.bus, "genesys-reconnecting", WAIT);
  g_assert_cmpuint (g_value_get_uint64 (gst_structure_get_value (s,
              "delay")), ==, 0);
  gst_structure_free (s);
  push_frame (&f, 2);
  push_frame (&f, 3);
  ah_server_hold (f.server, FALSE);

  frame = expect_text (&f, "open");
  g_assert_cmpuint (frame->conn, ==, 2);
  g_assert_cmpuint (duration_member (frame->json, "position"), ==, 2 * FRAME);
  continued = json_object_get_array_member (ah_server_frame_params (frame),
      "continuedSessions");
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (continued, 0), "id"), ==, id1);
  /* close was the old session's last message */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (continued, 0), "clientseq"), ==, ah_server_client_seq (f.server, 1));
  ah_server_frame_free (frame);
  check_element (&f, "genesys-opened");
  push_frame (&f, 4);
  expect_span (&f, "discarded", 2 * FRAME, 2 * FRAME);
  expect_binary (&f, 4, FRAME_SAMPLES);
  end_stream (&f, 5 * FRAME);
  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, 1);
  g_free (id1);
  fixture_stop (&f);
}

static void
test_server_events (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  const gchar *entities;

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  ah_server_send (f.server, "event", "{\"entities\":[{\"type\":\"transcript\","
      "\"data\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"channelId\":0,\"isFinal\":true,\"alternatives\":[{\"confidence\":0.9,"
      "\"interpretations\":[{\"type\":\"display\",\"transcript\":\"hello\"}]}]"
      "}}]}");
  ah_server_send (f.server, "event", "{\"entities\":[{\"type\":\"barge_in\","
      "\"data\":{}},{\"type\":\"bot_turn_response\",\"data\":"
      "{\"disposition\":\"match\",\"text\":\"hi\"}}]}");
  s = check_expect_element (f.bus, "genesys-event", WAIT);
  entities = gst_structure_get_string (s, "entities");
  g_assert_nonnull (strstr (entities, "\"transcript\":\"hello\""));
  gst_structure_free (s);
  s = check_expect_element (f.bus, "genesys-event", WAIT);
  entities = gst_structure_get_string (s, "entities");
  g_assert_nonnull (strstr (entities, "barge_in"));
  g_assert_nonnull (strstr (entities, "bot_turn_response"));
  gst_structure_free (s);
  g_assert_cmpuint (check_stat_u64 (f.sink, "events"), ==, 2);
  end_stream (&f, 0);
  fixture_stop (&f);
}

/* Upstream gaps (genesyssrc's GAP events in a relay) become discarded. */
static void
test_gap_event (void)
{
  Fixture f = { 0 };

  fixture_start (&f, CAPS_MONO, NULL);
  ah_server_frame_free (expect_open (&f));
  push_frame (&f, 0);
  expect_binary (&f, 0, FRAME_SAMPLES);
  g_assert_true (gst_harness_set_time (f.h, FRAME));
  g_assert_true (gst_harness_push_event (f.h, gst_event_new_gap (FRAME,
              2 * FRAME)));
  f.ts = 3 * FRAME;
  push_frame (&f, 1);
  expect_span (&f, "discarded", FRAME, 2 * FRAME);
  expect_binary (&f, 1, FRAME_SAMPLES);
  end_stream (&f, 4 * FRAME);
  fixture_stop (&f);
}

static void
test_no_media (void)
{
  Fixture f = { 0 };
  GstMessage *msg;
  GError *err;
  gchar *dbg;

  f.server = ah_server_new ();
  ah_server_set_opened (f.server, "{\"media\":[],\"startPaused\":false}");
  fixture_start_uri (&f, NULL, CAPS_MONO, NULL);
  ah_server_frame_free (expect_text (&f, "open"));
  msg = wait_error (&f, WAIT);
  gst_message_parse_error (msg, &err, &dbg);
  g_test_message ("error: %s", err->message);
  g_assert_true (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  g_assert_nonnull (strstr (err->message, "no media"));
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  expect_close (&f, "error", 0);
  fixture_stop (&f);
}

/* Stereo input, and the server wants one channel only. */
static void
check_channel_choice (const gchar * caps, const gchar * chosen,
    guint bytes_per_sample, gboolean internal)
{
  Fixture f = { 0 };
  AhServerFrame *frame;
  JsonArray *media;
  GstBuffer *buf;
  GstMapInfo map;
  gsize i, n;
  const guint8 *data;
  gchar *params = g_strdup_printf ("{\"media\":[%s],\"startPaused\":false}",
      chosen);

  f.server = ah_server_new ();
  ah_server_set_opened (f.server, params);
  g_free (params);
  fixture_start_uri (&f, NULL, caps, NULL);
  frame = expect_text (&f, "open");
  media = json_object_get_array_member (ah_server_frame_params (frame),
      "media");
  g_assert_cmpuint (json_array_get_length (media), ==, 3);
  ah_server_frame_free (frame);
  check_element (&f, "genesys-opened");

  /* channel 0 (external) carries 0x11, channel 1 (internal) 0x22 */
  buf = make_frame (&f, 0, FRAME);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = (i / bytes_per_sample) % 2 ? 0x22 : 0x11;
  gst_buffer_unmap (buf, &map);
  g_assert_cmpint (push_paced (&f, buf), ==, GST_FLOW_OK);
  frame = next_frame (&f);
  g_assert_true (frame->binary);
  data = g_bytes_get_data (frame->data, &n);
  g_assert_cmpuint (n, ==, FRAME_SAMPLES * bytes_per_sample);
  for (i = 0; i < n; i++)
    g_assert_cmpuint (data[i], ==, internal ? 0x22 : 0x11);
  ah_server_frame_free (frame);
  end_stream (&f, FRAME);
  fixture_stop (&f);
}

static void
test_stereo_to_external (void)
{
  check_channel_choice (CAPS_STEREO, MEDIA_MONO, 1, FALSE);
}

static void
test_stereo_to_internal_l16 (void)
{
  check_channel_choice ("audio/x-raw, format=(string)S16LE, rate=(int)8000, "
      "channels=(int)2, layout=(string)interleaved",
      "{\"type\":\"audio\",\"format\":\"L16\",\"channels\":[\"internal\"],"
      "\"rate\":8000}", 2, TRUE);
}

/* The server reads nothing for 1.5 s, three times: render never waits,
 * pings keep going out, nothing is lost and nothing reconnects. */
static void
test_slow_reader (void)
{
  Fixture f = { 0 };
  const guint n = 30;
  guint i, pings = 0, binaries = 0;
  gint64 worst = 0;
  guint8 expected = 0;
  AhServerFrame *frame;

  fixture_start (&f, CAPS_MONO, "keepalive-interval=1000000000"
      " keepalive-timeout=3000000000");
  ah_server_frame_free (expect_open (&f));
  for (i = 0; i < n; i++) {
    gint64 t0 = g_get_monotonic_time ();
    if (i % 10 == 2)
      ah_server_stall (f.server, 1500);
    push_frame (&f, i);
    worst = MAX (worst, g_get_monotonic_time () - t0);
    g_usleep (200 * 1000);
  }
  g_test_message ("longest render while the server stalled: %" G_GINT64_FORMAT
      " us", worst);
  g_assert_cmpint (worst, <, 100 * 1000);
  push_eos (&f);
  while ((frame = ah_server_next (f.server, WAIT))) {
    const gchar *type = ah_server_frame_type (frame);
    if (frame->binary) {
      gsize size, j;
      const guint8 *d = g_bytes_get_data (frame->data, &size);
      for (j = 0; j < size; j++)
        g_assert_cmpuint (d[j], ==, expected);
      expected++;
      binaries++;
    } else if (g_strcmp0 (type, "ping") == 0) {
      pings++;
    } else if (g_strcmp0 (type, "close") == 0) {
      ah_server_frame_free (frame);
      break;
    } else {
      g_error ("unexpected %s", type);
    }
    ah_server_frame_free (frame);
  }
  check_element (&f, "genesys-closed");
  g_test_message ("%u pings in %u frames", pings, binaries);
  g_assert_cmpuint (binaries, ==, n);
  g_assert_cmpuint (pings, >=, 2);
  g_assert_cmpuint (check_stat_u64 (f.sink, "reconnects"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (f.sink, "keepalive-timeouts"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (f.sink, "protocol-errors"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (f.sink, "pings"), >=, 2);
  fixture_stop (&f);
}

typedef struct
{
  Fixture *f;
  guint8 value;
  GstFlowReturn ret;
  gint done;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;

  job->ret = push_paced (job->f, make_frame (job->f, job->value, FRAME));
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static void
test_wait_for_connection (void)
{
  Fixture f = { 0 };
  PushJob job = { &f, 7, GST_FLOW_ERROR, 0 };
  GThread *thread;

  f.server = ah_server_new ();
  ah_server_hold (f.server, TRUE);
  fixture_start_uri (&f, NULL, CAPS_MONO, "wait-for-connection=true "
      FAST_RETRY);
  thread = g_thread_new ("push", push_thread, &job);
  g_usleep (300 * 1000);
  g_assert_cmpint (g_atomic_int_get (&job.done), ==, 0);
  ah_server_hold (f.server, FALSE);
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_OK);
  ah_server_frame_free (expect_text (&f, "open"));
  /* Nothing was lost: no discarded. */
  expect_binary (&f, 7, FRAME_SAMPLES);

  /* Waiting again after a drop; a flush interrupts it. */
  ah_server_hold (f.server, TRUE);
  ah_server_drop (f.server);
  check_element (&f, "genesys-reconnecting");
  job.value = 8;
  job.done = 0;
  thread = g_thread_new ("push", push_thread, &job);
  g_usleep (200 * 1000);
  g_assert_cmpint (g_atomic_int_get (&job.done), ==, 0);
  g_assert_true (gst_harness_push_event (f.h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  g_assert_cmpint (job.ret, ==, GST_FLOW_FLUSHING);
  g_assert_true (gst_harness_push_event (f.h,
          gst_event_new_flush_stop (FALSE)));
  ah_server_hold (f.server, FALSE);
  fixture_stop (&f);
}

/* A pong that does not come in time fails the session with 408; that is
 * retryable. */
static void
test_pong_timeout (void)
{
  Fixture f = { 0 };
  AhServerFrame *frame;
  JsonObject *p;
  GstStructure *s;

  f.server = ah_server_new ();
  ah_server_set_auto_pong (f.server, FALSE);
  fixture_start_uri (&f, NULL, CAPS_MONO, "ping-interval=500000000 "
      FAST_RETRY);
  ah_server_frame_free (ah_server_expect (f.server, "open", WAIT, NULL));
  frame = ah_server_expect (f.server, "error", WAIT, NULL);
  g_assert_nonnull (frame);
  p = ah_server_frame_params (frame);
  g_assert_cmpint (json_object_get_int_member (p, "code"), ==, 408);
  ah_server_frame_free (frame);
  ah_server_set_auto_pong (f.server, TRUE);
  frame = ah_server_expect (f.server, "close", WAIT, NULL);
  g_assert_cmpstr (json_object_get_string_member (ah_server_frame_params
          (frame), "reason"), ==, "error");
  ah_server_frame_free (frame);
  s = check_expect_element (f.bus, "genesys-reconnecting", WAIT);
  g_test_message ("cause: %s", gst_structure_get_string (s, "cause"));
  gst_structure_free (s);
  frame = ah_server_expect (f.server, "open", WAIT, NULL);
  g_assert_nonnull (frame);
  g_assert_cmpuint (frame->conn, ==, 2);
  g_assert_true (json_object_has_member (ah_server_frame_params (frame),
          "continuedSessions"));
  ah_server_frame_free (frame);
  check_element (&f, "genesys-opened");
  g_assert_cmpuint (check_stat_u64 (f.sink, "protocol-errors"), >=, 1);
  fixture_stop (&f);
}

static const gchar *tls_dir;

static void
check_tls (const gchar * props, gboolean with_ca, gboolean works)
{
  Fixture f = { 0 };
  gchar *cert, *key, *all;

  if (!(tls_dir = check_tls_dir ())) {
    g_test_skip ("openssl could not make a certificate");
    return;
  }
  cert = g_build_filename (tls_dir, "cert.pem", NULL);
  key = g_build_filename (tls_dir, "key.pem", NULL);
  f.server = ah_server_new_tls (cert, key);
  all = with_ca ? g_strconcat (props, " tls-ca-file=", cert, NULL) :
      g_strdup (props);
  fixture_start_uri (&f, NULL, CAPS_MONO, all);
  g_free (all);
  if (works) {
    ah_server_frame_free (expect_open (&f));
    push_frame (&f, 5);
    expect_binary (&f, 5, FRAME_SAMPLES);
    end_stream (&f, FRAME);
  } else {
    GstMessage *msg = wait_error (&f, WAIT);
    GError *err;
    gchar *dbg;
    gst_message_parse_error (msg, &err, &dbg);
    g_test_message ("error: %s", err->message);
    g_assert_nonnull (strstr (err->message, "TLS"));
    g_error_free (err);
    g_free (dbg);
    gst_message_unref (msg);
    g_usleep (200 * 1000);
    g_assert_cmpuint (check_stat_u64 (f.sink, "connection-attempts"), ==, 1);
    g_assert_cmpuint (ah_server_requests (f.server), ==, 0);
  }
  fixture_stop (&f);
  g_free (cert);
  g_free (key);
}

static void
test_tls_refused (void)
{
  check_tls ("retries=5", FALSE, FALSE);
}

static void
test_tls_ca_file (void)
{
  check_tls ("retries=5", TRUE, TRUE);
}

/* A path relative to the working directory, as gst-launch users write it. */
static void
test_tls_ca_file_relative (void)
{
  gchar *cwd = g_get_current_dir ();

  if (!(tls_dir = check_tls_dir ())) {
    g_test_skip ("openssl could not make a certificate");
    g_free (cwd);
    return;
  }
  g_assert_cmpint (g_chdir (tls_dir), ==, 0);
  check_tls ("retries=5 tls-ca-file=cert.pem", FALSE, TRUE);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_free (cwd);
}

static void
test_tls_no_validation (void)
{
  check_tls ("tls-validation=false", FALSE, TRUE);
}

static void
test_uri_handler (void)
{
  GstElement *e;
  GError *error = NULL;
  gchar *uri;

  e = gst_element_make_from_uri (GST_URI_SINK,
      "wss://bot.example.com/api/v1/audiohook/ws?x=1", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (e);
  g_object_get (e, "uri", &uri, NULL);
  g_assert_cmpstr (uri, ==, "wss://bot.example.com/api/v1/audiohook/ws?x=1");
  g_free (uri);
  g_assert_false (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "http://example.com/", &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "ws:///no/host", &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI);
  g_clear_error (&error);
  g_assert_true (gst_uri_handler_set_uri (GST_URI_HANDLER (e),
          "ws://127.0.0.1:9000/x", &error));
  gst_object_unref (e);
}

/* The first thing an operator reads for a wrong uri or a server that is
 * not there says so. */
static gchar *
first_text (GstBus * bus, GstMessageType type)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, type);
  GError *error = NULL;
  gchar *text;

  g_assert_nonnull (msg);
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &error, NULL);
  else
    gst_message_parse_warning (msg, &error, NULL);
  text = g_strdup (error->message);
  g_error_free (error);
  gst_message_unref (msg);
  return text;
}

static void
test_plain_words (void)
{
  Fixture f;
  GstElement *e = gst_element_factory_make ("genesyssink", NULL);
  GstBus *bus = gst_bus_new ();
  guint port;
  gchar *text, *uri;

  gst_element_set_bus (e, bus);
  gst_util_set_object_arg (G_OBJECT (e), "uri", "http://127.0.0.1:9/x");
  g_assert_cmpint (gst_element_set_state (e, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  text = first_text (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (strstr (text, "http://127.0.0.1:9/x"));
  g_assert_nonnull (strstr (text, "refused"));
  g_free (text);
  gst_element_set_state (e, GST_STATE_NULL);

  /* a port where nothing listens */
  port = ah_peer_free_port ();
  uri = g_strdup_printf ("ws://127.0.0.1:%u/x", port);
  f.server = NULL;
  fixture_start_uri (&f, uri, CAPS_MONO, "retries=1");
  text = first_text (f.bus, GST_MESSAGE_WARNING);
  g_assert_cmpstr (text, ==,
      "Could not connect to the AudioHook server; retrying.");
  g_free (text);
  fixture_stop (&f);
  g_free (uri);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

static void
test_stats_defaults (void)
{
  GstElement *e = gst_element_factory_make ("genesyssink", NULL);
  gboolean sync;

  g_object_get (e, "sync", &sync, NULL);
  g_assert_true (sync);
  g_assert_cmpuint (check_stat_u64 (e, "frames"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (e, "reconnects"), ==, 0);
  gst_object_unref (e);
}

static gpointer
push_one_second (gpointer data)
{
  GstHarness *h = data;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 8000, NULL);

  gst_buffer_memset (buf, 0, 0xff, 8000);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND;
  gst_harness_push (h, buf);
  return NULL;
}

/* Stopping while render waits on the clock for a frame's end: PLAYING ->
 * PAUSED cancels the wait and PAUSED -> READY flushes; the state change
 * must not hang (it did while the flush went unnoticed). */
static void
test_stop_while_pacing (void)
{
  guint i;

  for (i = 0; i < 8; i++) {
    GstElement *sink = gst_element_factory_make ("genesyssink", NULL);
    GstHarness *h;
    GThread *thread;

    g_object_set (sink, "uri", "ws://127.0.0.1:9/api/v1/audiohook/ws", NULL);
    h = gst_harness_new_with_element (sink, "sink", NULL);
    gst_harness_use_systemclock (h);
    gst_harness_play (h);
    gst_harness_set_src_caps_str (h, CAPS_MONO);
    thread = g_thread_new ("push", push_one_second, h);
    g_usleep ((250 + 37 * i) * 1000);
    gst_harness_teardown (h);
    g_thread_join (thread);
    gst_object_unref (sink);
  }
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/genesyssink/stats-defaults", test_stats_defaults);
  g_test_add_func ("/genesyssink/uri-handler", test_uri_handler);
  g_test_add_func ("/genesyssink/plain-words", test_plain_words);
  g_test_add_func ("/genesyssink/to-genesyssrc-mono", test_to_genesyssrc_mono);
  g_test_add_func ("/genesyssink/to-genesyssrc-stereo",
      test_to_genesyssrc_stereo);
  g_test_add_func ("/genesyssink/open-and-headers", test_open_and_headers);
  g_test_add_func ("/genesyssink/framing", test_framing);
  g_test_add_func ("/genesyssink/framing-cap", test_framing_cap);
  g_test_add_func ("/genesyssink/drops", test_drops);
  g_test_add_func ("/genesyssink/keepalive-watchdog", test_keepalive_watchdog);
  g_test_add_func ("/genesyssink/unauthorized", test_unauthorized);
  g_test_add_func ("/genesyssink/refused-gives-up", test_refused_gives_up);
  g_test_add_func ("/genesyssink/start-paused", test_start_paused);
  g_test_add_func ("/genesyssink/pause-resume", test_pause_resume);
  g_test_add_func ("/genesyssink/discard-to", test_discard_to);
  g_test_add_func ("/genesyssink/disconnect", test_disconnect);
  g_test_add_func ("/genesyssink/disconnect-unauthorized",
      test_disconnect_unauthorized);
  g_test_add_func ("/genesyssink/reconnect-request", test_reconnect_request);
  g_test_add_func ("/genesyssink/server-events", test_server_events);
  g_test_add_func ("/genesyssink/gap-event", test_gap_event);
  g_test_add_func ("/genesyssink/no-media", test_no_media);
  g_test_add_func ("/genesyssink/stereo-to-external", test_stereo_to_external);
  g_test_add_func ("/genesyssink/stereo-to-internal-l16",
      test_stereo_to_internal_l16);
  g_test_add_func ("/genesyssink/slow-reader", test_slow_reader);
  g_test_add_func ("/genesyssink/wait-for-connection",
      test_wait_for_connection);
  g_test_add_func ("/genesyssink/pong-timeout", test_pong_timeout);
  g_test_add_func ("/genesyssink/tls-refused", test_tls_refused);
  g_test_add_func ("/genesyssink/tls-ca-file", test_tls_ca_file);
  g_test_add_func ("/genesyssink/tls-no-validation", test_tls_no_validation);
  g_test_add_func ("/genesyssink/tls-ca-file-relative",
      test_tls_ca_file_relative);
  g_test_add_func ("/genesyssink/stop-while-pacing", test_stop_while_pacing);
  ret = g_test_run ();
  check_tls_dir_remove ();
  return ret;
}
