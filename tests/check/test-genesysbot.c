/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Voice bots: genesyssrc and genesyssink sharing one session. Server side
 * against a raw in-process Audio Connector client that plays what it
 * receives in real time and checks the limits; client side against an
 * in-process bot pipeline. */

#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include "ahpeer.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define PEER_PING_INTERVAL_US (5 * G_USEC_PER_SEC)
#define WAIT 5000
#define RATE 8000
#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define OPEN_PARAMS \
  "{\"organizationId\":\"" AH_PEER_ORG "\"," \
  "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\"," \
  "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\"," \
  "\"ani\":\"+15551234567\",\"aniName\":\"Caller\",\"dnis\":\"+15557654321\"}," \
  "\"media\":[" OFFER_MONO "],\"language\":\"en-US\"," \
  "\"inputVariables\":{\"botName\":\"test\"}}"

/* The client's limits (Genesys: 5 binary messages per second, burst 25,
 * 64000 bytes) and the element's default lead. Jitter between the send and
 * the receipt of a message may make it look early by this much. */
#define LIMIT_RATE 5.0
#define LIMIT_BURST 25.0
#define LIMIT_BYTES 64000
#define MAX_LEAD (1 * GST_SECOND)
#define JITTER (50 * GST_MSECOND)

typedef struct
{
  gchar *name;
  GstElement *src;
  GstHarness *src_h;
  GstElement *sink;
  GstHarness *sink_h;
  GstBus *bus;                  /* both elements post here */
  guint port;
  AhPeer *peer;

  /* the client's model of what it received */
  GByteArray *audio;
  gint64 first_us, last_us;
  guint messages;
  gsize max_size;
  guint max_window;             /* most messages in any 1 s */
  gint64 window[64];
  gdouble tokens, min_tokens;
  gint64 tokens_us;
  gint64 play_end_us;           /* playout of what was received ends */
  gint64 max_lead_us;
  GPtrArray *texts;             /* AhPeerFrame of text frames, in order */
  gint64 barge_in_us;           /* barge_in event received, 0: none */
  guint after_barge_in;         /* binary messages after it */

  /* prompt feeding */
  GThread *feeder;
  GBytes *prompt;
  volatile gint stop_feeding;
  volatile gint feed_result;    /* the last GstFlowReturn of a push */
} Bot;

static gint bot_counter;

/* The byte at stream offset @i: shows order and loss. */
static guint8
pattern (gsize i)
{
  return (guint8) ((i * 131 + 17) % 251);
}

static GBytes *
make_prompt (gsize offset, gsize size)
{
  guint8 *data = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = pattern (offset + i);
  return g_bytes_new_take (data, size);
}

/* @src_clock_is_test: the caller's side (genesyssrc) runs on a GstTestClock
 * the test steps, so that arrivals are exactly when the test says; the bot's
 * side always paces on the system clock. */
static void
bot_start_clocked (Bot * b, const gchar * sink_props,
    gboolean src_clock_is_test)
{
  memset (b, 0, sizeof (*b));
  b->name = g_strdup_printf ("bot-%d", g_atomic_int_add (&bot_counter, 1));
  b->bus = gst_bus_new ();

  b->src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (b->src, "port", 0, "address", "127.0.0.1", "session-name",
      b->name, NULL);
  gst_element_set_bus (b->src, b->bus);
  b->src_h = gst_harness_new_with_element (b->src, NULL, "src");
  if (!src_clock_is_test)
    gst_harness_use_systemclock (b->src_h);
  gst_harness_play (b->src_h);
  g_object_get (b->src, "current-port", &b->port, NULL);
  g_assert_cmpuint (b->port, >, 0);

  b->sink = gst_element_factory_make ("genesyssink", NULL);
  g_object_set (b->sink, "session-name", b->name, NULL);
  check_set_props (b->sink, sink_props);
  gst_element_set_bus (b->sink, b->bus);
  b->sink_h = gst_harness_new_with_element (b->sink, "sink", NULL);
  gst_harness_use_systemclock (b->sink_h);
  gst_harness_set_src_caps_str (b->sink_h,
      "audio/x-mulaw, rate=(int)8000, channels=(int)1");
  gst_harness_play (b->sink_h);

  b->peer = ah_peer_new ();
  b->audio = g_byte_array_new ();
  b->texts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      ah_peer_frame_free);
  b->tokens = LIMIT_BURST;
  b->min_tokens = LIMIT_BURST;
}

static void
bot_start (Bot * b, const gchar * sink_props)
{
  bot_start_clocked (b, sink_props, FALSE);
}

