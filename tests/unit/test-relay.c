/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The hop of a relayed session: envelopes renumbered per hop session, the
 * client leg's stream as client messages, what the owner's messages mean,
 * and what a new hop session sends again. */

#include <string.h>
#include <json-glib/json-glib.h>
#include "ah-relay.h"

#define CLIENT_ID "6f0e7f5c-2d1b-4c59-9b0a-1f7c3c0d0001"
#define PREV_ID "6f0e7f5c-2d1b-4c59-9b0a-1f7c3c0d0000"
#define HOP2_ID "6f0e7f5c-2d1b-4c59-9b0a-1f7c3c0d0002"

#define OPEN_TEXT \
  "{\"version\":\"2\",\"id\":\"" CLIENT_ID "\",\"type\":\"open\",\"seq\":1," \
  "\"serverseq\":0,\"position\":\"PT2S\",\"parameters\":{" \
  "\"organizationId\":\"d7934305-0972-4844-938e-9060eef73d05\"," \
  "\"conversationId\":\"090eaa2f-72fa-480a-83e0-8667ff89c0ec\"," \
  "\"participant\":{\"id\":\"883efee8-3d6c-4537-b500-6d7ca4b92fa0\"," \
  "\"ani\":\"+1-555-555-1234\",\"aniName\":\"John\",\"dnis\":\"+1-800-555-6789\"}," \
  "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],\"rate\":8000}," \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}]," \
  "\"continuedSessions\":[{\"id\":\"" PREV_ID "\",\"serverseq\":3,\"clientseq\":7}]," \
  "\"customConfig\":{\"k\":\"v\"}}}"

static AhRelay *
new_relay (guint64 max_kept)
{
  AhMessage *open = ah_message_parse (OPEN_TEXT, -1, AH_ROLE_CLIENT, 0, NULL);
  AhRelay *relay;

  g_assert_nonnull (open);
  relay = ah_relay_new (open, CLIENT_ID, max_kept);
  ah_message_unref (open);
  return relay;
}

static JsonObject *
parse (const gchar * text)
{
  JsonNode *node = json_from_string (text, NULL);
  JsonObject *obj;

  g_assert_nonnull (node);
  obj = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  return obj;
}

/* @text is a client message of @type, @seq, @serverseq at @position. */
static void
assert_envelope (const gchar * text, const gchar * id, const gchar * type,
    gint64 seq, gint64 serverseq, const gchar * position)
{
  JsonObject *obj = parse (text);

  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==, type);
  g_assert_cmpint (json_object_get_int_member (obj, "seq"), ==, seq);
  g_assert_cmpint (json_object_get_int_member (obj, "serverseq"), ==,
      serverseq);
  g_assert_cmpstr (json_object_get_string_member (obj, "position"), ==,
      position);
  /* and the owner's server reads it as a client message */
  {
    AhMessage *msg = ah_message_parse (text, -1, AH_ROLE_CLIENT, 0, NULL);
    g_assert_nonnull (msg);
    g_assert_cmpstr (msg->type_name ? msg->type_name :
        ah_message_type_name (msg->type), ==, type);
    ah_message_unref (msg);
  }
  json_object_unref (obj);
}

static gchar *
server_text (const gchar * id, const gchar * type, gint64 seq,
    gint64 clientseq, const gchar * params)
{
  return g_strdup_printf ("{\"version\":\"2\",\"id\":\"%s\",\"type\":\"%s\","
      "\"seq\":%" G_GINT64_FORMAT ",\"clientseq\":%" G_GINT64_FORMAT
      ",\"parameters\":%s}", id, type, seq, clientseq, params);
}

