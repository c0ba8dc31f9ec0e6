/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesystranscript on a genesyssrc's session, against the raw in-process
 * AudioHook client: results with known running times (the PTS genesyssrc
 * gave the audio, on a GstTestClock) must come back as exact stream
 * positions, through pauses, discarded spans and a continuation; stereo
 * channel ids; seq order; results while the close is held go out before
 * closed. */

#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include "ahpeer.h"
#include "checkutil.h"
#include "ah-duration.h"

#define PATH "/api/v1/audiohook/ws"
#define WAIT 5000
#define META "GstGenesysTranscriptMeta"
#define CONV "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60"
#define PARTICIPANT "0f1e2d3c-4b5a-4697-8877-665544332211"
#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define OFFER_STEREO_REV \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"internal\",\"external\"],\"rate\":8000}"

typedef struct
{
  gchar *name;
  GstHarness *h;                /* genesyssrc */
  GstElement *src;
  GstBus *bus;                  /* every element posts here */
  guint port;
  GstTestClock *clock;
  GstHarness *t[2];             /* genesystranscript */
  AhPeer *peer;
  gint64 seq;                   /* last server seq received */
} Fix;

static gint counter;

static GstHarness *
transcript_start (Fix * f, guint channel)
{
  GstElement *e = gst_element_factory_make ("genesystranscript", NULL);
  GstHarness *h;

  g_assert_nonnull (e);
  g_object_set (e, "session-name", f->name, "channel", channel, NULL);
  gst_element_set_bus (e, f->bus);
  h = gst_harness_new_with_element (e, "sink", NULL);
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, "text/x-raw, format=(string)utf8");
  gst_harness_play (h);
  /* the transcripts' running time is the source's */
  gst_element_set_clock (h->element, GST_CLOCK (f->clock));
  return h;
}

static void
fix_start_props (Fix * f, guint transcripts, const gchar * more)
{
  gchar *props;
  guint i;

  memset (f, 0, sizeof (*f));
  f->name = g_strdup_printf ("transcript-%d", g_atomic_int_add (&counter, 1));
  props = g_strdup_printf ("session-name=%s %s", f->name, more);
  f->h = check_src_start (props, &f->bus, &f->port);
  g_free (props);
  f->src = f->h->element;
  f->clock = gst_harness_get_testclock (f->h);
  for (i = 0; i < transcripts; i++)
    f->t[i] = transcript_start (f, i);
  f->peer = ah_peer_new ();
}

static void
fix_start (Fix * f, guint transcripts)
{
  fix_start_props (f, transcripts, "");
}

static void
fix_stop (Fix * f)
{
  guint i;

  ah_peer_free (f->peer);
  for (i = 0; i < 2; i++) {
    if (f->t[i]) {
      GstElement *e = gst_object_ref (f->t[i]->element);
      gst_harness_teardown (f->t[i]);
      gst_element_set_bus (e, NULL);
      gst_object_unref (e);
    }
  }
  gst_object_unref (f->clock);
  check_src_stop (f->h, f->bus);
  g_free (f->name);
}

static void
fix_open (Fix * f, const gchar * offer, const gchar * position,
    const gchar * continues)
{
  guint status = 0;
  gchar *params, *cont = continues ?
      g_strdup_printf (",\"continuedSessions\":[{\"id\":\"%s\","
      "\"serverseq\":1,\"clientseq\":1}]", continues) : g_strdup ("");
  AhPeerFrame *frame;

  g_assert_true (ah_peer_connect (f->peer, f->port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 101);
  params = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"" CONV "\",\"participant\":{\"id\":\""
      PARTICIPANT "\",\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},"
      "\"media\":[%s],\"language\":\"en-US\"%s}", offer, cont);
  ah_peer_send (f->peer, "open", position, params);
  g_free (params);
  g_free (cont);
  frame = ah_peer_expect (f->peer, "opened", WAIT);
  g_assert_nonnull (frame);
  f->seq = json_object_get_int_member (frame->json, "seq");
  g_assert_cmpint (f->seq, ==, 1);
  ah_peer_frame_free (frame);
}