static void
bot_open (Bot * b)
{
  guint status = 0;
  AhPeerFrame *frame;

  g_assert_true (ah_peer_connect (b->peer, b->port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 101);
  ah_peer_send (b->peer, "open", "PT0S", OPEN_PARAMS);
  frame = ah_peer_expect (b->peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
}

static void
bot_stop (Bot * b)
{
  g_atomic_int_set (&b->stop_feeding, 1);
  ah_peer_free (b->peer);
  if (b->feeder) {
    /* a push blocked in render returns once the sink stops */
    gst_harness_teardown (b->sink_h);
    g_thread_join (b->feeder);
  } else {
    gst_harness_teardown (b->sink_h);
  }
  gst_harness_teardown (b->src_h);
  gst_element_set_bus (b->src, NULL);
  gst_element_set_bus (b->sink, NULL);
  gst_object_unref (b->src);
  gst_object_unref (b->sink);
  gst_object_unref (b->bus);
  g_byte_array_unref (b->audio);
  g_ptr_array_unref (b->texts);
  if (b->prompt)
    g_bytes_unref (b->prompt);
  g_free (b->name);
}

/* Pushes @b->prompt into the sink in 20 ms buffers, without timestamps, as
 * fast as render takes them (text-to-speech is faster than real time). */
static gpointer
feed_thread (gpointer data)
{
  Bot *b = data;
  gsize size, off;
  const guint8 *p = g_bytes_get_data (b->prompt, &size);

  for (off = 0; off < size && !g_atomic_int_get (&b->stop_feeding);) {
    gsize n = MIN (160, size - off);
    GstBuffer *buf = gst_buffer_new_memdup (p + off, n);
    GstFlowReturn ret = gst_harness_push (b->sink_h, buf);
    g_atomic_int_set (&b->feed_result, ret);
    if (ret != GST_FLOW_OK)
      break;
    off += n;
  }
  return NULL;
}

static void
bot_feed (Bot * b, gsize offset, gsize size)
{
  if (b->feeder)
    g_thread_join (b->feeder);
  if (b->prompt)
    g_bytes_unref (b->prompt);
  b->prompt = make_prompt (offset, size);
  b->feeder = g_thread_new ("feeder", feed_thread, b);
}

/* Checks one binary message against the client's limits. */
static void
account_binary (Bot * b, AhPeerFrame * f)
{
  gsize size = g_bytes_get_size (f->data);
  gint64 t = f->received_us, lead;
  gint64 dur_us = (gint64) size * G_USEC_PER_SEC / RATE;
  guint i, in_window = 1;

  g_assert_cmpuint (size, >, 0);
  g_assert_cmpuint (size, <=, LIMIT_BYTES);
  b->max_size = MAX (b->max_size, size);
  g_byte_array_append (b->audio, g_bytes_get_data (f->data, NULL), size);

  /* token bucket */
  if (b->messages > 0)
    b->tokens = MIN (LIMIT_BURST, b->tokens + (t - b->tokens_us) *
        LIMIT_RATE / G_USEC_PER_SEC);
  b->tokens_us = t;
  b->tokens -= 1.0;
  b->min_tokens = MIN (b->min_tokens, b->tokens);
  g_assert_cmpfloat (b->tokens, >=, -JITTER / (gdouble) GST_SECOND *
      LIMIT_RATE);

  /* messages within the last second */
  for (i = 0; i < G_N_ELEMENTS (b->window); i++)
    if (b->window[i] && t - b->window[i] < G_USEC_PER_SEC)
      in_window++;
  b->window[b->messages % G_N_ELEMENTS (b->window)] = t;
  b->max_window = MAX (b->max_window, in_window);

  /* playout in real time from the arrival */
  if (b->play_end_us < t)
    b->play_end_us = t;
  b->play_end_us += dur_us;
  lead = b->play_end_us - t;
  b->max_lead_us = MAX (b->max_lead_us, lead);
  g_assert_cmpint (lead, <=, (gint64) ((MAX_LEAD + JITTER) / GST_USECOND));

  if (b->messages == 0)
    b->first_us = t;
  b->last_us = t;
  b->messages++;
  if (b->barge_in_us)
    b->after_barge_in++;
}

static gboolean
is_event (AhPeerFrame * f, const gchar * entity)
{
  JsonArray *entities;
  JsonObject *params;

  if (g_strcmp0 (ah_peer_type (f), "event") != 0)
    return FALSE;
  params = json_object_get_object_member (f->json, "parameters");
  entities = json_object_get_array_member (params, "entities");
  return g_strcmp0 (json_object_get_string_member (json_array_get_object_element
          (entities, 0), "type"), entity) == 0;
}

/* Receives until @total bytes of bot audio came, or @timeout_ms without a
 * frame. Text frames are kept. */
static void
receive_until (Bot * b, gsize total, guint timeout_ms)
{
  gint64 next_ping = g_get_monotonic_time () + PEER_PING_INTERVAL_US;

  while (b->audio->len < total) {
    AhPeerFrame *f = ah_peer_next (b->peer, timeout_ms);
    if (!f)
      break;
    /* as every AudioHook client, it pings while it listens: the server
     * ends sessions that say nothing for a minute */
    if (g_get_monotonic_time () >= next_ping) {
      ah_peer_send (b->peer, "ping", "PT0S", "{}");
      next_ping += PEER_PING_INTERVAL_US;
    }
    if (f->binary) {
      account_binary (b, f);
      ah_peer_frame_free (f);
    } else {
      if (is_event (f, "barge_in") && !b->barge_in_us)
        b->barge_in_us = f->received_us;
      g_ptr_array_add (b->texts, f);
    }
  }
}

static void
assert_audio (Bot * b, gsize offset, gsize size)
{
  gsize i;

  g_assert_cmpuint (b->audio->len, ==, offset + size);
  for (i = offset; i < offset + size; i++)
    if (b->audio->data[i] != pattern (i))
      g_error ("bot audio byte %" G_GSIZE_FORMAT " is %u, expected %u", i,
          b->audio->data[i], pattern (i));
}

static guint64
sink_stat (Bot * b, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;
  guint u;

  g_object_get (b->sink, "stats", &s, NULL);
  if (!gst_structure_get_uint64 (s, field, &v)
      && gst_structure_get_uint (s, field, &u))
    v = u;
  gst_structure_free (s);
  return v;
}

/* Prompts of 0.1 s to 60 s, each fed as fast as the sink takes it: every
 * one arrives whole and in order, within the client's limits. */
static void
test_prompts (void)
{
  static const guint ms[] = { 100, 1000, 7300, 60000 };
  gsize offset = 0;
  guint i;
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  for (i = 0; i < G_N_ELEMENTS (ms); i++) {
    gsize size = ms[i] * RATE / 1000;
    gint64 t0 = g_get_monotonic_time ();
    guint messages = b.messages;
    GstStructure *s;

    b.max_size = 0;
    b.max_window = 0;
    b.max_lead_us = 0;
    memset (b.window, 0, sizeof (b.window));
    bot_feed (&b, offset, size);
    receive_until (&b, offset + size, 3000);
    assert_audio (&b, 0, offset + size);
    /* the client tells when it plays, as Genesys does */
    ah_peer_send (b.peer, "playback_started", "PT0S", "{}");
    ah_peer_send (b.peer, "playback_completed", "PT0S", "{}");
    s = check_wait_element (b.bus, "genesys-playback-started", WAIT);
    g_assert_nonnull (s);
    gst_structure_free (s);
    s = check_wait_element (b.bus, "genesys-playback-completed", WAIT);
    g_assert_nonnull (s);
    gst_structure_free (s);
    g_print ("# prompt %5u ms: %u messages, largest %" G_GSIZE_FORMAT
        " bytes, at most %u messages in 1 s, lead at most %" G_GINT64_FORMAT
        " ms, lowest bucket level %.2f, %.1f s to send\n", ms[i],
        b.messages - messages, b.max_size, b.max_window,
        b.max_lead_us / 1000, b.min_tokens,
        (b.last_us - t0) / (gdouble) G_USEC_PER_SEC);
    g_assert_cmpuint (b.max_window, <=, LIMIT_BURST);
    offset += size;
  }
  /* whole frames of 200 ms in the 60 s prompt: 300 messages */
  g_assert_cmpuint (sink_stat (&b, "messages"), ==, b.messages);
  g_assert_cmpuint (sink_stat (&b, "bytes"), ==, offset);
  bot_stop (&b);
}

/* The client's 429: nothing for retryAfter, then the rest, whole. */
static void
test_rate_limited (void)
{
  gsize size = 6 * RATE;
  gint64 t429, next_us = 0;
  GstStructure *s;
  guint64 retry_after = 0;
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  bot_feed (&b, 0, size);
  receive_until (&b, 8 * 1600, WAIT);
  g_assert_cmpuint (b.audio->len, ==, 8 * 1600);
  t429 = g_get_monotonic_time ();
  ah_peer_send (b.peer, "error", "PT1.6S",
      "{\"code\":429,\"message\":\"Too many requests\",\"retryAfter\":\"PT2S\"}");
  /* what was in flight when the error left may still come */
  while (b.audio->len < size) {
    AhPeerFrame *f = ah_peer_next (b.peer, WAIT);
    g_assert_nonnull (f);
    if (f->binary && f->received_us - t429 > 20000 && !next_us)
      next_us = f->received_us;
    if (f->binary)
      account_binary (&b, f);
    ah_peer_frame_free (f);
  }
  g_print ("# 429 retryAfter PT2S: next bot audio after %" G_GINT64_FORMAT
      " ms\n", (next_us - t429) / 1000);
  g_assert_cmpint (next_us - t429, >=, 2 * G_USEC_PER_SEC - 20000);
  assert_audio (&b, 0, size);
  s = check_wait_element (b.bus, "genesys-rate-limited", WAIT);
  g_assert_nonnull (s);
  g_assert_true (gst_structure_get_uint64 (s, "retry-after", &retry_after));
  g_assert_cmpuint (retry_after, ==, 2 * GST_SECOND);
  gst_structure_free (s);
  g_assert_cmpuint (sink_stat (&b, "rate-limited"), ==, 1);
  bot_stop (&b);
}

/* Barge-in: the queued audio goes, the client hears of it, and at most
 * what was in flight arrives after the event. */
static void
test_barge_in (void)
{
  gsize size = 10 * RATE, answer = 0, old_after = 0;
  guint64 flushed = 0, posted = 0;
  gint64 t0, event_us = 0;
  GstStructure *s;
  guint8 chunk[160];
  guint i;
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  bot_feed (&b, 0, size);
  receive_until (&b, 2 * RATE, WAIT);
  /* the application stops its prompt, barges in and answers at once */
  g_atomic_int_set (&b.stop_feeding, 1);
  t0 = g_get_monotonic_time ();
  g_signal_emit_by_name (b.sink, "barge-in", &flushed);
  g_thread_join (b.feeder);
  b.feeder = NULL;
  memset (chunk, 0xff, sizeof (chunk));
  for (i = 0; i < 50; i++)
    g_assert_cmpint (gst_harness_push (b.sink_h, gst_buffer_new_memdup (chunk,
                sizeof (chunk))), ==, GST_FLOW_OK);
  /* the answer (0xff, never in the prompt's pattern) comes after the
   * event; at most one message of the old prompt was in flight */
  while (answer < RATE) {
    AhPeerFrame *f = ah_peer_next (b.peer, WAIT);
    g_assert_nonnull (f);
    if (!f->binary) {
      if (is_event (f, "barge_in"))
        event_us = f->received_us;
    } else if (((const guint8 *) g_bytes_get_data (f->data, NULL))[0] == 0xff) {
      g_assert_cmpint (event_us, >, 0);
      answer += g_bytes_get_size (f->data);
    } else {
      account_binary (&b, f);
      if (event_us)
        old_after++;
    }
    ah_peer_frame_free (f);
  }
  g_print ("# barge-in: %" G_GUINT64_FORMAT " ms dropped, event after %"
      G_GINT64_FORMAT " us, %" G_GSIZE_FORMAT " message(s) of the prompt "
      "after it\n", flushed / GST_MSECOND, event_us - t0, old_after);
  g_assert_cmpuint (old_after, <=, 1);
  g_assert_cmpuint (answer, ==, RATE);
  g_assert_cmpuint (flushed, >, 0);
  s = check_wait_element (b.bus, "genesys-barge-in", WAIT);
  g_assert_nonnull (s);
  g_assert_true (gst_structure_get_uint64 (s, "flushed", &posted));
  g_assert_cmpuint (posted, ==, flushed);
  gst_structure_free (s);
  /* what of the prompt arrived came in order, from its start */
  assert_audio (&b, 0, b.audio->len);
  bot_stop (&b);
}

/* disconnect goes out once the bot audio has played, with the output
 * variables; the client's close ends the stream. */
static void
test_disconnect (void)
{
  GstStructure *vars;
  gboolean ok = FALSE;
  AhPeerFrame *f = NULL;
  JsonObject *params, *out;
  GstEvent *ev;
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  bot_feed (&b, 0, RATE);
  receive_until (&b, 1600, WAIT);
  vars = gst_structure_new ("vars", "intent", G_TYPE_STRING, "billing",
      "score", G_TYPE_STRING, "0.9", NULL);
  g_signal_emit_by_name (b.sink, "disconnect", "completed", "bot done", vars,
      &ok);
  gst_structure_free (vars);
  g_assert_true (ok);
  while (!f) {
    AhPeerFrame *n = ah_peer_next (b.peer, WAIT);
    g_assert_nonnull (n);
    if (n->binary) {
      account_binary (&b, n);
      ah_peer_frame_free (n);
    } else if (g_strcmp0 (ah_peer_type (n), "disconnect") == 0) {
      f = n;
    } else {
      ah_peer_frame_free (n);
    }
  }
  assert_audio (&b, 0, RATE);
  /* not before the client played the last of it */
  g_print ("# disconnect %" G_GINT64_FORMAT " ms after the playout end\n",
      (f->received_us - b.play_end_us) / 1000);
  g_assert_cmpint (f->received_us, >=, b.play_end_us - 20000);
  params = json_object_get_object_member (f->json, "parameters");
  g_assert_cmpstr (json_object_get_string_member (params, "reason"), ==,
      "completed");
  g_assert_cmpstr (json_object_get_string_member (params, "info"), ==,
      "bot done");
  out = json_object_get_object_member (params, "outputVariables");
  g_assert_cmpstr (json_object_get_string_member (out, "intent"), ==,
      "billing");
  g_assert_cmpstr (json_object_get_string_member (out, "score"), ==, "0.9");
  ah_peer_frame_free (f);
  ah_peer_send (b.peer, "close", "PT1S", "{\"reason\":\"disconnect\"}");
  f = ah_peer_expect (b.peer, "closed", WAIT);
  g_assert_nonnull (f);
  ah_peer_frame_free (f);
  while ((ev = gst_harness_pull_event (b.src_h))
      && GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
    gst_event_unref (ev);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  bot_stop (&b);
}

/* DTMF: on the bus, and downstream in stream order with the running time
 * of its position. */
static void
test_dtmf (void)
{
  static const gchar *digits[] = { "5", "#" };
  static const gchar *positions[] = { "PT0.6S", "PT0.9S" };
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  guint i, seen = 0, buffers = 0;
  guint8 frame[1600];
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  memset (frame, 0xff, sizeof (frame));
  for (i = 0; i < 5; i++) {
    ah_peer_send_binary (b.peer, frame, sizeof (frame));
    if (i == 3) {
      ah_peer_send (b.peer, "dtmf", positions[0], "{\"digit\":\"5\"}");
      ah_peer_send (b.peer, "dtmf", positions[1], "{\"digit\":\"#\"}");
    }
  }
  while (seen < 2 || buffers < 5) {
    GstEvent *ev;
    GstBuffer *buf;
    while ((ev = gst_harness_try_pull_event (b.src_h))) {
      const GstStructure *s = gst_event_get_structure (ev);
      if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM
          && gst_structure_has_name (s, "GstGenesysDTMF")) {
        guint64 rt = 0, pos = 0;
        g_assert_cmpstr (gst_structure_get_string (s, "digit"), ==,
            digits[seen]);
        g_assert_true (gst_structure_get_uint64 (s, "running-time", &rt));
        g_assert_true (gst_structure_get_uint64 (s, "position", &pos));
        g_assert_cmpuint (pos, ==, (6 + 3 * seen) * 100 * GST_MSECOND);
        /* at its position on the timeline */
        g_assert_cmpuint (rt, ==, first_pts + pos);
        seen++;
      }
      gst_event_unref (ev);
    }
    if (buffers < 5) {
      buf = gst_harness_pull (b.src_h);
      g_assert_nonnull (buf);
      if (buffers == 0)
        first_pts = GST_BUFFER_PTS (buf);
      buffers++;
      gst_buffer_unref (buf);
    } else if (seen < 2) {
      g_usleep (10000);
    }
  }
  for (i = 0; i < 2; i++) {
    GstStructure *s = check_wait_element (b.bus, "genesys-dtmf", WAIT);
    g_assert_nonnull (s);
    g_assert_cmpstr (gst_structure_get_string (s, "digit"), ==, digits[i]);
    gst_structure_free (s);
  }
  bot_stop (&b);
}

/* Audio in another format than the session's is an error, not noise. */
static void
test_wrong_format (void)
{
  GstMessage *m;
  Bot b;

  bot_start (&b, NULL);
  gst_harness_set_src_caps_str (b.sink_h,
      "audio/x-raw, format=S16LE, rate=(int)8000, channels=(int)1, "
      "layout=interleaved");
  bot_open (&b);
  g_assert_cmpint (gst_harness_push (b.sink_h, gst_buffer_new_and_alloc (320)),
      ==, GST_FLOW_NOT_NEGOTIATED);
  m = gst_bus_timed_pop_filtered (b.bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  g_assert_nonnull (m);
  gst_message_unref (m);
  bot_stop (&b);
}

/* One session-name, one element of each kind. */
static void
test_name_taken (void)
{
  GstElement *second;
  Bot b;

  bot_start (&b, NULL);
  second = gst_element_factory_make ("genesyssink", NULL);
  g_object_set (second, "session-name", b.name, NULL);
  g_assert_cmpint (gst_element_set_state (second, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (second, GST_STATE_NULL);
  gst_object_unref (second);
  bot_stop (&b);
}

/* ---- client side: a caller against an in-process echo bot ---- */

typedef struct
{
  GstHarness *from, *to;
  volatile gint stop;
} Echo;

static gpointer
echo_thread (gpointer data)
{
  Echo *e = data;

  while (!g_atomic_int_get (&e->stop)) {
    GstBuffer *buf = gst_harness_try_pull (e->from);
    if (!buf) {
      g_usleep (5000);
      continue;
    }
    if (gst_harness_push (e->to, buf) != GST_FLOW_OK)
      break;
  }
  return NULL;
}

static GstHarness *
harness_for (GstElement * e, GstBus * bus, gboolean src)
{
  GstHarness *h;

  gst_element_set_bus (e, bus);
  h = src ? gst_harness_new_with_element (e, NULL, "src") :
      gst_harness_new_with_element (e, "sink", NULL);
  gst_harness_use_systemclock (h);
  if (!src)
    gst_harness_set_src_caps_str (h,
        "audio/x-mulaw, rate=(int)8000, channels=(int)1");
  gst_harness_play (h);
  return h;
}

static GstStructure *
pop_element_message (GstBus * bus, const gchar * name, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (g_get_monotonic_time () < end) {
    GstMessage *m = gst_bus_timed_pop (bus, 50 * GST_MSECOND);
    if (!m)
      continue;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *err;
      gchar *dbg;
      gst_message_parse_error (m, &err, &dbg);
      g_error ("error on the bus: %s (%s)", err->message, dbg);
    }
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (gst_message_get_structure (m), name)) {
      GstStructure *s = gst_structure_copy (gst_message_get_structure (m));
      gst_message_unref (m);
      return s;
    }
    gst_message_unref (m);
  }
  return NULL;
}

static gsize
pull_audio (GstHarness * h, GByteArray * heard)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h))) {
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
      GstMapInfo map;
      gst_buffer_map (buf, &map, GST_MAP_READ);
      g_byte_array_append (heard, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    gst_buffer_unref (buf);
  }
  return heard->len;
}

