/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Unit tests for ah-message: golden JSON for every message type in both
 * directions, reference-shaped samples, tolerant input, malformed input,
 * probes and UUIDs. GLib criticals and warnings are fatal here. */

#include "ah-message.h"
#include "ah-duration.h"

#include <string.h>

#define SID "e160e428-53e2-487c-977d-96989bf5c99d"
#define OLD_SID "a2d0b4a0-1b1e-4c3e-9f38-2c1b6a9f0e11"
#define ORG "d7934305-0972-4844-938e-9060eef73d05"
#define CONV "090eaa2f-72fa-480a-83e0-8667ff89c0ec"
#define PID "883efee8-3d6c-4537-b500-6d7ca4b92fa0"

#define MS (G_GUINT64_CONSTANT (1000000))
#define SEC (G_GUINT64_CONSTANT (1000000000))

/* Envelope members (without "type" and "parameters") per sender. */
#define ENV_C "\"version\":\"2\",\"id\":\"" SID "\",\"seq\":1," \
  "\"serverseq\":0,\"position\":\"PT0S\""
#define ENV_S "\"version\":\"2\",\"id\":\"" SID "\",\"seq\":1,\"clientseq\":1"
/* Whole messages, members in the order the writer uses. */
#define C_MSG(type, params) "{\"version\":\"2\",\"id\":\"" SID "\"," \
  "\"type\":\"" type "\",\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\"," \
  "\"parameters\":" params "}"
#define S_MSG(type, params) "{\"version\":\"2\",\"id\":\"" SID "\"," \
  "\"type\":\"" type "\",\"seq\":1,\"clientseq\":1," \
  "\"parameters\":" params "}"

/* Pieces of a valid open. */
#define ORG_M "\"organizationId\":\"" ORG "\""
#define CONV_M "\"conversationId\":\"" CONV "\""
#define PART_M "\"participant\":{\"id\":\"" PID "\",\"ani\":\"+15555551234\"," \
  "\"aniName\":\"John Doe\",\"dnis\":\"+18005556789\"}"
#define MEDIA_1 "{\"type\":\"audio\",\"format\":\"PCMU\"," \
  "\"channels\":[\"external\"],\"rate\":8000}"
#define MEDIA_M "\"media\":[" MEDIA_1 "]"
#define OPEN_P(extra) "{" ORG_M "," CONV_M "," PART_M "," MEDIA_M extra "}"
#define PART_WITH(members) "\"participant\":{" members "}"
#define PART_ID "\"id\":\"" PID "\""
#define PART_ANI "\"ani\":\"\""
#define PART_ANINAME "\"aniName\":\"\""
#define PART_DNIS "\"dnis\":\"\""

static const AhMedia media_stereo = { AH_FORMAT_PCMU, 8000, 2,
  {AH_CHANNEL_EXTERNAL, AH_CHANNEL_INTERNAL}
};

static const AhMedia media_external = { AH_FORMAT_PCMU, 8000, 1,
  {AH_CHANNEL_EXTERNAL, AH_CHANNEL_UNKNOWN}
};

static const AhMedia media_internal = { AH_FORMAT_PCMU, 8000, 1,
  {AH_CHANNEL_INTERNAL, AH_CHANNEL_UNKNOWN}
};

/* ------------------------------------------------------------------------ */
/* Helpers */

static AhMessage *
parse_ok (const gchar * json, AhRole role)
{
  GError *error = NULL;
  AhMessage *msg = ah_message_parse (json, -1, role, 0, &error);

  if (error != NULL)
    g_test_message ("unexpected error %s on %s", error->message, json);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  return msg;
}

static void
assert_json_objects_equal (JsonObject * a, JsonObject * b)
{
  if (a == NULL || b == NULL) {
    g_assert_true (a == b);
    return;
  }
  g_assert_true (json_object_equal (a, b));
}

static void
assert_messages_equal (const AhMessage * a, const AhMessage * b, AhRole role)
{
  guint i;

  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (a->type_name, ==, b->type_name);
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpint (a->seq, ==, b->seq);
  if (role == AH_ROLE_CLIENT) {
    g_assert_cmpint (a->serverseq, ==, b->serverseq);
    g_assert_cmpuint (a->position, ==, b->position);
  } else {
    g_assert_cmpint (a->clientseq, ==, b->clientseq);
  }

  g_assert_cmpstr (a->organization_id, ==, b->organization_id);
  g_assert_cmpstr (a->conversation_id, ==, b->conversation_id);
  g_assert_cmpstr (a->participant.id, ==, b->participant.id);
  g_assert_cmpstr (a->participant.ani, ==, b->participant.ani);
  g_assert_cmpstr (a->participant.ani_name, ==, b->participant.ani_name);
  g_assert_cmpstr (a->participant.dnis, ==, b->participant.dnis);
  g_assert_cmpstr (a->language, ==, b->language);
  g_assert_cmpint (a->supported_languages, ==, b->supported_languages);

  g_assert_true ((a->continued_sessions == NULL) ==
      (b->continued_sessions == NULL));
  if (a->continued_sessions) {
    g_assert_cmpuint (a->continued_sessions->len, ==,
        b->continued_sessions->len);
    for (i = 0; i < a->continued_sessions->len; i++) {
      AhContinuedSession *x = &g_array_index (a->continued_sessions,
          AhContinuedSession, i);
      AhContinuedSession *y = &g_array_index (b->continued_sessions,
          AhContinuedSession, i);

      g_assert_cmpstr (x->id, ==, y->id);
      g_assert_cmpint (x->serverseq, ==, y->serverseq);
      g_assert_cmpint (x->clientseq, ==, y->clientseq);
    }
  }
  assert_json_objects_equal (a->custom_config, b->custom_config);
  assert_json_objects_equal (a->input_variables, b->input_variables);

  /* An absent media array and an empty one write the same. */
  g_assert_cmpuint (a->media ? a->media->len : 0, ==,
      b->media ? b->media->len : 0);
  for (i = 0; a->media && i < a->media->len; i++)
    g_assert_true (ah_media_equal (&g_array_index (a->media, AhMedia, i),
            &g_array_index (b->media, AhMedia, i)));

  g_assert_cmpint (a->start_paused, ==, b->start_paused);
  g_assert_cmpint (a->has_discard_to, ==, b->has_discard_to);
  g_assert_cmpuint (a->discard_to, ==, b->discard_to);
  g_assert_true ((a->languages == NULL) == (b->languages == NULL));
  if (a->languages) {
    g_assert_cmpuint (a->languages->len, ==, b->languages->len);
    for (i = 0; i < a->languages->len; i++)
      g_assert_cmpstr (g_ptr_array_index (a->languages, i), ==,
          g_ptr_array_index (b->languages, i));
  }

  g_assert_cmpstr (a->reason, ==, b->reason);
  g_assert_cmpstr (a->info, ==, b->info);
  assert_json_objects_equal (a->output_variables, b->output_variables);
  g_assert_cmpint (a->has_rtt, ==, b->has_rtt);
  g_assert_cmpuint (a->rtt, ==, b->rtt);
  g_assert_cmpuint (a->start, ==, b->start);
  g_assert_cmpuint (a->discarded, ==, b->discarded);
  g_assert_cmpint (a->code, ==, b->code);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_cmpint (a->has_retry_after, ==, b->has_retry_after);
  g_assert_cmpuint (a->retry_after, ==, b->retry_after);
  g_assert_cmpstr (a->digit, ==, b->digit);
  g_assert_true ((a->entities == NULL) == (b->entities == NULL));
  if (a->entities)
    g_assert_true (json_array_equal (a->entities, b->entities));
}

static AhMessage *
new_msg (AhMessageType type, gint64 seq)
{
  AhMessage *msg = ah_message_new (type);

  msg->id = g_strdup (SID);
  msg->seq = seq;
  return msg;
}

static JsonObject *
object_from_json (const gchar * json)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *obj;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  obj = json_node_dup_object (json_parser_get_root (parser));
  g_object_unref (parser);
  return obj;
}

static JsonArray *
array_from_json (const gchar * json)
{
  JsonParser *parser = json_parser_new ();
  JsonArray *arr;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  arr = json_node_dup_array (json_parser_get_root (parser));
  g_object_unref (parser);
  return arr;
}

/* ------------------------------------------------------------------------ */
/* Golden messages: built, written, parsed back */

static AhMessage *
build_open_full (void)
{
  AhMessage *m = new_msg (AH_MSG_OPEN, 1);

  m->organization_id = g_strdup (ORG);
  m->conversation_id = g_strdup (CONV);
  m->participant.id = g_strdup (PID);
  m->participant.ani = g_strdup ("+1-555-555-1234");
  m->participant.ani_name = g_strdup ("John \"JD\" Doe");
  m->participant.dnis = g_strdup ("+1-800-555-6789");
  ah_message_add_media (m, &media_stereo);
  ah_message_add_media (m, &media_external);
  ah_message_add_media (m, &media_internal);
  m->language = g_strdup ("en-US");
  m->supported_languages = TRUE;
  ah_message_add_continued_session (m, OLD_SID, 12, 30);
  m->custom_config =
      object_from_json ("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}");
  m->input_variables = object_from_json ("{\"k\":\"v\",\"e\":\"\\u00e9\"}");
  return m;
}

static AhMessage *
build_open_probe (void)
{
  AhMessage *m = new_msg (AH_MSG_OPEN, 1);

  m->organization_id = g_strdup (ORG);
  m->conversation_id = g_strdup (AH_NULL_UUID);
  m->participant.id = g_strdup (AH_NULL_UUID);
  m->participant.ani = g_strdup ("");
  m->participant.ani_name = g_strdup ("");
  m->participant.dnis = g_strdup ("");
  ah_message_add_media (m, &media_external);
  return m;
}

static AhMessage *
build_close (void)
{
  AhMessage *m = new_msg (AH_MSG_CLOSE, 17);

  m->serverseq = 15;
  m->position = 63400 * MS;
  m->reason = g_strdup ("end");
  return m;
}

static AhMessage *
build_ping (void)
{
  AhMessage *m = new_msg (AH_MSG_PING, 2);

  m->serverseq = 1;
  m->position = SEC;
  return m;
}

static AhMessage *
build_ping_rtt (void)
{
  AhMessage *m = new_msg (AH_MSG_PING, 3);

  m->serverseq = 3;
  m->position = SEC;
  m->has_rtt = TRUE;
  m->rtt = 2100000;
  return m;
}

static AhMessage *
build_paused (void)
{
  AhMessage *m = new_msg (AH_MSG_PAUSED, 2);

  m->serverseq = 2;
  m->position = 5 * SEC;
  return m;
}

static AhMessage *
build_resumed (void)
{
  AhMessage *m = new_msg (AH_MSG_RESUMED, 3);

  m->serverseq = 3;
  m->position = 7800 * MS;
  m->start = 6300 * MS;
  m->discarded = 1500 * MS;
  return m;
}

static AhMessage *
build_discarded (void)
{
  AhMessage *m = new_msg (AH_MSG_DISCARDED, 2);

  m->serverseq = 1;
  m->position = 2 * SEC;
  m->start = 0;
  m->discarded = 125000;
  return m;
}

static AhMessage *
build_update (void)
{
  AhMessage *m = new_msg (AH_MSG_UPDATE, 4);

  m->serverseq = 1;
  m->position = 12345 * MS;
  m->language = g_strdup ("fr-FR");
  return m;
}

static AhMessage *
build_update_empty (void)
{
  return new_msg (AH_MSG_UPDATE, 4);
}

static AhMessage *
build_error (void)
{
  AhMessage *m = new_msg (AH_MSG_ERROR, 5);

  m->serverseq = 4;
  m->position = 20 * SEC;
  m->code = 429;
  m->message = g_strdup ("Too many requests");
  m->has_retry_after = TRUE;
  m->retry_after = 3 * SEC;
  return m;
}