/* Sends @n frames of @bytes and returns the PTS genesyssrc gave each. */
static void
send_pull (Fix * f, guint n, gsize bytes, GstClockTime * pts)
{
  guint8 *data = g_malloc (bytes);
  guint i;

  memset (data, 0xff, bytes);
  for (i = 0; i < n; i++)
    ah_peer_send_binary (f->peer, data, bytes);
  g_free (data);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_harness_pull (f->h);
    g_assert_nonnull (buf);
    pts[i] = GST_BUFFER_PTS (buf);
    gst_buffer_unref (buf);
  }
}

static GstStructure *
meta_of (GstBuffer * buf)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, META);

  if (!meta)
    meta = gst_buffer_add_custom_meta (buf, META);
  return gst_custom_meta_get_structure (meta);
}

static GstBuffer *
result (const gchar * text, GstClockTime start, GstClockTime end,
    gboolean final, gdouble confidence)
{
  GstBuffer *buf = gst_buffer_new_memdup (text, strlen (text));

  GST_BUFFER_PTS (buf) = start;
  GST_BUFFER_DURATION (buf) = end - start;
  gst_structure_set (meta_of (buf), "final", G_TYPE_BOOLEAN, final,
      "confidence", G_TYPE_DOUBLE, confidence, NULL);
  return buf;
}

static void
add_word (GstBuffer * buf, const gchar * value, GstClockTime pts,
    GstClockTime duration)
{
  GstStructure *m = meta_of (buf);
  GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
  const GValue *old = gst_structure_get_value (m, "words");

  g_value_init (&list, GST_TYPE_LIST);
  if (old)
    g_value_copy (old, &list);
  g_value_init (&v, GST_TYPE_STRUCTURE);
  {
    GstStructure *w = gst_structure_new ("word", "value", G_TYPE_STRING,
        value, "pts", G_TYPE_UINT64, pts, "duration", G_TYPE_UINT64, duration,
        NULL);
    gst_value_set_structure (&v, w);
    gst_structure_free (w);
  }
  gst_value_list_append_and_take_value (&list, &v);
  gst_structure_take_value (m, "words", &list);
}

static void
push (GstHarness * t, GstBuffer * buf)
{
  g_assert_cmpint (gst_harness_push (t, buf), ==, GST_FLOW_OK);
}

/* The next server message: of @type (NULL: any), with the next seq. */
static AhPeerFrame *
next_message (Fix * f, const gchar * type)
{
  AhPeerFrame *frame;

  do {
    frame = ah_peer_next (f->peer, WAIT);
    g_assert_nonnull (frame);
    if (!frame->binary)
      break;
    ah_peer_frame_free (frame);
  } while (TRUE);
  g_assert_nonnull (frame->json);
  if (type)
    g_assert_cmpstr (ah_peer_type (frame), ==, type);
  g_assert_cmpint (json_object_get_int_member (frame->json, "seq"), ==,
      ++f->seq);
  return frame;
}

typedef struct
{
  guint channel_id;
  gboolean final;
  const gchar *offset, *duration;
  const gchar *text;
  gdouble confidence;
} Want;

/* The next event: one transcript entity as wanted; returns its id. */
static gchar *
expect_transcript (Fix * f, const Want * w, JsonArray ** tokens)
{
  AhPeerFrame *frame = next_message (f, "event");
  JsonArray *entities =
      json_object_get_array_member (json_object_get_object_member
      (frame->json, "parameters"), "entities");
  JsonObject *entity, *data, *alt, *interp;
  gchar *id;

  g_assert_cmpuint (json_array_get_length (entities), ==, 1);
  entity = json_array_get_object_element (entities, 0);
  g_assert_cmpstr (json_object_get_string_member (entity, "type"), ==,
      "transcript");
  data = json_object_get_object_member (entity, "data");
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (data,
              "id")));
  g_assert_cmpint (json_object_get_int_member (data, "channelId"), ==,
      w->channel_id);
  g_assert_cmpint (json_object_get_boolean_member (data, "isFinal"), ==,
      w->final);
  g_assert_cmpstr (json_object_get_string_member (data, "offset"), ==,
      w->offset);
  g_assert_cmpstr (json_object_get_string_member (data, "duration"), ==,
      w->duration);
  alt = json_array_get_object_element (json_object_get_array_member (data,
          "alternatives"), 0);
  g_assert_cmpfloat (json_object_get_double_member (alt, "confidence"), ==,
      w->confidence);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (alt, "languages"), 0), ==, "en-US");
  interp = json_array_get_object_element (json_object_get_array_member (alt,
          "interpretations"), 0);
  g_assert_cmpstr (json_object_get_string_member (interp, "type"), ==,
      "display");
  g_assert_cmpstr (json_object_get_string_member (interp, "transcript"), ==,
      w->text);
  if (tokens)
    *tokens = json_object_has_member (interp, "tokens") ?
        json_array_ref (json_object_get_array_member (interp, "tokens")) : NULL;
  id = g_strdup (json_object_get_string_member (data, "id"));
  ah_peer_frame_free (frame);
  return id;
}