static AhRelayVerdict
receive (AhRelay * relay, const gchar * id, const gchar * type, gint64 seq,
    gint64 clientseq, const gchar * params)
{
  gchar *text = server_text (id, type, seq, clientseq, params);
  AhMessage *msg = NULL;
  GError *error = NULL;
  AhRelayVerdict verdict = ah_relay_receive (relay, text, -1, &msg, &error);

  if (verdict == AH_RELAY_INVALID) {
    g_assert_nonnull (error);
    g_assert_null (msg);
    g_error_free (error);
  } else {
    g_assert_no_error (error);
    g_assert_nonnull (msg);
    ah_message_unref (msg);
  }
  g_free (text);
  return verdict;
}

static void
test_first_open (void)
{
  AhRelay *relay = new_relay (0);
  gchar *text = ah_relay_open (relay, NULL);
  AhMessage *open = ah_message_parse (text, -1, AH_ROLE_CLIENT, 0, NULL);
  AhContinuedSession *cs;

  g_assert_nonnull (open);
  g_assert_cmpstr (open->id, ==, CLIENT_ID);
  g_assert_cmpint (open->seq, ==, 1);
  g_assert_cmpint (open->serverseq, ==, 0);
  g_assert_cmpuint (open->position, ==, 2 * G_TIME_SPAN_SECOND * 1000);
  g_assert_cmpuint (open->continued_sessions->len, ==, 1);
  cs = &g_array_index (open->continued_sessions, AhContinuedSession, 0);
  g_assert_cmpstr (cs->id, ==, PREV_ID);
  g_assert_cmpint (cs->serverseq, ==, 3);
  g_assert_cmpint (cs->clientseq, ==, 7);
  g_assert_cmpuint (open->media->len, ==, 2);
  g_assert_cmpstr (open->participant.ani_name, ==, "John");
  g_assert_true (json_object_has_member (open->custom_config, "k"));
  g_assert_cmpuint (ah_relay_get_hops (relay), ==, 1);
  g_assert_cmpuint (ah_relay_get_position (relay), ==, 16000);
  ah_message_unref (open);
  g_free (text);
  ah_relay_free (relay);
}

typedef enum
{ OP_AUDIO, OP_PAUSED, OP_RESUMED, OP_DISCARDED, OP_DTMF, OP_CLOSE,
  OP_PING
} Op;

typedef struct
{
  Op op;
  guint64 a, b;                 /* samples; span start and length */
  const gchar *type;            /* the text sent; NULL: binary */
  gint64 seq;
  const gchar *position;
} StreamCase;

/* The client leg from position 2 s (16000 samples); the owner's opened
 * was seq 1, so serverseq is 1 throughout. */
static const StreamCase stream_cases[] = {
  {OP_AUDIO, 1600, 0, NULL},
  {OP_PING, 0, 0, "ping", 2, "PT2.2S"},
  {OP_AUDIO, 1600, 0, NULL},
  {OP_PAUSED, 0, 0, "paused", 3, "PT2.4S"},
  {OP_RESUMED, 19200, 8000, "resumed", 4, "PT3.4S"},
  {OP_AUDIO, 800, 0, NULL},
  {OP_DISCARDED, 28000, 4000, "discarded", 5, "PT4S"},
  {OP_DTMF, 0, 0, "dtmf", 6, "PT4S"},
  {OP_RESUMED, 32000, 0, "resumed", 7, "PT4S"},
  {OP_CLOSE, 0, 0, "close", 8, "PT4S"},
};

