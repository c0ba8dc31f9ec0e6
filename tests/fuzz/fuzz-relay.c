/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Drives a relay's hop bookkeeping with any sequence of the client leg's
 * stream (audio, paused, spans, messages, close), the hop's pings, new hop
 * sessions with their replay, and anything the owner may send (any text,
 * or well-formed pongs, opened and events with any seq and clientseq).
 * Besides crashes and leaks it checks what the relay promises:
 * - every text it sends is a client message of the current hop session,
 *   with the next seq;
 * - the confirmed position never goes back, nor beyond the stream's;
 * - no more than max_kept samples are kept. */

#include <string.h>
#include <json-glib/json-glib.h>
#include "ah-relay.h"

#include "fuzz-take.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define CID "30b0e395-84d3-4570-ac13-9a62d8f514c0"
#define MAX_KEPT 16000

static const gchar open_text[] =
    "{\"version\":\"2\",\"id\":\"" CID "\",\"type\":\"open\",\"seq\":1,"
    "\"serverseq\":0,\"position\":\"PT1.5S\",\"parameters\":{"
    "\"organizationId\":\"d7934305-0972-4844-938e-9060eef73d05\","
    "\"conversationId\":\"090eaa2f-72fa-480a-83e0-8667ff89c0ec\","
    "\"participant\":{\"id\":\"883efee8-3d6c-4537-b500-6d7ca4b92fa0\","
    "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},"
    "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\","
    "\"channels\":[\"external\"],\"rate\":8000}]}}";

typedef struct
{
  gint64 seq;                   /* the last seq sent on the hop session */
  guint64 confirmed;
} Check;

static void
check_text (AhRelay * relay, Check * c, const gchar * text)
{
  AhMessage *msg = ah_message_parse (text, -1, AH_ROLE_CLIENT, 0, NULL);

  g_assert (msg != NULL);
  g_assert (g_strcmp0 (msg->id, ah_relay_get_id (relay)) == 0);
  g_assert (msg->seq == c->seq + 1);
  c->seq = msg->seq;
  ah_message_unref (msg);
}

static void
check_frame (AhRelay * relay, Check * c, AhRelayFrame * frame)
{
  if (frame->text)
    check_text (relay, c, frame->text);
  ah_relay_frame_clear (frame);
}

static void
check_state (AhRelay * relay, Check * c)
{
  guint64 confirmed = ah_relay_get_confirmed (relay);

  g_assert (confirmed >= c->confirmed);
  g_assert (confirmed <= ah_relay_get_position (relay));
  g_assert (ah_relay_get_kept (relay) <= MAX_KEPT);
  c->confirmed = confirmed;
}

static void
receive (AhRelay * relay, const gchar * text, gsize len)
{
  AhMessage *msg = NULL;
  GError *error = NULL;
  AhRelayVerdict verdict = ah_relay_receive (relay, text, len, &msg, &error);

  if (verdict == AH_RELAY_INVALID) {
    g_assert (msg == NULL && error != NULL);
    g_error_free (error);
    return;
  }
  g_assert (msg != NULL && error == NULL);
  if (verdict == AH_RELAY_OPENED)
    (void) ah_relay_chosen_offer (relay, msg);
  ah_message_unref (msg);
}

static const gchar *const types[] = { "pong", "opened", "event", "pause",
  "closed", "reconnect"
};

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  AhMessage *open = ah_message_parse (open_text, -1, AH_ROLE_CLIENT, 0, NULL);
  AhRelay *relay = ah_relay_new (open, CID, MAX_KEPT);
  Check c = { 0 };
  gint64 peer = 0;
  gchar *text;
  guint hop = 0;

  ah_message_unref (open);
  text = ah_relay_open (relay, NULL);
  check_text (relay, &c, text);
  g_free (text);
  while (size > 0) {
    guint op = take (&data, &size, 1) % 10;
    gboolean live = take (&data, &size, 1) & 1;
    AhRelayFrame frame = { NULL, NULL };
    guint32 n = take (&data, &size, 2);

    switch (op) {
      case 0:{
        GBytes *audio = g_bytes_new_take (g_malloc0 (n % 4000), n % 4000);
        ah_relay_audio (relay, audio, n % 4000, live, &frame);
        g_bytes_unref (audio);
        break;
      }
      case 1:
        ah_relay_paused (relay, live, &frame);
        break;
      case 2:
        ah_relay_span (relay, n & 1, ah_relay_get_position (relay),
            n >> 1, live, &frame);
        break;
      case 3:
        ah_relay_close (relay, (n & 1) ? "end" : "reconnect", live, &frame);
        break;
      case 4:
        text = ah_relay_ping (relay, n);
        check_text (relay, &c, text);
        g_free (text);
        break;
      case 5:{
        /* the next hop session, and what it sends again */
        gchar *id = g_strdup_printf ("30b0e395-84d3-4570-ac13-%012x", ++hop);
        GPtrArray *replay;
        guint i;
        c.seq = 0;
        peer = 0;
        text = ah_relay_open (relay, id);
        check_text (relay, &c, text);
        g_free (text);
        g_free (id);
        replay = ah_relay_replay (relay);
        for (i = 0; i < replay->len; i++) {
          check_frame (relay, &c, replay->pdata[i]);
          g_free (replay->pdata[i]);
        }
        g_ptr_array_unref (replay);
        break;
      }
      case 6:{
        /* a well-formed owner message, seq and clientseq from the input */
        gint64 seq = (n & 3) ? peer + 1 : (gint64) (n >> 2);
        gchar *msg = g_strdup_printf ("{\"version\":\"2\",\"id\":\"%s\","
            "\"type\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",\"clientseq\":%u,"
            "\"parameters\":{}}", ah_relay_get_id (relay),
            types[(n >> 2) % G_N_ELEMENTS (types)], seq,
            (guint) take (&data, &size, 1));
        if (seq == peer + 1)
          peer = seq;
        receive (relay, msg, strlen (msg));
        g_free (msg);
        break;
      }
      case 7:{
        /* anything */
        gsize len = MIN (size, n % 512);
        receive (relay, (const gchar *) data, len);
        data += len;
        size -= len;
        break;
      }
      default:{
        AhMessage *msg = ah_message_new (AH_MSG_DTMF);
        msg->digit = g_strdup ("5");
        msg->position = n;
        ah_relay_message (relay, msg, live, &frame);
        ah_message_unref (msg);
        break;
      }
    }
    check_frame (relay, &c, &frame);
    check_state (relay, &c);
  }
  ah_relay_free (relay);
  return 0;
}