static void
check_token (JsonArray * tokens, guint i, const gchar * value,
    const gchar * offset, const gchar * duration)
{
  JsonObject *tok = json_array_get_object_element (tokens, i);

  g_assert_cmpstr (json_object_get_string_member (tok, "type"), ==, "word");
  g_assert_cmpstr (json_object_get_string_member (tok, "value"), ==, value);
  g_assert_cmpstr (json_object_get_string_member (tok, "offset"), ==, offset);
  g_assert_cmpstr (json_object_get_string_member (tok, "duration"), ==,
      duration);
}

static void
close_after_eos (Fix * f, const gchar * position)
{
  AhPeerFrame *frame;
  guint i;

  ah_peer_send (f->peer, "close", position, "{\"reason\":\"end\"}");
  for (i = 0; i < 2; i++)
    if (f->t[i])
      g_assert_true (gst_harness_push_event (f->t[i], gst_event_new_eos ()));
  frame = next_message (f, "closed");
  ah_peer_frame_free (frame);
}

static void
wait_sessions_lost (GstElement * src)
{
  gint64 end = g_get_monotonic_time () + WAIT * 1000;

  while (check_stat_u64 (src, "sessions-lost") < 1
      && g_get_monotonic_time () < end)
    g_usleep (2000);
  g_assert_cmpuint (check_stat_u64 (src, "sessions-lost"), ==, 1);
}

/* Results placed through the source's spans: plain audio, a paused span
 * (resumed with a gap), a discarded span and a continuation on a new
 * connection; partial and final of one utterance share its id; words keep
 * their own offsets; latency is the clock from the end of speech. */