static void
run_op (AhRelay * relay, const StreamCase * c, gboolean live,
    AhRelayFrame * out)
{
  AhMessage *msg;
  GBytes *data;

  memset (out, 0, sizeof (*out));
  switch (c->op) {
    case OP_AUDIO:
      data = g_bytes_new_take (g_malloc0 (c->a * 2), c->a * 2);
      ah_relay_audio (relay, data, c->a, live, out);
      g_bytes_unref (data);
      break;
    case OP_PAUSED:
      ah_relay_paused (relay, live, out);
      break;
    case OP_RESUMED:
    case OP_DISCARDED:
      ah_relay_span (relay, c->op == OP_RESUMED, c->a, c->b, live, out);
      break;
    case OP_DTMF:
      msg = ah_message_parse ("{\"version\":\"2\",\"id\":\"" CLIENT_ID "\","
          "\"type\":\"dtmf\",\"seq\":9,\"serverseq\":4,\"position\":\"PT4S\","
          "\"parameters\":{\"digit\":\"5\"}}", -1, AH_ROLE_CLIENT, 0, NULL);
      g_assert_nonnull (msg);
      ah_relay_message (relay, msg, live, out);
      ah_message_unref (msg);
      break;
    case OP_CLOSE:
      ah_relay_close (relay, "end", live, out);
      break;
    case OP_PING:
      out->text = ah_relay_ping (relay, 0);
      break;
  }
}

static void
test_stream (void)
{
  AhRelay *relay = new_relay (0);
  guint i;

  g_free (ah_relay_open (relay, NULL));
  g_assert_cmpint (receive (relay, CLIENT_ID, "opened", 1, 1,
          "{\"media\":[]}"), ==, AH_RELAY_OPENED);
  for (i = 0; i < G_N_ELEMENTS (stream_cases); i++) {
    const StreamCase *c = &stream_cases[i];
    AhRelayFrame out;

    g_test_message ("case %u", i);
    run_op (relay, c, TRUE, &out);
    if (c->type) {
      g_assert_null (out.data);
      assert_envelope (out.text, CLIENT_ID, c->type, c->seq, 1, c->position);
    } else {
      g_assert_null (out.text);
      g_assert_cmpuint (g_bytes_get_size (out.data), ==, c->a * 2);
    }
    ah_relay_frame_clear (&out);
  }
  /* the dtmf keeps its parameters */
  g_assert_cmpuint (ah_relay_get_position (relay), ==, 32000);
  ah_relay_free (relay);
}

typedef struct
{
  const gchar *id;
  const gchar *type;
  gint64 seq, clientseq;
  const gchar *params;
  AhRelayVerdict verdict;
} ReceiveCase;

/* In order, on one hop session whose client side sent seq 1 (open), 2
 * (ping) and 3 (close). */
static const ReceiveCase receive_cases[] = {
  {CLIENT_ID, "opened", 2, 1, "{\"media\":[]}", AH_RELAY_INVALID},      /* seq gap */
  {HOP2_ID, "opened", 1, 1, "{\"media\":[]}", AH_RELAY_INVALID},        /* other id */
  {CLIENT_ID, "opened", 1, 4, "{\"media\":[]}", AH_RELAY_INVALID},      /* clientseq ahead */
  {CLIENT_ID, "opened", 1, 1, "{\"media\":[]}", AH_RELAY_OPENED},
  {CLIENT_ID, "pong", 2, 2, "{}", AH_RELAY_PONG},
  {CLIENT_ID, "pause", 3, 2, "{}", AH_RELAY_FORWARD},
  {CLIENT_ID, "resume", 4, 2, "{}", AH_RELAY_FORWARD},
  {CLIENT_ID, "event", 5, 2,
        "{\"entities\":[{\"type\":\"transcript\",\"data\":{}}]}",
      AH_RELAY_FORWARD},
  {CLIENT_ID, "reconnect", 6, 2, "{\"info\":\"draining\"}", AH_RELAY_FORWARD},
  {CLIENT_ID, "disconnect", 7, 2, "{\"reason\":\"completed\"}",
      AH_RELAY_FORWARD},
  {CLIENT_ID, "updated", 8, 2, "{}", AH_RELAY_IGNORE},
  {CLIENT_ID, "whatever", 9, 2, "{}", AH_RELAY_IGNORE},
  {CLIENT_ID, "event", 9, 2, "{\"entities\":[]}", AH_RELAY_INVALID},    /* repeat */
  {CLIENT_ID, "closed", 10, 3, "{}", AH_RELAY_CLOSED},
};