static AhMessage *
build_error_plain (void)
{
  AhMessage *m = new_msg (AH_MSG_ERROR, 5);

  m->code = 408;
  m->message = g_strdup ("Timeout waiting for pong");
  return m;
}

static AhMessage *
build_dtmf (void)
{
  AhMessage *m = new_msg (AH_MSG_DTMF, 6);

  m->serverseq = 2;
  m->position = 3 * SEC;
  m->digit = g_strdup ("#");
  return m;
}

static AhMessage *
build_playback_started (void)
{
  return new_msg (AH_MSG_PLAYBACK_STARTED, 7);
}

static AhMessage *
build_playback_completed (void)
{
  return new_msg (AH_MSG_PLAYBACK_COMPLETED, 8);
}

static AhMessage *
build_client_unknown (void)
{
  AhMessage *m = new_msg (AH_MSG_UNKNOWN, 9);

  g_free (m->type_name);
  m->type_name = g_strdup ("futuristic");
  return m;
}

static AhMessage *
build_opened (void)
{
  AhMessage *m = new_msg (AH_MSG_OPENED, 1);

  m->clientseq = 1;
  ah_message_add_media (m, &media_stereo);
  return m;
}

static AhMessage *
build_opened_full (void)
{
  AhMessage *m = new_msg (AH_MSG_OPENED, 1);

  m->clientseq = 1;
  m->start_paused = TRUE;
  m->has_discard_to = TRUE;
  m->discard_to = 2500 * MS;
  m->languages = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (m->languages, g_strdup ("en-US"));
  g_ptr_array_add (m->languages, g_strdup ("de-DE"));
  return m;
}

static AhMessage *
build_closed (void)
{
  AhMessage *m = new_msg (AH_MSG_CLOSED, 16);

  m->clientseq = 17;
  return m;
}

static AhMessage *
build_pong (void)
{
  AhMessage *m = new_msg (AH_MSG_PONG, 2);

  m->clientseq = 2;
  return m;
}

static AhMessage *
build_pause (void)
{
  AhMessage *m = new_msg (AH_MSG_PAUSE, 3);

  m->clientseq = 2;
  return m;
}

static AhMessage *
build_resume (void)
{
  AhMessage *m = new_msg (AH_MSG_RESUME, 4);

  m->clientseq = 3;
  return m;
}

static AhMessage *
build_disconnect (void)
{
  AhMessage *m = new_msg (AH_MSG_DISCONNECT, 5);

  m->clientseq = 4;
  m->reason = g_strdup ("completed");
  m->info = g_strdup ("bot done");
  m->output_variables = object_from_json ("{\"intent\":\"billing\"}");
  return m;
}

static AhMessage *
build_disconnect_plain (void)
{
  AhMessage *m = new_msg (AH_MSG_DISCONNECT, 2);

  m->clientseq = 1;
  m->reason = g_strdup ("error");
  return m;
}

static AhMessage *
build_reconnect (void)
{
  AhMessage *m = new_msg (AH_MSG_RECONNECT, 6);

  m->clientseq = 5;
  m->info = g_strdup ("draining");
  return m;
}

static AhMessage *
build_reconnect_empty (void)
{
  return new_msg (AH_MSG_RECONNECT, 6);
}

static AhMessage *
build_event (void)
{
  AhMessage *m = new_msg (AH_MSG_EVENT, 3);

  m->clientseq = 2;
  m->entities = array_from_json ("[{\"type\":\"transcript\",\"data\":"
      "{\"id\":\"" OLD_SID "\",\"channelId\":0,\"isFinal\":true,"
      "\"offset\":\"PT0.5S\",\"duration\":\"PT1.25S\",\"alternatives\":"
      "[{\"confidence\":0.875,\"interpretations\":[{\"type\":\"display\","
      "\"transcript\":\"hello\\nworld\"}]}]}},"
      "{\"type\":\"barge_in\",\"data\":{}}]");
  return m;
}

static AhMessage *
build_updated (void)
{
  AhMessage *m = new_msg (AH_MSG_UPDATED, 7);

  m->clientseq = 4;
  return m;
}

static AhMessage *
build_server_unknown (void)
{
  AhMessage *m = new_msg (AH_MSG_UNKNOWN, 8);

  g_free (m->type_name);
  m->type_name = g_strdup ("audio_mark");
  return m;
}

typedef struct
{
  const gchar *name;
  AhRole role;
  AhMessage *(*build) (void);
  const gchar *json;
} GoldenCase;

#define OPEN_FULL_JSON "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"open\"," \
  "\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{" \
  "\"organizationId\":\"" ORG "\",\"conversationId\":\"" CONV "\"," \
  "\"participant\":{\"id\":\"" PID "\",\"ani\":\"+1-555-555-1234\"," \
  "\"aniName\":\"John \\\"JD\\\" Doe\",\"dnis\":\"+1-800-555-6789\"}," \
  "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\"," \
  "\"channels\":[\"external\",\"internal\"],\"rate\":8000}," \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"]," \
  "\"rate\":8000},{\"type\":\"audio\",\"format\":\"PCMU\"," \
  "\"channels\":[\"internal\"],\"rate\":8000}],\"language\":\"en-US\"," \
  "\"supportedLanguages\":true,\"continuedSessions\":[{\"id\":\"" OLD_SID \
  "\",\"serverseq\":12,\"clientseq\":30}],\"customConfig\":{\"a\":1," \
  "\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}," \
  "\"inputVariables\":{\"k\":\"v\",\"e\":\"\xc3\xa9\"}}}"

static const GoldenCase golden_cases[] = {
  {"open-full", AH_ROLE_CLIENT, build_open_full, OPEN_FULL_JSON},
  {"open-probe", AH_ROLE_CLIENT, build_open_probe,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"open\",\"seq\":1,"
        "\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{"
        "\"organizationId\":\"" ORG "\",\"conversationId\":\"" AH_NULL_UUID
        "\",\"participant\":{\"id\":\"" AH_NULL_UUID "\",\"ani\":\"\","
        "\"aniName\":\"\",\"dnis\":\"\"},\"media\":[" MEDIA_1 "]}}"},
  {"close", AH_ROLE_CLIENT, build_close,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"close\",\"seq\":17,"
        "\"serverseq\":15,\"position\":\"PT63.4S\","
        "\"parameters\":{\"reason\":\"end\"}}"},
  {"ping", AH_ROLE_CLIENT, build_ping,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"ping\",\"seq\":2,"
        "\"serverseq\":1,\"position\":\"PT1S\",\"parameters\":{}}"},
  {"ping-rtt", AH_ROLE_CLIENT, build_ping_rtt,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"ping\",\"seq\":3,"
        "\"serverseq\":3,\"position\":\"PT1S\","
        "\"parameters\":{\"rtt\":\"PT0.0021S\"}}"},
  {"paused", AH_ROLE_CLIENT, build_paused,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"paused\",\"seq\":2,"
        "\"serverseq\":2,\"position\":\"PT5S\",\"parameters\":{}}"},
  {"resumed", AH_ROLE_CLIENT, build_resumed,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"resumed\",\"seq\":3,"
        "\"serverseq\":3,\"position\":\"PT7.8S\",\"parameters\":"
        "{\"start\":\"PT6.3S\",\"discarded\":\"PT1.5S\"}}"},
  {"discarded", AH_ROLE_CLIENT, build_discarded,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"discarded\","
        "\"seq\":2,\"serverseq\":1,\"position\":\"PT2S\",\"parameters\":"
        "{\"start\":\"PT0S\",\"discarded\":\"PT0.000125S\"}}"},
  {"update", AH_ROLE_CLIENT, build_update,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"update\",\"seq\":4,"
        "\"serverseq\":1,\"position\":\"PT12.345S\","
        "\"parameters\":{\"language\":\"fr-FR\"}}"},
  {"update-empty", AH_ROLE_CLIENT, build_update_empty,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"update\",\"seq\":4,"
        "\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{}}"},
  {"error", AH_ROLE_CLIENT, build_error,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"error\",\"seq\":5,"
        "\"serverseq\":4,\"position\":\"PT20S\",\"parameters\":{\"code\":429,"
        "\"message\":\"Too many requests\",\"retryAfter\":\"PT3S\"}}"},
  {"error-plain", AH_ROLE_CLIENT, build_error_plain,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"error\",\"seq\":5,"
        "\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{\"code\":408,"
        "\"message\":\"Timeout waiting for pong\"}}"},
  {"dtmf", AH_ROLE_CLIENT, build_dtmf,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"dtmf\",\"seq\":6,"
        "\"serverseq\":2,\"position\":\"PT3S\","
        "\"parameters\":{\"digit\":\"#\"}}"},
  {"playback-started", AH_ROLE_CLIENT, build_playback_started,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"playback_started\","
        "\"seq\":7,\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{}}"},
  {"playback-completed", AH_ROLE_CLIENT, build_playback_completed,
      "{\"version\":\"2\",\"id\":\"" SID "\","
        "\"type\":\"playback_completed\",\"seq\":8,\"serverseq\":0,"
        "\"position\":\"PT0S\",\"parameters\":{}}"},
  {"client-unknown", AH_ROLE_CLIENT, build_client_unknown,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"futuristic\","
        "\"seq\":9,\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{}}"},
  {"opened", AH_ROLE_SERVER, build_opened,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"opened\",\"seq\":1,"
        "\"clientseq\":1,\"parameters\":{\"media\":[{\"type\":\"audio\","
        "\"format\":\"PCMU\",\"channels\":[\"external\",\"internal\"],"
        "\"rate\":8000}],\"startPaused\":false}}"},
  {"opened-full", AH_ROLE_SERVER, build_opened_full,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"opened\",\"seq\":1,"
        "\"clientseq\":1,\"parameters\":{\"media\":[],\"startPaused\":true,"
        "\"discardTo\":\"PT2.5S\","
        "\"supportedLanguages\":[\"en-US\",\"de-DE\"]}}"},
  {"closed", AH_ROLE_SERVER, build_closed,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"closed\",\"seq\":16,"
        "\"clientseq\":17,\"parameters\":{}}"},
  {"pong", AH_ROLE_SERVER, build_pong,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"pong\",\"seq\":2,"
        "\"clientseq\":2,\"parameters\":{}}"},
  {"pause", AH_ROLE_SERVER, build_pause,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"pause\",\"seq\":3,"
        "\"clientseq\":2,\"parameters\":{}}"},
  {"resume", AH_ROLE_SERVER, build_resume,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"resume\",\"seq\":4,"
        "\"clientseq\":3,\"parameters\":{}}"},
  {"disconnect", AH_ROLE_SERVER, build_disconnect,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"disconnect\","
        "\"seq\":5,\"clientseq\":4,\"parameters\":{\"reason\":\"completed\","
        "\"info\":\"bot done\",\"outputVariables\":{\"intent\":\"billing\"}}}"},
  {"disconnect-plain", AH_ROLE_SERVER, build_disconnect_plain,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"disconnect\","
        "\"seq\":2,\"clientseq\":1,\"parameters\":{\"reason\":\"error\"}}"},
  {"reconnect", AH_ROLE_SERVER, build_reconnect,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"reconnect\","
        "\"seq\":6,\"clientseq\":5,\"parameters\":{\"info\":\"draining\"}}"},
  {"reconnect-empty", AH_ROLE_SERVER, build_reconnect_empty,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"reconnect\","
        "\"seq\":6,\"clientseq\":0,\"parameters\":{}}"},
  {"event", AH_ROLE_SERVER, build_event,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"event\",\"seq\":3,"
        "\"clientseq\":2,\"parameters\":{\"entities\":[{\"type\":"
        "\"transcript\",\"data\":{\"id\":\"" OLD_SID "\",\"channelId\":0,"
        "\"isFinal\":true,\"offset\":\"PT0.5S\",\"duration\":\"PT1.25S\","
        "\"alternatives\":[{\"confidence\":0.875,\"interpretations\":"
        "[{\"type\":\"display\",\"transcript\":\"hello\\nworld\"}]}]}},"
        "{\"type\":\"barge_in\",\"data\":{}}]}}"},
  {"updated", AH_ROLE_SERVER, build_updated,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"updated\",\"seq\":7,"
        "\"clientseq\":4,\"parameters\":{}}"},
  {"server-unknown", AH_ROLE_SERVER, build_server_unknown,
      "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"audio_mark\","
        "\"seq\":8,\"clientseq\":0,\"parameters\":{}}"},
};

