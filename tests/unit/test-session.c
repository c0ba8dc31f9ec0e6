/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook session state machines, both roles, as transcripts: each case
 * is a table of steps (input or command) with the exact list of actions
 * the session must queue for it. JSON in the tables uses ' for " (and \'
 * for a literal '); objects compare without regard to member order. */

#include <string.h>

#include "ah-session.h"
#include "ah-duration.h"

#define MS(x) ((guint64) (x) * G_GUINT64_CONSTANT (1000000))
#define SEC(x) MS ((guint64) (x) * 1000)
#define NONE G_MAXUINT64
#define ANY G_MAXUINT64

#define SID "30b0e395-84d3-4570-ac13-9a62d8f514c0"
#define OTHER_ID "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define ORG "d7934305-0972-4844-938e-9060eef73d05"
#define OTHER_ORG "11111111-2222-4333-8444-555555555555"
#define CONV "e160e428-53e2-487c-977d-96989bf5c99d"
#define PID "9b3c8a6e-3c7d-4f8e-8a4e-2b1d6c5f7a90"

/* ---- messages ---- */

#define M_STEREO "{'type':'audio','format':'PCMU','channels':['external','internal'],'rate':8000}"
#define M_EXT "{'type':'audio','format':'PCMU','channels':['external'],'rate':8000}"
#define M_INT "{'type':'audio','format':'PCMU','channels':['internal'],'rate':8000}"
#define M_L16_STEREO "{'type':'audio','format':'L16','channels':['external','internal'],'rate':8000}"
#define OFFERS "[" M_STEREO "," M_EXT "," M_INT "]"

#define PARTICIPANT(id) \
  "{'id':'" id "','ani':'+13175550123','aniName':'Jane','dnis':'+13175550100'}"
#define OPEN_P(org, conv, pid, media, extra) \
  "{'organizationId':'" org "','conversationId':'" conv "','participant':" \
  PARTICIPANT (pid) ",'media':" media extra "}"

/* client -> server */
#define C(type, seq, sseq, pos, params) \
  "{'version':'2','id':'" SID "','type':'" type "','seq':" #seq \
  ",'serverseq':" #sseq ",'position':'" pos "','parameters':" params "}"
/* server -> client */
#define S(type, seq, cseq, params) \
  "{'version':'2','id':'" SID "','type':'" type "','seq':" #seq \
  ",'clientseq':" #cseq ",'parameters':" params "}"

#define OPEN_PARAMS OPEN_P (ORG, CONV, PID, OFFERS, "")
#define OPEN C ("open", 1, 0, "PT0S", OPEN_PARAMS)
#define OPEN_LANG C ("open", 1, 0, "PT0S", \
    OPEN_P (ORG, CONV, PID, OFFERS, ",'language':'en-US','supportedLanguages':true"))
#define OPEN_PROBE C ("open", 1, 0, "PT0S", \
    OPEN_P (ORG, AH_NULL_UUID, AH_NULL_UUID, OFFERS, ""))
#define OPEN_L16 C ("open", 1, 0, "PT0S", \
    OPEN_P (ORG, CONV, PID, "[" M_L16_STEREO "]", ""))

#define OPENED(seq, cseq, media, extra) \
  S ("opened", seq, cseq, "{'media':[" media "],'startPaused':false" extra "}")

/* ---- tables ---- */

typedef enum
{
  STEP_END = 0,
  STEP_FEED_TEXT,
  STEP_FEED_BINARY,
  STEP_TIMEOUT,
  STEP_OPEN,
  STEP_PAUSE,
  STEP_RESUME,
  STEP_CLOSE,
  STEP_DISCONNECT,
  STEP_RECONNECT,
  STEP_EVENT,
  STEP_SEND_AUDIO,
  STEP_DISCARD,
  STEP_SEND_MESSAGE,
  STEP_CHECK_STATE,
  STEP_CHECK_POSITION,
  STEP_START,
  STEP_ANSWER,
  STEP_RELEASE,
} StepKind;

#define MAX_EXPECT 8

typedef struct
{
  gint t;                       /* AhActionType + 1; 0 ends the list */
  const gchar *json;            /* SEND_TEXT */
  gboolean subset;              /* SEND_TEXT: only the members given count */
  guint64 a, b, c;
  const gchar *s;
} Expect;

typedef struct
{
  StepKind kind;
  guint64 now;
  const gchar *str;             /* text, open/message template, reason */
  const gchar *str2;            /* info */
  const gchar *str3;            /* output variables / entities */
  guint64 n;                    /* bytes, samples, state, position */
  gint64 ret;                   /* commands: expected return */
  Expect x[MAX_EXPECT];
} Step;

typedef struct
{
  const gchar *org;
  gboolean start_paused;
  guint64 discard_to;
  const gchar *const *languages;
  gboolean set_preference;
  AhMediaPreference preference;
  guint formats;
  AhMediaSelectFunc selector;
  gboolean accept_audio;
  guint64 start_position;
  gsize max_size;
  guint64 open_timeout;
  guint64 close_timeout;
  guint64 ping_interval;
  guint64 linger;
  guint64 close_hold;
} Config;

typedef struct
{
  const gchar *path;
  AhRole role;
  Config config;
  const Step *steps;
} Case;

#define FEED(t, j, ...) \
  { .kind = STEP_FEED_TEXT, .now = (t), .str = (j), .x = { __VA_ARGS__ } }
#define BIN(t, bytes, ...) \
  { .kind = STEP_FEED_BINARY, .now = (t), .n = (bytes), .x = { __VA_ARGS__ } }
#define TIMEOUT(t, ...) \
  { .kind = STEP_TIMEOUT, .now = (t), .x = { __VA_ARGS__ } }