static void
test_receive (void)
{
  AhRelay *relay = new_relay (0);
  AhRelayFrame out;
  guint i;

  g_free (ah_relay_open (relay, NULL));
  g_free (ah_relay_ping (relay, 0));
  ah_relay_close (relay, "end", TRUE, &out);
  ah_relay_frame_clear (&out);
  for (i = 0; i < G_N_ELEMENTS (receive_cases); i++) {
    const ReceiveCase *c = &receive_cases[i];
    g_test_message ("case %u: %s seq %" G_GINT64_FORMAT, i, c->type, c->seq);
    g_assert_cmpint (receive (relay, c->id, c->type, c->seq, c->clientseq,
            c->params), ==, c->verdict);
  }
  ah_relay_free (relay);
}

/* The hop drops: the next hop session opens where the owner confirmed
 * and sends the rest again, numbered anew. */
static void
test_reconnect (void)
{
  AhRelay *relay = new_relay (0);
  AhRelayFrame out;
  AhMessage *open;
  AhContinuedSession *cs;
  GPtrArray *replay;
  GBytes *data = g_bytes_new_take (g_malloc0 (3200), 3200);
  gchar *text;

  g_free (ah_relay_open (relay, NULL));
  g_assert_cmpint (receive (relay, CLIENT_ID, "opened", 1, 1,
          "{\"media\":[]}"), ==, AH_RELAY_OPENED);
  ah_relay_audio (relay, data, 1600, TRUE, &out);       /* 16000..17600 */
  ah_relay_frame_clear (&out);
  g_free (ah_relay_ping (relay, 0));    /* seq 2 at 17600 */
  ah_relay_audio (relay, data, 1600, TRUE, &out);       /* 17600..19200 */
  ah_relay_frame_clear (&out);
  g_free (ah_relay_ping (relay, 0));    /* seq 3 at 19200, never answered */
  ah_relay_paused (relay, TRUE, &out);  /* seq 4 */
  ah_relay_frame_clear (&out);
  g_assert_cmpuint (ah_relay_get_kept (relay), ==, 3200);
  /* a pong of no ping of ours changes nothing */
  g_assert_cmpint (receive (relay, CLIENT_ID, "pong", 2, 1, "{}"), ==,
      AH_RELAY_PONG);
  g_assert_cmpuint (ah_relay_get_confirmed (relay), ==, 16000);
  g_assert_cmpint (receive (relay, CLIENT_ID, "pong", 3, 2, "{}"), ==,
      AH_RELAY_PONG);
  g_assert_cmpuint (ah_relay_get_confirmed (relay), ==, 17600);
  g_assert_cmpuint (ah_relay_get_kept (relay), ==, 1600);
  /* the audio of the outage is kept too */
  ah_relay_audio (relay, data, 1600, FALSE, &out);      /* 19200..20800 */
  g_assert_null (out.data);
  g_assert_null (out.text);

  text = ah_relay_open (relay, HOP2_ID);
  open = ah_message_parse (text, -1, AH_ROLE_CLIENT, 0, NULL);
  g_assert_nonnull (open);
  g_assert_cmpstr (open->id, ==, HOP2_ID);
  g_assert_cmpint (open->seq, ==, 1);
  g_assert_cmpuint (open->position, ==, 2200000000u);   /* 17600 samples */
  g_assert_cmpuint (open->continued_sessions->len, ==, 1);
  cs = &g_array_index (open->continued_sessions, AhContinuedSession, 0);
  g_assert_cmpstr (cs->id, ==, CLIENT_ID);
  g_assert_cmpint (cs->serverseq, ==, 3);
  g_assert_cmpint (cs->clientseq, ==, 4);
  ah_message_unref (open);
  g_free (text);
  g_assert_cmpint (receive (relay, CLIENT_ID, "opened", 1, 1,
          "{\"media\":[]}"), ==, AH_RELAY_INVALID);
  g_assert_cmpint (receive (relay, HOP2_ID, "opened", 1, 1,
          "{\"media\":[]}"), ==, AH_RELAY_OPENED);

  /* audio 17600..19200, paused, audio 19200..20800, and the pause that
   * goes on (a repeated paused) */
  replay = ah_relay_replay (relay);
  g_assert_cmpuint (replay->len, ==, 4);
  g_assert_cmpuint (g_bytes_get_size (((AhRelayFrame *) replay->pdata[0])->
          data), ==, 3200);
  assert_envelope (((AhRelayFrame *) replay->pdata[1])->text, HOP2_ID, "paused",
      2, 1, "PT2.4S");
  g_assert_nonnull (((AhRelayFrame *) replay->pdata[2])->data);
  assert_envelope (((AhRelayFrame *) replay->pdata[3])->text, HOP2_ID,
      "paused", 3, 1, "PT2.6S");
  g_ptr_array_set_free_func (replay, g_free);
  {
    guint i;
    for (i = 0; i < replay->len; i++)
      ah_relay_frame_clear (replay->pdata[i]);
  }
  g_ptr_array_unref (replay);
  g_assert_cmpuint (ah_relay_get_hops (relay), ==, 2);
  g_bytes_unref (data);
  ah_relay_free (relay);
}