static void
test_positions (void)
{
  GstClockTime a[5], b[2], c[2], d[2];
  GstBuffer *buf;
  GstStructure *s;
  JsonArray *tokens;
  gchar *id1, *id2, *old_id;
  guint64 latency = 0;
  Fix f;

  fix_start (&f, 1);
  /* the call starts 10 s into the pipeline's running time */
  gst_test_clock_set_time (f.clock, 10 * GST_SECOND);
  fix_open (&f, OFFER_MONO, "PT0S", NULL);
  send_pull (&f, 5, 1600, a);
  g_assert_cmpuint (a[0], >=, 9 * GST_SECOND);
  /* known running times -> positions 0.2 s .. 0.6 s */
  push (f.t[0], result ("good morning", a[1], a[3], TRUE, 0.75));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT0.2S", "PT0.4S", "good morning", 0.75}, NULL));

  /* paused at 1 s for 2 s, then a discarded second at 3.4 s */
  ah_peer_send (f.peer, "paused", "PT1S", "{}");
  ah_peer_send (f.peer, "resumed", "PT3S",
      "{\"start\":\"PT1S\",\"discarded\":\"PT2S\"}");
  send_pull (&f, 2, 1600, b);
  ah_peer_send (f.peer, "discarded", "PT4.4S",
      "{\"start\":\"PT3.4S\",\"discarded\":\"PT1S\"}");
  send_pull (&f, 2, 1600, c);

  push (f.t[0], result ("hello", b[1], c[0], FALSE, 0.5));
  id1 = expect_transcript (&f, &(Want) {
      0, FALSE, "PT3.2S", "PT1.2S", "hello", 0.5}, NULL);
  buf = result ("hello world", b[1], c[1], TRUE, 1.5);
  add_word (buf, "hello", b[1], c[0] - b[1]);
  add_word (buf, "world", c[0], c[1] - c[0]);
  push (f.t[0], buf);
  /* confidence clamped to 1 */
  id2 = expect_transcript (&f, &(Want) {
      0, TRUE, "PT3.2S", "PT1.4S", "hello world", 1.0}, &tokens);
  g_assert_cmpstr (id1, ==, id2);
  g_assert_nonnull (tokens);
  g_assert_cmpuint (json_array_get_length (tokens), ==, 2);
  check_token (tokens, 0, "hello", "PT3.2S", "PT1.2S");
  check_token (tokens, 1, "world", "PT4.4S", "PT0.2S");
  json_array_unref (tokens);
  g_free (id1);
  g_free (id2);

  /* a pause the client's position does not count (it froze at 4.8 s)
   * while 5.2 s pass on the clock */
  gst_test_clock_set_time (f.clock, c[1] + 5400 * GST_MSECOND);
  ah_peer_send (f.peer, "paused", "PT4.8S", "{}");
  ah_peer_send (f.peer, "resumed", "PT4.8S",
      "{\"start\":\"PT4.8S\",\"discarded\":\"PT0S\"}");
  s = check_wait_element (f.bus, "genesys-resumed", WAIT);
  g_assert_nonnull (s);
  gst_structure_free (s);

  /* the connection drops; the continuation goes on from 4.8 s */
  old_id = g_strdup (ah_peer_session_id (f.peer));
  ah_peer_drop (f.peer);
  wait_sessions_lost (f.src);
  ah_peer_free (f.peer);
  f.peer = ah_peer_new ();
  fix_open (&f, OFFER_MONO, "PT4.8S", old_id);
  g_free (old_id);
  send_pull (&f, 2, 1600, d);
  /* sent 250 ms after the end of speech by the clock */
  gst_test_clock_set_time (f.clock, d[1] + 250 * GST_MSECOND);
  push (f.t[0], result ("again", d[0], d[1], TRUE, 0.25));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT4.8S", "PT0.2S", "again", 0.25}, NULL));
  g_assert_cmpuint (d[0] - c[1], >, 5 * GST_SECOND);
  /* an utterance spanning the old audio, the pause and the new audio */
  push (f.t[0], result ("all", b[0], d[1], TRUE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT3S", "PT2S", "all", 0.5}, NULL));
  /* inside the frozen pause the position stood still */
  push (f.t[0], result ("um", c[1] + GST_SECOND, c[1] + 2 * GST_SECOND,
          FALSE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          0, FALSE, "PT4.8S", "PT0S", "um", 0.5}, NULL));

  for (;;) {
    gboolean final = FALSE;
    const gchar *text;
    s = check_wait_element (f.bus, "genesys-transcript", WAIT);
    g_assert_nonnull (s);
    text = gst_structure_get_string (s, "transcript");
    gst_structure_get_boolean (s, "final", &final);
    if (g_strcmp0 (text, "again") == 0) {
      g_assert_true (final);
      g_assert_true (gst_structure_get_uint64 (s, "latency", &latency));
      gst_structure_free (s);
      break;
    }
    gst_structure_free (s);
  }
  g_assert_cmpuint (latency, ==, 250 * GST_MSECOND);
  s = NULL;
  g_object_get (f.t[0]->element, "stats", &s, NULL);
  g_assert_nonnull (s);
  {
    guint64 events = 0, finals = 0, partials = 0, dropped = 1, max = 0;
    gst_structure_get (s, "events", G_TYPE_UINT64, &events, "finals",
        G_TYPE_UINT64, &finals, "partials", G_TYPE_UINT64, &partials,
        "dropped", G_TYPE_UINT64, &dropped, "latency-max", G_TYPE_UINT64,
        &max, NULL);
    g_assert_cmpuint (events, ==, 6);
    g_assert_cmpuint (finals, ==, 4);
    g_assert_cmpuint (partials, ==, 2);
    g_assert_cmpuint (dropped, ==, 0);
    g_assert_cmpuint (max, >=, 250 * GST_MSECOND);
  }
  gst_structure_free (s);
  close_after_eos (&f, "PT5S");
  fix_stop (&f);
}

/* One recogniser per channel on one stereo session whose channels come
 * internal first: the external party (genesyssrc's channel 0) is
 * channelId 1. Events of both are numbered in one sequence; closed waits
 * for both to end. */
static void
test_stereo (void)
{
  GstClockTime a[3];
  Fix f;

  fix_start (&f, 2);
  fix_open (&f, OFFER_STEREO_REV, "PT0S", NULL);
  send_pull (&f, 3, 3200, a);
  push (f.t[0], result ("my bill", a[0], a[1], TRUE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          1, TRUE, "PT0S", "PT0.2S", "my bill", 0.5}, NULL));
  push (f.t[1], result ("let me see", a[1], a[2], TRUE, 0.25));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT0.2S", "PT0.2S", "let me see", 0.25}, NULL));
  push (f.t[0], result ("thanks", a[2], a[2] + 100 * GST_MSECOND, FALSE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          1, FALSE, "PT0.4S", "PT0.1S", "thanks", 0.5}, NULL));

  ah_peer_send (f.peer, "close", "PT0.6S", "{\"reason\":\"end\"}");
  g_assert_true (gst_harness_push_event (f.t[0], gst_event_new_eos ()));
  /* the other recogniser is not done: closed waits */
  g_assert_null (ah_peer_next (f.peer, 300));
  push (f.t[1], result ("bye", a[2], a[2] + 200 * GST_MSECOND, TRUE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT0.4S", "PT0.2S", "bye", 0.5}, NULL));
  g_assert_true (gst_harness_push_event (f.t[1], gst_event_new_eos ()));
  ah_peer_frame_free (next_message (&f, "closed"));
  fix_stop (&f);
}

/* The client closes while a result is still on its way: closed is held,
 * the result goes out (in CLOSING), then closed once the recogniser's
 * stream ended. */
static void
test_closing (void)
{
  GstClockTime a[3];
  guint64 events = 0;
  GstStructure *s = NULL;
  GstEvent *ev;
  Fix f;

  fix_start (&f, 1);
  fix_open (&f, OFFER_MONO, "PT0S", NULL);
  send_pull (&f, 3, 1600, a);
  ah_peer_send (f.peer, "close", "PT0.6S", "{\"reason\":\"end\"}");
  /* the source ends its stream at once */
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  g_assert_null (ah_peer_next (f.peer, 300));
  push (f.t[0], result ("last words", a[1], a[2], TRUE, 0.5));
  g_free (expect_transcript (&f, &(Want) {
          0, TRUE, "PT0.2S", "PT0.2S", "last words", 0.5}, NULL));
  g_assert_true (gst_harness_push_event (f.t[0], gst_event_new_eos ()));
  ah_peer_frame_free (next_message (&f, "closed"));

  g_assert_null (ah_peer_next (f.peer, 300));
  g_object_get (f.t[0]->element, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "events", &events);
  g_assert_cmpuint (events, ==, 1);
  gst_structure_free (s);
  fix_stop (&f);
}

/* Nobody ends the stream: closed goes out when the hold ends (5 s), not
 * never. */
static void
test_close_hold_expires (void)
{
  GstClockTime a[1];
  AhPeerFrame *frame;
  gint64 start;
  Fix f;

  fix_start (&f, 1);
  fix_open (&f, OFFER_MONO, "PT0S", NULL);
  send_pull (&f, 1, 1600, a);
  start = g_get_monotonic_time ();
  ah_peer_send (f.peer, "close", "PT0.2S", "{\"reason\":\"end\"}");
  frame = ah_peer_next (f.peer, 9000);
  g_assert_nonnull (frame);
  g_assert_cmpstr (ah_peer_type (frame), ==, "closed");
  g_assert_cmpint (json_object_get_int_member (frame->json, "seq"), ==, 2);
  ah_peer_frame_free (frame);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4900 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 9000 * 1000);
  fix_stop (&f);
}

