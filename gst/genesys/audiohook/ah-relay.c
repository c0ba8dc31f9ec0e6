/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The hop of a relayed session, see ah-relay.h. */

#include <string.h>
#include <json-glib/json-glib.h>

#include "ah-relay.h"
#include "ah-duration.h"

/* Something of the client leg's stream, kept until a pong confirms it. */
typedef struct
{
  guint64 serial;
  GBytes *data;                 /* audio, or */
  JsonObject *msg;              /* a client message without its hop envelope */
  guint64 start, samples;       /* where it lies on the stream (audio) */
} Item;

typedef struct
{
  gint64 seq;
  guint64 serial;               /* the last item sent before it */
  guint64 position;
} Ping;

struct _AhRelay
{
  AhMessage *open;              /* the client's */
  gchar *id;                    /* the current hop session */
  guint hops;
  gint64 seq, peer_seq;         /* hop envelope: ours, the owner's */
  guint64 position, confirmed;  /* samples */
  guint64 max_kept, kept_samples;
  guint64 serial;               /* of the last item */
  gboolean paused;              /* the client leg is paused */
  GQueue kept;                  /* Item */
  GQueue pings;                 /* Ping */
};

void
ah_relay_frame_clear (AhRelayFrame * frame)
{
  g_clear_pointer (&frame->text, g_free);
  g_clear_pointer (&frame->data, g_bytes_unref);
}

static void
item_free (gpointer data)
{
  Item *item = data;

  g_clear_pointer (&item->data, g_bytes_unref);
  g_clear_pointer (&item->msg, json_object_unref);
  g_free (item);
}

AhRelay *
ah_relay_new (const AhMessage * open, const gchar * first_id, guint64 max_kept)
{
  AhRelay *relay = g_new0 (AhRelay, 1);

  relay->open = ah_message_ref ((AhMessage *) open);
  relay->id = g_strdup (first_id);
  relay->max_kept = max_kept;
  relay->position = relay->confirmed = ah_ns_to_samples (open->position,
      AH_RATE);
  g_queue_init (&relay->kept);
  g_queue_init (&relay->pings);
  return relay;
}

void
ah_relay_free (AhRelay * relay)
{
  if (!relay)
    return;
  ah_message_unref (relay->open);
  g_free (relay->id);
  g_queue_clear_full (&relay->kept, item_free);
  g_queue_clear_full (&relay->pings, g_free);
  g_free (relay);
}

const gchar *
ah_relay_get_id (const AhRelay * relay)
{
  return relay->id;
}

guint
ah_relay_get_hops (const AhRelay * relay)
{
  return relay->hops;
}

guint64
ah_relay_get_position (const AhRelay * relay)
{
  return relay->position;
}

guint64
ah_relay_get_confirmed (const AhRelay * relay)
{
  return relay->confirmed;
}

guint64
ah_relay_get_kept (const AhRelay * relay)
{
  return relay->kept_samples;
}

static gchar *
dup_or_null (const gchar * s)
{
  return s ? g_strdup (s) : NULL;
}

gchar *
ah_relay_open (AhRelay * relay, const gchar * id)
{
  const AhMessage *c = relay->open;
  AhMessage *open = ah_message_new (AH_MSG_OPEN);
  gchar *text;
  guint i;

  if (relay->hops > 0) {
    /* the next hop session continues the previous one */
    ah_message_add_continued_session (open, relay->id, relay->peer_seq,
        relay->seq);
    g_free (relay->id);
    relay->id = g_strdup (id);
    open->position = ah_samples_to_ns (relay->confirmed, AH_RATE);
  } else {
    if (id) {
      g_free (relay->id);
      relay->id = g_strdup (id);
    }
    for (i = 0; c->continued_sessions && i < c->continued_sessions->len; i++) {
      AhContinuedSession *cs = &g_array_index (c->continued_sessions,
          AhContinuedSession, i);
      ah_message_add_continued_session (open, cs->id, cs->serverseq,
          cs->clientseq);
    }
    open->position = c->position;
  }
  relay->hops++;
  relay->seq = 1;
  relay->peer_seq = 0;
  /* pings of the previous hop session are never answered now */
  g_queue_clear_full (&relay->pings, g_free);

  open->id = g_strdup (relay->id);
  open->seq = 1;
  open->serverseq = 0;
  open->organization_id = dup_or_null (c->organization_id);
  open->conversation_id = dup_or_null (c->conversation_id);
  open->participant.id = dup_or_null (c->participant.id);
  open->participant.ani = dup_or_null (c->participant.ani);
  open->participant.ani_name = dup_or_null (c->participant.ani_name);
  open->participant.dnis = dup_or_null (c->participant.dnis);
  open->language = dup_or_null (c->language);
  open->supported_languages = c->supported_languages;
  if (c->custom_config)
    open->custom_config = json_object_ref (c->custom_config);
  if (c->input_variables)
    open->input_variables = json_object_ref (c->input_variables);
  for (i = 0; c->media && i < c->media->len; i++)
    ah_message_add_media (open, &g_array_index (c->media, AhMedia, i));
  text = ah_message_to_json (open, AH_ROLE_CLIENT);
  ah_message_unref (open);
  return text;
}