/* Beyond max_kept the oldest audio goes: the next hop opens after it. */
static void
test_max_kept (void)
{
  AhRelay *relay = new_relay (3200);
  GBytes *data = g_bytes_new_take (g_malloc0 (1600), 1600);
  AhRelayFrame out;
  gchar *text;
  AhMessage *open;
  guint i;

  g_free (ah_relay_open (relay, NULL));
  for (i = 0; i < 3; i++) {
    ah_relay_audio (relay, data, 1600, FALSE, &out);
    ah_relay_frame_clear (&out);
  }
  g_assert_cmpuint (ah_relay_get_kept (relay), ==, 3200);
  g_assert_cmpuint (ah_relay_get_confirmed (relay), ==, 17600);
  text = ah_relay_open (relay, HOP2_ID);
  open = ah_message_parse (text, -1, AH_ROLE_CLIENT, 0, NULL);
  g_assert_cmpuint (open->position, ==, 2200000000u);
  ah_message_unref (open);
  g_free (text);
  g_bytes_unref (data);
  ah_relay_free (relay);
}

typedef struct
{
  const gchar *media;
  gint index;
} OfferCase;

static const OfferCase offer_cases[] = {
  {"[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],\"rate\":8000}]", 0},
  {"[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}]", 1},
  {"[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"internal\"],\"rate\":8000}]", -1},
  {"[]", -1},
};

static void
test_chosen_offer (void)
{
  AhRelay *relay = new_relay (0);
  guint i;

  g_free (ah_relay_open (relay, NULL));
  for (i = 0; i < G_N_ELEMENTS (offer_cases); i++) {
    gchar *params = g_strdup_printf ("{\"media\":%s}", offer_cases[i].media);
    gchar *text = server_text (CLIENT_ID, "opened", 1, 1, params);
    AhMessage *msg = ah_message_parse (text, -1, AH_ROLE_SERVER, 0, NULL);
    g_assert_nonnull (msg);
    g_assert_cmpint (ah_relay_chosen_offer (relay, msg), ==,
        offer_cases[i].index);
    ah_message_unref (msg);
    g_free (text);
    g_free (params);
  }
  ah_relay_free (relay);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/first-open", test_first_open);
  g_test_add_func ("/relay/stream", test_stream);
  g_test_add_func ("/relay/receive", test_receive);
  g_test_add_func ("/relay/reconnect", test_reconnect);
  g_test_add_func ("/relay/max-kept", test_max_kept);
  g_test_add_func ("/relay/chosen-offer", test_chosen_offer);
  return g_test_run ();
}