/* The session-end event of a source that keeps listening, forwarded. */
static void
forward_session_end (Fix * f, const gchar * session_id)
{
  GstEvent *ev;

  while ((ev = check_pull_event_of_type (f->h, GST_EVENT_CUSTOM_DOWNSTREAM))) {
    if (gst_event_has_name (ev, "GstGenesysSessionEnd")) {
      g_assert_cmpstr (gst_structure_get_string (gst_event_get_structure (ev),
              "session-id"), ==, session_id);
      g_assert_true (gst_harness_push_event (f->t[0], ev));
      return;
    }
    gst_event_unref (ev);
  }
  g_assert_not_reached ();
}

/* keep-listening: no EOS between calls; the session-end event releases
 * each session's closed after its last result, call after call. */
static void
test_keep_listening (void)
{
  GstClockTime a[2];
  guint call;
  Fix f;

  fix_start_props (&f, 1, "keep-listening=true");
  for (call = 0; call < 2; call++) {
    gint64 t0;
    gchar *id;

    if (call > 0) {
      ah_peer_free (f.peer);
      f.peer = ah_peer_new ();
    }
    fix_open (&f, OFFER_MONO, "PT0S", NULL);
    id = g_strdup (ah_peer_session_id (f.peer));
    send_pull (&f, 2, 1600, a);
    t0 = g_get_monotonic_time ();
    ah_peer_send (f.peer, "close", "PT0.4S", "{\"reason\":\"end\"}");
    g_assert_null (ah_peer_next (f.peer, 300));
    push (f.t[0], result ("one more thing", a[0], a[1], TRUE, 0.5));
    g_free (expect_transcript (&f, &(Want) {
            0, TRUE, "PT0S", "PT0.2S", "one more thing", 0.5}
            , NULL));
    forward_session_end (&f, id);
    ah_peer_frame_free (next_message (&f, "closed"));
    /* released by the event, not by the hold's end */
    g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
    g_free (id);
  }
  fix_stop (&f);
}