#define CMD_OPEN(t, tmpl, r, ...) \
  { .kind = STEP_OPEN, .now = (t), .str = (tmpl), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_PAUSE(t, r, ...) \
  { .kind = STEP_PAUSE, .now = (t), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_RESUME(t, r, ...) \
  { .kind = STEP_RESUME, .now = (t), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_CLOSE(t, reason, r, ...) \
  { .kind = STEP_CLOSE, .now = (t), .str = (reason), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_DISCONNECT(t, reason, info, vars, r, ...) \
  { .kind = STEP_DISCONNECT, .now = (t), .str = (reason), .str2 = (info), \
    .str3 = (vars), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_RECONNECT(t, info, r, ...) \
  { .kind = STEP_RECONNECT, .now = (t), .str2 = (info), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_EVENT(t, entities, r, ...) \
  { .kind = STEP_EVENT, .now = (t), .str3 = (entities), .ret = (r), .x = { __VA_ARGS__ } }
#define AUDIO(t, bytes, r, ...) \
  { .kind = STEP_SEND_AUDIO, .now = (t), .n = (bytes), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_DISCARD(samples, ...) \
  { .kind = STEP_DISCARD, .n = (samples), .x = { __VA_ARGS__ } }
#define CMD_MESSAGE(t, j, r, ...) \
  { .kind = STEP_SEND_MESSAGE, .now = (t), .str = (j), .ret = (r), .x = { __VA_ARGS__ } }
#define START(t, ...) \
  { .kind = STEP_START, .now = (t), .x = { __VA_ARGS__ } }
#define CMD_ANSWER(t, index, r, ...) \
  { .kind = STEP_ANSWER, .now = (t), .n = (index), .ret = (r), .x = { __VA_ARGS__ } }
#define CMD_RELEASE(t, r, ...) \
  { .kind = STEP_RELEASE, .now = (t), .ret = (r), .x = { __VA_ARGS__ } }
#define STATE(st) { .kind = STEP_CHECK_STATE, .n = (st) }
#define POSITION(p) { .kind = STEP_CHECK_POSITION, .n = (p) }
#define END { .kind = STEP_END }

#define X(type) .t = (type) + 1
#define X_TEXT(j) { X (AH_ACTION_SEND_TEXT), .json = (j) }
#define X_LIKE(j) { X (AH_ACTION_SEND_TEXT), .json = (j), .subset = TRUE }
#define X_BIN(pos, n) { X (AH_ACTION_SEND_BINARY), .a = (pos), .b = (n) }
#define X_OPENED(nch, probe) { X (AH_ACTION_OPENED), .a = (nch), .b = (probe) }
#define X_AUDIO(pos, n) { X (AH_ACTION_AUDIO), .a = (pos), .b = (n) }
#define X_GAP(pos, n, cause) { X (AH_ACTION_GAP), .a = (pos), .b = (n), .c = (cause) }
#define X_PAUSED(pos) { X (AH_ACTION_PAUSED), .a = (pos) }
#define X_RESUMED(pos) { X (AH_ACTION_RESUMED), .a = (pos) }
#define X_PING(rtt) { X (AH_ACTION_PING), .a = (rtt) }
#define X_MSG(name) { X (AH_ACTION_MESSAGE), .s = (name) }
#define X_PERR(code) { X (AH_ACTION_PROTOCOL_ERROR), .a = (code) }
#define X_MISMATCH(pos, t) { X (AH_ACTION_POSITION_MISMATCH), .a = (pos), .b = (t) }
#define X_CLOSED(reason, code) { X (AH_ACTION_CLOSED), .s = (reason), .a = (code) }
#define X_HANGUP { X (AH_ACTION_HANGUP) }
#define X_DEADLINE(d) { X (AH_ACTION_DEADLINE), .a = (d) }

/* ---- JSON comparison ---- */

static gchar *
unquote (const gchar * s)
{
  GString *out = g_string_sized_new (strlen (s));

  for (; *s; s++) {
    if (s[0] == '\\' && s[1] == '\'') {
      g_string_append_c (out, '\'');
      s++;
    } else if (*s == '\'') {
      g_string_append_c (out, '"');
    } else {
      g_string_append_c (out, *s);
    }
  }
  return g_string_free (out, FALSE);
}

static JsonNode *
parse_json (const gchar * text)
{
  GError *error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static gboolean
json_subset (JsonNode * expected, JsonNode * actual)
{
  JsonObject *e, *a;
  GList *members, *l;
  gboolean ok = TRUE;

  if (JSON_NODE_TYPE (expected) != JSON_NODE_OBJECT)
    return json_node_equal (expected, actual);
  if (JSON_NODE_TYPE (actual) != JSON_NODE_OBJECT)
    return FALSE;

  e = json_node_get_object (expected);
  a = json_node_get_object (actual);
  members = json_object_get_members (e);
  for (l = members; l && ok; l = l->next) {
    JsonNode *an = json_object_get_member (a, l->data);

    ok = an != NULL && json_subset (json_object_get_member (e, l->data), an);
  }
  g_list_free (members);
  return ok;
}

static gboolean
json_matches (const gchar * expected_quoted, const gchar * actual,
    gboolean subset)
{
  gchar *expected_text = unquote (expected_quoted);
  JsonNode *expected = parse_json (expected_text);
  JsonNode *got = parse_json (actual);
  gboolean ok;

  ok = subset ? json_subset (expected, got) : json_node_equal (expected, got);
  json_node_unref (expected);
  json_node_unref (got);
  g_free (expected_text);
  return ok;
}

/* ---- interpreter ---- */

static const gchar *const action_names[] = {
  "SEND_TEXT", "SEND_BINARY", "OPENED", "AUDIO", "GAP", "PAUSED", "RESUMED",
  "PING", "MESSAGE", "PROTOCOL_ERROR", "POSITION_MISMATCH", "CLOSED",
  "HANGUP", "DEADLINE",
};

static gchar *
describe_action (const AhAction * a)
{
  const gchar *name = action_names[a->type];

  switch (a->type) {
    case AH_ACTION_SEND_TEXT:
      return g_strdup_printf ("%s %s", name, a->text);
    case AH_ACTION_SEND_BINARY:
    case AH_ACTION_AUDIO:
      return g_strdup_printf ("%s pos=%" G_GUINT64_FORMAT " n=%"
          G_GUINT64_FORMAT " bytes=%" G_GSIZE_FORMAT, name, a->position,
          a->samples, a->data ? g_bytes_get_size (a->data) : 0);
    case AH_ACTION_OPENED:
      return g_strdup_printf ("%s channels=%u probe=%d", name,
          a->media.n_channels, a->probe);
    case AH_ACTION_GAP:
      return g_strdup_printf ("%s pos=%" G_GUINT64_FORMAT " n=%"
          G_GUINT64_FORMAT " cause=%d", name, a->position, a->samples,
          a->cause);
    case AH_ACTION_PAUSED:
    case AH_ACTION_RESUMED:
      return g_strdup_printf ("%s pos=%" G_GUINT64_FORMAT, name, a->position);
    case AH_ACTION_PING:
      return g_strdup_printf ("%s rtt=%" G_GUINT64_FORMAT, name, a->rtt);
    case AH_ACTION_MESSAGE:
      return g_strdup_printf ("%s %s", name,
          a->message ? a->message->type_name : "(null)");
    case AH_ACTION_PROTOCOL_ERROR:
    case AH_ACTION_CLOSED:
      return g_strdup_printf ("%s code=%d %s", name, a->code, a->text);
    case AH_ACTION_POSITION_MISMATCH:
      return g_strdup_printf ("%s client=%" G_GUINT64_FORMAT " ours=%"
          G_GUINT64_FORMAT, name, a->position, a->samples);
    case AH_ACTION_DEADLINE:
      return g_strdup_printf ("%s %" G_GUINT64_FORMAT, name, a->deadline);
    default:
      return g_strdup (name);
  }
}

static guint
frame_size_of (AhSession * s)
{
  const AhMedia *m = ah_session_get_media (s);

  return m ? ah_media_frame_size (m) : 1;
}

static gboolean
action_matches (AhSession * s, const Expect * x, const AhAction * a)
{
  if ((gint) a->type + 1 != x->t)
    return FALSE;

  switch (a->type) {
    case AH_ACTION_SEND_TEXT:
      return x->json == NULL || json_matches (x->json, a->text, x->subset);
    case AH_ACTION_SEND_BINARY:
    case AH_ACTION_AUDIO:
      return a->position == x->a && a->samples == x->b && a->data != NULL
          && g_bytes_get_size (a->data) == a->samples * frame_size_of (s);
    case AH_ACTION_OPENED:
      return a->media.n_channels == x->a && (guint64) a->probe == x->b
          && a->message != NULL;
    case AH_ACTION_GAP:
      return a->position == x->a && a->samples == x->b
          && (guint64) a->cause == x->c;
    case AH_ACTION_PAUSED:
    case AH_ACTION_RESUMED:
      return a->position == x->a;
    case AH_ACTION_PING:
      return x->a == ANY || a->rtt == x->a;
    case AH_ACTION_MESSAGE:
      return a->message != NULL && g_strcmp0 (a->message->type_name, x->s) == 0;
    case AH_ACTION_PROTOCOL_ERROR:
      return (guint64) a->code == x->a && a->text != NULL && *a->text;
    case AH_ACTION_POSITION_MISMATCH:
      return a->position == x->a && a->samples == x->b;
    case AH_ACTION_CLOSED:
      return g_strcmp0 (a->text, x->s) == 0 && (guint64) a->code == x->a;
    case AH_ACTION_DEADLINE:
      return a->deadline == x->a && ah_session_get_deadline (s) == x->a;
    default:
      return TRUE;
  }
}

static GBytes *
make_bytes (gsize n)
{
  guint8 *data = g_malloc (n ? n : 1);
  gsize i;

  for (i = 0; i < n; i++)
    data[i] = (guint8) i;
  return g_bytes_new_take (data, n);
}

static AhMessage *
parse_template (const gchar * quoted, AhRole sender)
{
  gchar *text = unquote (quoted);
  GError *error = NULL;
  AhMessage *msg = ah_message_parse (text, -1, sender, 0, &error);

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_free (text);
  return msg;
}

static JsonNode *
parse_quoted (const gchar * quoted)
{
  gchar *text = unquote (quoted);
  JsonNode *node = parse_json (text);

  g_free (text);
  return node;
}

/* Runs the input or command of @step; returns the command's result. */
static gint64
perform (AhSession * s, const Step * step)
{
  gint64 ret = 0;

  switch (step->kind) {
    case STEP_FEED_TEXT:{
      gchar *text = unquote (step->str);

      ah_session_feed_text (s, text, -1, step->now);
      g_free (text);
      break;
    }
    case STEP_FEED_BINARY:{
      GBytes *b = make_bytes (step->n);

      ah_session_feed_binary (s, b, step->now);
      g_bytes_unref (b);
      break;
    }
    case STEP_TIMEOUT:
      ah_session_timeout (s, step->now);
      break;
    case STEP_START:
      ah_session_start (s, step->now);
      break;
    case STEP_ANSWER:
      ret = ah_session_answer_open (s, (gint) step->n, step->now);
      break;
    case STEP_RELEASE:
      ret = ah_session_release_close (s, step->now);
      break;
    case STEP_OPEN:{
      AhMessage *tmpl = parse_template (step->str, AH_ROLE_CLIENT);

      ret = ah_session_open (s, tmpl, step->now);
      ah_message_unref (tmpl);
      break;
    }
    case STEP_PAUSE:
      ret = ah_session_pause (s, step->now);
      break;
    case STEP_RESUME:
      ret = ah_session_resume (s, step->now);
      break;
    case STEP_CLOSE:
      ret = ah_session_close (s, step->str, step->now);
      break;
    case STEP_DISCONNECT:{
      JsonNode *vars = step->str3 ? parse_quoted (step->str3) : NULL;

      ret = ah_session_disconnect (s, step->str, step->str2,
          vars ? json_node_get_object (vars) : NULL, step->now);
      if (vars)
        json_node_unref (vars);
      break;
    }
    case STEP_RECONNECT:
      ret = ah_session_reconnect (s, step->str2, step->now);
      break;
    case STEP_EVENT:{
      JsonNode *entities = parse_quoted (step->str3);

      ret = ah_session_send_event (s, json_node_get_array (entities),
          step->now);
      json_node_unref (entities);
      break;
    }
    case STEP_SEND_AUDIO:{
      GBytes *b = make_bytes (step->n);

      ret = (gint64) ah_session_send_audio (s, b, step->now);
      g_bytes_unref (b);
      break;
    }
    case STEP_DISCARD:
      ah_session_discard (s, step->n);
      break;
    case STEP_SEND_MESSAGE:{
      AhMessage *msg = parse_template (step->str, ah_session_get_role (s));

      ret = ah_session_send_message (s, msg, step->now);
      ah_message_unref (msg);
      break;
    }
    case STEP_CHECK_STATE:
    case STEP_CHECK_POSITION:
    case STEP_END:
      break;
  }
  return ret;
}

static gboolean
is_command (StepKind kind)
{
  switch (kind) {
    case STEP_OPEN:
    case STEP_PAUSE:
    case STEP_RESUME:
    case STEP_CLOSE:
    case STEP_DISCONNECT:
    case STEP_RECONNECT:
    case STEP_EVENT:
    case STEP_SEND_AUDIO:
    case STEP_SEND_MESSAGE:
    case STEP_ANSWER:
    case STEP_RELEASE:
      return TRUE;
    default:
      return FALSE;
  }
}

static void
apply_config (AhSession * s, const Config * c)
{
  if (c->org)
    ah_session_set_organization_id (s, c->org);
  ah_session_set_start_paused (s, c->start_paused);
  ah_session_set_discard_to (s, c->discard_to);
  if (c->languages)
    ah_session_set_supported_languages (s, c->languages);
  if (c->set_preference || c->formats)
    ah_session_set_media_preference (s, c->preference, c->formats);
  if (c->selector)
    ah_session_set_media_selector (s, c->selector, NULL);
  ah_session_set_accept_audio (s, c->accept_audio);
  if (c->start_position)
    ah_session_set_start_position (s, c->start_position);
  if (c->max_size)
    ah_session_set_max_message_size (s, c->max_size);
  ah_session_set_timeouts (s, c->open_timeout, c->close_timeout,
      c->ping_interval, c->linger);
  if (c->close_hold)
    ah_session_set_close_hold (s, c->close_hold);
}

/* Returns FALSE (after marking the test failed) on the first mismatch. */
static gboolean
run_step (AhSession * s, const Case * c, guint index, const Step * step)
{
  GPtrArray *got = g_ptr_array_new_with_free_func ((GDestroyNotify)
      ah_action_free);
  AhAction *a;
  gint64 ret;
  guint n_expected = 0, i;
  gboolean ok = TRUE;
  GString *report;

  ret = perform (s, step);
  while ((a = ah_session_pop_action (s)))
    g_ptr_array_add (got, a);

  while (n_expected < MAX_EXPECT && step->x[n_expected].t != 0)
    n_expected++;

  if (is_command (step->kind) && ret != step->ret)
    ok = FALSE;
  if (step->kind == STEP_CHECK_STATE
      && ah_session_get_state (s) != (AhState) step->n)
    ok = FALSE;
  if (step->kind == STEP_CHECK_POSITION
      && ah_session_get_position (s) != step->n)
    ok = FALSE;
  if (got->len != n_expected)
    ok = FALSE;
  for (i = 0; ok && i < n_expected; i++)
    ok = action_matches (s, &step->x[i], g_ptr_array_index (got, i));

  if (!ok) {
    report = g_string_new (NULL);
    g_string_append_printf (report, "%s: step %u (kind %d, now %"
        G_GUINT64_FORMAT "): return %" G_GINT64_FORMAT " (expected %"
        G_GINT64_FORMAT "), state %s, position %" G_GUINT64_FORMAT
        "; expected %u actions, got %u:", c->path, index, step->kind,
        step->now, ret, step->ret, ah_state_name (ah_session_get_state (s)),
        ah_session_get_position (s), n_expected, got->len);
    for (i = 0; i < got->len; i++) {
      gchar *d = describe_action (g_ptr_array_index (got, i));
      const gchar *mark = i < n_expected &&
          action_matches (s, &step->x[i], g_ptr_array_index (got, i)) ?
          "ok " : "BAD";

      g_string_append_printf (report, "\n  %s [%u] %s", mark, i, d);
      g_free (d);
    }
    for (i = got->len; i < n_expected; i++)
      g_string_append_printf (report, "\n  MISSING [%u] %s %s", i,
          action_names[step->x[i].t - 1],
          step->x[i].json ? step->x[i].json : "");
    g_test_fail_printf ("%s", report->str);
    g_string_free (report, TRUE);
  }
  g_ptr_array_unref (got);
  return ok;
}

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  AhSession *s = ah_session_new (c->role, SID);
  guint i;

  apply_config (s, &c->config);
  for (i = 0; c->steps[i].kind != STEP_END; i++) {
    if (!run_step (s, c, i, &c->steps[i]))
      break;
  }
  ah_session_free (s);
}

/* ================================================================== */
/* server role */

static const Step server_happy_stereo[] = {
  STATE (AH_STATE_PREPARING),
  FEED (0, OPEN,
      X_TEXT (OPENED (1, 1, M_STEREO, "")),
      X_OPENED (2, FALSE)),
  STATE (AH_STATE_ACTIVE),
  BIN (MS (200), 3200, X_AUDIO (0, 1600)),
  BIN (MS (400), 3200, X_AUDIO (1600, 1600)),
  BIN (MS (600), 3200, X_AUDIO (3200, 1600)),
  BIN (MS (800), 3200, X_AUDIO (4800, 1600)),
  BIN (MS (1000), 3200, X_AUDIO (6400, 1600)),
  FEED (MS (1000), C ("ping", 2, 1, "PT1S", "{}"),
      X_TEXT (S ("pong", 2, 2, "{}")),
      X_PING (0)),
  FEED (MS (1010), C ("ping", 3, 2, "PT1S", "{'rtt':'PT0.0021S'}"),
      X_TEXT (S ("pong", 3, 3, "{}")),
      X_PING (2100000)),
  BIN (MS (1200), 0),
  POSITION (8000),
  FEED (MS (1300), C ("close", 4, 3, "PT1S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 4, 4, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (31300))),
  STATE (AH_STATE_CLOSED),
  TIMEOUT (MS (31299)),
  TIMEOUT (MS (31300), X_HANGUP, X_DEADLINE (NONE)),
  END
};

/* A held close: the session is over for the application (CLOSED action)
 * but closed waits; events and pongs go out meanwhile, in seq order, audio
 * is an error that sends no disconnect; release sends closed once. */
#define EV "[{'type':'transcript','data':{'isFinal':true}}]"
static const Step server_close_held[] = {
  FEED (0, OPEN,
      X_TEXT (OPENED (1, 1, M_STEREO, "")),
      X_OPENED (2, FALSE)),
  BIN (MS (200), 3200, X_AUDIO (0, 1600)),
  FEED (MS (300), C ("close", 2, 1, "PT0.2S", "{'reason':'end'}"),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (5300))),
  STATE (AH_STATE_CLOSING),
  CMD_EVENT (MS (400), EV, TRUE, X_TEXT (S ("event", 2, 2,
              "{'entities':" EV "}"))),
  FEED (MS (500), C ("ping", 3, 2, "PT0.2S", "{}"),
      X_TEXT (S ("pong", 3, 3, "{}")),
      X_PING (0)),
  BIN (MS (550), 3200, X_PERR (400)),
  CMD_EVENT (MS (600), EV, TRUE, X_TEXT (S ("event", 4, 3,
              "{'entities':" EV "}"))),
  CMD_PAUSE (MS (600), FALSE),
  CMD_DISCONNECT (MS (600), "completed", NULL, NULL, FALSE),
  CMD_RELEASE (MS (700), TRUE,
      X_TEXT (S ("closed", 5, 3, "{}")),
      X_DEADLINE (MS (30700))),
  STATE (AH_STATE_CLOSED),
  CMD_RELEASE (MS (800), FALSE),
  CMD_EVENT (MS (800), EV, FALSE),
  END
};

/* Nobody releases: closed goes out when the hold ends. */
static const Step server_close_hold_expires[] = {
  FEED (0, OPEN,
      X_TEXT (OPENED (1, 1, M_STEREO, "")),
      X_OPENED (2, FALSE)),
  FEED (MS (100), C ("close", 2, 1, "PT0S", "{'reason':'end'}"),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (5100))),
  TIMEOUT (MS (5099)),
  TIMEOUT (MS (5100),
      X_TEXT (S ("closed", 2, 2, "{}")),
      X_DEADLINE (MS (35100))),
  STATE (AH_STATE_CLOSED),
  END
};

static const Step server_happy_mono[] = {
  FEED (0, OPEN,
      X_TEXT (OPENED (1, 1, M_EXT, "")),
      X_OPENED (1, FALSE)),
  BIN (MS (200), 1600, X_AUDIO (0, 1600)),
  BIN (MS (300), 801, X_AUDIO (1600, 801)),
  /* Audio Connector: bot audio and events go out in ACTIVE */
  AUDIO (MS (300), 1600, 1600, X_BIN (0, 1600)),
  AUDIO (MS (400), 800, 800, X_BIN (1600, 800)),
  CMD_EVENT (MS (500),
      "[{'type':'bot_turn_response','data':{'disposition':'match','text':'hi'}}]",
      TRUE,
      X_TEXT (S ("event", 2, 1, "{'entities':[{'type':'bot_turn_response',"
              "'data':{'disposition':'match','text':'hi'}}]}"))),
  CMD_RECONNECT (MS (600), "draining", TRUE,
      X_TEXT (S ("reconnect", 3, 1, "{'info':'draining'}"))),
  CMD_MESSAGE (MS (700), S ("updated", 9, 9, "{}"), TRUE,
      X_TEXT (S ("updated", 4, 1, "{}"))),
  FEED (MS (800), C ("dtmf", 2, 4, "PT0.3001S", "{'digit':'5'}"),
      X_MSG ("dtmf")),
  FEED (MS (900), C ("close", 3, 4, "PT0.3001S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 5, 3, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (30900))),
  END
};

static const Step server_probe[] = {
  FEED (0, OPEN_PROBE,
      X_TEXT (OPENED (1, 1, M_STEREO, "")),
      X_OPENED (2, TRUE)),
  BIN (MS (10), 0),
  BIN (MS (200), 3200),
  BIN (MS (400), 3200),
  POSITION (3200),
  FEED (MS (500), C ("close", 2, 1, "PT0.4S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 2, 2, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (30500))),
  END
};

static const Step server_ping_first[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (200), 3200, X_AUDIO (0, 1600)),
  /* the client claims 5 s: pong first, then the diagnostic, then the ping */
  FEED (MS (1000), C ("ping", 2, 1, "PT5S", "{}"),
      X_TEXT (S ("pong", 2, 2, "{}")),
      X_MISMATCH (40000, 1600),
      X_PING (0)),
  CMD_PAUSE (MS (1100), TRUE, X_TEXT (S ("pause", 3, 2, "{}"))),
  FEED (MS (1200), C ("ping", 3, 3, "PT0.2S", "{}"),
      X_TEXT (S ("pong", 4, 3, "{}")),
      X_PING (0)),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step server_position_tolerance[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (200), 3200 * 5, X_AUDIO (0, 8000)),
  /* one 200 ms frame either way is fine, one sample more is not */
  FEED (MS (1000), C ("error", 2, 1, "PT1.2S", "{'code':500,'message':'x'}"),
      X_MSG ("error")),
  FEED (MS (1000), C ("error", 3, 1, "PT0.8S", "{'code':500,'message':'x'}"),
      X_MSG ("error")),
  FEED (MS (1000), C ("error", 4, 1, "PT1.200125S",
          "{'code':500,'message':'x'}"),
      X_MISMATCH (9601, 8000),
      X_MSG ("error")),
  FEED (MS (1000), C ("error", 5, 1, "PT0.799875S",
          "{'code':500,'message':'x'}"),
      X_MISMATCH (6399, 8000),
      X_MSG ("error")),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step server_pause_resume[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (1000), 16000, X_AUDIO (0, 8000)),
  CMD_PAUSE (MS (1000), TRUE, X_TEXT (S ("pause", 2, 1, "{}"))),
  FEED (MS (1050), C ("paused", 2, 2, "PT1S", "{}"), X_PAUSED (8000)),
  STATE (AH_STATE_PAUSED),
  /* the reference test harness sends paused twice */
  FEED (MS (1060), C ("paused", 3, 2, "PT1S", "{}")),
  CMD_PAUSE (MS (1100), TRUE, X_TEXT (S ("pause", 3, 3, "{}"))),
  /* client time runs on while paused: no position check */
  FEED (MS (3000), C ("ping", 4, 3, "PT3S", "{}"),
      X_TEXT (S ("pong", 4, 4, "{}")),
      X_PING (0)),
  CMD_RESUME (MS (4000), TRUE, X_TEXT (S ("resume", 5, 4, "{}"))),
  FEED (MS (4050), C ("resumed", 5, 5, "PT4S",
          "{'start':'PT1S','discarded':'PT3S'}"),
      X_GAP (8000, 24000, AH_GAP_PAUSED),
      X_RESUMED (32000)),
  STATE (AH_STATE_ACTIVE),
  BIN (MS (4200), 3200, X_AUDIO (32000, 1600)),
  /* resumed while active is ignored */
  FEED (MS (4300), C ("resumed", 6, 5, "PT4.2S",
          "{'start':'PT4.2S','discarded':'PT0S'}")),
  CMD_RESUME (MS (4400), TRUE, X_TEXT (S ("resume", 6, 6, "{}"))),
  FEED (MS (4450), C ("resumed", 7, 6, "PT4.2S",
          "{'start':'PT4.2S','discarded':'PT0S'}")),
  /* a pause with nothing discarded */
  FEED (MS (4500), C ("paused", 8, 6, "PT4.2S", "{}"), X_PAUSED (33600)),
  FEED (MS (4600), C ("resumed", 9, 6, "PT4.2S",
          "{'start':'PT4.2S','discarded':'PT0S'}"),
      X_RESUMED (33600)),
  POSITION (33600),
  END
};

static const Step server_discarded[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_EXT, "")), X_OPENED (1, FALSE)),
  BIN (MS (200), 1600, X_AUDIO (0, 1600)),
  FEED (MS (300), C ("discarded", 2, 1, "PT0.7S",
          "{'start':'PT0.2S','discarded':'PT0.5S'}"),
      X_GAP (1600, 4000, AH_GAP_DISCARDED)),
  BIN (MS (400), 1600, X_AUDIO (5600, 1600)),
  FEED (MS (500), C ("discarded", 3, 1, "PT0.9S",
          "{'start':'PT0.9S','discarded':'PT0S'}")),
  /* odd values are never fatal; the gap is what counts */
  FEED (MS (600), C ("discarded", 4, 1, "PT1.9S",
          "{'start':'PT6.3S','discarded':'PT1S'}"),
      X_GAP (7200, 8000, AH_GAP_DISCARDED)),
  FEED (MS (700), C ("paused", 5, 1, "PT1.9S", "{}"), X_PAUSED (15200)),
  FEED (MS (800), C ("discarded", 6, 1, "PT2S",
          "{'start':'PT1.9S','discarded':'PT0.1S'}"),
      X_GAP (15200, 800, AH_GAP_DISCARDED)),
  STATE (AH_STATE_PAUSED),
  POSITION (16000),
  END
};

static const Step server_start_paused[] = {
  FEED (0, OPEN,
      X_TEXT (S ("opened", 1, 1,
              "{'media':[" M_STEREO "],'startPaused':true}")),
      X_OPENED (2, FALSE)),
  /* audio before the client's paused is still taken */
  BIN (MS (10), 320, X_AUDIO (0, 160)),
  FEED (MS (20), C ("paused", 2, 1, "PT0.02S", "{}"), X_PAUSED (160)),
  BIN (MS (30), 320,
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 2, "{'reason':'error'}")),
      X_DEADLINE (MS (30030))),
  END
};

static const Step server_start_paused_resume[] = {
  FEED (0, OPEN,
      X_TEXT (S ("opened", 1, 1,
              "{'media':[" M_STEREO "],'startPaused':true}")),
      X_OPENED (2, FALSE)),
  FEED (MS (20), C ("paused", 2, 1, "PT0S", "{}"), X_PAUSED (0)),
  CMD_RESUME (SEC (2), TRUE, X_TEXT (S ("resume", 2, 2, "{}"))),
  FEED (SEC (2), C ("resumed", 3, 2, "PT2S",
          "{'start':'PT0S','discarded':'PT2S'}"),
      X_GAP (0, 16000, AH_GAP_PAUSED),
      X_RESUMED (16000)),
  BIN (MS (2200), 3200, X_AUDIO (16000, 1600)),
  END
};

static const Step server_discard_to[] = {
  FEED (0, OPEN,
      X_TEXT (OPENED (1, 1, M_STEREO, ",'discardTo':'PT5S'")),
      X_OPENED (2, FALSE)),
  FEED (MS (10), C ("discarded", 2, 1, "PT5S",
          "{'start':'PT0S','discarded':'PT5S'}"),
      X_GAP (0, 40000, AH_GAP_DISCARDED)),
  BIN (MS (200), 3200, X_AUDIO (40000, 1600)),
  END
};

static const Step server_languages[] = {
  FEED (0, OPEN_LANG,
      X_TEXT (OPENED (1, 1, M_STEREO,
              ",'supportedLanguages':['en-US','de-DE']")),
      X_OPENED (2, FALSE)),
  FEED (MS (10), C ("update", 2, 1, "PT0S", "{'language':'de-DE'}"),
      X_MSG ("update")),
  END
};

static const Step server_languages_none[] = {
  FEED (0, OPEN_LANG,
      X_TEXT (OPENED (1, 1, M_STEREO, ",'supportedLanguages':[]")),
      X_OPENED (2, FALSE)),
  END
};

static const Step server_languages_not_asked[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  END
};

static const Step server_client_error[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("error", 2, 1, "PT0S",
          "{'code':429,'message':'Too many','retryAfter':'PT2S'}"),
      X_MSG ("error")),
  FEED (MS (20), C ("error", 3, 1, "PT0S", "{'code':500,'message':'oops'}"),
      X_MSG ("error")),
  STATE (AH_STATE_ACTIVE),
  BIN (MS (200), 3200, X_AUDIO (0, 1600)),
  FEED (MS (300), C ("playback_started", 4, 1, "PT0.2S", "{}"),
      X_MSG ("playback_started")),
  FEED (MS (400), C ("playback_completed", 5, 1, "PT0.2S", "{}"),
      X_MSG ("playback_completed")),
  FEED (MS (500), C ("dtmf", 6, 1, "PT0.2S", "{'digit':'#'}"),
      X_MSG ("dtmf")),
  FEED (MS (600), C ("ping", 7, 1, "PT0.2S", "{}"),
      X_TEXT (S ("pong", 2, 7, "{}")), X_PING (0)),
  END
};

static const Step server_close_paused[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (200), 3200, X_AUDIO (0, 1600)),
  FEED (MS (300), C ("paused", 2, 1, "PT0.2S", "{}"), X_PAUSED (1600)),
  FEED (SEC (5), C ("close", 3, 1, "PT5S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 2, 3, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (SEC (35))),
  /* after close: reported, but no disconnect can follow */
  BIN (SEC (6), 3200, X_PERR (400)),
  FEED (SEC (7), C ("close", 4, 2, "PT5S", "{'reason':'end'}")),
  /* closed was the last word: not even a pong after it */
  FEED (SEC (8), C ("ping", 5, 2, "PT5S", "{}")),
  CMD_DISCONNECT (SEC (9), "completed", NULL, NULL, FALSE),
  CMD_EVENT (SEC (9), "[]", FALSE),
  STATE (AH_STATE_CLOSED),
  TIMEOUT (SEC (35), X_HANGUP, X_DEADLINE (NONE)),
  END
};

/* F7: a connection that never opens is ended: disconnect (error) at the
 * open timeout, the connection dropped 2 s later. */
static const Step server_no_open[] = {
  START (0, X_DEADLINE (SEC (5))),
  TIMEOUT (SEC (5),
      X_TEXT (S ("disconnect", 1, 0, "{'reason':'error',"
              "'info':'Timeout: no open message within the open timeout'}")),
      X_PERR (408), X_DEADLINE (SEC (7))),
  STATE (AH_STATE_ERROR),
  TIMEOUT (SEC (7), X_CLOSED ("timeout", 408), X_HANGUP, X_DEADLINE (NONE)),
  END
};

/* F7: an open session that goes silent (not even pings) is ended after the
 * idle timeout; every message pushes it back, without a new deadline each
 * time (the timer re-arms when it comes). */
static const Step server_idle[] = {
  START (0, X_DEADLINE (SEC (5))),
  FEED (MS (100), OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")),
      X_OPENED (2, FALSE), X_DEADLINE (SEC (60))),
  FEED (SEC (30), C ("ping", 2, 1, "PT0S", "{}"),
      X_TEXT (S ("pong", 2, 2, "{}")), X_PING (0)),
  TIMEOUT (SEC (60), X_DEADLINE (SEC (90))),
  TIMEOUT (SEC (90),
      X_TEXT (S ("disconnect", 3, 2, "{'reason':'error',"
              "'info':'Timeout: nothing received within the idle timeout'}")),
      X_PERR (408), X_DEADLINE (SEC (92))),
  /* a late close is still answered, and lingers as any close */
  FEED (SEC (91), C ("close", 3, 3, "PT0S", "{'reason':'disconnect'}"),
      X_TEXT (S ("closed", 4, 3, "{}")), X_CLOSED ("disconnect", 0),
      X_DEADLINE (SEC (121))),
  TIMEOUT (SEC (121), X_HANGUP, X_DEADLINE (NONE)),
  END
};

/* A client that went silent and does not close either: its connection
 * died on the way (half-open), and it continues the session on a new one
 * once it notices. So the session ends as a lost connection does: no
 * CLOSED, the state stays ERROR, and its server waits for the
 * continuation (a CLOSED here made the call final, and the continuation a
 * repeated close without media). */
static const Step server_idle_silent[] = {
  START (0, X_DEADLINE (SEC (5))),
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (60))),
  FEED (SEC (10), C ("ping", 2, 1, "PT0S", "{}"),
      X_TEXT (S ("pong", 2, 2, "{}")), X_PING (0)),
  TIMEOUT (SEC (60), X_DEADLINE (SEC (70))),
  TIMEOUT (SEC (70),
      X_TEXT (S ("disconnect", 3, 2, "{'reason':'error',"
              "'info':'Timeout: nothing received within the idle timeout'}")),
      X_PERR (408), X_DEADLINE (SEC (72))),
  STATE (AH_STATE_ERROR),
  TIMEOUT (SEC (72), X_HANGUP, X_DEADLINE (NONE)),
  STATE (AH_STATE_ERROR),
  END
};

/* A paused session still pings: it is not idle. */
static const Step server_paused_pings[] = {
  START (0, X_DEADLINE (SEC (5))),
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (60))),
  FEED (MS (10), C ("paused", 2, 1, "PT0S", "{}"), X_PAUSED (0)),
  FEED (SEC (50), C ("ping", 3, 1, "PT0S", "{}"),
      X_TEXT (S ("pong", 2, 3, "{}")), X_PING (0)),
  TIMEOUT (SEC (60), X_DEADLINE (SEC (110))),
  FEED (SEC (100), C ("ping", 4, 2, "PT0S", "{}"),
      X_TEXT (S ("pong", 3, 4, "{}")), X_PING (0)),
  TIMEOUT (SEC (110), X_DEADLINE (SEC (160))),
  STATE (AH_STATE_PAUSED),
  END
};

/* I1: close, audio and ping in one burst: closed is the last word. */
static const Step server_burst_after_close[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("close", 2, 1, "PT0S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 2, 2, "{}")), X_CLOSED ("end", 0),
      X_DEADLINE (SEC (30) + MS (10))),
  BIN (MS (10), 3200, X_PERR (400)),
  FEED (MS (10), C ("ping", 3, 2, "PT0S", "{}")),
  STATE (AH_STATE_CLOSED),
  END
};

/* F1: a span that would put the position far beyond the session's age is
 * a protocol error, and no gap is emitted for it. */
static const Step server_span_attack[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("discarded", 2, 1, "PT0S",
          "{'start':'PT0S','discarded':'PT999999999S'}"),
      X_PERR (400), X_LIKE (S ("disconnect", 2, 2, "{'reason':'error'}")),
      X_DEADLINE (SEC (30) + MS (10))),
  STATE (AH_STATE_ERROR),
  POSITION (0),
  END
};