/* The sink opens the session toward a bot server; the src plays what the
 * bot sends back. The bot here echoes the caller, so what the caller
 * hears is what it said, minus what a barge-in dropped. */
static void
test_client_side (void)
{
  GstElement *bot_src, *bot_sink, *caller_sink, *caller_src;
  GstHarness *bot_src_h, *bot_sink_h, *caller_sink_h, *caller_src_h;
  GstBus *bot_bus = gst_bus_new (), *caller_bus = gst_bus_new ();
  GByteArray *heard = g_byte_array_new ();
  gchar *bot_name, *caller_name, *uri;
  GstStructure *s;
  GThread *echo_th;
  Echo echo = { 0 };
  gboolean ok = FALSE;
  guint64 flushed = 0, dropped = 0;
  guint port = 0, i;
  gint64 end;
  gint n = g_atomic_int_add (&bot_counter, 1);

  bot_name = g_strdup_printf ("echo-%d", n);
  caller_name = g_strdup_printf ("caller-%d", n);
  bot_src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (bot_src, "port", 0, "address", "127.0.0.1", "session-name",
      bot_name, NULL);
  bot_src_h = harness_for (bot_src, bot_bus, TRUE);
  g_object_get (bot_src, "current-port", &port, NULL);
  bot_sink = gst_element_factory_make ("genesyssink", NULL);
  g_object_set (bot_sink, "session-name", bot_name, NULL);
  bot_sink_h = harness_for (bot_sink, bot_bus, FALSE);
  echo.from = bot_src_h;
  echo.to = bot_sink_h;
  echo_th = g_thread_new ("echo", echo_thread, &echo);

  /* the caller's sink connects once its src is there */
  uri = g_strdup_printf ("ws://127.0.0.1:%u" PATH, port);
  caller_sink = gst_element_factory_make ("genesyssink", NULL);
  g_object_set (caller_sink, "uri", uri, "session-name", caller_name,
      "wait-for-connection", TRUE, NULL);
  caller_sink_h = harness_for (caller_sink, caller_bus, FALSE);
  g_assert_null (pop_element_message (caller_bus, "genesys-connecting", 300));
  caller_src = gst_element_factory_make ("genesyssrc", NULL);
  g_object_set (caller_src, "mode", 1, "session-name", caller_name, NULL);
  caller_src_h = harness_for (caller_src, caller_bus, TRUE);
  s = pop_element_message (caller_bus, "genesys-opened", WAIT);
  g_assert_nonnull (s);
  gst_structure_free (s);

  /* 4 s of caller audio, in real time */
  for (i = 0; i < 20; i++) {
    GstBuffer *buf = gst_buffer_new_wrapped (g_bytes_unref_to_data
        (make_prompt (i * 1600, 1600), &(gsize) {
              0
            }
        ), 1600);
    GST_BUFFER_PTS (buf) = i * 200 * GST_MSECOND;
    GST_BUFFER_DURATION (buf) = 200 * GST_MSECOND;
    g_assert_cmpint (gst_harness_push (caller_sink_h, buf), ==, GST_FLOW_OK);
    if (i == 2) {
      /* the caller presses a key; the bot hears it */
      g_signal_emit_by_name (caller_sink, "send-dtmf", "7", &ok);
      g_assert_true (ok);
    }
  }
  s = pop_element_message (bot_bus, "genesys-dtmf", WAIT);
  g_assert_nonnull (s);
  g_assert_cmpstr (gst_structure_get_string (s, "digit"), ==, "7");
  gst_structure_free (s);
  /* the caller's client plays the bot audio and says so */
  s = pop_element_message (bot_bus, "genesys-playback-started", WAIT);
  g_assert_nonnull (s);
  gst_structure_free (s);

  /* the bot barges in: the caller's side drops what it did not play */
  g_usleep (G_USEC_PER_SEC);
  pull_audio (caller_src_h, heard);
  g_signal_emit_by_name (bot_sink, "barge-in", &flushed);
  s = pop_element_message (caller_bus, "genesys-barge-in", WAIT);
  g_assert_nonnull (s);
  g_assert_true (gst_structure_get_uint64 (s, "flushed", &dropped));
  gst_structure_free (s);

  s = pop_element_message (bot_bus, "genesys-playback-completed", 8000);
  g_assert_nonnull (s);
  gst_structure_free (s);
  end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end) {
    pull_audio (caller_src_h, heard);
    g_usleep (20000);
  }
  g_print ("# client side: %u of 32000 bytes heard back; barge-in dropped %"
      G_GUINT64_FORMAT " ms at the bot, %" G_GUINT64_FORMAT " ms at the "
      "caller\n", heard->len, flushed / GST_MSECOND, dropped / GST_MSECOND);
  /* all of it, less what the barge-in took at either end */
  g_assert_cmpuint (heard->len + (flushed + dropped) * RATE / GST_SECOND, <=,
      32000 + 1600);
  g_assert_cmpuint (heard->len + (flushed + dropped) * RATE / GST_SECOND, >=,
      32000 - 3 * 1600);
  g_assert_cmpuint (heard->len, >, 1600);
  /* what the caller heard is what it said, in order, from the start */
  for (i = 0; i < 1600; i++)
    g_assert_cmpuint (heard->data[i], ==, pattern (i));

  g_atomic_int_set (&echo.stop, 1);
  gst_harness_teardown (caller_sink_h);
  gst_harness_teardown (caller_src_h);
  gst_harness_teardown (bot_sink_h);
  g_thread_join (echo_th);
  gst_harness_teardown (bot_src_h);
  gst_element_set_bus (bot_src, NULL);
  gst_element_set_bus (bot_sink, NULL);
  gst_element_set_bus (caller_src, NULL);
  gst_element_set_bus (caller_sink, NULL);
  gst_object_unref (bot_src);
  gst_object_unref (bot_sink);
  gst_object_unref (caller_src);
  gst_object_unref (caller_sink);
  gst_object_unref (bot_bus);
  gst_object_unref (caller_bus);
  g_byte_array_unref (heard);
  g_free (uri);
  g_free (bot_name);
  g_free (caller_name);
}