/* @item's text on the current hop session, as the next seq. */
static gchar *
envelope (AhRelay * relay, JsonObject * msg)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  gchar *text;

  json_object_set_string_member (msg, "id", relay->id);
  json_object_set_int_member (msg, "seq", ++relay->seq);
  json_object_set_int_member (msg, "serverseq", relay->peer_seq);
  json_node_set_object (root, msg);
  text = json_to_string (root, FALSE);
  json_node_unref (root);
  return text;
}

/* Drops the oldest items beyond max_kept: the owner gets a hole there,
 * which its timeline shows as a gap. */
static void
trim (AhRelay * relay)
{
  while (relay->max_kept && relay->kept_samples > relay->max_kept) {
    Item *item = g_queue_pop_head (&relay->kept);
    relay->kept_samples -= item->samples;
    if (item->data)
      relay->confirmed = item->start + item->samples;
    item_free (item);
  }
}

static void
keep (AhRelay * relay, Item * item, gboolean live, AhRelayFrame * out)
{
  item->serial = ++relay->serial;
  g_queue_push_tail (&relay->kept, item);
  relay->kept_samples += item->samples;
  memset (out, 0, sizeof (*out));
  if (live) {
    if (item->data)
      out->data = g_bytes_ref (item->data);
    else
      out->text = envelope (relay, item->msg);
  }
  trim (relay);
}

/* @msg (a client message, envelope filled later) as an item. */
static void
keep_message (AhRelay * relay, AhMessage * msg, gboolean live,
    AhRelayFrame * out)
{
  Item *item = g_new0 (Item, 1);
  gchar *json;
  JsonNode *node;

  if (msg->id == NULL)
    msg->id = g_strdup (relay->id);
  json = ah_message_to_json (msg, AH_ROLE_CLIENT);
  node = json_from_string (json, NULL);
  g_free (json);
  item->msg = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  keep (relay, item, live, out);
}

void
ah_relay_audio (AhRelay * relay, GBytes * data, guint64 samples,
    gboolean live, AhRelayFrame * out)
{
  Item *item = g_new0 (Item, 1);

  item->data = g_bytes_ref (data);
  item->start = relay->position;
  item->samples = samples;
  relay->position += samples;
  keep (relay, item, live, out);
}

static AhMessage *
message_here (AhRelay * relay, AhMessageType type)
{
  AhMessage *msg = ah_message_new (type);

  msg->position = ah_samples_to_ns (relay->position, AH_RATE);
  return msg;
}

/* @msg (taken) as the next text of the hop, not kept. */
static gchar *
unkept_text (AhRelay * relay, AhMessage * msg)
{
  JsonNode *node;
  gchar *json, *text;

  msg->id = g_strdup (relay->id);
  json = ah_message_to_json (msg, AH_ROLE_CLIENT);
  ah_message_unref (msg);
  node = json_from_string (json, NULL);
  g_free (json);
  text = envelope (relay, json_node_get_object (node));
  json_node_unref (node);
  return text;
}

void
ah_relay_paused (AhRelay * relay, gboolean live, AhRelayFrame * out)
{
  AhMessage *msg = message_here (relay, AH_MSG_PAUSED);

  relay->paused = TRUE;
  keep_message (relay, msg, live, out);
  ah_message_unref (msg);
}

void
ah_relay_span (AhRelay * relay, gboolean paused, guint64 start,
    guint64 samples, gboolean live, AhRelayFrame * out)
{
  AhMessage *msg;

  relay->position = MAX (relay->position, start + samples);
  if (paused)
    relay->paused = FALSE;
  msg = message_here (relay, paused ? AH_MSG_RESUMED : AH_MSG_DISCARDED);
  msg->start = ah_samples_to_ns (start, AH_RATE);
  msg->discarded = ah_samples_to_ns (samples, AH_RATE);
  keep_message (relay, msg, live, out);
  ah_message_unref (msg);
}

void
ah_relay_message (AhRelay * relay, const AhMessage * msg, gboolean live,
    AhRelayFrame * out)
{
  /* a parsed message is not changed: its JSON is */
  keep_message (relay, (AhMessage *) msg, live, out);
}

void
ah_relay_close (AhRelay * relay, const gchar * reason, gboolean live,
    AhRelayFrame * out)
{
  AhMessage *msg = message_here (relay, AH_MSG_CLOSE);

  msg->reason = g_strdup (reason ? reason : "end");
  keep_message (relay, msg, live, out);
  ah_message_unref (msg);
}