static void
test_golden (gconstpointer data)
{
  const GoldenCase *c = data;
  AhMessage *built = c->build ();
  AhMessage *parsed;
  gchar *json, *again;

  json = ah_message_to_json (built, c->role);
  g_assert_cmpstr (json, ==, c->json);

  parsed = parse_ok (c->json, c->role);
  assert_messages_equal (parsed, built, c->role);

  again = ah_message_to_json (parsed, c->role);
  g_assert_cmpstr (again, ==, c->json);

  g_free (again);
  g_free (json);
  ah_message_unref (parsed);
  ah_message_unref (built);
}

static void
test_golden_covers_every_type (void)
{
  gboolean seen[AH_MSG_N_TYPES] = { FALSE, };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (golden_cases); i++) {
    AhMessage *m = golden_cases[i].build ();

    seen[m->type] = TRUE;
    ah_message_unref (m);
  }
  for (i = 0; i < AH_MSG_N_TYPES; i++) {
    if (!seen[i])
      g_test_message ("no golden case for %s", ah_message_type_name (i));
    g_assert_true (seen[i]);
  }
}

/* ------------------------------------------------------------------------ */
/* Writer details */

static void
test_writer_null_strings (void)
{
  AhMessage *m = new_msg (AH_MSG_OPEN, 1);
  gchar *json;

  /* Required strings left NULL are written as "", media as []. */
  json = ah_message_to_json (m, AH_ROLE_CLIENT);
  g_assert_cmpstr (json, ==, "{\"version\":\"2\",\"id\":\"" SID "\","
      "\"type\":\"open\",\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\","
      "\"parameters\":{\"organizationId\":\"\",\"conversationId\":\"\","
      "\"participant\":{\"id\":\"\",\"ani\":\"\",\"aniName\":\"\","
      "\"dnis\":\"\"},\"media\":[]}}");
  g_free (json);
  ah_message_unref (m);
}

static void
test_writer_escapes (void)
{
  AhMessage *m = new_msg (AH_MSG_DISCONNECT, 2);
  gchar *json;
  AhMessage *back;

  m->reason = g_strdup ("error");
  m->info = g_strdup ("q\" b\\ \x01\x1f\t\n\r\b\f \xe2\x82\xac /");
  /* Non-string values are not part of the protocol and are dropped. */
  m->output_variables = object_from_json ("{\"a\":\"1\",\"n\":2,\"o\":{}}");
  json = ah_message_to_json (m, AH_ROLE_SERVER);
  g_assert_cmpstr (json, ==, "{\"version\":\"2\",\"id\":\"" SID "\","
      "\"type\":\"disconnect\",\"seq\":2,\"clientseq\":0,\"parameters\":"
      "{\"reason\":\"error\",\"info\":\"q\\\" b\\\\ \\u0001\\u001f\\t\\n\\r"
      "\\b\\f \xe2\x82\xac /\",\"outputVariables\":{\"a\":\"1\"}}}");
  back = parse_ok (json, AH_ROLE_SERVER);
  g_assert_cmpstr (back->info, ==, m->info);
  g_free (json);
  ah_message_unref (back);
  ah_message_unref (m);
}

static void
test_writer_numbers (void)
{
  AhMessage *m = new_msg (AH_MSG_OPEN, 1);
  gchar *json, *again;
  AhMessage *back;
  const gchar *params;

  m->custom_config = object_from_json ("{\"big\":1e21,\"whole\":2.0,"
      "\"neg0\":-0.0,\"tiny\":5e-324,\"i\":-9223372036854775808}");
  json = ah_message_to_json (m, AH_ROLE_CLIENT);
  params = strstr (json, "\"customConfig\":");
  g_assert_nonnull (params);
  g_assert_cmpstr (params, ==, "\"customConfig\":{\"big\":1e+21,"
      "\"whole\":2.0,\"neg0\":-0.0,\"tiny\":4.9406564584124654e-324,"
      "\"i\":-9223372036854775808}}}");
  back = parse_ok (json, AH_ROLE_CLIENT);
  again = ah_message_to_json (back, AH_ROLE_CLIENT);
  g_assert_cmpstr (again, ==, json);
  g_free (again);
  g_free (json);
  ah_message_unref (back);
  ah_message_unref (m);
}

static void
test_writer_entities (void)
{
  AhMessage *m = new_msg (AH_MSG_EVENT, 2);
  gchar *json;

  /* "data" defaults to {}; entries without a string type are skipped. */
  m->entities = array_from_json ("[{\"type\":\"barge_in\"},5,{\"data\":1},"
      "{\"type\":\"x\",\"data\":null,\"extra\":1}]");
  json = ah_message_to_json (m, AH_ROLE_SERVER);
  g_assert_cmpstr (json, ==, "{\"version\":\"2\",\"id\":\"" SID "\","
      "\"type\":\"event\",\"seq\":2,\"clientseq\":0,\"parameters\":"
      "{\"entities\":[{\"type\":\"barge_in\",\"data\":{}},"
      "{\"type\":\"x\",\"data\":null}]}}");
  g_free (json);
  ah_message_unref (m);

  m = new_msg (AH_MSG_EVENT, 2);
  json = ah_message_to_json (m, AH_ROLE_SERVER);
  g_assert_nonnull (strstr (json, "\"parameters\":{\"entities\":[]}}"));
  g_free (json);
  ah_message_unref (m);
}

static void
test_writer_unknown_media (void)
{
  AhMessage *m = new_msg (AH_MSG_OPENED, 1);
  AhMedia odd = { AH_FORMAT_UNKNOWN, 0, 0, {0, 0} };
  gchar *json;

  ah_message_add_media (m, &odd);
  json = ah_message_to_json (m, AH_ROLE_SERVER);
  g_assert_nonnull (strstr (json, "\"media\":[{\"type\":\"audio\","
          "\"format\":\"unknown\",\"channels\":[],\"rate\":0}]"));
  g_free (json);
  ah_message_unref (m);
}

static void
test_writer_wrong_role (void)
{
  if (g_test_subprocess ()) {
    AhMessage *m = new_msg (AH_MSG_OPENED, 1);

    /* A server message written as the client is a programming error. */
    g_assert_null (ah_message_to_json (m, AH_ROLE_CLIENT));
    ah_message_unref (m);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*ah_message_type_sender*");
}

/* ------------------------------------------------------------------------ */
/* Reference-implementation-shaped samples */

#define REF_OPEN "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"open\"," \
  "\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{" \
  "\"organizationId\":\"" ORG "\",\"conversationId\":\"" CONV "\"," \
  "\"participant\":{\"id\":\"" PID "\",\"ani\":\"+13175550000\"," \
  "\"aniName\":\"John Doe\",\"dnis\":\"+13175550001\"},\n" \
  "  \"media\":[ { \"type\": \"audio\", \"format\": \"PCMU\", " \
  "\"channels\": [\"external\",\"internal\"], \"rate\": 8000 },\n" \
  "    { \"type\": \"audio\", \"format\": \"PCMU\", " \
  "\"channels\": [\"external\"], \"rate\": 8000 },\n" \
  "    { \"type\": \"audio\", \"format\": \"PCMU\", " \
  "\"channels\": [\"internal\"], \"rate\": 8000 } ],\n" \
  "  \"language\": \"en-US\", \"supportedLanguages\": true,\n" \
  "  \"continuedSessions\": [ { \"id\": \"" OLD_SID "\", " \
  "\"serverseq\": 12, \"clientseq\": 30 } ],\n" \
  "  \"customConfig\": { },\n" \
  "  \"inputVariables\": { \"k\": \"v\" } } }"

static void
test_reference_open (void)
{
  AhMessage *m = parse_ok (REF_OPEN, AH_ROLE_CLIENT);
  AhContinuedSession *cs;

  g_assert_cmpint (m->type, ==, AH_MSG_OPEN);
  g_assert_cmpstr (m->type_name, ==, "open");
  g_assert_cmpstr (m->id, ==, SID);
  g_assert_cmpint (m->seq, ==, 1);
  g_assert_cmpint (m->serverseq, ==, 0);
  g_assert_cmpuint (m->position, ==, 0);
  g_assert_cmpstr (m->organization_id, ==, ORG);
  g_assert_cmpstr (m->conversation_id, ==, CONV);
  g_assert_cmpstr (m->participant.id, ==, PID);
  g_assert_cmpstr (m->participant.ani, ==, "+13175550000");
  g_assert_cmpstr (m->participant.ani_name, ==, "John Doe");
  g_assert_cmpstr (m->participant.dnis, ==, "+13175550001");
  g_assert_cmpuint (m->media->len, ==, 3);
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 0),
          &media_stereo));
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 1),
          &media_external));
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 2),
          &media_internal));
  g_assert_cmpstr (m->language, ==, "en-US");
  g_assert_true (m->supported_languages);
  g_assert_cmpuint (m->continued_sessions->len, ==, 1);
  cs = &g_array_index (m->continued_sessions, AhContinuedSession, 0);
  g_assert_cmpstr (cs->id, ==, OLD_SID);
  g_assert_cmpint (cs->serverseq, ==, 12);
  g_assert_cmpint (cs->clientseq, ==, 30);
  g_assert_nonnull (m->custom_config);
  g_assert_cmpuint (json_object_get_size (m->custom_config), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (m->input_variables, "k"),
      ==, "v");
  g_assert_false (ah_message_is_probe (m));
  ah_message_unref (m);
}

/* The exchange of protocol notes 2.8, with id and version filled in. */
#define HP_C(rest) "{\"version\":\"2\",\"id\":\"" SID "\"," rest "}"