/* ---- pocketsphinx inside ---- */

#define SENTENCE "please connect me to the billing department"

/* G.711 mu-law of a 16-bit sample. */
static guint8
mulaw (gint16 pcm)
{
  gint sign = pcm < 0 ? 0x80 : 0, mag = pcm < 0 ? -(gint) pcm : pcm, exp;

  mag = MIN (mag, 32635) + 132;
  for (exp = 7; exp > 0 && !(mag & (0x4000 >> (7 - exp))); exp--);
  return ~(sign | (exp << 4) | ((mag >> (exp + 3)) & 0x0f));
}

/* The sentence as espeak says it: 8 kHz mu-law with 1 s of silence
 * before and 1.5 s after; *@start and *@end where it is not silence. */
static GByteArray *
speak (GstClockTime * start, GstClockTime * end)
{
  GstHarness *h = gst_harness_new_parse ("espeak text=\"" SENTENCE "\" ! "
      "audioconvert ! audioresample ! "
      "capsfilter caps=audio/x-raw,format=S16LE,rate=8000,channels=1");
  GByteArray *out = g_byte_array_new ();
  gint64 first = -1, last = -1, n = 8000;
  GstBuffer *buf;
  guint8 silence = mulaw (0);
  gint i;

  gst_harness_play (h);
  for (i = 0; i < 8000; i++)
    g_byte_array_append (out, &silence, 1);
  while ((buf = gst_harness_pull (h))) {
    GstMapInfo map;
    gsize k;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    for (k = 0; k + 1 < map.size; k += 2, n++) {
      gint16 v = GST_READ_UINT16_LE (map.data + k);
      guint8 u = mulaw (v);
      if (ABS (v) > 300) {
        if (first < 0)
          first = n;
        last = n;
      }
      g_byte_array_append (out, &u, 1);
    }
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    if (gst_harness_events_in_queue (h) > 0) {
      GstEvent *ev;
      gboolean eos = FALSE;
      while ((ev = gst_harness_try_pull_event (h))) {
        eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
        gst_event_unref (ev);
      }
      if (eos)
        break;
    }
  }
  gst_harness_teardown (h);
  for (i = 0; i < 12000; i++)
    g_byte_array_append (out, &silence, 1);
  g_assert_cmpint (first, >, 0);
  *start = gst_util_uint64_scale (first, GST_SECOND, 8000);
  *end = gst_util_uint64_scale (last + 1, GST_SECOND, 8000);
  return out;
}