/* Waits for genesyssrc's element message @name on the bus: what came with it
 * was handled. */
static void
wait_element_message (Bot * b, const gchar * name)
{
  gint64 end = g_get_monotonic_time () + WAIT * 1000;

  while (g_get_monotonic_time () < end) {
    GstMessage *m = gst_bus_timed_pop_filtered (b->bus, 50 * GST_MSECOND,
        GST_MESSAGE_ELEMENT);
    gboolean found;

    if (!m)
      continue;
    found = GST_MESSAGE_SRC (m) == GST_OBJECT (b->src)
        && gst_message_has_name (m, name);
    gst_message_unref (m);
    if (found)
      return;
  }
  g_error ("no %s message", name);
}

/* The caller's side of the session keeps its timeline to the sample while
 * bot audio flows the other way: audio, a discarded span as a GAP of
 * exactly its length, audio again. The caller is a perfect clock: each frame
 * arrives when the stepped test clock says its last sample was spoken, so
 * that what is measured is the element, not the load of the machine. */
static void
test_caller_timeline (void)
{
  GstClockTime pts[20];
  GstTestClock *clock;
  GstEvent *ev;
  guint8 frame[1600];
  guint i, gaps = 0;
  Bot b;

  bot_start_clocked (&b, NULL, TRUE);
  clock = gst_harness_get_testclock (b.src_h);
  bot_open (&b);
  bot_feed (&b, 0, 5 * RATE);
  memset (frame, 0xff, sizeof (frame));
  for (i = 0; i < 20; i++) {
    GstClockTime due = (i + 1) * 200 * GST_MSECOND +
        (i >= 10 ? 400 * GST_MSECOND : 0);
    GstBuffer *buf;

    if (i == 10) {
      /* 400 ms the client could not send, reported once it can */
      gst_test_clock_set_time (clock, due - 200 * GST_MSECOND);
      ah_peer_send (b.peer, "discarded", "PT2.4S",
          "{\"start\":\"PT2S\",\"discarded\":\"PT0.4S\"}");
      wait_element_message (&b, "genesys-discarded");
    }
    gst_test_clock_set_time (clock, due);
    ah_peer_send_binary (b.peer, frame, sizeof (frame));
    buf = gst_harness_pull (b.src_h);
    g_assert_nonnull (buf);
    pts[i] = GST_BUFFER_PTS (buf);
    g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 200 * GST_MSECOND);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, i * 1600 +
        (i >= 10 ? 3200 : 0));
    if (i > 0)
      g_assert_cmpuint (pts[i], ==, pts[i - 1] +
          (i == 10 ? 600 : 200) * GST_MSECOND);
    gst_buffer_unref (buf);
  }
  /* the gap fills exactly the span between buffers 9 and 10 */
  while ((ev = gst_harness_try_pull_event (b.src_h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime ts, d;
      gst_event_parse_gap (ev, &ts, &d);
      g_assert_cmpuint (ts, ==, pts[9] + 200 * GST_MSECOND);
      g_assert_cmpuint (d, ==, 400 * GST_MSECOND);
      gaps++;
    }
    gst_event_unref (ev);
  }
  g_assert_cmpuint (gaps, ==, 1);
  /* and the bot audio went out meanwhile */
  receive_until (&b, 5 * RATE, WAIT);
  assert_audio (&b, 0, 5 * RATE);
  gst_object_unref (clock);
  bot_stop (&b);
}