static const Step server_resumed_attack[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("paused", 2, 1, "PT0S", "{}"), X_PAUSED (0)),
  FEED (SEC (1), C ("resumed", 3, 1, "PT999999999S",
          "{'start':'PT0S','discarded':'PT999999999S'}"),
      X_PERR (400), X_LIKE (S ("disconnect", 2, 3, "{'reason':'error'}")),
      X_DEADLINE (SEC (31))),
  POSITION (0),
  END
};

/* Plausible spans pass: a client paused 10 min, and a continuation that
 * reports a 5 min outage before it opened. */
static const Step server_spans_plausible[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("paused", 2, 1, "PT0S", "{}"), X_PAUSED (0)),
  FEED (SEC (600), C ("resumed", 3, 1, "PT600S",
          "{'start':'PT0S','discarded':'PT600S'}"),
      X_GAP (0, 4800000, AH_GAP_PAUSED), X_RESUMED (4800000)),
  FEED (SEC (601), C ("discarded", 4, 1, "PT900S",
          "{'start':'PT600S','discarded':'PT300S'}"),
      X_GAP (4800000, 2400000, AH_GAP_DISCARDED)),
  POSITION (7200000),
  END
};

/* An open beyond two days of audio is no call. */
static const Step server_open_far[] = {
  FEED (0, C ("open", 1, 0, "PT999999999S", OPEN_PARAMS),
      X_PERR (400), X_LIKE (S ("disconnect", 1, 1, "{'reason':'error'}")),
      X_DEADLINE (SEC (30))),
  STATE (AH_STATE_ERROR),
  END
};