static gboolean
have_element (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  if (f)
    gst_object_unref (f);
  return f != NULL;
}

/* The recogniser inside: pocketsphinx's messages become events placed by
 * the audio it was given: every final offset inside the spoken span, its
 * end at most 0.3 s past it (the end of speech is known to a buffer or
 * so), before closed. */
static void
test_pocketsphinx (void)
{
  GstClockTime start, end;
  GByteArray *call;
  GstHarness *p;
  gchar *desc;
  guint finals = 0;
  gsize off;
  GstEvent *ev;
  Fix f;

  if (!have_element ("pocketsphinx") || !have_element ("espeak")) {
    g_test_skip ("no pocketsphinx or espeak element");
    return;
  }
  call = speak (&start, &end);
  fix_start (&f, 0);
  gst_test_clock_set_time (f.clock, 10 * GST_SECOND);
  desc = g_strdup_printf ("mulawdec ! audioconvert ! audioresample ! "
      "audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
      "genesystranscript session-name=%s recognizer=pocketsphinx", f.name);
  p = gst_harness_new_parse (desc);
  g_free (desc);
  gst_element_set_bus (p->element, f.bus);
  gst_harness_set_src_caps_str (p, "audio/x-mulaw, rate=(int)8000, "
      "channels=(int)1");
  gst_harness_play (p);
  gst_element_set_clock (p->element, GST_CLOCK (f.clock));

  fix_open (&f, OFFER_MONO, "PT0S", NULL);
  for (off = 0; off < call->len; off += 1600) {
    GstBuffer *buf;
    ah_peer_send_binary (f.peer, call->data + off, MIN (1600, call->len - off));
    buf = gst_harness_pull (f.h);
    g_assert_nonnull (buf);
    push (p, buf);
  }
  ah_peer_send (f.peer, "close", "PT0S", "{\"reason\":\"end\"}");
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  g_assert_true (gst_harness_push_event (p, ev));

  for (;;) {
    AhPeerFrame *frame = next_message (&f, NULL);
    JsonObject *data;
    guint64 o, d;

    if (g_strcmp0 (ah_peer_type (frame), "closed") == 0) {
      ah_peer_frame_free (frame);
      break;
    }
    g_assert_cmpstr (ah_peer_type (frame), ==, "event");
    data = json_object_get_object_member (json_array_get_object_element
        (json_object_get_array_member (json_object_get_object_member
                (frame->json, "parameters"), "entities"), 0), "data");
    g_assert_true (ah_duration_parse (json_object_get_string_member (data,
                "offset"), &o, NULL));
    g_assert_true (ah_duration_parse (json_object_get_string_member (data,
                "duration"), &d, NULL));
    g_test_message ("%s \"%s\" at %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT,
        json_object_get_boolean_member (data, "isFinal") ? "final" :
        "partial", json_object_get_string_member (json_array_get_object_element
            (json_object_get_array_member (json_array_get_object_element
                    (json_object_get_array_member (data, "alternatives"), 0),
                    "interpretations"), 0), "transcript"), GST_TIME_ARGS (o),
        GST_TIME_ARGS (d));
    g_assert_cmpuint (o, >=, start);
    g_assert_cmpuint (o, <=, end);
    if (json_object_get_boolean_member (data, "isFinal")) {
      finals++;
      g_assert_cmpuint (o + d, <=, end + 300 * GST_MSECOND);
    }
    ah_peer_frame_free (frame);
  }
  g_assert_cmpuint (finals, >=, 1);
  {
    GstElement *e = gst_object_ref (p->element);
    gst_harness_teardown (p);
    gst_element_set_bus (e, NULL);
    gst_object_unref (e);
  }
  g_byte_array_unref (call);
  fix_stop (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/transcript/positions", test_positions);
  g_test_add_func ("/transcript/stereo", test_stereo);
  g_test_add_func ("/transcript/closing", test_closing);
  g_test_add_func ("/transcript/close-hold-expires", test_close_hold_expires);
  g_test_add_func ("/transcript/keep-listening", test_keep_listening);
  g_test_add_func ("/transcript/pocketsphinx", test_pocketsphinx);
  return g_test_run ();
}