static void
test_reference_happy_path (void)
{
  AhMessage *m;
  JsonObject *data;

  m = parse_ok (HP_C ("\"type\":\"opened\",\"seq\":1,\"clientseq\":1,"
          "\"parameters\":{\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\","
          "\"channels\":[\"external\",\"internal\"],\"rate\":8000}],"
          "\"startPaused\":false}"), AH_ROLE_SERVER);
  g_assert_cmpint (m->type, ==, AH_MSG_OPENED);
  g_assert_cmpint (m->clientseq, ==, 1);
  g_assert_cmpuint (m->media->len, ==, 1);
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 0),
          &media_stereo));
  g_assert_false (m->start_paused);
  g_assert_false (m->has_discard_to);
  g_assert_null (m->languages);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"ping\",\"seq\":2,\"serverseq\":1,"
          "\"position\":\"PT1S\",\"parameters\":{}"), AH_ROLE_CLIENT);
  g_assert_cmpint (m->type, ==, AH_MSG_PING);
  g_assert_cmpint (m->seq, ==, 2);
  g_assert_cmpint (m->serverseq, ==, 1);
  g_assert_cmpuint (m->position, ==, SEC);
  g_assert_false (m->has_rtt);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"pong\",\"seq\":2,\"clientseq\":2,"
          "\"parameters\":{}"), AH_ROLE_SERVER);
  g_assert_cmpint (m->type, ==, AH_MSG_PONG);
  g_assert_cmpint (m->clientseq, ==, 2);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"event\",\"seq\":3,\"clientseq\":2,"
          "\"parameters\":{\"entities\":[{\"type\":\"transcript\",\"data\":"
          "{\"id\":\"" OLD_SID "\",\"channelId\":1,\"isFinal\":false}}]}"),
      AH_ROLE_SERVER);
  g_assert_cmpint (m->type, ==, AH_MSG_EVENT);
  g_assert_cmpuint (json_array_get_length (m->entities), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (m->entities, 0), "type"), ==, "transcript");
  data = json_object_get_object_member (json_array_get_object_element
      (m->entities, 0), "data");
  g_assert_cmpint (json_object_get_int_member (data, "channelId"), ==, 1);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"ping\",\"seq\":3,\"serverseq\":3,"
          "\"position\":\"PT1S\",\"parameters\":{\"rtt\":\"PT0.0021S\"}"),
      AH_ROLE_CLIENT);
  g_assert_true (m->has_rtt);
  g_assert_cmpuint (m->rtt, ==, 2100000);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"close\",\"seq\":17,\"serverseq\":15,"
          "\"position\":\"PT63.4S\",\"parameters\":{\"reason\":\"end\"}"),
      AH_ROLE_CLIENT);
  g_assert_cmpint (m->type, ==, AH_MSG_CLOSE);
  g_assert_cmpstr (m->reason, ==, "end");
  g_assert_cmpuint (m->position, ==, 63400 * MS);
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"closed\",\"seq\":16,\"clientseq\":17,"
          "\"parameters\":{}"), AH_ROLE_SERVER);
  g_assert_cmpint (m->type, ==, AH_MSG_CLOSED);
  g_assert_cmpint (m->seq, ==, 16);
  g_assert_cmpint (m->clientseq, ==, 17);
  ah_message_unref (m);

  /* Server-initiated end. */
  m = parse_ok (HP_C ("\"type\":\"disconnect\",\"seq\":4,\"clientseq\":3,"
          "\"parameters\":{\"reason\":\"completed\",\"info\":\"done\","
          "\"outputVariables\":{\"a\":\"1\"}}"), AH_ROLE_SERVER);
  g_assert_cmpint (m->type, ==, AH_MSG_DISCONNECT);
  g_assert_cmpstr (m->reason, ==, "completed");
  g_assert_cmpstr (m->info, ==, "done");
  g_assert_cmpstr (json_object_get_string_member (m->output_variables, "a"),
      ==, "1");
  ah_message_unref (m);

  m = parse_ok (HP_C ("\"type\":\"close\",\"seq\":5,\"serverseq\":4,"
          "\"position\":\"PT10S\",\"parameters\":{\"reason\":\"disconnect\"}"),
      AH_ROLE_CLIENT);
  g_assert_cmpstr (m->reason, ==, "disconnect");
  ah_message_unref (m);

  /* Rate limit from the client. */
  m = parse_ok (HP_C ("\"type\":\"error\",\"seq\":9,\"serverseq\":8,"
          "\"position\":\"PT30S\",\"parameters\":{\"code\":429,"
          "\"message\":\"Rate limit exceeded\",\"retryAfter\":\"PT1.5S\"}"),
      AH_ROLE_CLIENT);
  g_assert_cmpint (m->code, ==, 429);
  g_assert_true (m->has_retry_after);
  g_assert_cmpuint (m->retry_after, ==, 1500 * MS);
  ah_message_unref (m);
}

/* ------------------------------------------------------------------------ */
/* Tolerant input */

typedef struct
{
  const gchar *name;
  AhRole role;
  const gchar *json;
  AhMessageType type;
  const gchar *type_name;
  /* When set, writing the parsed message must give exactly this. */
  const gchar *rewritten;
  void (*check) (const AhMessage * m);
} TolerantCase;

static void
check_unknown_members (const AhMessage * m)
{
  g_assert_cmpstr (m->organization_id, ==, ORG);
  g_assert_cmpstr (m->participant.dnis, ==, "+18005556789");
  g_assert_cmpuint (m->media->len, ==, 1);
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 0),
          &media_external));
  g_assert_cmpuint (m->continued_sessions->len, ==, 1);
}

static void
check_odd_media (const AhMessage * m)
{
  const AhMedia *e;

  g_assert_cmpuint (m->media->len, ==, 7);
  /* three channels: kept, no channels */
  e = &g_array_index (m->media, AhMedia, 0);
  g_assert_cmpint (e->format, ==, AH_FORMAT_PCMU);
  g_assert_cmpuint (e->n_channels, ==, 0);
  g_assert_false (ah_media_is_usable (e));
  /* type video: unknown format */
  e = &g_array_index (m->media, AhMedia, 1);
  g_assert_cmpint (e->format, ==, AH_FORMAT_UNKNOWN);
  g_assert_cmpuint (e->n_channels, ==, 1);
  g_assert_false (ah_media_is_usable (e));
  /* format opus */
  e = &g_array_index (m->media, AhMedia, 2);
  g_assert_cmpint (e->format, ==, AH_FORMAT_UNKNOWN);
  /* channel "agent" */
  e = &g_array_index (m->media, AhMedia, 3);
  g_assert_cmpuint (e->n_channels, ==, 2);
  g_assert_cmpint (e->channels[0], ==, AH_CHANNEL_UNKNOWN);
  g_assert_cmpint (e->channels[1], ==, AH_CHANNEL_INTERNAL);
  g_assert_false (ah_media_is_usable (e));
  /* negative rate */
  e = &g_array_index (m->media, AhMedia, 4);
  g_assert_cmpuint (e->rate, ==, 0);
  g_assert_false (ah_media_is_usable (e));
  /* L16 16 kHz reversed stereo: usable */
  e = &g_array_index (m->media, AhMedia, 5);
  g_assert_cmpint (e->format, ==, AH_FORMAT_L16);
  g_assert_cmpuint (e->rate, ==, 16000);
  g_assert_cmpint (e->channels[0], ==, AH_CHANNEL_INTERNAL);
  g_assert_cmpint (e->channels[1], ==, AH_CHANNEL_EXTERNAL);
  g_assert_true (ah_media_is_usable (e));
  g_assert_cmpuint (ah_media_frame_size (e), ==, 4);
  /* no channels */
  e = &g_array_index (m->media, AhMedia, 6);
  g_assert_cmpuint (e->n_channels, ==, 0);
}

static void
check_input_variables (const AhMessage * m)
{
  g_assert_cmpuint (json_object_get_size (m->input_variables), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (m->input_variables, "a"),
      ==, "x");
  g_assert_cmpstr (json_object_get_string_member (m->input_variables, "d"),
      ==, "y");
  g_assert_false (json_object_has_member (m->input_variables, "b"));
}

static void
check_nulls_as_absent (const AhMessage * m)
{
  g_assert_null (m->language);
  g_assert_false (m->supported_languages);
  g_assert_null (m->continued_sessions);
  g_assert_null (m->custom_config);
  g_assert_null (m->input_variables);
}

static void
check_escapes (const AhMessage * m)
{
  /* U+1F600 from a surrogate pair, U+00E9, and a truncating \u0000 */
  g_assert_cmpstr (m->participant.ani_name, ==, "\xf0\x9f\x98\x80 \xc3\xa9");
  g_assert_cmpstr (m->participant.ani, ==, "tel:+1");
}

static void
check_big_integer (const AhMessage * m)
{
  g_assert_cmpint (m->seq, ==, 1);
}

static void
check_duplicate (const AhMessage * m)
{
  g_assert_cmpstr (m->reason, ==, "error");
}

static void
check_ping_no_params (const AhMessage * m)
{
  g_assert_false (m->has_rtt);
}

static void
check_event_entities (const AhMessage * m)
{
  JsonObject *e = json_array_get_object_element (m->entities, 0);

  g_assert_cmpuint (json_array_get_length (m->entities), ==, 2);
  g_assert_cmpuint (json_object_get_size (e), ==, 2);
  g_assert_false (json_object_has_member (e, "extra"));
  /* A missing "data" reads as {}. */
  e = json_array_get_object_element (m->entities, 1);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (e,
              "data")), ==, 0);
}

static void
check_wrong_role (const AhMessage * m)
{
  /* The envelope is filled in, nothing else. */
  g_assert_cmpstr (m->id, ==, SID);
  g_assert_cmpint (m->seq, ==, 1);
  g_assert_null (m->media);
}