gchar *
ah_relay_ping (AhRelay * relay, guint64 rtt)
{
  AhMessage *msg = message_here (relay, AH_MSG_PING);
  Ping *ping = g_new0 (Ping, 1);
  gchar *text;

  msg->has_rtt = rtt > 0;
  msg->rtt = rtt;
  text = unkept_text (relay, msg);

  ping->seq = relay->seq;
  ping->serial = relay->serial;
  ping->position = relay->position;
  g_queue_push_tail (&relay->pings, ping);
  return text;
}

GPtrArray *
ah_relay_replay (AhRelay * relay)
{
  GPtrArray *frames = g_ptr_array_new ();
  GList *l;

  for (l = relay->kept.head; l; l = l->next) {
    Item *item = l->data;
    AhRelayFrame *frame = g_new0 (AhRelayFrame, 1);
    if (item->data)
      frame->data = g_bytes_ref (item->data);
    else
      frame->text = envelope (relay, item->msg);
    g_ptr_array_add (frames, frame);
  }
  if (relay->paused) {
    /* the owner's new session is active: the pause goes on (a repeated
     * paused is ignored) */
    AhRelayFrame *frame = g_new0 (AhRelayFrame, 1);

    frame->text = unkept_text (relay, message_here (relay, AH_MSG_PAUSED));
    g_ptr_array_add (frames, frame);
  }
  return frames;
}

/* The owner answered ping @seq: everything sent before it arrived. */
static gboolean
confirm (AhRelay * relay, gint64 seq)
{
  Ping *ping = NULL;

  while (!g_queue_is_empty (&relay->pings)) {
    Ping *head = g_queue_peek_head (&relay->pings);
    if (head->seq > seq)
      break;
    g_free (ping);
    ping = g_queue_pop_head (&relay->pings);
  }
  if (!ping || ping->seq != seq) {
    g_free (ping);
    return FALSE;
  }
  while (!g_queue_is_empty (&relay->kept)) {
    Item *item = g_queue_peek_head (&relay->kept);
    if (item->serial > ping->serial)
      break;
    g_queue_pop_head (&relay->kept);
    relay->kept_samples -= item->samples;
    item_free (item);
  }
  relay->confirmed = MAX (relay->confirmed, ping->position);
  g_free (ping);
  return TRUE;
}

AhRelayVerdict
ah_relay_receive (AhRelay * relay, const gchar * text, gssize len,
    AhMessage ** out, GError ** error)
{
  AhMessage *msg = ah_message_parse (text, len, AH_ROLE_SERVER, 0, error);
  AhRelayVerdict verdict;

  *out = NULL;
  if (!msg)
    return AH_RELAY_INVALID;
  if (g_strcmp0 (msg->id, relay->id) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the owner's message names session %s, the hop is %s",
        msg->id ? msg->id : "none", relay->id);
    ah_message_unref (msg);
    return AH_RELAY_INVALID;
  }
  if (msg->seq != relay->peer_seq + 1 || msg->clientseq > relay->seq) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the owner's seq %" G_GINT64_FORMAT " (clientseq %" G_GINT64_FORMAT
        ") follows %" G_GINT64_FORMAT " (clientseq at most %" G_GINT64_FORMAT
        ")", msg->seq, msg->clientseq, relay->peer_seq, relay->seq);
    ah_message_unref (msg);
    return AH_RELAY_INVALID;
  }
  relay->peer_seq = msg->seq;
  switch (msg->type) {
    case AH_MSG_OPENED:
      verdict = AH_RELAY_OPENED;
      break;
    case AH_MSG_PONG:
      confirm (relay, msg->clientseq);
      verdict = AH_RELAY_PONG;
      break;
    case AH_MSG_CLOSED:
      verdict = AH_RELAY_CLOSED;
      break;
    case AH_MSG_PAUSE:
    case AH_MSG_RESUME:
    case AH_MSG_DISCONNECT:
    case AH_MSG_RECONNECT:
    case AH_MSG_EVENT:
      verdict = AH_RELAY_FORWARD;
      break;
    default:
      verdict = AH_RELAY_IGNORE;
      break;
  }
  *out = msg;
  return verdict;
}

gint
ah_relay_chosen_offer (const AhRelay * relay, const AhMessage * opened)
{
  const GArray *offers = relay->open->media;
  guint i;

  if (!opened->media || opened->media->len != 1 || !offers)
    return -1;
  for (i = 0; i < offers->len; i++)
    if (ah_media_equal (&g_array_index (offers, AhMedia, i),
            &g_array_index (opened->media, AhMedia, 0)))
      return (gint) i;
  return -1;
}