static const Step server_disconnect_close[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_EXT, "")), X_OPENED (1, FALSE)),
  BIN (MS (200), 1600, X_AUDIO (0, 1600)),
  CMD_DISCONNECT (SEC (2), "completed", "done", "{'result':'ok','n':'3'}",
      TRUE,
      X_TEXT (S ("disconnect", 2, 1, "{'reason':'completed','info':'done',"
              "'outputVariables':{'result':'ok','n':'3'}}")),
      X_DEADLINE (SEC (32))),
  STATE (AH_STATE_DISCONNECTING),
  /* in flight before the client saw it */
  BIN (MS (2100), 1600, X_AUDIO (1600, 1600)),
  CMD_EVENT (MS (2150), "[{'type':'transcript','data':{}}]", TRUE,
      X_TEXT (S ("event", 3, 1,
              "{'entities':[{'type':'transcript','data':{}}]}"))),
  CMD_DISCONNECT (MS (2160), "completed", NULL, NULL, FALSE),
  CMD_PAUSE (MS (2170), FALSE),
  CMD_RESUME (MS (2170), FALSE),
  AUDIO (MS (2170), 1600, 0),
  FEED (MS (2200), C ("close", 2, 2, "PT0.4S", "{'reason':'disconnect'}"),
      X_TEXT (S ("closed", 4, 2, "{}")),
      X_CLOSED ("disconnect", 0),
      X_DEADLINE (MS (32200))),
  TIMEOUT (MS (32200), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const Step server_disconnect_linger[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_EXT, "")), X_OPENED (1, FALSE)),
  CMD_DISCONNECT (SEC (1), "completed", NULL, NULL, TRUE,
      X_TEXT (S ("disconnect", 2, 1, "{'reason':'completed'}")),
      X_DEADLINE (SEC (31))),
  TIMEOUT (SEC (31),
      X_CLOSED ("timeout", 408), X_HANGUP, X_DEADLINE (NONE)),
  STATE (AH_STATE_CLOSED),
  END
};

static const Step server_org_mismatch[] = {
  FEED (0, C ("open", 1, 0, "PT0S", OPEN_P (OTHER_ORG, CONV, PID, OFFERS, "")),
      X_PERR (401),
      X_LIKE (S ("disconnect", 1, 1, "{'reason':'unauthorized'}")),
      X_DEADLINE (SEC (30))),
  STATE (AH_STATE_DISCONNECTING),
  BIN (MS (10), 3200, X_PERR (400)),
  FEED (MS (20), C ("close", 2, 1, "PT0S", "{'reason':'disconnect'}"),
      X_TEXT (S ("closed", 2, 2, "{}")),
      X_CLOSED ("disconnect", 0),
      X_DEADLINE (MS (30020))),
  END
};

static const Step server_wrong_seq[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (SEC (1), C ("ping", 3, 1, "PT0S", "{}"),
      X_PERR (400),
      X_TEXT (S ("disconnect", 2, 1, "{'reason':'error','info':"
              "'Client Error: ping message has seq 3, expected 2'}")),
      X_DEADLINE (SEC (31))),
  STATE (AH_STATE_ERROR),
  /* ping and close are still answered, whatever their seq */
  FEED (MS (1100), C ("ping", 4, 1, "PT0S", "{}"),
      X_TEXT (S ("pong", 3, 4, "{}")),
      X_PING (0)),
  BIN (MS (1200), 3200),
  FEED (MS (1300), C ("update", 9, 3, "PT0S", "{'language':'en-US'}"),
      X_PERR (400)),
  FEED (MS (1400), C ("update", 5, 3, "PT0S", "{'language':'en-US'}")),
  CMD_PAUSE (MS (1500), FALSE),
  CMD_EVENT (MS (1500), "[]", FALSE),
  FEED (MS (1600), C ("close", 17, 3, "PT0S", "{'reason':'error'}"),
      X_TEXT (S ("closed", 4, 17, "{}")),
      X_CLOSED ("error", 0),
      X_DEADLINE (MS (31600))),
  STATE (AH_STATE_CLOSED),
  END
};

static const Step server_wrong_id[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (SEC (1), "{'version':'2','id':'" OTHER_ID "','type':'ping','seq':2,"
      "'serverseq':1,'position':'PT0S','parameters':{}}",
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (SEC (31))),
  STATE (AH_STATE_ERROR),
  END
};

static const Step server_serverseq_high[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (SEC (1), C ("ping", 2, 2, "PT0S", "{}"),
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (SEC (31))),
  END
};

static const Step server_malformed[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (SEC (1), "{'version':'2','id':",
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (SEC (31))),
  FEED (SEC (2), "[1,2]", X_PERR (400)),
  FEED (SEC (3), "", X_PERR (400)),
  FEED (SEC (4), C ("close", 2, 2, "PT0S", "{'reason':'error'}"),
      X_TEXT (S ("closed", 3, 2, "{}")),
      X_CLOSED ("error", 0),
      X_DEADLINE (SEC (34))),
  END
};

static const Step server_not_object[] = {
  FEED (0, "42",
      X_PERR (400),
      X_LIKE (S ("disconnect", 1, 0, "{'reason':'error'}")),
      X_DEADLINE (SEC (30))),
  END
};

#define PAD10 "0123456789"
#define PAD100 PAD10 PAD10 PAD10 PAD10 PAD10 PAD10 PAD10 PAD10 PAD10 PAD10
#define PAD1000 PAD100 PAD100 PAD100 PAD100 PAD100 PAD100 PAD100 PAD100 \
    PAD100 PAD100

static const Step server_too_large[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (SEC (1), C ("update", 2, 1, "PT0S",
          "{'language':'en-US','padding':'" PAD1000 "'}"),
      X_PERR (413),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (SEC (31))),
  END
};

static const Step server_audio_before_open[] = {
  BIN (0, 0),
  BIN (0, 3200,
      X_PERR (400),
      X_LIKE (S ("disconnect", 1, 0, "{'reason':'error'}")),
      X_DEADLINE (SEC (30))),
  /* the open that follows is not answered any more */
  FEED (MS (10), OPEN),
  STATE (AH_STATE_ERROR),
  FEED (MS (20), C ("close", 2, 1, "PT0S", "{'reason':'disconnect'}"),
      X_TEXT (S ("closed", 2, 2, "{}")),
      X_CLOSED ("disconnect", 0),
      X_DEADLINE (MS (30020))),
  END
};

static const Step server_audio_paused[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("paused", 2, 1, "PT0S", "{}"), X_PAUSED (0)),
  BIN (MS (20), 0),
  BIN (MS (200), 3200,
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 2, "{'reason':'error'}")),
      X_DEADLINE (MS (30200))),
  POSITION (0),
  END
};

static const Step server_partial_frame[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (200), 3201,
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (MS (30200))),
  POSITION (0),
  /* reported once; the rest is dropped quietly */
  BIN (MS (400), 3201),
  END
};

static const Step server_second_open[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("open", 2, 1, "PT0S", OPEN_PARAMS),
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 2, "{'reason':'error'}")),
      X_DEADLINE (MS (30010))),
  END
};