static const TolerantCase tolerant_cases[] = {
  {"unknown-members", AH_ROLE_CLIENT,
        "{\"version\":\"2\",\"x-new\":{\"a\":[1,2,{}]},\"id\":\"" SID "\","
        "\"type\":\"open\",\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\","
        "\"parameters\":{\"future\":true," ORG_M "," CONV_M ","
        "\"participant\":{\"id\":\"" PID "\",\"ani\":\"+15555551234\","
        "\"aniName\":\"John Doe\",\"dnis\":\"+18005556789\",\"new\":1},"
        "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\",\"x\":null,"
        "\"channels\":[\"external\"],\"rate\":8000}],"
        "\"continuedSessions\":[{\"id\":\"" OLD_SID "\",\"serverseq\":1,"
        "\"clientseq\":2,\"z\":3}]},\"trailer\":\"x\"}",
        AH_MSG_OPEN, "open",
        "{\"version\":\"2\",\"id\":\"" SID "\",\"type\":\"open\",\"seq\":1,"
        "\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{" ORG_M ","
        CONV_M "," PART_M "," MEDIA_M ",\"continuedSessions\":[{\"id\":\""
        OLD_SID "\",\"serverseq\":1,\"clientseq\":2}]}}",
      check_unknown_members},
  {"unknown-type", AH_ROLE_CLIENT,
        C_MSG ("futuristic", "{\"x\":[1,2],\"y\":{\"z\":\"w\"}}"),
        AH_MSG_UNKNOWN, "futuristic",
      C_MSG ("futuristic", "{}"), NULL},
  {"unknown-type-server", AH_ROLE_SERVER,
        S_MSG ("audio_mark", "{\"n\":1}"), AH_MSG_UNKNOWN, "audio_mark",
      S_MSG ("audio_mark", "{}"), NULL},
  {"empty-type-name", AH_ROLE_CLIENT, C_MSG ("", "{}"), AH_MSG_UNKNOWN, "",
      C_MSG ("", "{}"), NULL},
  {"opened-from-client", AH_ROLE_CLIENT, C_MSG ("opened", "{\"media\":5}"),
      AH_MSG_UNKNOWN, "opened", C_MSG ("opened", "{}"), check_wrong_role},
  {"open-from-server", AH_ROLE_SERVER, S_MSG ("open", "{}"),
      AH_MSG_UNKNOWN, "open", S_MSG ("open", "{}"), check_wrong_role},
  {"pong-from-client", AH_ROLE_CLIENT, C_MSG ("pong", "{}"),
      AH_MSG_UNKNOWN, "pong", NULL, NULL},
  {"ping-from-server", AH_ROLE_SERVER, S_MSG ("ping", "{}"),
      AH_MSG_UNKNOWN, "ping", NULL, NULL},
  {"version-number", AH_ROLE_CLIENT,
        "{\"version\":2,\"id\":\"" SID "\",\"type\":\"ping\",\"seq\":1,"
        "\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{}}",
      AH_MSG_PING, "ping", C_MSG ("ping", "{}"), NULL},
  {"missing-parameters-ping", AH_ROLE_CLIENT,
        "{" ENV_C ",\"type\":\"ping\"}", AH_MSG_PING, "ping",
      C_MSG ("ping", "{}"), check_ping_no_params},
  {"missing-parameters-pong", AH_ROLE_SERVER,
        "{" ENV_S ",\"type\":\"pong\"}", AH_MSG_PONG, "pong",
      S_MSG ("pong", "{}"), NULL},
  {"missing-parameters-closed", AH_ROLE_SERVER,
        "{" ENV_S ",\"type\":\"closed\"}", AH_MSG_CLOSED, "closed",
      S_MSG ("closed", "{}"), NULL},
  {"null-parameters", AH_ROLE_CLIENT,
        "{" ENV_C ",\"type\":\"paused\",\"parameters\":null}",
      AH_MSG_PAUSED, "paused", C_MSG ("paused", "{}"), NULL},
  {"null-optionals", AH_ROLE_CLIENT,
        C_MSG ("open", OPEN_P (",\"language\":null,"
                "\"supportedLanguages\":null,\"continuedSessions\":null,"
                "\"customConfig\":null,\"inputVariables\":null")),
        AH_MSG_OPEN, "open", C_MSG ("open", OPEN_P ("")),
      check_nulls_as_absent},
  {"odd-media", AH_ROLE_CLIENT,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":"
            "[\"external\",\"internal\",\"external\"],\"rate\":8000},"
            "{\"type\":\"video\",\"format\":\"PCMU\",\"channels\":"
            "[\"external\"],\"rate\":8000},"
            "{\"type\":\"audio\",\"format\":\"opus\",\"channels\":"
            "[\"external\"],\"rate\":48000},"
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":"
            "[\"agent\",\"internal\"],\"rate\":8000},"
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":"
            "[\"external\"],\"rate\":-8000},"
            "{\"type\":\"audio\",\"format\":\"L16\",\"channels\":"
            "[\"internal\",\"external\"],\"rate\":16000},"
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[],"
            "\"rate\":8000}]}"),
      AH_MSG_OPEN, "open", NULL, check_odd_media},
  {"input-variables-non-strings", AH_ROLE_CLIENT,
        C_MSG ("open", OPEN_P (",\"inputVariables\":{\"a\":\"x\",\"b\":1,"
                "\"c\":null,\"d\":\"y\",\"e\":{}}")),
        AH_MSG_OPEN, "open",
        C_MSG ("open", OPEN_P (",\"inputVariables\":{\"a\":\"x\","
                "\"d\":\"y\"}")),
      check_input_variables},
  {"escapes", AH_ROLE_CLIENT,
        C_MSG ("open", "{" ORG_M "," CONV_M ",\"participant\":{\"id\":\""
            PID "\",\"ani\":\"tel:+1\\u0000999\",\"aniName\":"
            "\"\\ud83d\\ude00 \\u00e9\",\"dnis\":\"\"}," MEDIA_M "}"),
      AH_MSG_OPEN, "open", NULL, check_escapes},
  {"big-integer-unknown-member", AH_ROLE_CLIENT,
        "{" ENV_C ",\"type\":\"ping\",\"parameters\":{\"x\":"
        "18446744073709552000,\"y\":-99999999999999999999}}",
      AH_MSG_PING, "ping", C_MSG ("ping", "{}"), check_big_integer},
  {"duplicate-member-last-wins", AH_ROLE_CLIENT,
        C_MSG ("close", "{\"reason\":\"end\",\"reason\":\"error\"}"),
        AH_MSG_CLOSE, "close", C_MSG ("close", "{\"reason\":\"error\"}"),
      check_duplicate},
  {"pretty-printed", AH_ROLE_SERVER,
        "\n{\r\n\t\"version\" : \"2\" ,\n \"id\":\"" SID "\",\n"
        " \"type\" : \"pong\" , \"seq\" : 1 , \"clientseq\" : 1 ,\n"
        " \"parameters\" : { }\n}\n ", AH_MSG_PONG, "pong",
      S_MSG ("pong", "{}"), NULL},
  {"entity-extra-members", AH_ROLE_SERVER,
        S_MSG ("event", "{\"entities\":[{\"type\":\"a\",\"data\":[1],"
            "\"extra\":true},{\"type\":\"b\"}]}"),
        AH_MSG_EVENT, "event",
        S_MSG ("event", "{\"entities\":[{\"type\":\"a\",\"data\":[1]},"
            "{\"type\":\"b\",\"data\":{}}]}"),
      check_event_entities},
  {"odd-values-kept", AH_ROLE_CLIENT,
        C_MSG ("close", "{\"reason\":\"brand-new-reason\"}"),
        AH_MSG_CLOSE, "close", C_MSG ("close",
          "{\"reason\":\"brand-new-reason\"}"), NULL},
  {"error-odd-code", AH_ROLE_CLIENT,
        C_MSG ("error", "{\"code\":-1,\"message\":\"\"}"),
        AH_MSG_ERROR, "error",
      C_MSG ("error", "{\"code\":-1,\"message\":\"\"}"), NULL},
  {"non-uuid-ids", AH_ROLE_CLIENT,
      "{\"version\":\"2\",\"id\":\"not-a-uuid\",\"type\":\"open\","
        "\"seq\":1,\"serverseq\":0,\"position\":\"PT0S\",\"parameters\":{"
        "\"organizationId\":\"org\",\"conversationId\":\"\","
        "\"participant\":{\"id\":\"x\",\"ani\":\"\",\"aniName\":\"\","
        "\"dnis\":\"\"},\"media\":[]}}", AH_MSG_OPEN, "open", NULL, NULL},
};

static void
test_tolerant (gconstpointer data)
{
  const TolerantCase *c = data;
  AhMessage *m = parse_ok (c->json, c->role);
  gchar *json, *again;
  AhMessage *back;

  g_assert_cmpint (m->type, ==, c->type);
  g_assert_cmpstr (m->type_name, ==, c->type_name);
  if (c->check)
    c->check (m);

  /* Whatever was accepted writes out, reads back, and writes the same. */
  json = ah_message_to_json (m, c->role);
  if (c->rewritten)
    g_assert_cmpstr (json, ==, c->rewritten);
  back = parse_ok (json, c->role);
  assert_messages_equal (back, m, c->role);
  again = ah_message_to_json (back, c->role);
  g_assert_cmpstr (again, ==, json);

  g_free (again);
  g_free (json);
  ah_message_unref (back);
  ah_message_unref (m);
}

/* ------------------------------------------------------------------------ */
/* Malformed input */

typedef struct
{
  const gchar *name;
  AhRole role;
  const gchar *json;
  gint code;
  const gchar *needle;          /* must appear in error->message */
} MalformedCase;

#define E_TOO_LARGE AH_MESSAGE_ERROR_TOO_LARGE
#define E_ENCODING AH_MESSAGE_ERROR_ENCODING
#define E_TOO_DEEP AH_MESSAGE_ERROR_TOO_DEEP
#define E_JSON AH_MESSAGE_ERROR_JSON
#define E_NOT_OBJECT AH_MESSAGE_ERROR_NOT_OBJECT
#define E_MISSING AH_MESSAGE_ERROR_MISSING
#define E_TYPE AH_MESSAGE_ERROR_TYPE
#define E_VALUE AH_MESSAGE_ERROR_VALUE

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define X1000 X100 X100 X100 X100 X100 X100 X100 X100 X100 X100

#define C AH_ROLE_CLIENT
#define S AH_ROLE_SERVER

/* An envelope with one member replaced. */
#define ENV_C_WITH(v, id, seq, sseq, pos) "{" v id seq sseq pos \
  "\"type\":\"ping\",\"parameters\":{}}"
#define V_OK "\"version\":\"2\","
#define ID_OK "\"id\":\"" SID "\","
#define SEQ_OK "\"seq\":1,"
#define SSEQ_OK "\"serverseq\":0,"
#define POS_OK "\"position\":\"PT0S\","

