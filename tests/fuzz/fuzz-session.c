/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Drives the server-role session state machine with any sequence of what a
 * client can send (open at any position, audio, discarded, paused, resumed
 * with any durations, ping, update, close, garbage, wrong sequence numbers)
 * and of timeouts and disconnects, at any time going forward. Besides
 * crashes and leaks it checks what the session promises:
 * - every message it sends has the next seq;
 * - nothing follows `closed`;
 * - the gaps it reports keep the position within the session's age
 *   (+5 %, +600 s) of the open: no span is materialised ahead of time;
 * - the position it reports never goes back.
 * With a held close (a relay's client leg), events may follow the close
 * until closed, which still is the last word. */

#include <string.h>
#include <json-glib/json-glib.h>
#include "ah-session.h"

#include "fuzz-take.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define SID "30b0e395-84d3-4570-ac13-9a62d8f514c0"
#define NS G_GUINT64_CONSTANT (1000000000)

typedef struct
{
  gint64 last_seq;
  gboolean closed_sent;
  gboolean opened;
  guint64 start;
  guint64 open_samples;
  guint64 gap_end;              /* position after the last gap */
} Check;

static void
check_actions (AhSession * s, Check * c, guint64 now)
{
  AhAction *a;

  while ((a = ah_session_pop_action (s))) {
    if (a->type == AH_ACTION_SEND_TEXT) {
      JsonNode *root = json_from_string (a->text, NULL);
      JsonObject *o;
      const gchar *type;

      g_assert (root != NULL);
      o = json_node_get_object (root);
      type = json_object_get_string_member (o, "type");
      g_assert (!c->closed_sent);
      g_assert (json_object_get_int_member (o, "seq") == c->last_seq + 1);
      c->last_seq++;
      if (g_strcmp0 (type, "closed") == 0)
        c->closed_sent = TRUE;
      json_node_unref (root);
    } else if (a->type == AH_ACTION_SEND_BINARY) {
      g_assert (!c->closed_sent);
    } else if (a->type == AH_ACTION_OPENED) {
      c->opened = TRUE;
      c->open_samples = a->position;
      c->gap_end = a->position;
    } else if (a->type == AH_ACTION_GAP) {
      guint64 age = now - c->start;
      guint64 allowed = (age + age / 20 + 600 * NS) / (NS / 8000);

      g_assert (c->opened);
      /* gaps go forward, and not beyond what the session's age allows */
      g_assert (a->position >= c->gap_end);
      g_assert (a->position + a->samples <= c->open_samples + allowed);
      c->gap_end = a->position + a->samples;
    }
    ah_action_free (a);
  }
}

static const gchar *const offers[] = {
  "[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],"
      "\"rate\":8000}]",
  "[{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\","
      "\"internal\"],\"rate\":8000}]",
  "[{\"type\":\"audio\",\"format\":\"L16\",\"channels\":[\"external\"],"
      "\"rate\":8000}]",
  "[]",
};

static gchar *
duration (guint32 ms)
{
  return g_strdup_printf ("PT%u.%03uS", ms / 1000, ms % 1000);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  AhSession *s = ah_session_new (AH_ROLE_SERVER, SID);
  Check c = { 0 };
  guint64 now = 1000 * NS;
  gint64 seq = 0;
  guint32 v;

  c.start = now;
  v = take (&data, &size, 1);
  if (v & 1)
    ah_session_start (s, now);
  /* a held close (a relay's client leg, a transcriber): closed waits for
   * release_close (op 9 | 0x40) */
  if (v & 2)
    ah_session_set_close_hold (s, 8 * NS);
  while (size > 0) {
    guint op = take (&data, &size, 1);
    gchar *text = NULL, *pos, *a, *b;

    /* time goes on by up to 65 s a step */
    now += (guint64) take (&data, &size, 2) * (NS / 1000);
    /* mostly the next seq; sometimes another */
    seq = (op & 0x80) ? (gint64) take (&data, &size, 1) : seq + 1;
    pos = duration (take (&data, &size, 4));
    switch (op % 11) {
      case 0:
        v = take (&data, &size, 1);
        text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"" SID "\","
            "\"type\":\"open\",\"seq\":%" G_GINT64_FORMAT ",\"serverseq\":0,"
            "\"position\":\"%s\",\"parameters\":{\"organizationId\":"
            "\"d7934305-0972-4844-938e-9060eef73d05\",\"conversationId\":"
            "\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\",\"participant\":{\"id\":"
            "\"0f1e2d3c-4b5a-4697-8877-665544332211\",\"ani\":\"\","
            "\"aniName\":\"\",\"dnis\":\"\"},\"media\":%s%s}}", seq, pos,
            offers[v % G_N_ELEMENTS (offers)],
            (v & 4) ? ",\"supportedLanguages\":true" : "");
        break;
      case 1:
      case 2:{
        a = duration (take (&data, &size, 4));
        b = duration (take (&data, &size, 4));
        text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"" SID "\","
            "\"type\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",\"serverseq\":%"
            G_GINT64_FORMAT ",\"position\":\"%s\",\"parameters\":{\"start\":"
            "\"%s\",\"discarded\":\"%s\"}}", op % 11 == 1 ? "discarded" :
            "resumed", seq, c.last_seq, pos, a, b);
        g_free (a);
        g_free (b);
        break;
      }
      case 3:
      case 4:
      case 5:{
        static const gchar *const types[] = { "paused", "ping", "close" };
        text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"" SID "\","
            "\"type\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",\"serverseq\":%"
            G_GINT64_FORMAT ",\"position\":\"%s\",\"parameters\":%s}",
            types[op % 11 - 3], seq, c.last_seq, pos,
            op % 11 == 5 ? "{\"reason\":\"end\"}" : "{}");
        break;
      }
      case 6:{                 /* audio of up to 64 KiB */
        gsize n = take (&data, &size, 2);
        guint8 *bytes = g_malloc0 (n + 1);
        GBytes *frame = g_bytes_new_take (bytes, n);
        ah_session_feed_binary (s, frame, now);
        g_bytes_unref (frame);
        break;
      }
      case 7:                  /* anything at all */
        v = take (&data, &size, 1);
        v = MIN (v, size);
        ah_session_feed_text (s, (const gchar *) data, v, now);
        data += v;
        size -= v;
        break;
      case 8:
        ah_session_timeout (s, now);
        break;
      case 9:
        ah_session_disconnect (s, "completed", NULL, NULL, now);
        if (op & 0x40) {
          JsonArray *entities = json_array_new ();
          ah_session_send_event (s, entities, now);
          json_array_unref (entities);
          ah_session_release_close (s, now);
        }
        break;
      case 10:
        text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"" SID "\","
            "\"type\":\"update\",\"seq\":%" G_GINT64_FORMAT ",\"serverseq\":%"
            G_GINT64_FORMAT ",\"position\":\"%s\",\"parameters\":"
            "{\"language\":\"de-DE\"}}", seq, c.last_seq, pos);
        break;
    }
    if (text)
      ah_session_feed_text (s, text, -1, now);
    g_free (text);
    g_free (pos);
    check_actions (s, &c, now);
  }
  ah_session_free (s);
  return 0;
}