static const Step server_unknown_type[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  FEED (MS (10), C ("frobnicate", 2, 1, "PT0S", "{'x':[1,2,{}]}"),
      X_MSG ("frobnicate")),
  /* a server message type from the client counts as unknown */
  FEED (MS (20), C ("pong", 3, 1, "PT0S", "{}"), X_MSG ("pong")),
  /* unknown members are ignored */
  FEED (MS (30), "{'version':'2','id':'" SID "','type':'ping','seq':4,"
      "'serverseq':1,'position':'PT0S','parameters':{'future':true},"
      "'extra':{'a':1}}",
      X_TEXT (S ("pong", 2, 4, "{}")), X_PING (0)),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step server_wrong_state_commands[] = {
  CMD_PAUSE (0, FALSE),
  CMD_RESUME (0, FALSE),
  CMD_EVENT (0, "[]", FALSE),
  CMD_RECONNECT (0, NULL, FALSE),
  CMD_MESSAGE (0, S ("updated", 1, 1, "{}"), FALSE),
  AUDIO (0, 1600, 0),
  /* paused, resumed, discarded and update before open are ignored */
  FEED (MS (1), C ("paused", 1, 0, "PT0S", "{}")),
  FEED (MS (2), C ("resumed", 2, 0, "PT0S",
          "{'start':'PT0S','discarded':'PT1S'}")),
  FEED (MS (3), C ("discarded", 3, 0, "PT0S",
          "{'start':'PT0S','discarded':'PT1S'}")),
  FEED (MS (4), C ("update", 4, 0, "PT0S", "{'language':'en-US'}")),
  FEED (MS (5), C ("ping", 5, 0, "PT0S", "{}"),
      X_TEXT (S ("pong", 1, 5, "{}")), X_PING (0)),
  STATE (AH_STATE_PREPARING),
  CMD_DISCONNECT (MS (10), "error", "not ready", NULL, TRUE,
      X_TEXT (S ("disconnect", 2, 5, "{'reason':'error','info':'not ready'}")),
      X_DEADLINE (MS (30010))),
  END
};

static const Step server_no_media[] = {
  FEED (0, OPEN,
      X_TEXT (S ("opened", 1, 1, "{'media':[],'startPaused':false}")),
      X_OPENED (0, FALSE)),
  BIN (MS (10), 0),
  CMD_EVENT (MS (20), "[{'type':'transcript','data':{'id':'x'}}]", TRUE,
      X_TEXT (S ("event", 2, 1,
              "{'entities':[{'type':'transcript','data':{'id':'x'}}]}"))),
  AUDIO (MS (30), 1600, 0),
  BIN (MS (200), 1600,
      X_PERR (400),
      X_LIKE (S ("disconnect", 3, 1, "{'reason':'error'}")),
      X_DEADLINE (MS (30200))),
  END
};

static const Step server_l16_any[] = {
  FEED (0, OPEN_L16,
      X_TEXT (OPENED (1, 1, M_L16_STEREO, "")), X_OPENED (2, FALSE)),
  BIN (MS (200), 6400, X_AUDIO (0, 1600)),
  BIN (MS (400), 6402,
      X_PERR (400),
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (MS (30400))),
  END
};

static gint
select_last (const AhMedia * offers, guint n_offers, gpointer user_data)
{
  return (gint) n_offers - 1;
}

static const Step server_selector[] = {
  FEED (0, OPEN, X_TEXT (OPENED (1, 1, M_INT, "")), X_OPENED (1, FALSE)),
  END
};

static gint
select_later (const AhMedia * offers, guint n_offers, gpointer user_data)
{
  return AH_MEDIA_SELECT_LATER;
}

/* The answer comes later: pings are answered meanwhile, then opened with
 * the offer given, and the session goes on as usual. */
static const Step server_answer_later[] = {
  FEED (0, OPEN),
  STATE (AH_STATE_PREPARING),
  FEED (MS (100), C ("ping", 2, 0, "PT0S", "{}"),
      X_TEXT (S ("pong", 1, 2, "{}")),
      X_PING (0)),
  CMD_ANSWER (MS (300), 1, TRUE,
      X_TEXT (OPENED (2, 2, M_EXT, "")),
      X_OPENED (1, FALSE)),
  STATE (AH_STATE_ACTIVE),
  BIN (MS (500), 1600, X_AUDIO (0, 1600)),
  /* answered once */
  CMD_ANSWER (MS (600), 0, FALSE),
  FEED (MS (700), C ("open", 3, 2, "PT0.2S", OPEN_PARAMS),
      X_PERR (400),
      X_LIKE (S ("disconnect", 3, 3, "{'reason':'error'}")),
      X_DEADLINE (MS (30700))),
  END
};

/* The client gives up (close) before the answer: closed, and no opened
 * after it. */
static const Step server_answer_after_close[] = {
  FEED (0, OPEN),
  FEED (MS (100), C ("close", 2, 0, "PT0S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 1, 2, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (MS (30100))),
  CMD_ANSWER (MS (200), 0, FALSE),
  STATE (AH_STATE_CLOSED),
  END
};

/* Before the answer, audio and a second open are what they are before any
 * open: errors, and the answer is not sent. */
static const Step server_answer_violations[] = {
  FEED (0, OPEN),
  BIN (MS (10), 1600,
      X_PERR (400),
      X_LIKE (S ("disconnect", 1, 1, "{'reason':'error'}")),
      X_DEADLINE (MS (30010))),
  CMD_ANSWER (MS (20), 0, FALSE),
  STATE (AH_STATE_ERROR),
  END
};

static const Step server_answer_second_open[] = {
  FEED (0, OPEN),
  FEED (MS (10), C ("open", 2, 0, "PT0S", OPEN_PARAMS),
      X_PERR (400),
      X_LIKE (S ("disconnect", 1, 2, "{'reason':'error'}")),
      X_DEADLINE (MS (30010))),
  CMD_ANSWER (MS (20), 0, FALSE),
  END
};

/* Answered without media (the application could not serve the call),
 * then disconnected; or disconnected before the answer, which then is not
 * sent. */
static const Step server_answer_none[] = {
  FEED (0, OPEN),
  CMD_ANSWER (MS (20), -1, TRUE,
      X_TEXT (OPENED (1, 1, "", "")),
      X_OPENED (0, FALSE)),
  CMD_DISCONNECT (MS (30), "error", "no pipeline", NULL, TRUE,
      X_LIKE (S ("disconnect", 2, 1, "{'reason':'error'}")),
      X_DEADLINE (MS (30030))),
  END
};

static const Step server_answer_disconnected[] = {
  FEED (0, OPEN),
  CMD_DISCONNECT (MS (30), "completed", "server stopped", NULL, TRUE,
      X_LIKE (S ("disconnect", 1, 1, "{'reason':'completed'}")),
      X_DEADLINE (MS (30030))),
  CMD_ANSWER (MS (40), 0, FALSE),
  END
};

static const Step server_close_before_open[] = {
  FEED (0, C ("close", 1, 0, "PT0S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 1, 1, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (SEC (30))),
  FEED (MS (10), C ("open", 2, 1, "PT0S", OPEN_PARAMS)),
  STATE (AH_STATE_CLOSED),
  END
};

static const Step server_continued_position[] = {
  /* a continued session: the timeline starts where the open says */
  FEED (0, C ("open", 1, 0, "PT12.5S", OPEN_PARAMS),
      X_TEXT (OPENED (1, 1, M_STEREO, "")), X_OPENED (2, FALSE)),
  POSITION (100000),
  BIN (MS (200), 3200, X_AUDIO (100000, 1600)),
  FEED (MS (300), C ("ping", 2, 1, "PT12.7S", "{}"),
      X_TEXT (S ("pong", 2, 2, "{}")), X_PING (0)),
  END
};

/* ================================================================== */
/* client role */

#define CLIENT_OPEN(t) CMD_OPEN (t, OPEN, TRUE, X_TEXT (OPEN), \
    X_DEADLINE ((t) + SEC (5)))

static const Step client_open_pings[] = {
  STATE (AH_STATE_PREPARING),
  CLIENT_OPEN (0),
  STATE (AH_STATE_OPENING),
  FEED (MS (100), OPENED (1, 1, M_EXT, ""),
      X_OPENED (1, FALSE), X_DEADLINE (MS (1100))),
  STATE (AH_STATE_ACTIVE),
  AUDIO (MS (300), 1600, 1600, X_BIN (0, 1600)),
  TIMEOUT (MS (1000)),
  TIMEOUT (MS (1100),
      X_TEXT (C ("ping", 2, 1, "PT0.2S", "{}")),
      X_DEADLINE (MS (6100))),
  /* first pong: rtt, then a second ping right away */
  FEED (MS (1150), S ("pong", 2, 2, "{}"),
      X_PING (MS (50)),
      X_TEXT (C ("ping", 3, 2, "PT0.2S", "{'rtt':'PT0.05S'}"))),
  FEED (MS (1170), S ("pong", 3, 3, "{}"), X_PING (MS (20))),
  TIMEOUT (MS (6100),
      X_TEXT (C ("ping", 4, 3, "PT0.2S", "{'rtt':'PT0.02S'}")),
      X_DEADLINE (MS (11100))),
  FEED (MS (6110), S ("pong", 4, 4, "{}"), X_PING (MS (10))),
  TIMEOUT (MS (11100),
      X_TEXT (C ("ping", 5, 4, "PT0.2S", "{'rtt':'PT0.01S'}")),
      X_DEADLINE (MS (16100))),
  CMD_CLOSE (SEC (12), "end", TRUE,
      X_TEXT (C ("close", 6, 4, "PT0.2S", "{'reason':'end'}")),
      X_DEADLINE (SEC (22))),
  STATE (AH_STATE_CLOSING),
  AUDIO (MS (12100), 1600, 0),
  /* a late pong while closing is fine */
  FEED (MS (12010), S ("pong", 5, 5, "{}")),
  FEED (MS (12020), S ("closed", 6, 6, "{}"),
      X_CLOSED ("end", 0), X_HANGUP, X_DEADLINE (NONE)),
  STATE (AH_STATE_CLOSED),
  CMD_CLOSE (SEC (13), "end", FALSE),
  END
};

static const Step client_bad_media[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), OPENED (1, 1, M_L16_STEREO, ""),
      X_PERR (400),
      X_TEXT (C ("error", 2, 1, "PT0S",
              "{'code':400,'message':'Selected media not one of the offered'}")),
      X_TEXT (C ("close", 3, 1, "PT0S", "{'reason':'error'}")),
      X_DEADLINE (MS (10100))),
  STATE (AH_STATE_CLOSING),
  FEED (MS (200), S ("closed", 2, 3, "{}"),
      X_CLOSED ("error", 400), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const Step client_two_media[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), S ("opened", 1, 1, "{'media':[" M_EXT "," M_INT "]}"),
      X_PERR (400),
      X_TEXT (C ("error", 2, 1, "PT0S",
              "{'code':400,'message':'More than one media selected'}")),
      X_TEXT (C ("close", 3, 1, "PT0S", "{'reason':'error'}")),
      X_DEADLINE (MS (10100))),
  END
};

static const Step client_pong_timeout[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  TIMEOUT (SEC (1),
      X_TEXT (C ("ping", 2, 1, "PT0S", "{}")), X_DEADLINE (SEC (6))),
  TIMEOUT (SEC (6),
      X_PERR (408),
      X_TEXT (C ("error", 3, 1, "PT0S",
              "{'code':408,'message':'Timeout waiting for pong'}")),
      X_TEXT (C ("close", 4, 1, "PT0S", "{'reason':'error'}")),
      X_DEADLINE (SEC (16))),
  /* close timeout */
  TIMEOUT (SEC (16),
      X_TEXT (C ("error", 5, 1, "PT0S",
              "{'code':408,'message':'Timeout waiting for closed'}")),
      X_CLOSED ("error", 408), X_HANGUP, X_DEADLINE (NONE)),
  STATE (AH_STATE_CLOSED),
  /* nothing more after that */
  FEED (SEC (17), S ("closed", 2, 4, "{}")),
  END
};

static const Step client_open_timeout[] = {
  CLIENT_OPEN (0),
  TIMEOUT (MS (4999)),
  TIMEOUT (SEC (5),
      X_PERR (408),
      X_TEXT (C ("error", 2, 0, "PT0S",
              "{'code':408,'message':'Timeout waiting for opened'}")),
      X_TEXT (C ("close", 3, 0, "PT0S", "{'reason':'error'}")),
      X_DEADLINE (SEC (15))),
  /* a late opened is only reported */
  FEED (SEC (6), OPENED (1, 1, M_STEREO, ""), X_PERR (409)),
  FEED (SEC (7), S ("closed", 2, 3, "{}"),
      X_CLOSED ("error", 408), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const Step client_close_timeout[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  CMD_CLOSE (MS (500), "end", TRUE,
      X_TEXT (C ("close", 2, 1, "PT0S", "{'reason':'end'}")),
      X_DEADLINE (MS (10500))),
  TIMEOUT (MS (10500),
      X_TEXT (C ("error", 3, 1, "PT0S",
              "{'code':408,'message':'Timeout waiting for closed'}")),
      X_CLOSED ("end", 408), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const Step client_start_paused[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), S ("opened", 1, 1,
          "{'media':[" M_EXT "],'startPaused':true}"),
      X_OPENED (1, FALSE),
      X_TEXT (C ("paused", 2, 1, "PT0S", "{}")),
      X_PAUSED (0),
      X_DEADLINE (MS (1100))),
  STATE (AH_STATE_PAUSED),
  AUDIO (MS (300), 1600, 0),
  AUDIO (MS (500), 1600, 0),
  AUDIO (MS (700), 1600, 0),
  AUDIO (MS (900), 1600, 0),
  AUDIO (MS (1100), 1600, 0),
  POSITION (8000),
  /* the application cannot lift the server's pause */
  CMD_RESUME (MS (1200), FALSE),
  FEED (MS (1300), S ("resume", 2, 2, "{}"),
      X_TEXT (C ("resumed", 3, 2, "PT1S",
              "{'start':'PT0S','discarded':'PT1S'}")),
      X_RESUMED (8000)),
  STATE (AH_STATE_ACTIVE),
  AUDIO (MS (1500), 1600, 1600, X_BIN (8000, 1600)),
  END
};

static const Step client_discard_to[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), S ("opened", 1, 1,
          "{'media':[" M_EXT "],'startPaused':false,'discardTo':'PT0.5S'}"),
      X_OPENED (1, FALSE), X_DEADLINE (MS (1100))),
  AUDIO (MS (200), 1600, 0),
  AUDIO (MS (400), 1600, 0),
  POSITION (0),
  AUDIO (MS (600), 1600, 800,
      X_TEXT (C ("discarded", 2, 1, "PT0.5S",
              "{'start':'PT0S','discarded':'PT0.5S'}")),
      X_BIN (4000, 800)),
  AUDIO (MS (800), 1600, 1600, X_BIN (4800, 1600)),
  POSITION (6400),
  END
};

static const Step client_discard_to_exact[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), S ("opened", 1, 1,
          "{'media':[" M_STEREO "],'startPaused':false,'discardTo':'PT0.4S'}"),
      X_OPENED (2, FALSE), X_DEADLINE (MS (1100))),
  AUDIO (MS (200), 3200, 0),
  AUDIO (MS (400), 3200, 0,
      X_TEXT (C ("discarded", 2, 1, "PT0.4S",
              "{'start':'PT0S','discarded':'PT0.4S'}"))),
  AUDIO (MS (600), 3200, 1600, X_BIN (3200, 1600)),
  END
};