static const MalformedCase malformed_cases[] = {
  /* not JSON */
  {"not-json", C, "hello", E_JSON, "not JSON"},
  {"empty", C, "", E_JSON, "empty"},
  {"blank", C, " \n\t ", E_JSON, "empty"},
  {"truncated", C, "{\"version\":\"2\",\"id\":\"" SID, E_JSON, "not JSON"},
  {"truncated-object", C, "{\"version\":\"2\",", E_JSON, "end"},
  {"missing-colon", C, "{\"version\" \"2\"}", E_JSON, "not JSON"},
  {"trailing-comma", C, "{\"version\":\"2\",}", E_JSON, "not JSON"},
  {"trailing-data", C, C_MSG ("ping", "{}") " {}", E_JSON, "trailing"},
  {"comment", C, "/* x */" C_MSG ("ping", "{}"), E_JSON, "not JSON"},
  {"single-quotes", C, "{'version':'2'}", E_JSON, "not JSON"},
  {"hex-number", C, "{\"seq\":0x10}", E_JSON, "invalid number"},
  {"leading-zero", C, "{\"seq\":01}", E_JSON, "invalid number"},
  {"plus-number", C, "{\"seq\":+1}", E_JSON, "not JSON"},
  {"bare-word", C, "{\"seq\":NaN}", E_JSON, "not JSON"},
  {"literal-prefix", C, "{\"a\":truex}", E_JSON, "not JSON"},
  {"raw-control-char", C, "{\"a\":\"x\ty\"}", E_JSON, "control"},
  {"bad-escape", C, "{\"a\":\"\\x41\"}", E_JSON, "escape"},
  {"short-unicode-escape", C, "{\"a\":\"\\u12\"}", E_JSON, "escape"},
  {"unbalanced", C, "]", E_JSON, "unbalanced"},
  {"mismatched-bracket", C, "{\"a\":[}", E_JSON, "unbalanced '}'"},
  {"long-string-in-parser-error", C, "{\"" X1000 "\" \"v\"}", E_JSON,
      "not JSON"},
  {"infinite-number", C, C_MSG ("ping", "{\"x\":1e400}"), E_VALUE,
      "out of range"},
  {"huge-integer-literal", C, C_MSG ("ping", "{\"x\":1"
            "0000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000000"
            "}"), E_VALUE, "out of range"},
  /* not an object */
  {"array", C, "[1,2]", E_NOT_OBJECT, "array"},
  {"string", C, "\"open\"", E_NOT_OBJECT, "not an object"},
  {"number", C, "42", E_NOT_OBJECT, "not an object"},
  {"true", C, "true", E_NOT_OBJECT, "not an object"},
  {"null", C, "null", E_NOT_OBJECT, "not an object"},
  /* encoding */
  {"invalid-utf8", C, "{\"version\":\"\xff\"}", E_ENCODING, "UTF-8"},
  {"overlong-utf8", C, "{\"a\":\"\xc0\xaf\"}", E_ENCODING, "UTF-8"},
  {"lone-high-surrogate", C, C_MSG ("ping", "{\"x\":\"\\ud800x\"}"),
      E_ENCODING, "surrogate"},
  {"lone-low-surrogate", C, C_MSG ("ping", "{\"x\":\"\\udc00\"}"),
      E_ENCODING, "surrogate"},
  {"reversed-surrogates", C, C_MSG ("ping", "{\"x\":\"\\udc00\\ud800\"}"),
      E_ENCODING, "surrogate"},
  /* envelope: missing */
  {"missing-version", C, ENV_C_WITH ("", ID_OK, SEQ_OK, SSEQ_OK, POS_OK),
      E_MISSING, "version: missing"},
  {"missing-id", C, ENV_C_WITH (V_OK, "", SEQ_OK, SSEQ_OK, POS_OK),
      E_MISSING, "id: missing"},
  {"missing-type", C, "{" ENV_C ",\"parameters\":{}}", E_MISSING,
      "type: missing"},
  {"missing-seq", C, ENV_C_WITH (V_OK, ID_OK, "", SSEQ_OK, POS_OK),
      E_MISSING, "seq: missing"},
  {"missing-serverseq", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, "", POS_OK),
      E_MISSING, "serverseq: missing"},
  {"missing-position", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, SSEQ_OK, ""),
      E_MISSING, "position: missing"},
  {"missing-clientseq", S, "{\"version\":\"2\",\"id\":\"" SID "\","
        "\"type\":\"pong\",\"seq\":1,\"parameters\":{}}", E_MISSING,
      "clientseq: missing"},
  {"server-envelope-from-client", C, S_MSG ("ping", "{}"), E_MISSING,
      "serverseq: missing"},
  {"client-envelope-from-server", S, C_MSG ("pong", "{}"), E_MISSING,
      "clientseq: missing"},
  /* envelope: types and values */
  {"version-3", C, ENV_C_WITH ("\"version\":\"3\",", ID_OK, SEQ_OK, SSEQ_OK,
          POS_OK), E_VALUE, "version: unsupported version \"3\""},
  {"version-long", C, ENV_C_WITH ("\"version\":\"0123456789012345678901234567"
            "890123456789XYZ\",", ID_OK, SEQ_OK, SSEQ_OK, POS_OK), E_VALUE,
      "\"01234567890123456789012345678901\"..."},
  {"version-number-3", C, ENV_C_WITH ("\"version\":3,", ID_OK, SEQ_OK,
          SSEQ_OK, POS_OK), E_VALUE, "version"},
  {"version-double", C, ENV_C_WITH ("\"version\":2.0,", ID_OK, SEQ_OK,
          SSEQ_OK, POS_OK), E_TYPE, "version: expected a string"},
  {"version-bool", C, ENV_C_WITH ("\"version\":true,", ID_OK, SEQ_OK,
          SSEQ_OK, POS_OK), E_TYPE, "version"},
  {"id-number", C, ENV_C_WITH (V_OK, "\"id\":5,", SEQ_OK, SSEQ_OK, POS_OK),
      E_TYPE, "id: expected a string"},
  {"id-null", C, ENV_C_WITH (V_OK, "\"id\":null,", SEQ_OK, SSEQ_OK, POS_OK),
      E_TYPE, "id: expected a string"},
  {"type-object", C, "{" ENV_C ",\"type\":{},\"parameters\":{}}", E_TYPE,
      "type: expected a string"},
  {"seq-string", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":\"1\",", SSEQ_OK,
          POS_OK), E_TYPE, "seq: expected an integer"},
  {"seq-zero", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":0,", SSEQ_OK, POS_OK),
      E_VALUE, "seq: must be >= 1"},
  {"seq-negative", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":-1,", SSEQ_OK,
          POS_OK), E_VALUE, "seq: must be >= 1"},
  {"seq-fraction", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":1.5,", SSEQ_OK,
          POS_OK), E_TYPE, "seq: expected an integer"},
  {"seq-integral-double", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":3.0,",
          SSEQ_OK, POS_OK), E_TYPE, "seq: expected an integer"},
  {"seq-exponent", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":1e0,", SSEQ_OK,
          POS_OK), E_TYPE, "seq: expected an integer"},
  {"seq-wraps-to-1", C, ENV_C_WITH (V_OK, ID_OK,
            "\"seq\":-18446744073709551615,", SSEQ_OK, POS_OK), E_TYPE,
      "seq: expected an integer"},
  {"seq-over-int64", C, ENV_C_WITH (V_OK, ID_OK,
            "\"seq\":9223372036854775808,", SSEQ_OK, POS_OK), E_TYPE,
      "seq: expected an integer"},
  {"seq-bool", C, ENV_C_WITH (V_OK, ID_OK, "\"seq\":true,", SSEQ_OK,
          POS_OK), E_TYPE, "seq"},
  {"serverseq-negative", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK,
          "\"serverseq\":-1,", POS_OK), E_VALUE, "serverseq: must be >= 0"},
  {"position-no-pt", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, SSEQ_OK,
            "\"position\":\"1.5\","), E_VALUE,
      "position: invalid duration \"1.5\""},
  {"position-number", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, SSEQ_OK,
          "\"position\":1.5,"), E_TYPE, "position: expected a string"},
  {"position-minutes", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, SSEQ_OK,
          "\"position\":\"PT1M\","), E_VALUE, "position"},
  {"position-negative", C, ENV_C_WITH (V_OK, ID_OK, SEQ_OK, SSEQ_OK,
          "\"position\":\"PT-1S\","), E_VALUE, "position"},
  {"clientseq-string", S, "{\"version\":\"2\",\"id\":\"" SID "\","
        "\"type\":\"pong\",\"seq\":1,\"clientseq\":\"1\",\"parameters\":{}}",
      E_TYPE, "clientseq: expected an integer"},
  {"parameters-array", C, "{" ENV_C ",\"type\":\"ping\",\"parameters\":[]}",
      E_TYPE, "parameters: expected an object"},
  {"parameters-string-unknown-type", C, "{" ENV_C ",\"type\":\"zzz\","
        "\"parameters\":\"x\"}", E_TYPE, "parameters: expected an object"},
  /* open: missing */
  {"open-no-parameters", C, "{" ENV_C ",\"type\":\"open\"}", E_MISSING,
      "parameters.organizationId: missing"},
  {"open-missing-organizationId", C,
        C_MSG ("open", "{" CONV_M "," PART_M "," MEDIA_M "}"), E_MISSING,
      "parameters.organizationId: missing"},
  {"open-missing-conversationId", C,
        C_MSG ("open", "{" ORG_M "," PART_M "," MEDIA_M "}"), E_MISSING,
      "parameters.conversationId: missing"},
  {"open-missing-participant", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," MEDIA_M "}"), E_MISSING,
      "parameters.participant: missing"},
  {"open-missing-participant-id", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH (PART_ANI ","
                PART_ANINAME "," PART_DNIS) "," MEDIA_M "}"), E_MISSING,
      "parameters.participant.id: missing"},
  {"open-missing-participant-ani", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH (PART_ID ","
                PART_ANINAME "," PART_DNIS) "," MEDIA_M "}"), E_MISSING,
      "parameters.participant.ani: missing"},
  {"open-missing-participant-aniName", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH (PART_ID ","
                PART_ANI "," PART_DNIS) "," MEDIA_M "}"), E_MISSING,
      "parameters.participant.aniName: missing"},
  {"open-missing-participant-dnis", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH (PART_ID ","
                PART_ANI "," PART_ANINAME) "," MEDIA_M "}"), E_MISSING,
      "parameters.participant.dnis: missing"},
  {"open-missing-media", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M "}"), E_MISSING,
      "parameters.media: missing"},
  {"open-media-missing-type", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"format\":\"PCMU\",\"channels\":[\"external\"],"
            "\"rate\":8000}]}"), E_MISSING,
      "parameters.media[0].type: missing"},
  {"open-media-missing-format", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"channels\":[\"external\"],"
            "\"rate\":8000}]}"), E_MISSING,
      "parameters.media[0].format: missing"},
  {"open-media-missing-channels", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"rate\":8000}]}"),
      E_MISSING, "parameters.media[0].channels: missing"},
  {"open-media-missing-rate", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            MEDIA_1 ",{\"type\":\"audio\",\"format\":\"PCMU\","
            "\"channels\":[\"external\"]}]}"), E_MISSING,
      "parameters.media[1].rate: missing"},
  {"open-continued-missing-id", C,
        C_MSG ("open", OPEN_P (",\"continuedSessions\":[{\"serverseq\":1,"
                "\"clientseq\":1}]")), E_MISSING,
      "parameters.continuedSessions[0].id: missing"},
  {"open-continued-missing-clientseq", C,
        C_MSG ("open", OPEN_P (",\"continuedSessions\":[{\"id\":\"a\","
                "\"serverseq\":1}]")), E_MISSING,
      "parameters.continuedSessions[0].clientseq: missing"},
  /* open: types */
  {"open-organizationId-number", C,
        C_MSG ("open", "{\"organizationId\":1," CONV_M "," PART_M ","
            MEDIA_M "}"), E_TYPE,
      "parameters.organizationId: expected a string"},
  {"open-participant-string", C,
      C_MSG ("open", "{" ORG_M "," CONV_M ",\"participant\":\"x\","
            MEDIA_M "}"), E_TYPE, "parameters.participant: expected an object"},
  {"open-participant-id-number", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH ("\"id\":1,"
                PART_ANI "," PART_ANINAME "," PART_DNIS) "," MEDIA_M "}"),
      E_TYPE, "parameters.participant.id: expected a string"},
  {"open-participant-ani-null", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_WITH (PART_ID ","
                "\"ani\":null," PART_ANINAME "," PART_DNIS) "," MEDIA_M "}"),
      E_TYPE, "parameters.participant.ani: expected a string"},
  {"open-media-object", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":{}}"),
      E_TYPE, "parameters.media: expected an array"},
  {"open-media-item-string", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            MEDIA_1 ",\"PCMU\"]}"), E_TYPE,
      "parameters.media[1]: expected an object"},
  {"open-media-rate-string", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            MEDIA_1 ",{\"type\":\"audio\",\"format\":\"PCMU\","
            "\"channels\":[\"external\"],\"rate\":\"8000\"}]}"), E_TYPE,
      "parameters.media[1].rate: expected an integer"},
  {"open-media-rate-double", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\","
            "\"channels\":[\"external\"],\"rate\":8000.0}]}"), E_TYPE,
      "parameters.media[0].rate: expected an integer"},
  {"open-media-channels-string", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\","
            "\"channels\":\"external\",\"rate\":8000}]}"), E_TYPE,
      "parameters.media[0].channels: expected an array"},
  {"open-media-channel-number", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\","
            "\"channels\":[\"external\",1],\"rate\":8000}]}"), E_TYPE,
      "parameters.media[0].channels[1]: expected a string"},
  {"open-media-format-number", C,
        C_MSG ("open", "{" ORG_M "," CONV_M "," PART_M ",\"media\":["
            "{\"type\":\"audio\",\"format\":0,"
            "\"channels\":[\"external\"],\"rate\":8000}]}"), E_TYPE,
      "parameters.media[0].format: expected a string"},
  {"open-language-number", C, C_MSG ("open", OPEN_P (",\"language\":5")),
      E_TYPE, "parameters.language: expected a string"},
  {"open-supportedLanguages-string", C,
        C_MSG ("open", OPEN_P (",\"supportedLanguages\":\"yes\"")), E_TYPE,
      "parameters.supportedLanguages: expected a boolean"},
  {"open-continued-object", C,
        C_MSG ("open", OPEN_P (",\"continuedSessions\":{}")), E_TYPE,
      "parameters.continuedSessions: expected an array"},
  {"open-continued-item-number", C,
        C_MSG ("open", OPEN_P (",\"continuedSessions\":[1]")), E_TYPE,
      "parameters.continuedSessions[0]: expected an object"},
  {"open-continued-serverseq-negative", C,
        C_MSG ("open", OPEN_P (",\"continuedSessions\":[{\"id\":\"a\","
                "\"serverseq\":-1,\"clientseq\":1}]")), E_VALUE,
      "parameters.continuedSessions[0].serverseq: must be >= 0"},
  {"open-customConfig-array", C,
        C_MSG ("open", OPEN_P (",\"customConfig\":[]")), E_TYPE,
      "parameters.customConfig: expected an object"},
  {"open-inputVariables-string", C,
        C_MSG ("open", OPEN_P (",\"inputVariables\":\"x\"")), E_TYPE,
      "parameters.inputVariables: expected an object"},
  /* other client messages */
  {"close-missing-reason", C, C_MSG ("close", "{}"), E_MISSING,
      "parameters.reason: missing"},
  {"close-no-parameters", C, "{" ENV_C ",\"type\":\"close\"}", E_MISSING,
      "parameters.reason: missing"},
  {"close-reason-number", C, C_MSG ("close", "{\"reason\":1}"), E_TYPE,
      "parameters.reason: expected a string"},
  {"ping-rtt-bad", C, C_MSG ("ping", "{\"rtt\":\"5\"}"), E_VALUE,
      "parameters.rtt: invalid duration"},
  {"ping-rtt-number", C, C_MSG ("ping", "{\"rtt\":5}"), E_TYPE,
      "parameters.rtt: expected a string"},
  {"resumed-missing-start", C, C_MSG ("resumed", "{\"discarded\":\"PT1S\"}"),
      E_MISSING, "parameters.start: missing"},
  {"resumed-missing-discarded", C, C_MSG ("resumed", "{\"start\":\"PT1S\"}"),
      E_MISSING, "parameters.discarded: missing"},
  {"discarded-bad-duration", C, C_MSG ("discarded", "{\"start\":\"PT0S\","
            "\"discarded\":\"PT1M\"}"), E_VALUE,
      "parameters.discarded: invalid duration \"PT1M\""},
  {"discarded-long-duration", C, C_MSG ("discarded", "{\"start\":\"PT0S\","
            "\"discarded\":\"PT1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxS\"}"),
      E_VALUE, "\"PT1xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..."},
  {"update-language-bool", C, C_MSG ("update", "{\"language\":true}"),
      E_TYPE, "parameters.language: expected a string"},
  {"error-missing-code", C, C_MSG ("error", "{\"message\":\"x\"}"),
      E_MISSING, "parameters.code: missing"},
  {"error-code-string", C, C_MSG ("error", "{\"code\":\"429\","
            "\"message\":\"x\"}"), E_TYPE,
      "parameters.code: expected an integer"},
  {"error-missing-message", C, C_MSG ("error", "{\"code\":500}"), E_MISSING,
      "parameters.message: missing"},
  {"error-retryAfter-bad", C, C_MSG ("error", "{\"code\":429,"
            "\"message\":\"x\",\"retryAfter\":\"soon\"}"), E_VALUE,
      "parameters.retryAfter: invalid duration"},
  {"dtmf-missing-digit", C, C_MSG ("dtmf", "{}"), E_MISSING,
      "parameters.digit: missing"},
  {"dtmf-digit-number", C, C_MSG ("dtmf", "{\"digit\":5}"), E_TYPE,
      "parameters.digit: expected a string"},
  /* server messages */
  {"opened-missing-media", S, S_MSG ("opened", "{\"startPaused\":false}"),
      E_MISSING, "parameters.media: missing"},
  {"opened-media-rate-string", S, S_MSG ("opened", "{\"media\":["
            "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],"
            "\"rate\":\"8000\"}]}"), E_TYPE,
      "parameters.media[0].rate: expected an integer"},
  {"opened-startPaused-string", S, S_MSG ("opened", "{\"media\":[],"
            "\"startPaused\":\"no\"}"), E_TYPE,
      "parameters.startPaused: expected a boolean"},
  {"opened-discardTo-bad", S, S_MSG ("opened", "{\"media\":[],"
            "\"discardTo\":\"x\"}"), E_VALUE,
      "parameters.discardTo: invalid duration \"x\""},
  {"opened-languages-item-number", S, S_MSG ("opened", "{\"media\":[],"
            "\"supportedLanguages\":[\"en-US\",1]}"), E_TYPE,
      "parameters.supportedLanguages[1]: expected a string"},
  {"opened-languages-string", S, S_MSG ("opened", "{\"media\":[],"
            "\"supportedLanguages\":\"en-US\"}"), E_TYPE,
      "parameters.supportedLanguages: expected an array"},
  {"disconnect-missing-reason", S, S_MSG ("disconnect", "{}"), E_MISSING,
      "parameters.reason: missing"},
  {"disconnect-info-number", S, S_MSG ("disconnect", "{\"reason\":\"error\","
            "\"info\":5}"), E_TYPE, "parameters.info: expected a string"},
  {"disconnect-outputVariables-array", S, S_MSG ("disconnect",
            "{\"reason\":\"completed\",\"outputVariables\":[]}"), E_TYPE,
      "parameters.outputVariables: expected an object"},
  {"reconnect-info-array", S, S_MSG ("reconnect", "{\"info\":[]}"), E_TYPE,
      "parameters.info: expected a string"},
  {"event-missing-entities", S, S_MSG ("event", "{}"), E_MISSING,
      "parameters.entities: missing"},
  {"event-entities-object", S, S_MSG ("event", "{\"entities\":{}}"), E_TYPE,
      "parameters.entities: expected an array"},
  {"event-entity-number", S, S_MSG ("event", "{\"entities\":[5]}"), E_TYPE,
      "parameters.entities[0]: expected an object"},
  {"event-entity-without-type", S, S_MSG ("event", "{\"entities\":["
            "{\"type\":\"a\"},{\"data\":{}}]}"), E_MISSING,
      "parameters.entities[1].type: missing"},
  {"event-entity-type-number", S, S_MSG ("event", "{\"entities\":["
            "{\"type\":5,\"data\":{}}]}"), E_TYPE,
      "parameters.entities[0].type: expected a string"},
};