/* The caller hangs up during a prompt: the bot's stream ends (EOS to the
 * prompt's source), what was left is counted, nothing waits for ever. */
static void
test_hangup_mid_prompt (void)
{
  AhPeerFrame *f;
  gint64 end;
  Bot b;

  bot_start (&b, NULL);
  bot_open (&b);
  bot_feed (&b, 0, 12 * RATE);
  receive_until (&b, RATE, WAIT);
  ah_peer_send (b.peer, "close", "PT1S", "{\"reason\":\"end\"}");
  f = ah_peer_expect (b.peer, "closed", WAIT);
  g_assert_nonnull (f);
  ah_peer_frame_free (f);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&b.feed_result) == GST_FLOW_OK
      && g_get_monotonic_time () < end)
    g_usleep (10000);
  g_assert_cmpint (g_atomic_int_get (&b.feed_result), ==, GST_FLOW_EOS);
  g_assert_cmpuint (sink_stat (&b, "dropped-duration"), >, 0);
  bot_stop (&b);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bot/dtmf", test_dtmf);
  g_test_add_func ("/bot/wrong-format", test_wrong_format);
  g_test_add_func ("/bot/name-taken", test_name_taken);
  g_test_add_func ("/bot/disconnect", test_disconnect);
  g_test_add_func ("/bot/barge-in", test_barge_in);
  g_test_add_func ("/bot/rate-limited", test_rate_limited);
  g_test_add_func ("/bot/client-side", test_client_side);
  g_test_add_func ("/bot/caller-timeline", test_caller_timeline);
  g_test_add_func ("/bot/hangup-mid-prompt", test_hangup_mid_prompt);
  g_test_add_func ("/bot/prompts", test_prompts);
  return g_test_run ();
}