static const Step client_server_pause[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  AUDIO (MS (200), 8000, 8000, X_BIN (0, 8000)),
  FEED (SEC (1), S ("pause", 2, 1, "{}"),
      X_TEXT (C ("paused", 2, 2, "PT1S", "{}")), X_PAUSED (8000)),
  STATE (AH_STATE_PAUSED),
  /* pause while paused: re-confirm */
  FEED (SEC (1), S ("pause", 3, 1, "{}"),
      X_TEXT (C ("paused", 3, 3, "PT1S", "{}"))),
  AUDIO (MS (1200), 1600, 0),
  AUDIO (MS (1400), 1600, 0),
  AUDIO (MS (1600), 1600, 0),
  POSITION (12800),
  FEED (MS (1600), S ("resume", 4, 3, "{}"),
      X_TEXT (C ("resumed", 4, 4, "PT1.6S",
              "{'start':'PT1S','discarded':'PT0.6S'}")),
      X_RESUMED (12800)),
  /* resume while streaming: re-confirm with an empty span */
  FEED (MS (1700), S ("resume", 5, 4, "{}"),
      X_TEXT (C ("resumed", 5, 5, "PT1.6S",
              "{'start':'PT1.6S','discarded':'PT0S'}"))),
  AUDIO (MS (1800), 1600, 1600, X_BIN (12800, 1600)),
  END
};

static const Step client_own_pause[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  AUDIO (MS (400), 3200, 3200, X_BIN (0, 3200)),
  CMD_PAUSE (MS (400), TRUE,
      X_TEXT (C ("paused", 2, 1, "PT0.4S", "{}")), X_PAUSED (3200)),
  CMD_PAUSE (MS (450), TRUE),
  AUDIO (MS (600), 1600, 0),
  /* the server cannot end a pause the client started: paused again */
  FEED (MS (700), S ("resume", 2, 2, "{}"),
      X_TEXT (C ("paused", 3, 2, "PT0.6S", "{}"))),
  FEED (MS (750), S ("pause", 3, 3, "{}"),
      X_TEXT (C ("paused", 4, 3, "PT0.6S", "{}"))),
  /* both asked; the application's resume leaves the server's pause */
  CMD_RESUME (MS (800), TRUE),
  STATE (AH_STATE_PAUSED),
  CMD_RESUME (MS (800), FALSE),
  FEED (MS (900), S ("resume", 4, 4, "{}"),
      X_TEXT (C ("resumed", 5, 4, "PT0.6S",
              "{'start':'PT0.4S','discarded':'PT0.2S'}")),
      X_RESUMED (4800)),
  CMD_RESUME (MS (950), TRUE),
  /* and the application alone */
  CMD_PAUSE (SEC (1), TRUE,
      X_TEXT (C ("paused", 6, 4, "PT0.6S", "{}")), X_PAUSED (4800)),
  AUDIO (MS (1200), 1600, 0),
  CMD_RESUME (MS (1200), TRUE,
      X_TEXT (C ("resumed", 7, 4, "PT0.8S",
              "{'start':'PT0.6S','discarded':'PT0.2S'}")),
      X_RESUMED (6400)),
  END
};