static void
assert_parse_fails (const gchar * text, gssize len, AhRole role,
    gsize max_size, gint code, const gchar * needle)
{
  GError *error = NULL;
  AhMessage *m = ah_message_parse (text, len, role, max_size, &error);

  g_assert_null (m);
  g_assert_nonnull (error);
  if (!g_error_matches (error, AH_MESSAGE_ERROR, code)
      || strstr (error->message, needle) == NULL)
    g_test_message ("got code %d \"%s\", want code %d with \"%s\"",
        error->code, error->message, code, needle);
  g_assert_error (error, AH_MESSAGE_ERROR, code);
  g_assert_nonnull (strstr (error->message, needle));
  /* Error text stays short whatever the input. */
  g_assert_cmpuint (strlen (error->message), <, 300);
  g_error_free (error);
}

static void
test_malformed (gconstpointer data)
{
  const MalformedCase *c = data;

  assert_parse_fails (c->json, -1, c->role, 0, c->code, c->needle);
  /* Same result with an explicit length. */
  assert_parse_fails (c->json, strlen (c->json), c->role, 0, c->code,
      c->needle);
}

static void
test_malformed_size (void)
{
  const gchar *ping = C_MSG ("ping", "{}");
  gsize len = strlen (ping);
  GString *big;
  AhMessage *m;

  /* Exactly at the limit parses; one byte over fails. */
  m = ah_message_parse (ping, -1, AH_ROLE_CLIENT, len, NULL);
  g_assert_nonnull (m);
  ah_message_unref (m);
  assert_parse_fails (ping, -1, AH_ROLE_CLIENT, len - 1, E_TOO_LARGE,
      "over the limit");

  /* Default limit: AH_MESSAGE_MAX_SIZE. */
  big =
      g_string_new ("{" ENV_C ",\"type\":\"ping\",\"parameters\":{\"pad\":\"");
  while (big->len < AH_MESSAGE_MAX_SIZE - 3)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}}");
  g_assert_cmpuint (big->len, ==, AH_MESSAGE_MAX_SIZE);
  m = ah_message_parse (big->str, big->len, AH_ROLE_CLIENT, 0, NULL);
  g_assert_nonnull (m);
  ah_message_unref (m);
  g_string_insert_c (big, big->len - 3, 'x');
  assert_parse_fails (big->str, big->len, AH_ROLE_CLIENT, 0, E_TOO_LARGE,
      "65536");
  /* The size is checked before anything else. */
  big->str[0] = '\xff';
  assert_parse_fails (big->str, big->len, AH_ROLE_CLIENT, 0, E_TOO_LARGE,
      "over the limit");
  g_string_free (big, TRUE);
}

static void
test_malformed_depth (void)
{
  GString *s;
  guint i;
  AhMessage *m;

  /* 10000 '[' inside parameters. */
  s = g_string_new ("{" ENV_C ",\"type\":\"ping\",\"parameters\":{\"x\":");
  for (i = 0; i < 10000; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < 10000; i++)
    g_string_append_c (s, ']');
  g_string_append (s, "}}");
  assert_parse_fails (s->str, s->len, AH_ROLE_CLIENT, 0, E_TOO_DEEP, "nesting");
  g_string_free (s, TRUE);

  /* Unterminated: still a depth error, not a parser recursion. */
  s = g_string_new ("{\"a\":");
  for (i = 0; i < 10000; i++)
    g_string_append (s, "{\"a\":");
  assert_parse_fails (s->str, s->len, AH_ROLE_CLIENT, 0, E_TOO_DEEP, "nesting");
  g_string_free (s, TRUE);

  /* Brackets inside strings do not count. */
  s = g_string_new ("{" ENV_C ",\"type\":\"ping\",\"parameters\":{\"x\":\"");
  for (i = 0; i < 100; i++)
    g_string_append (s, "[{\\\"");
  g_string_append (s, "\"}}");
  m = ah_message_parse (s->str, s->len, AH_ROLE_CLIENT, 0, NULL);
  g_assert_nonnull (m);
  ah_message_unref (m);
  g_string_free (s, TRUE);

  /* Exactly AH_MESSAGE_MAX_DEPTH levels parse; one more fails. */
  s = g_string_new ("{" ENV_C ",\"type\":\"ping\",\"parameters\":{\"x\":");
  for (i = 2; i < AH_MESSAGE_MAX_DEPTH; i++)
    g_string_append_c (s, '[');
  for (i = 2; i < AH_MESSAGE_MAX_DEPTH; i++)
    g_string_append_c (s, ']');
  g_string_append (s, "}}");
  m = ah_message_parse (s->str, s->len, AH_ROLE_CLIENT, 0, NULL);
  g_assert_nonnull (m);
  ah_message_unref (m);
  g_string_insert_c (s, s->len - 2, ']');
  g_string_insert_c (s, strlen ("{" ENV_C ",\"type\":\"ping\","
          "\"parameters\":{\"x\":"), '[');
  assert_parse_fails (s->str, s->len, AH_ROLE_CLIENT, 0, E_TOO_DEEP,
      "nesting deeper than 32");
  g_string_free (s, TRUE);
}

static void
test_malformed_embedded_nul (void)
{
  static const gchar text[] = "{\"version\":\"2\"\0}";

  assert_parse_fails (text, sizeof (text) - 1, AH_ROLE_CLIENT, 0, E_ENCODING,
      "UTF-8");
  /* Without a length the text ends at the NUL: truncated JSON. */
  assert_parse_fails (text, -1, AH_ROLE_CLIENT, 0, E_JSON, "not JSON");
}

static void
test_malformed_no_error_pointer (void)
{
  /* A NULL GError ** is fine. */
  g_assert_null (ah_message_parse ("{", -1, AH_ROLE_SERVER, 0, NULL));
  g_assert_null (ah_message_parse (C_MSG ("open", "{}"), -1, AH_ROLE_CLIENT,
          0, NULL));
}

/* ------------------------------------------------------------------------ */
/* Names, media, life cycle */

static void
test_type_names (void)
{
  guint i;

  for (i = 0; i < AH_MSG_N_TYPES; i++) {
    const gchar *name = ah_message_type_name (i);

    g_assert_nonnull (name);
    g_assert_cmpint (ah_message_type_from_name (name), ==, i);
  }
  g_assert_cmpstr (ah_message_type_name (AH_MSG_PLAYBACK_STARTED), ==,
      "playback_started");
  g_assert_cmpstr (ah_message_type_name (AH_MSG_N_TYPES), ==, "unknown");
  g_assert_cmpint (ah_message_type_from_name ("Open"), ==, AH_MSG_UNKNOWN);
  g_assert_cmpint (ah_message_type_from_name (""), ==, AH_MSG_UNKNOWN);
  g_assert_cmpint (ah_message_type_from_name (NULL), ==, AH_MSG_UNKNOWN);

  for (i = AH_MSG_OPEN; i <= AH_MSG_PLAYBACK_COMPLETED; i++)
    g_assert_cmpint (ah_message_type_sender (i), ==, AH_ROLE_CLIENT);
  for (i = AH_MSG_OPENED; i <= AH_MSG_UPDATED; i++)
    g_assert_cmpint (ah_message_type_sender (i), ==, AH_ROLE_SERVER);

  g_assert_cmpstr (ah_format_name (AH_FORMAT_PCMU), ==, "PCMU");
  g_assert_cmpstr (ah_format_name (AH_FORMAT_L16), ==, "L16");
  g_assert_cmpstr (ah_format_name (AH_FORMAT_UNKNOWN), ==, "unknown");
  g_assert_cmpstr (ah_channel_name (AH_CHANNEL_EXTERNAL), ==, "external");
  g_assert_cmpstr (ah_channel_name (AH_CHANNEL_INTERNAL), ==, "internal");
  g_assert_cmpstr (ah_channel_name (AH_CHANNEL_UNKNOWN), ==, "unknown");
}

typedef struct
{
  AhMedia media;
  guint frame_size;
  gboolean usable;
} MediaCase;

static const MediaCase media_cases[] = {
  {{AH_FORMAT_PCMU, 8000, 1, {AH_CHANNEL_EXTERNAL, 0}}, 1, TRUE},
  {{AH_FORMAT_PCMU, 8000, 1, {AH_CHANNEL_INTERNAL, 0}}, 1, TRUE},
  {{AH_FORMAT_PCMU, 8000, 2, {AH_CHANNEL_EXTERNAL, AH_CHANNEL_INTERNAL}}, 2,
      TRUE},
  {{AH_FORMAT_PCMU, 8000, 2, {AH_CHANNEL_INTERNAL, AH_CHANNEL_EXTERNAL}}, 2,
      TRUE},
  {{AH_FORMAT_L16, 8000, 1, {AH_CHANNEL_EXTERNAL, 0}}, 2, TRUE},
  {{AH_FORMAT_L16, 16000, 2, {AH_CHANNEL_EXTERNAL, AH_CHANNEL_INTERNAL}}, 4,
      TRUE},
  {{AH_FORMAT_UNKNOWN, 8000, 1, {AH_CHANNEL_EXTERNAL, 0}}, 0, FALSE},
  {{AH_FORMAT_PCMU, 0, 1, {AH_CHANNEL_EXTERNAL, 0}}, 1, FALSE},
  {{AH_FORMAT_PCMU, 1000000, 1, {AH_CHANNEL_EXTERNAL, 0}}, 1, FALSE},
  {{AH_FORMAT_PCMU, 8000, 0, {0, 0}}, 0, FALSE},
  {{AH_FORMAT_PCMU, 8000, 3, {AH_CHANNEL_EXTERNAL, AH_CHANNEL_INTERNAL}}, 2,
      FALSE},
  {{AH_FORMAT_PCMU, 8000, 1, {AH_CHANNEL_UNKNOWN, 0}}, 1, FALSE},
  {{AH_FORMAT_PCMU, 8000, 2, {AH_CHANNEL_EXTERNAL, AH_CHANNEL_EXTERNAL}}, 2,
      FALSE},
  {{AH_FORMAT_L16, 8000, 2, {AH_CHANNEL_EXTERNAL, AH_CHANNEL_UNKNOWN}}, 4,
      FALSE},
};

static void
test_media (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (media_cases); i++) {
    const AhMedia *m = &media_cases[i].media;

    g_assert_cmpuint (ah_media_frame_size (m), ==, media_cases[i].frame_size);
    g_assert_cmpint (ah_media_is_usable (m), ==, media_cases[i].usable);
    for (j = 0; j < G_N_ELEMENTS (media_cases); j++)
      g_assert_cmpint (ah_media_equal (m, &media_cases[j].media), ==, i == j);
  }
}

static void
test_media_equal_ignores_unused_channel (void)
{
  AhMedia a = { AH_FORMAT_PCMU, 8000, 1, {AH_CHANNEL_EXTERNAL,
      AH_CHANNEL_UNKNOWN}
  };
  AhMedia b = { AH_FORMAT_PCMU, 8000, 1, {AH_CHANNEL_EXTERNAL,
      AH_CHANNEL_INTERNAL}
  };

  g_assert_true (ah_media_equal (&a, &b));
  b.rate = 16000;
  g_assert_false (ah_media_equal (&a, &b));
}

static void
test_lifecycle (void)
{
  AhMessage *m = ah_message_new (AH_MSG_OPEN);
  AhContinuedSession *cs;

  g_assert_cmpint (m->type, ==, AH_MSG_OPEN);
  g_assert_cmpstr (m->type_name, ==, "open");
  g_assert_null (m->id);
  g_assert_null (m->media);
  g_assert_null (m->continued_sessions);

  g_assert_true (ah_message_ref (m) == m);
  ah_message_unref (m);

  ah_message_add_media (m, &media_stereo);
  ah_message_add_media (m, &media_external);
  g_assert_cmpuint (m->media->len, ==, 2);
  g_assert_true (ah_media_equal (&g_array_index (m->media, AhMedia, 1),
          &media_external));

  ah_message_add_continued_session (m, OLD_SID, 3, 4);
  ah_message_add_continued_session (m, SID, 5, 6);
  g_assert_cmpuint (m->continued_sessions->len, ==, 2);
  cs = &g_array_index (m->continued_sessions, AhContinuedSession, 1);
  g_assert_cmpstr (cs->id, ==, SID);
  g_assert_cmpint (cs->serverseq, ==, 5);
  g_assert_cmpint (cs->clientseq, ==, 6);

  /* Everything is owned by the message, including arrays made by hand. */
  m->languages = g_ptr_array_new ();
  g_ptr_array_add (m->languages, g_strdup ("en-US"));
  m->entities = json_array_new ();
  m->custom_config = json_object_new ();
  m->input_variables = json_object_new ();
  m->output_variables = json_object_new ();
  ah_message_unref (m);

  {
    g_autoptr (AhMessage) auto_msg = ah_message_new (AH_MSG_PING);

    g_assert_nonnull (auto_msg);
  }
}

/* ------------------------------------------------------------------------ */
/* Probes and UUIDs */

typedef struct
{
  const gchar *conversation;
  const gchar *participant;
  gboolean probe;
} ProbeCase;

static const ProbeCase probe_cases[] = {
  {AH_NULL_UUID, AH_NULL_UUID, TRUE},
  {CONV, AH_NULL_UUID, FALSE},
  {AH_NULL_UUID, PID, FALSE},
  {CONV, PID, FALSE},
  {"", "", FALSE},
  {"00000000-0000-0000-0000-00000000000", AH_NULL_UUID, FALSE},
};

static void
test_probe (void)
{
  guint i;
  AhMessage *m;

  for (i = 0; i < G_N_ELEMENTS (probe_cases); i++) {
    gchar *json = g_strdup_printf ("{" ENV_C ",\"type\":\"open\","
        "\"parameters\":{" ORG_M ",\"conversationId\":\"%s\","
        "\"participant\":{\"id\":\"%s\",\"ani\":\"\",\"aniName\":\"\","
        "\"dnis\":\"\"}," MEDIA_M "}}", probe_cases[i].conversation,
        probe_cases[i].participant);

    m = parse_ok (json, AH_ROLE_CLIENT);
    g_assert_cmpint (ah_message_is_probe (m), ==, probe_cases[i].probe);
    ah_message_unref (m);
    g_free (json);
  }

  /* Only an open can be a probe. */
  m = new_msg (AH_MSG_CLOSE, 1);
  m->conversation_id = g_strdup (AH_NULL_UUID);
  m->participant.id = g_strdup (AH_NULL_UUID);
  g_assert_false (ah_message_is_probe (m));
  ah_message_unref (m);
  g_assert_false (ah_message_is_probe (NULL));
  m = new_msg (AH_MSG_OPEN, 1);
  g_assert_false (ah_message_is_probe (m));
  ah_message_unref (m);
}

typedef struct
{
  const gchar *s;
  gboolean valid;
} UuidCase;

static const UuidCase uuid_cases[] = {
  {AH_NULL_UUID, TRUE},
  {SID, TRUE},
  {"E160E428-53E2-487C-977D-96989BF5C99D", TRUE},
  {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", TRUE},       /* v1 */
  {"000003e8-2d0b-21ee-8c00-325096b39f47", TRUE},       /* v2 */
  {"6fa459ea-ee8a-3ca4-894e-db77e160355e", TRUE},       /* v3 */
  {"886313e1-3b8a-5372-9b90-0c9aee199e5d", TRUE},       /* v5 */
  {"e160e428-53e2-487c-177d-96989bf5c99d", TRUE},       /* any variant */
  {"e160e428-53e2-087c-977d-96989bf5c99d", FALSE},      /* version 0 */
  {"e160e428-53e2-687c-977d-96989bf5c99d", FALSE},      /* version 6 */
  {"e160e428-53e2-f87c-977d-96989bf5c99d", FALSE},
  {"ffffffff-ffff-ffff-ffff-ffffffffffff", FALSE},
  {"e160e42853e2487c977d96989bf5c99d", FALSE},
  {"{e160e428-53e2-487c-977d-96989bf5c99d}", FALSE},
  {"e160e428-53e2-487c-977d-96989bf5c99", FALSE},
  {"e160e428-53e2-487c-977d-96989bf5c99dd", FALSE},
  {"e160e428_53e2-487c-977d-96989bf5c99d", FALSE},
  {"e160e428-53e2-487c-977d-96989bf5c99g", FALSE},
  {"e160e428-53e2-487c-977d-96989bf5c9 d", FALSE},
  {"e160e42-853e2-487c-977d-96989bf5c99d", FALSE},
  {"urn:uuid:e160e428-53e2-487c-977d-96", FALSE},
  {"00000000-0000-0000-0000-000000000001", FALSE},
  {"", FALSE},
  {NULL, FALSE},
};

static void
test_uuid (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (uuid_cases); i++) {
    if (ah_uuid_is_valid (uuid_cases[i].s) != uuid_cases[i].valid)
      g_test_message ("uuid case %u: %s", i, uuid_cases[i].s);
    g_assert_cmpint (ah_uuid_is_valid (uuid_cases[i].s), ==,
        uuid_cases[i].valid);
  }
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (golden_cases); i++) {
    gchar *path = g_strdup_printf ("/message/golden/%s",
        golden_cases[i].name);

    g_test_add_data_func (path, &golden_cases[i], test_golden);
    g_free (path);
  }
  g_test_add_func ("/message/golden/covers-every-type",
      test_golden_covers_every_type);

  g_test_add_func ("/message/writer/null-strings", test_writer_null_strings);
  g_test_add_func ("/message/writer/escapes", test_writer_escapes);
  g_test_add_func ("/message/writer/numbers", test_writer_numbers);
  g_test_add_func ("/message/writer/entities", test_writer_entities);
  g_test_add_func ("/message/writer/unknown-media", test_writer_unknown_media);
  g_test_add_func ("/message/writer/wrong-role", test_writer_wrong_role);

  g_test_add_func ("/message/reference/open", test_reference_open);
  g_test_add_func ("/message/reference/happy-path", test_reference_happy_path);

  for (i = 0; i < G_N_ELEMENTS (tolerant_cases); i++) {
    gchar *path = g_strdup_printf ("/message/tolerant/%s",
        tolerant_cases[i].name);

    g_test_add_data_func (path, &tolerant_cases[i], test_tolerant);
    g_free (path);
  }

  for (i = 0; i < G_N_ELEMENTS (malformed_cases); i++) {
    gchar *path = g_strdup_printf ("/message/malformed/%s",
        malformed_cases[i].name);

    g_test_add_data_func (path, &malformed_cases[i], test_malformed);
    g_free (path);
  }
  g_test_add_func ("/message/malformed/size", test_malformed_size);
  g_test_add_func ("/message/malformed/depth", test_malformed_depth);
  g_test_add_func ("/message/malformed/embedded-nul",
      test_malformed_embedded_nul);
  g_test_add_func ("/message/malformed/no-error-pointer",
      test_malformed_no_error_pointer);

  g_test_add_func ("/message/names", test_type_names);
  g_test_add_func ("/message/media/table", test_media);
  g_test_add_func ("/message/media/equal-unused-channel",
      test_media_equal_ignores_unused_channel);
  g_test_add_func ("/message/lifecycle", test_lifecycle);
  g_test_add_func ("/message/probe", test_probe);
  g_test_add_func ("/message/uuid", test_uuid);

  return g_test_run ();
}