static const Step client_disconnect[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (SEC (2), S ("disconnect", 2, 1, "{'reason':'completed','info':'bye',"
          "'outputVariables':{'result':'ok'}}"),
      X_MSG ("disconnect"),
      X_TEXT (C ("close", 2, 2, "PT0S", "{'reason':'disconnect'}")),
      X_DEADLINE (SEC (12))),
  /* a second disconnect while closing is only passed on */
  FEED (SEC (2), S ("disconnect", 3, 1, "{'reason':'completed'}"),
      X_MSG ("disconnect")),
  FEED (SEC (3), S ("closed", 4, 2, "{}"),
      X_CLOSED ("disconnect", 0), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const Step client_disconnect_opening[] = {
  CLIENT_OPEN (0),
  FEED (MS (10), S ("disconnect", 1, 1, "{'reason':'unauthorized'}"),
      X_MSG ("disconnect"),
      X_TEXT (C ("close", 2, 1, "PT0S", "{'reason':'disconnect'}")),
      X_DEADLINE (MS (10010))),
  END
};

static const Step client_bad_seq[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (MS (10), S ("event", 3, 1, "{'entities':[]}"),
      X_PERR (500),
      X_LIKE
      ("{'type':'error','seq':2,'serverseq':1,'parameters':{'code':500}}"),
      X_LIKE ("{'type':'close','seq':3,'serverseq':1,"
          "'parameters':{'reason':'error'}}"),
      X_DEADLINE (MS (10010))),
  /* while closing, bad messages are only reported */
  FEED (MS (20), S ("event", 7, 1, "{'entities':[]}"), X_PERR (500)),
  END
};

static const Step client_bad_id[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (MS (10), "{'version':'2','id':'" OTHER_ID "','type':'pause','seq':2,"
      "'clientseq':1,'parameters':{}}",
      X_PERR (500),
      X_LIKE ("{'type':'error','seq':2,'parameters':{'code':500}}"),
      X_LIKE ("{'type':'close','seq':3,'parameters':{'reason':'error'}}"),
      X_DEADLINE (MS (10010))),
  END
};

static const Step client_malformed[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (MS (10), "{oops",
      X_PERR (400),
      X_LIKE ("{'type':'error','seq':2,'parameters':{'code':400}}"),
      X_LIKE ("{'type':'close','seq':3,'parameters':{'reason':'error'}}"),
      X_DEADLINE (MS (10010))),
  END
};

static const Step client_binary_415[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, FALSE),
      X_DEADLINE (SEC (1))),
  BIN (MS (10), 0),
  BIN (MS (20), 1600,
      X_PERR (415),
      X_TEXT (C ("error", 2, 1, "PT0S",
              "{'code':415,'message':'Unexpected binary message'}"))),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step client_binary_accepted[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  BIN (MS (10), 1600, X_AUDIO (0, 1600)),
  BIN (MS (20), 800, X_AUDIO (1600, 800)),
  /* bot audio does not move the position of what we send */
  POSITION (0),
  END
};

static const Step client_discard[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  AUDIO (MS (200), 1600, 1600, X_BIN (0, 1600)),
  CMD_DISCARD (800),
  CMD_DISCARD (800),
  AUDIO (MS (600), 1600, 1600,
      X_TEXT (C ("discarded", 2, 1, "PT0.4S",
              "{'start':'PT0.2S','discarded':'PT0.2S'}")),
      X_BIN (3200, 1600)),
  AUDIO (MS (800), 1600, 1600, X_BIN (4800, 1600)),
  POSITION (6400),
  END
};

static const Step client_pong_errors[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (MS (500), S ("pong", 2, 1, "{}"),
      X_PERR (409),
      X_LIKE
      ("{'type':'error','seq':2,'serverseq':2,'parameters':{'code':409}}")),
  TIMEOUT (SEC (1),
      X_TEXT (C ("ping", 3, 2, "PT0S", "{}")), X_DEADLINE (SEC (6))),
  FEED (MS (1010), S ("pong", 3, 2, "{}"),
      X_PERR (400),
      X_LIKE
      ("{'type':'error','seq':4,'serverseq':3,'parameters':{'code':400}}")),
  STATE (AH_STATE_ACTIVE),
  FEED (MS (1020), S ("pong", 4, 3, "{}"),
      X_PING (MS (20)),
      X_TEXT (C ("ping", 5, 4, "PT0S", "{'rtt':'PT0.02S'}"))),
  END
};

static const Step client_send_message[] = {
  CLIENT_OPEN (0),
  CMD_MESSAGE (MS (10), C ("dtmf", 9, 9, "PT9S", "{'digit':'5'}"), TRUE,
      X_TEXT (C ("dtmf", 2, 0, "PT0S", "{'digit':'5'}"))),
  FEED (MS (20), OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (MS (1020))),
  AUDIO (MS (200), 1600, 1600, X_BIN (0, 1600)),
  CMD_MESSAGE (MS (300), C ("playback_started", 1, 1, "PT0S", "{}"), TRUE,
      X_TEXT (C ("playback_started", 3, 1, "PT0.2S", "{}"))),
  CMD_MESSAGE (MS (400), C ("update", 1, 1, "PT0S", "{'language':'fr-FR'}"),
      TRUE,
      X_TEXT (C ("update", 4, 1, "PT0.2S", "{'language':'fr-FR'}"))),
  CMD_MESSAGE (MS (500), C ("error", 1, 1, "PT0S",
          "{'code':429,'message':'slow down'}"), TRUE,
      X_TEXT (C ("error", 5, 1, "PT0.2S",
              "{'code':429,'message':'slow down'}"))),
  END
};

static const Step client_server_messages[] = {
  CLIENT_OPEN (0),
  FEED (0, OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  FEED (MS (10), S ("event", 2, 1,
          "{'entities':[{'type':'barge_in','data':{}}]}"),
      X_MSG ("event")),
  FEED (MS (20), S ("updated", 3, 1, "{}"), X_MSG ("updated")),
  FEED (MS (30), S ("reconnect", 4, 1, "{'info':'moving'}"),
      X_MSG ("reconnect")),
  FEED (MS (40), S ("whatever", 5, 1, "{}"), X_MSG ("whatever")),
  /* a client message type from the server counts as unknown */
  FEED (MS (50), S ("ping", 6, 1, "{}"), X_MSG ("ping")),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step client_wrong_state_commands[] = {
  CMD_CLOSE (0, "end", FALSE),
  CMD_PAUSE (0, FALSE),
  CMD_RESUME (0, FALSE),
  AUDIO (0, 1600, 0),
  CMD_MESSAGE (0, C ("dtmf", 1, 0, "PT0S", "{'digit':'1'}"), FALSE),
  /* nothing was sent: a server message cannot be answered yet */
  FEED (0, OPENED (1, 1, M_EXT, ""), X_PERR (409)),
  CLIENT_OPEN (MS (10)),
  CMD_OPEN (MS (20), OPEN, FALSE),
  CMD_PAUSE (MS (20), FALSE),
  CMD_RESUME (MS (20), FALSE),
  AUDIO (MS (20), 1600, 0),
  END
};

static const Step client_unexpected[] = {
  CLIENT_OPEN (0),
  /* pause before opened */
  FEED (MS (10), S ("pause", 1, 1, "{}"),
      X_PERR (409),
      X_LIKE ("{'type':'error','seq':2,'parameters':{'code':409}}"),
      X_LIKE ("{'type':'close','seq':3,'parameters':{'reason':'error'}}"),
      X_DEADLINE (MS (10010))),
  END
};

static const Step client_start_position[] = {
  CMD_OPEN (0, OPEN, TRUE,
      X_TEXT (C ("open", 1, 0, "PT10S", OPEN_PARAMS)), X_DEADLINE (SEC (5))),
  FEED (0, OPENED (1, 1, M_EXT, ",'discardTo':'PT5S'"), X_OPENED (1, FALSE),
      X_DEADLINE (SEC (1))),
  /* discardTo behind the position is moot */
  AUDIO (MS (200), 1600, 1600, X_BIN (80000, 1600)),
  END
};

static const Step client_probe[] = {
  CMD_OPEN (0, OPEN_PROBE, TRUE, X_TEXT (OPEN_PROBE), X_DEADLINE (SEC (5))),
  FEED (0, OPENED (1, 1, M_STEREO, ""), X_OPENED (2, TRUE),
      X_DEADLINE (SEC (1))),
  BIN (MS (10), 3200, X_PERR (415),
      X_LIKE ("{'type':'error','parameters':{'code':415}}")),
  END
};

static const Step client_no_media[] = {
  CLIENT_OPEN (0),
  FEED (0, S ("opened", 1, 1, "{'media':[],'startPaused':false}"),
      X_OPENED (0, FALSE), X_DEADLINE (SEC (1))),
  AUDIO (MS (200), 1600, 0),
  POSITION (0),
  END
};

static const Step client_custom_timers[] = {
  CMD_OPEN (0, OPEN, TRUE, X_TEXT (OPEN), X_DEADLINE (SEC (2))),
  FEED (MS (100), OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (MS (600))),
  TIMEOUT (MS (600),
      X_TEXT (C ("ping", 2, 1, "PT0S", "{}")), X_DEADLINE (MS (1100))),
  FEED (MS (610), S ("pong", 2, 2, "{}"),
      X_PING (MS (10)), X_TEXT (C ("ping", 3, 2, "PT0S", "{'rtt':'PT0.01S'}"))),
  FEED (MS (620), S ("pong", 3, 3, "{}"), X_PING (MS (10))),
  TIMEOUT (MS (1100),
      X_TEXT (C ("ping", 4, 3, "PT0S", "{'rtt':'PT0.01S'}")),
      X_DEADLINE (MS (1600))),
  CMD_CLOSE (MS (1200), "end", TRUE,
      X_TEXT (C ("close", 5, 3, "PT0S", "{'reason':'end'}")),
      X_DEADLINE (MS (4200))),
  END
};

static const Step client_no_pings[] = {
  CLIENT_OPEN (0),
  FEED (MS (100), OPENED (1, 1, M_EXT, ""), X_OPENED (1, FALSE),
      X_DEADLINE (NONE)),
  TIMEOUT (SEC (100)),
  STATE (AH_STATE_ACTIVE),
  END
};

static const Step server_custom_linger[] = {
  FEED (0, C ("close", 1, 0, "PT0S", "{'reason':'end'}"),
      X_TEXT (S ("closed", 1, 1, "{}")),
      X_CLOSED ("end", 0),
      X_DEADLINE (SEC (2))),
  TIMEOUT (SEC (2), X_HANGUP, X_DEADLINE (NONE)),
  END
};

static const gchar *const languages[] = { "en-US", "de-DE", NULL };

static const Case cases[] = {
  {"/session/server/happy-stereo", AH_ROLE_SERVER, {.org = ORG},
      server_happy_stereo},
  {"/session/server/happy-mono", AH_ROLE_SERVER,
      {.org = ORG,.set_preference = TRUE,.preference =
              AH_MEDIA_PREFER_EXTERNAL}, server_happy_mono},
  {"/session/server/probe", AH_ROLE_SERVER, {.org = ORG}, server_probe},
  {"/session/server/close-held", AH_ROLE_SERVER,
      {.org = ORG,.close_hold = SEC (5)}, server_close_held},
  {"/session/server/close-hold-expires", AH_ROLE_SERVER,
      {.org = ORG,.close_hold = SEC (5)}, server_close_hold_expires},
  {"/session/server/ping-pong-first", AH_ROLE_SERVER, {.org = ORG},
      server_ping_first},
  {"/session/server/position-tolerance", AH_ROLE_SERVER, {0},
      server_position_tolerance},
  {"/session/server/pause-resume", AH_ROLE_SERVER, {.org = ORG},
      server_pause_resume},
  {"/session/server/discarded", AH_ROLE_SERVER,
        {.set_preference = TRUE,.preference = AH_MEDIA_PREFER_EXTERNAL},
      server_discarded},
  {"/session/server/start-paused", AH_ROLE_SERVER, {.start_paused = TRUE},
      server_start_paused},
  {"/session/server/start-paused-resume", AH_ROLE_SERVER,
      {.start_paused = TRUE}, server_start_paused_resume},
  {"/session/server/discard-to", AH_ROLE_SERVER, {.discard_to = SEC (5)},
      server_discard_to},
  {"/session/server/supported-languages", AH_ROLE_SERVER,
      {.languages = languages}, server_languages},
  {"/session/server/supported-languages-none", AH_ROLE_SERVER, {0},
      server_languages_none},
  {"/session/server/languages-not-asked", AH_ROLE_SERVER,
      {.languages = languages}, server_languages_not_asked},
  {"/session/server/client-error-not-fatal", AH_ROLE_SERVER, {.org = ORG},
      server_client_error},
  {"/session/server/close-while-paused", AH_ROLE_SERVER, {0},
      server_close_paused},
  {"/session/server/no-open", AH_ROLE_SERVER, {0}, server_no_open},
  {"/session/server/idle", AH_ROLE_SERVER, {0}, server_idle},
  {"/session/server/idle-silent", AH_ROLE_SERVER, {0}, server_idle_silent},
  {"/session/server/paused-pings", AH_ROLE_SERVER, {0}, server_paused_pings},
  {"/session/server/burst-after-close", AH_ROLE_SERVER, {0},
      server_burst_after_close},
  {"/session/server/span-attack", AH_ROLE_SERVER, {0}, server_span_attack},
  {"/session/server/resumed-attack", AH_ROLE_SERVER, {0},
      server_resumed_attack},
  {"/session/server/spans-plausible", AH_ROLE_SERVER, {0},
      server_spans_plausible},
  {"/session/server/open-far", AH_ROLE_SERVER, {0}, server_open_far},
  {"/session/server/disconnect-then-close", AH_ROLE_SERVER,
        {.set_preference = TRUE,.preference = AH_MEDIA_PREFER_EXTERNAL},
      server_disconnect_close},
  {"/session/server/disconnect-linger", AH_ROLE_SERVER,
        {.set_preference = TRUE,.preference = AH_MEDIA_PREFER_EXTERNAL},
      server_disconnect_linger},
  {"/session/server/org-mismatch", AH_ROLE_SERVER, {.org = ORG},
      server_org_mismatch},
  {"/session/server/wrong-seq", AH_ROLE_SERVER, {0}, server_wrong_seq},
  {"/session/server/wrong-id", AH_ROLE_SERVER, {0}, server_wrong_id},
  {"/session/server/serverseq-too-high", AH_ROLE_SERVER, {0},
      server_serverseq_high},
  {"/session/server/malformed", AH_ROLE_SERVER, {0}, server_malformed},
  {"/session/server/not-an-object", AH_ROLE_SERVER, {0}, server_not_object},
  {"/session/server/too-large", AH_ROLE_SERVER, {.max_size = 1024},
      server_too_large},
  {"/session/server/audio-before-open", AH_ROLE_SERVER, {0},
      server_audio_before_open},
  {"/session/server/audio-while-paused", AH_ROLE_SERVER, {0},
      server_audio_paused},
  {"/session/server/partial-frame", AH_ROLE_SERVER, {0}, server_partial_frame},
  {"/session/server/second-open", AH_ROLE_SERVER, {0}, server_second_open},
  {"/session/server/unknown-type", AH_ROLE_SERVER, {0}, server_unknown_type},
  {"/session/server/wrong-state-commands", AH_ROLE_SERVER, {0},
      server_wrong_state_commands},
  {"/session/server/no-usable-media", AH_ROLE_SERVER,
      {.formats = 1u << AH_FORMAT_L16}, server_no_media},
  {"/session/server/l16-any-format", AH_ROLE_SERVER, {0}, server_l16_any},
  {"/session/server/selector", AH_ROLE_SERVER, {.selector = select_last},
      server_selector},
  {"/session/server/close-before-open", AH_ROLE_SERVER, {0},
      server_close_before_open},
  {"/session/server/answer-later", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_later},
  {"/session/server/answer-after-close", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_after_close},
  {"/session/server/answer-violations", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_violations},
  {"/session/server/answer-second-open", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_second_open},
  {"/session/server/answer-none", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_none},
  {"/session/server/answer-disconnected", AH_ROLE_SERVER,
      {.selector = select_later}, server_answer_disconnected},
  {"/session/server/continued-position", AH_ROLE_SERVER, {0},
      server_continued_position},

  {"/session/client/open-pings", AH_ROLE_CLIENT, {0}, client_open_pings},
  {"/session/client/opened-bad-media", AH_ROLE_CLIENT, {0}, client_bad_media},
  {"/session/client/opened-two-media", AH_ROLE_CLIENT, {0}, client_two_media},
  {"/session/client/pong-timeout", AH_ROLE_CLIENT, {0}, client_pong_timeout},
  {"/session/client/open-timeout", AH_ROLE_CLIENT, {0}, client_open_timeout},
  {"/session/client/close-timeout", AH_ROLE_CLIENT, {0},
      client_close_timeout},
  {"/session/client/start-paused", AH_ROLE_CLIENT, {0}, client_start_paused},
  {"/session/client/discard-to", AH_ROLE_CLIENT, {0}, client_discard_to},
  {"/session/client/discard-to-exact", AH_ROLE_CLIENT, {0},
      client_discard_to_exact},
  {"/session/client/server-pause", AH_ROLE_CLIENT, {0}, client_server_pause},
  {"/session/client/own-pause", AH_ROLE_CLIENT, {0}, client_own_pause},
  {"/session/client/disconnect", AH_ROLE_CLIENT, {0}, client_disconnect},
  {"/session/client/disconnect-while-opening", AH_ROLE_CLIENT, {0},
      client_disconnect_opening},
  {"/session/client/bad-seq", AH_ROLE_CLIENT, {0}, client_bad_seq},
  {"/session/client/bad-id", AH_ROLE_CLIENT, {0}, client_bad_id},
  {"/session/client/malformed", AH_ROLE_CLIENT, {0}, client_malformed},
  {"/session/client/binary-415", AH_ROLE_CLIENT, {0}, client_binary_415},
  {"/session/client/binary-accepted", AH_ROLE_CLIENT, {.accept_audio = TRUE},
      client_binary_accepted},
  {"/session/client/discard", AH_ROLE_CLIENT, {0}, client_discard},
  {"/session/client/pong-errors", AH_ROLE_CLIENT, {0}, client_pong_errors},
  {"/session/client/send-message", AH_ROLE_CLIENT, {0}, client_send_message},
  {"/session/client/server-messages", AH_ROLE_CLIENT, {0},
      client_server_messages},
  {"/session/client/wrong-state-commands", AH_ROLE_CLIENT, {0},
      client_wrong_state_commands},
  {"/session/client/unexpected-pause", AH_ROLE_CLIENT, {0}, client_unexpected},
  {"/session/client/start-position", AH_ROLE_CLIENT,
      {.start_position = 80000}, client_start_position},
  {"/session/client/probe", AH_ROLE_CLIENT, {0}, client_probe},
  {"/session/client/no-media", AH_ROLE_CLIENT, {0}, client_no_media},
  {"/session/client/custom-timers", AH_ROLE_CLIENT,
      {.open_timeout = SEC (2),.close_timeout = SEC (3),.ping_interval =
              MS (500)}, client_custom_timers},
  {"/session/client/no-pings", AH_ROLE_CLIENT, {.ping_interval = NONE},
      client_no_pings},
  {"/session/server/custom-linger", AH_ROLE_SERVER, {.linger = SEC (2)},
      server_custom_linger},
};

/* ================================================================== */
/* media selection */

typedef struct
{
  const gchar *name;
  AhMediaPreference preference;
  guint formats;
  guint n;
  AhMedia offers[4];
  gint expected;
} SelectCase;

#define MED(f, a) { AH_FORMAT_ ## f, 8000, 1, { AH_CHANNEL_ ## a } }
#define MED2(f, a, b) { AH_FORMAT_ ## f, 8000, 2, { AH_CHANNEL_ ## a, AH_CHANNEL_ ## b } }

static const SelectCase select_cases[] = {
  {"stereo first", AH_MEDIA_PREFER_STEREO, 0, 3,
        {MED (PCMU, EXTERNAL), MED (PCMU, INTERNAL), MED2 (PCMU, EXTERNAL,
              INTERNAL)}, 2},
  {"stereo falls back to external", AH_MEDIA_PREFER_STEREO, 0, 2,
      {MED (PCMU, INTERNAL), MED (PCMU, EXTERNAL)}, 1},
  {"stereo falls back to any", AH_MEDIA_PREFER_STEREO, 0, 1,
      {MED (PCMU, INTERNAL)}, 0},
  {"external", AH_MEDIA_PREFER_EXTERNAL, 0, 3,
        {MED2 (PCMU, EXTERNAL, INTERNAL), MED (PCMU, INTERNAL), MED (PCMU,
              EXTERNAL)}, 2},
  {"external falls back to stereo", AH_MEDIA_PREFER_EXTERNAL, 0, 2,
      {MED (PCMU, INTERNAL), MED2 (PCMU, INTERNAL, EXTERNAL)}, 1},
  {"internal", AH_MEDIA_PREFER_INTERNAL, 0, 3,
        {MED2 (PCMU, EXTERNAL, INTERNAL), MED (PCMU, EXTERNAL), MED (PCMU,
              INTERNAL)}, 2},
  {"first", AH_MEDIA_PREFER_FIRST, 0, 2,
      {MED (PCMU, INTERNAL), MED2 (PCMU, EXTERNAL, INTERNAL)}, 0},
  {"unknown format skipped", AH_MEDIA_PREFER_FIRST, 0, 2,
      {MED (UNKNOWN, EXTERNAL), MED (PCMU, EXTERNAL)}, 1},
  {"unknown channel skipped", AH_MEDIA_PREFER_STEREO, 0, 2,
      {MED2 (PCMU, EXTERNAL, UNKNOWN), MED (PCMU, EXTERNAL)}, 1},
  {"format filter", AH_MEDIA_PREFER_STEREO, 1u << AH_FORMAT_PCMU, 2,
      {MED2 (L16, EXTERNAL, INTERNAL), MED (PCMU, INTERNAL)}, 1},
  {"nothing usable", AH_MEDIA_PREFER_STEREO, 1u << AH_FORMAT_PCMU, 1,
      {MED2 (L16, EXTERNAL, INTERNAL)}, -1},
  {"no offers", AH_MEDIA_PREFER_STEREO, 0, 0, {{0}}, -1},
};

static void
test_media_select (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (select_cases); i++) {
    const SelectCase *c = &select_cases[i];
    gint got = ah_media_select (c->offers, c->n, c->preference, c->formats);

    if (got != c->expected)
      g_test_fail_printf ("media select '%s': got %d, expected %d", c->name,
          got, c->expected);
  }
}

/* ================================================================== */
/* a client and a server wired to each other */

#define PAIR_LATENCY MS (30)
#define PAIR_TICK MS (10)

typedef struct
{
  guint64 at;
  gboolean binary;
  gchar *text;
  GBytes *data;
} Packet;

typedef struct
{
  AhSession *client;
  AhSession *server;
  GQueue to_server;
  GQueue to_client;
  guint64 client_deadline;
  guint64 server_deadline;
  guint64 now;
  /* what the server saw */
  guint64 audio_samples;
  guint64 gap_samples;
  guint64 last_audio_end;
  guint n_mismatch;
  guint n_protocol_errors;
  guint n_pings_server;
  guint n_pings_client;
  guint n_paused;
  guint n_resumed;
  guint n_events;
  gboolean server_closed;
  gboolean client_closed;
  gboolean client_hangup;
  gboolean timeline_ok;
} Pair;

static void
packet_free (Packet * p)
{
  g_free (p->text);
  if (p->data)
    g_bytes_unref (p->data);
  g_free (p);
}

static void
pair_queue (Pair * pair, GQueue * q, AhAction * a)
{
  Packet *p = g_new0 (Packet, 1);

  p->at = pair->now + PAIR_LATENCY;
  p->binary = a->type == AH_ACTION_SEND_BINARY;
  if (p->binary)
    p->data = g_bytes_ref (a->data);
  else
    p->text = g_strdup (a->text);
  g_queue_push_tail (q, p);
}

static void
pair_drain (Pair * pair)
{
  AhAction *a;

  while ((a = ah_session_pop_action (pair->client))) {
    switch (a->type) {
      case AH_ACTION_SEND_TEXT:
      case AH_ACTION_SEND_BINARY:
        pair_queue (pair, &pair->to_server, a);
        break;
      case AH_ACTION_DEADLINE:
        pair->client_deadline = a->deadline;
        break;
      case AH_ACTION_PROTOCOL_ERROR:
        g_test_message ("client protocol error %d: %s", a->code, a->text);
        pair->n_protocol_errors++;
        break;
      case AH_ACTION_PING:
        pair->n_pings_client++;
        g_assert_cmpuint (a->rtt, ==, 2 * PAIR_LATENCY);
        break;
      case AH_ACTION_MESSAGE:
        if (a->message->type == AH_MSG_EVENT)
          pair->n_events++;
        break;
      case AH_ACTION_CLOSED:
        pair->client_closed = TRUE;
        g_assert_cmpstr (a->text, ==, "end");
        g_assert_cmpint (a->code, ==, 0);
        break;
      case AH_ACTION_HANGUP:
        pair->client_hangup = TRUE;
        break;
      default:
        break;
    }
    ah_action_free (a);
  }

  while ((a = ah_session_pop_action (pair->server))) {
    switch (a->type) {
      case AH_ACTION_SEND_TEXT:
      case AH_ACTION_SEND_BINARY:
        pair_queue (pair, &pair->to_client, a);
        break;
      case AH_ACTION_DEADLINE:
        pair->server_deadline = a->deadline;
        break;
      case AH_ACTION_AUDIO:
        if (a->position != pair->last_audio_end)
          pair->timeline_ok = FALSE;
        pair->audio_samples += a->samples;
        pair->last_audio_end = a->position + a->samples;
        break;
      case AH_ACTION_GAP:
        if (a->position != pair->last_audio_end)
          pair->timeline_ok = FALSE;
        pair->gap_samples += a->samples;
        pair->last_audio_end = a->position + a->samples;
        break;
      case AH_ACTION_POSITION_MISMATCH:
        g_test_message ("position mismatch: client %" G_GUINT64_FORMAT
            ", server %" G_GUINT64_FORMAT, a->position, a->samples);
        pair->n_mismatch++;
        break;
      case AH_ACTION_PROTOCOL_ERROR:
        g_test_message ("server protocol error %d: %s", a->code, a->text);
        pair->n_protocol_errors++;
        break;
      case AH_ACTION_PING:
        pair->n_pings_server++;
        break;
      case AH_ACTION_PAUSED:
        pair->n_paused++;
        break;
      case AH_ACTION_RESUMED:
        pair->n_resumed++;
        break;
      case AH_ACTION_CLOSED:
        pair->server_closed = TRUE;
        break;
      default:
        break;
    }
    ah_action_free (a);
  }
}

/* Delivers everything due by now, draining after each delivery. */
static void
pair_pump (Pair * pair)
{
  gboolean progress = TRUE;

  while (progress) {
    Packet *p;

    progress = FALSE;
    pair_drain (pair);
    if ((p = g_queue_peek_head (&pair->to_server)) && p->at <= pair->now) {
      g_queue_pop_head (&pair->to_server);
      if (p->binary)
        ah_session_feed_binary (pair->server, p->data, pair->now);
      else
        ah_session_feed_text (pair->server, p->text, -1, pair->now);
      packet_free (p);
      progress = TRUE;
    } else if ((p = g_queue_peek_head (&pair->to_client))
        && p->at <= pair->now) {
      g_queue_pop_head (&pair->to_client);
      if (p->binary)
        ah_session_feed_binary (pair->client, p->data, pair->now);
      else
        ah_session_feed_text (pair->client, p->text, -1, pair->now);
      packet_free (p);
      progress = TRUE;
    } else if (pair->client_deadline <= pair->now) {
      ah_session_timeout (pair->client, pair->now);
      progress = TRUE;
    } else if (pair->server_deadline <= pair->now) {
      ah_session_timeout (pair->server, pair->now);
      progress = TRUE;
    }
  }
}

static void
test_pair (void)
{
  Pair pair = { 0 };
  AhMessage *open = parse_template (OPEN, AH_ROLE_CLIENT);
  GBytes *frame = make_bytes (1600);
  JsonNode *entities =
      parse_quoted ("[{'type':'transcript','data':{'id':'x'}}]");
  guint64 t;

  pair.client = ah_session_new (AH_ROLE_CLIENT, SID);
  pair.server = ah_session_new (AH_ROLE_SERVER, SID);
  g_queue_init (&pair.to_server);
  g_queue_init (&pair.to_client);
  pair.client_deadline = NONE;
  pair.server_deadline = NONE;
  pair.timeline_ok = TRUE;
  ah_session_set_organization_id (pair.server, ORG);
  ah_session_set_media_preference (pair.server, AH_MEDIA_PREFER_EXTERNAL, 0);

  g_assert_true (ah_session_open (pair.client, open, 0));
  ah_message_unref (open);

  for (t = 0; t <= SEC (70) && !pair.client_hangup; t += PAIR_TICK) {
    pair.now = t;
    pair_pump (&pair);

    if (t > 0 && t <= SEC (60) && t % MS (200) == 0)
      ah_session_send_audio (pair.client, frame, t);

    if (t == SEC (10))
      g_assert_true (ah_session_pause (pair.server, t));
    if (t == SEC (15))
      g_assert_true (ah_session_resume (pair.server, t));
    if (t == SEC (20))
      ah_session_discard (pair.client, 2400);
    if (t == SEC (25))
      g_assert_true (ah_session_pause (pair.client, t));
    if (t == SEC (27))
      g_assert_true (ah_session_resume (pair.client, t));
    if (t == SEC (30))
      g_assert_true (ah_session_pause (pair.server, t));
    if (t == SEC (31))
      g_assert_true (ah_session_pause (pair.client, t));
    if (t == SEC (33))
      g_assert_true (ah_session_resume (pair.server, t));
    if (t == SEC (35))
      g_assert_true (ah_session_resume (pair.client, t));
    if (t == MS (40010))
      ah_session_discard (pair.client, 123);
    if (t == MS (45000))
      ah_session_send_event (pair.server, json_node_get_array (entities), t);
    if (t == MS (60010))
      g_assert_true (ah_session_close (pair.client, "end", t));
    pair_pump (&pair);
  }

  g_assert_true (pair.client_hangup);
  g_assert_true (pair.client_closed);
  g_assert_true (pair.server_closed);
  g_assert_cmpint (ah_session_get_state (pair.client), ==, AH_STATE_CLOSED);
  g_assert_cmpint (ah_session_get_state (pair.server), ==, AH_STATE_CLOSED);
  g_assert_cmpuint (pair.n_mismatch, ==, 0);
  g_assert_cmpuint (pair.n_protocol_errors, ==, 0);
  g_assert_true (pair.timeline_ok);
  g_assert_cmpuint (ah_session_get_position (pair.server), ==,
      ah_session_get_position (pair.client));
  g_assert_cmpuint (ah_session_get_position (pair.server), ==,
      pair.audio_samples + pair.gap_samples);
  /* 60 s of frames, and the discards on top */
  g_assert_cmpuint (ah_session_get_position (pair.client), ==,
      SEC (60) / MS (200) * 1600 + 2400 + 123);
  g_assert_cmpuint (pair.n_paused, ==, 3);
  g_assert_cmpuint (pair.n_resumed, ==, 3);
  g_assert_cmpuint (pair.n_events, ==, 1);
  /* first ping, the immediate second one, then every 5 s */
  g_assert_cmpuint (pair.n_pings_server, >=, 12);
  g_assert_cmpuint (pair.n_pings_client, ==, pair.n_pings_server);
  g_assert_cmpint (ah_session_get_peer_seq (pair.server), ==,
      ah_session_get_seq (pair.client));
  g_assert_cmpint (ah_session_get_peer_seq (pair.client), ==,
      ah_session_get_seq (pair.server));

  g_queue_clear_full (&pair.to_server, (GDestroyNotify) packet_free);
  g_queue_clear_full (&pair.to_client, (GDestroyNotify) packet_free);
  json_node_unref (entities);
  g_bytes_unref (frame);
  ah_session_free (pair.client);
  ah_session_free (pair.server);
}

/* ================================================================== */

static void
test_misc (void)
{
  AhSession *s = ah_session_new (AH_ROLE_SERVER, SID);
  AhAction *a;

  g_assert_cmpstr (ah_session_get_id (s), ==, SID);
  g_assert_cmpint (ah_session_get_role (s), ==, AH_ROLE_SERVER);
  g_assert_null (ah_session_get_media (s));
  g_assert_null (ah_session_get_open (s));
  g_assert_cmpuint (ah_session_get_deadline (s), ==, NONE);
  g_assert_cmpstr (ah_state_name (AH_STATE_DISCONNECTING), ==, "disconnecting");
  g_assert_null (ah_session_pop_action (s));

  ah_session_set_timeouts (s, 0, 0, 0, SEC (2));
  {
    gchar *open = unquote (OPEN);

    ah_session_feed_text (s, open, strlen (open), 0);
    g_free (open);
  }
  g_assert_nonnull (ah_session_get_open (s));
  g_assert_cmpstr (ah_session_get_open (s)->conversation_id, ==, CONV);
  g_assert_nonnull (ah_session_get_media (s));
  g_assert_cmpuint (ah_session_get_media (s)->n_channels, ==, 2);
  g_assert_false (ah_session_is_probe (s));
  g_assert_cmpint (ah_session_get_seq (s), ==, 1);
  g_assert_cmpint (ah_session_get_peer_seq (s), ==, 1);
  ah_session_disconnect (s, "completed", NULL, NULL, SEC (1));
  g_assert_cmpuint (ah_session_get_deadline (s), ==, SEC (3));
  /* unpopped actions are freed with the session */
  a = ah_session_pop_action (s);
  g_assert_nonnull (a);
  g_assert_cmpint (a->type, ==, AH_ACTION_SEND_TEXT);
  ah_action_free (a);
  ah_action_free (NULL);
  ah_session_free (s);
  ah_session_free (NULL);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], run_case);
  g_test_add_func ("/session/media-select", test_media_select);
  g_test_add_func ("/session/pair/60s", test_pair);
  g_test_add_func ("/session/misc", test_misc);

  return g_test_run ();
}
