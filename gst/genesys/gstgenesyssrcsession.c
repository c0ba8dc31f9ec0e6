/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc: the server-role sessions of server and external modes,
 * on their loop threads: media choice, open, audio, close, continuations
 * routed between the elements of this process. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstgenesyssrcpriv.h"
#include "gstgenesysjson.h"

/* ---- media choice (loop thread) ---- */

/* What downstream accepts, for choosing among the offers. */
static void
query_allowed (GstGenesysSrc * self, guint * formats_out, guint * channels_out)
{
  GstPad *pad = GST_BASE_SRC_PAD (self);
  GstCaps *templ = gst_pad_get_pad_template_caps (pad);
  GstCaps *peer = gst_pad_peer_query_caps (pad, templ);
  guint formats = 0, channels = 0;
  guint i;

  for (i = 0; i < gst_caps_get_size (peer); i++) {
    GstStructure *s = gst_caps_get_structure (peer, i);
    gint c;
    if (gst_structure_has_name (s, "audio/x-mulaw"))
      formats |= 1 << AH_FORMAT_PCMU;
    else if (gst_structure_has_name (s, "audio/x-raw"))
      formats |= 1 << AH_FORMAT_L16;
    for (c = 1; c <= 2; c++) {
      GstStructure *probe = gst_structure_copy (s);
      GstCaps *want, *one = gst_caps_new_full (probe, NULL);
      want = gst_caps_new_simple (gst_structure_get_name (s), "channels",
          G_TYPE_INT, c, NULL);
      if (gst_caps_can_intersect (one, want))
        channels |= 1 << c;
      gst_caps_unref (want);
      gst_caps_unref (one);
    }
  }
  gst_caps_unref (peer);
  gst_caps_unref (templ);

  *formats_out = formats;
  *channels_out = channels;
}

gint
src_select_media (const AhMedia * offers, guint n_offers, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  AhMediaPreference pref;
  guint formats, channels, i;
  GArray *ok;
  GArray *index;
  gint chosen, result = -1;

  GST_OBJECT_LOCK (self);
  pref = (AhMediaPreference) self->media_preference;
  GST_OBJECT_UNLOCK (self);
  /* What downstream accepts now (a caps query is fine from any thread). */
  query_allowed (self, &formats, &channels);

  ok = g_array_new (FALSE, FALSE, sizeof (AhMedia));
  index = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; i < n_offers; i++) {
    if (!(channels & (1 << offers[i].n_channels)))
      continue;
    g_array_append_val (ok, offers[i]);
    g_array_append_val (index, i);
  }
  /* PCMU first: L16's byte order is not confirmed. */
  chosen = ah_media_select ((AhMedia *) ok->data, ok->len, pref,
      formats & (1 << AH_FORMAT_PCMU));
  if (chosen < 0)
    chosen = ah_media_select ((AhMedia *) ok->data, ok->len, pref, formats);
  if (chosen >= 0)
    result = g_array_index (index, guint, chosen);
  g_array_free (ok, TRUE);
  g_array_free (index, TRUE);
  return result;
}

/* ---- session callbacks (loop thread) ---- */

static void
set_structure (GstStructure * s, const gchar * field, GstStructure * value)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, value);
  gst_structure_take_value (s, field, &v);
}

static void
post_opened (GstGenesysSrc * self, GstGenesysConn * conn, AhAction * action)
{
  AhMessage *open = action->message;
  const gchar *connector_id = gst_genesys_conn_get_connector_id (conn);
  gchar *media = ah_media_to_string (&action->media);
  GstStructure *s;

  s = gst_structure_new ("genesys-session-opened",
      "session-id", G_TYPE_STRING, open->id,
      "conversation-id", G_TYPE_STRING, open->conversation_id,
      "organization-id", G_TYPE_STRING, open->organization_id,
      "participant-id", G_TYPE_STRING, open->participant.id,
      "ani", G_TYPE_STRING, open->participant.ani,
      "ani-name", G_TYPE_STRING, open->participant.ani_name,
      "dnis", G_TYPE_STRING, open->participant.dnis,
      "media", G_TYPE_STRING, media,
      "language", G_TYPE_STRING, open->language,
      "probe", G_TYPE_BOOLEAN, action->probe, NULL);
  if (open->custom_config) {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);
    gchar *json;
    json_node_set_object (node, open->custom_config);
    json = json_to_string (node, FALSE);
    gst_structure_set (s, "custom-config-json", G_TYPE_STRING, json, NULL);
    set_structure (s, "custom-config",
        gst_genesys_json_to_structure ("custom-config", open->custom_config));
    g_free (json);
    json_node_unref (node);
  }
  if (connector_id)
    gst_structure_set (s, "connector-id", G_TYPE_STRING, connector_id, NULL);
  if (open->input_variables)
    set_structure (s, "input-variables",
        gst_genesys_json_to_structure ("input-variables",
            open->input_variables));
  if (open->continued_sessions && open->continued_sessions->len > 0) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, 0);
    gst_structure_set (s, "continued-session-id", G_TYPE_STRING, cs->id, NULL);
  }
  g_free (media);
  src_post_element_message (self, s);
}

static void on_action (GstGenesysConn * conn, AhAction * action,
    gpointer user_data);

/* A key the caller pressed: on the bus now, and downstream in stream
 * order as a GstGenesysDTMF event. */
static void
on_dtmf (GstGenesysSrc * self, AhMessage * msg)
{
  Item *item;
  gboolean deliver;

  GST_INFO_OBJECT (self, "DTMF %s at %" GST_TIME_FORMAT,
      GST_STR_NULL (msg->digit), GST_TIME_ARGS (msg->position));
  src_post_element_message (self, gst_structure_new ("genesys-dtmf",
          "digit", G_TYPE_STRING, msg->digit,
          "position", G_TYPE_UINT64, msg->position, NULL));
  item = src_item_new (ITEM_DTMF);
  item->digit = g_strdup (msg->digit);
  item->position =
      gst_util_uint64_scale_int (msg->position, AH_RATE, GST_SECOND);
  item->arrival = src_current_running_time (self);
  g_mutex_lock (&self->lock);
  self->stats.dtmf++;
  src_push_item_locked (self, item);
  deliver = self->loop_active;
  g_mutex_unlock (&self->lock);
  if (deliver)
    src_loop_deliver (self);
}

static gboolean
unref_conn_cb (gpointer data)
{
  gst_genesys_conn_unref (data);
  return G_SOURCE_REMOVE;
}

/* Takes @conn from another element of this process: for a continuation
 * of a session this element served (@continuation), or a new session when
 * it is idle. */
gboolean
src_take_session (GstGenesysSrc * self, GstGenesysConn * conn,
    gboolean continuation)
{
  gboolean ok, keep_listening;
  GstGenesysConn *stale = NULL;

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  /* The client continues the session this element serves: the connection
   * that still carries it is dead to the client (half-open, or not yet
   * noticed as closed here). The continuation takes its place. */
  if (continuation && self->conn && self->started && !self->ended) {
    stale = self->conn;
    self->conn = NULL;
    self->conns = g_list_remove (self->conns, stale);
  }
  ok = self->started && !self->ended && self->conn == NULL && (continuation
      || (!self->busy && (!self->lost_deadline || keep_listening)));
  if (ok) {
    self->busy = TRUE;
    self->conn = conn;
    self->conns = g_list_prepend (self->conns, gst_genesys_conn_ref (conn));
  }
  g_mutex_unlock (&self->lock);

  if (stale) {
    GST_INFO_OBJECT (self, "a continuation supersedes the connection of "
        "session %s", ah_session_get_id (gst_genesys_conn_get_session (stale)));
    src_post_element_message (self, gst_structure_new ("genesys-superseded",
            "session-id", G_TYPE_STRING,
            ah_session_get_id (gst_genesys_conn_get_session (stale)), NULL));
    if (self->channel)
      gst_genesys_channel_session_ended (self->channel, stale);
    gst_genesys_conn_detach (stale);
    gst_genesys_conn_close (stale, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        "superseded by a continuation");
    gst_genesys_loop_invoke (gst_genesys_conn_get_loop (stale),
        unref_conn_cb, stale, NULL);
  }
  return ok;
}

static void
give_session (GstGenesysSrc * self, GstGenesysConn * conn, GstGenesysSrc * to)
{
  g_mutex_lock (&self->lock);
  if (self->conn == conn)
    self->conn = NULL;
  self->conns = g_list_remove (self->conns, conn);
  self->busy = FALSE;
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "session %s goes to %" GST_PTR_FORMAT,
      ah_session_get_id (gst_genesys_conn_get_session (conn)), to);
  gst_genesys_conn_retarget (conn, gst_object_ref (to), gst_object_unref);
  gst_genesys_conn_unref (conn);
}

/* Which element of this process a newly opened session belongs to: the
 * one that served a session it continues; while this element waits for
 * the continuation of its own lost session, not an unrelated one. A loop
 * thread of the server. Returns NULL when nobody can take it. */
static GstGenesysSrc *
route_session (GstGenesysSrc * self, GstGenesysConn * conn,
    const AhMessage * open, gboolean * continued)
{
  GstGenesysServer *server = self->server;
  GstGenesysSrc *taker = NULL;
  gboolean waiting, keep_listening;
  GList *listeners, *l;
  guint i;

  *continued = FALSE;
  for (i = 0; open->continued_sessions && i < open->continued_sessions->len;
      i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    GstGenesysListener *owner = gst_genesys_server_find_session (server,
        cs->id);
    GstGenesysSrc *other;

    if (!owner)
      continue;
    *continued = TRUE;
    if (owner == &self->listener) {
      gst_genesys_server_forget_session (server, cs->id);
      return self;
    }
    other = owner->user_data;
    if (src_take_session (other, conn, TRUE)) {
      gst_genesys_server_forget_session (server, cs->id);
      give_session (self, conn, other);
      return other;
    }
  }

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  waiting = self->lost_deadline != 0;
  g_mutex_unlock (&self->lock);
  if (!waiting || keep_listening)
    return self;

  /* Waiting for a continuation: an unrelated session goes elsewhere. */
  listeners = gst_genesys_server_get_listeners (server);
  for (l = listeners; l && !taker; l = l->next) {
    GstGenesysListener *listener = l->data;
    GstGenesysSrc *other = listener->user_data;
    if (listener == &self->listener
        || g_strcmp0 (listener->path, self->listener.path) != 0)
      continue;
    if (src_take_session (other, conn, FALSE)) {
      give_session (self, conn, other);
      taker = other;
    }
  }
  g_list_free (listeners);
  return taker;
}

static gboolean
cmd_refuse_busy (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_disconnect (session, "error",
      "this endpoint is waiting for the continuation of another session",
      NULL, now);
}

/* open answered: the session starts here, or goes to the element that
 * owns it (FALSE: @action went with it). */
static gboolean
action_opened (GstGenesysSrc * self, GstGenesysConn * conn, AhAction * action)
{
  gboolean continued = FALSE;
  Item *item;

  if (!action->probe) {
    GstGenesysSrc *owner = route_session (self, conn, action->message,
        &continued);
    if (owner == NULL) {
      g_mutex_lock (&self->lock);
      self->stats.refused_busy++;
      g_mutex_unlock (&self->lock);
      gst_genesys_conn_run (conn, cmd_refuse_busy, NULL);
      return TRUE;
    }
    if (owner != self) {
      on_action (conn, action, owner);
      return FALSE;
    }
  }
  post_opened (self, conn, action);
  gst_genesys_server_remember_session (self->server,
      action->message->id, &self->listener);
  g_mutex_lock (&self->lock);
  self->stats.sessions++;
  if (action->probe) {
    self->stats.probes++;
  } else {
    self->lost_deadline = 0;
    if (continued)
      self->stats.sessions_continued++;
    item = src_item_new (ITEM_OPENED);
    item->media = action->media;
    /* positions that go on from the old count are used as they are */
    item->continued = continued && action->message->position > 0;
    src_push_item_locked (self, item);
  }
  g_mutex_unlock (&self->lock);
  if (self->channel && !action->probe && ah_media_is_usable (&action->media))
    gst_genesys_channel_session_opened (self->channel, conn, &action->media);
  return TRUE;
}

static void
action_audio (GstGenesysSrc * self, AhAction * action)
{
  Item *item;
  gboolean deliver;

  item = src_item_new (ITEM_AUDIO);
  item->data = g_bytes_ref (action->data);
  item->position = action->position;
  item->samples = action->samples;
  item->arrival = src_current_running_time (self);
  g_mutex_lock (&self->lock);
  self->stats.frames++;
  self->stats.bytes += g_bytes_get_size (action->data);
  self->stats.samples += action->samples;
  src_push_item_locked (self, item);
  deliver = self->loop_active;
  g_mutex_unlock (&self->lock);
  if (deliver)
    src_loop_deliver (self);
}

static void
action_gap (GstGenesysSrc * self, AhAction * action)
{
  Item *item;
  gboolean deliver;

  item = src_item_new (ITEM_GAP);
  item->position = action->position;
  item->samples = action->samples;
  item->arrival = src_current_running_time (self);
  g_mutex_lock (&self->lock);
  src_push_item_locked (self, item);
  deliver = self->loop_active;
  g_mutex_unlock (&self->lock);
  if (action->cause == AH_GAP_DISCARDED)
    src_post_element_message (self,
        gst_structure_new ("genesys-discarded",
            "position", G_TYPE_UINT64,
            gst_genesys_samples_to_time (action->position),
            "duration", G_TYPE_UINT64,
            gst_genesys_samples_to_time (action->samples), NULL));
  if (deliver)
    src_loop_deliver (self);
}

static void
action_paused (GstGenesysSrc * self, AhAction * action)
{
  src_post_element_message (self, gst_structure_new ("genesys-paused",
          "position", G_TYPE_UINT64,
          gst_genesys_samples_to_time (action->position), NULL));
}

static void
action_resumed (GstGenesysSrc * self, AhAction * action)
{
  Item *item;
  gboolean deliver;

  item = src_item_new (ITEM_RESUME);
  item->position = action->position;
  item->arrival = src_current_running_time (self);
  g_mutex_lock (&self->lock);
  src_push_item_locked (self, item);
  deliver = self->loop_active;
  g_mutex_unlock (&self->lock);
  src_post_element_message (self, gst_structure_new ("genesys-resumed",
          "position", G_TYPE_UINT64,
          gst_genesys_samples_to_time (action->position), NULL));
  if (deliver)
    src_loop_deliver (self);
}

static void
action_ping (GstGenesysSrc * self, AhAction * action)
{
  g_mutex_lock (&self->lock);
  self->stats.pings++;
  if (action->message && action->message->has_rtt)
    self->stats.last_rtt = action->message->rtt;
  g_mutex_unlock (&self->lock);
}

/* A message from the client: an error, a DTMF digit or any other. */
static void
action_message (GstGenesysSrc * self, GstGenesysConn * conn, AhAction * action)
{
  AhMessage *msg = action->message;

  if (msg->type == AH_MSG_ERROR) {
    g_mutex_lock (&self->lock);
    self->stats.client_errors++;
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "client reported error %" G_GINT64_FORMAT
        ": %s", msg->code, msg->message);
    src_post_element_message (self,
        gst_structure_new ("genesys-client-error",
            "code", G_TYPE_INT64, msg->code,
            "message", G_TYPE_STRING, msg->message, NULL));
    if (msg->code == 429 && self->channel)
      gst_genesys_channel_session_message (self->channel, conn, msg);
  } else if (msg->type == AH_MSG_DTMF) {
    on_dtmf (self, msg);
  } else {
    GstStructure *s = gst_structure_new ("genesys-message",
        "type", G_TYPE_STRING, msg->type_name, NULL);
    if (self->channel)
      gst_genesys_channel_session_message (self->channel, conn, msg);
    if (msg->language)
      gst_structure_set (s, "language", G_TYPE_STRING, msg->language, NULL);
    src_post_element_message (self, s);
  }
}

static void
action_protocol_error (GstGenesysSrc * self, AhAction * action)
{
  g_mutex_lock (&self->lock);
  self->stats.protocol_errors++;
  g_mutex_unlock (&self->lock);
  if (action->code == AH_CODE_TIMEOUT)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The AudioHook client went silent: %s.", action->text),
        ("the session is sent disconnect (error) and dropped"));
  else
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The AudioHook client broke the protocol."), ("%s", action->text));
}

static void
action_position_mismatch (GstGenesysSrc * self, AhAction * action)
{
  g_mutex_lock (&self->lock);
  self->stats.position_mismatches++;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "client position %" G_GUINT64_FORMAT
      " samples, ours %" G_GUINT64_FORMAT, action->position, action->samples);
}

/* close answered with closed: the end of the stream, or of this session
 * before the next one or its continuation. */
static void
action_closed (GstGenesysSrc * self, GstGenesysConn * conn, AhAction * action)
{
  AhSession *session = gst_genesys_conn_get_session (conn);
  gboolean probe = ah_session_is_probe (session);
  gboolean keep_listening;
  gboolean reconnect = g_strcmp0 (action->text, "reconnect") == 0;
  GstClockTime timeout;
  Item *item;

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  timeout = self->session_timeout;
  GST_OBJECT_UNLOCK (self);
  if (self->channel) {
    /* transcribers still send their last results before closed */
    gst_genesys_channel_session_closing (self->channel, conn);
    gst_genesys_channel_session_ended (self->channel, conn);
    /* no session follows: the bot's stream ends too, even while the
     * caller's audio still waits to leave this element */
    if (!reconnect && !keep_listening && !probe)
      gst_genesys_channel_end (self->channel);
  }
  src_post_element_message (self,
      gst_structure_new ("genesys-session-closed",
          "session-id", G_TYPE_STRING, ah_session_get_id (session),
          "reason", G_TYPE_STRING, action->text,
          "code", G_TYPE_INT, action->code,
          "probe", G_TYPE_BOOLEAN, probe,
          "duration", G_TYPE_UINT64,
          gst_genesys_samples_to_time (ah_session_get_position (session)),
          NULL));
  /* Only a session closed for a reconnect has a continuation coming. */
  if (!reconnect)
    gst_genesys_server_forget_session (self->server,
        ah_session_get_id (session));
  g_mutex_lock (&self->lock);
  if (reconnect && !probe) {
    /* wait for the continuation like after a drop, without a warning */
    self->lost_deadline = g_get_monotonic_time () + timeout / GST_USECOND;
    if (self->conn == conn) {
      self->conn = NULL;
      self->busy = FALSE;
    }
    g_mutex_unlock (&self->lock);
    return;
  }
  if (!probe) {
    item = src_item_new (ITEM_END);
    item->position = action->position;
    item->session_id = g_strdup (ah_session_get_id (session));
    src_push_item_locked (self, item);
  }
  /* The protocol is done: with keep-listening (or after a probe) the
   * next session may come while this socket still lingers. */
  if (self->conn == conn && (probe || keep_listening)) {
    self->conn = NULL;
    self->busy = FALSE;
  }
  g_mutex_unlock (&self->lock);
}

static void
on_action (GstGenesysConn * conn, AhAction * action, gpointer user_data)
{
  GstGenesysSrc *self = user_data;

  switch (action->type) {
    case AH_ACTION_OPENED:
      /* handed to the element that owns the session, which freed it */
      if (!action_opened (self, conn, action))
        return;
      break;
    case AH_ACTION_AUDIO:
      action_audio (self, action);
      break;
    case AH_ACTION_GAP:
      action_gap (self, action);
      break;
    case AH_ACTION_PAUSED:
      action_paused (self, action);
      break;
    case AH_ACTION_RESUMED:
      action_resumed (self, action);
      break;
    case AH_ACTION_PING:
      action_ping (self, action);
      break;
    case AH_ACTION_MESSAGE:
      action_message (self, conn, action);
      break;
    case AH_ACTION_PROTOCOL_ERROR:
      action_protocol_error (self, action);
      break;
    case AH_ACTION_POSITION_MISMATCH:
      action_position_mismatch (self, action);
      break;
    case AH_ACTION_CLOSED:
      action_closed (self, conn, action);
      break;
    default:
      break;
  }
  ah_action_free (action);
}

static void
on_closed (GstGenesysConn * conn, gushort code, const gchar * reason,
    gboolean clean, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  gboolean probe = ah_session_is_probe (session);
  gboolean lost, owned;
  guint64 position = ah_session_get_position (session);
  GstClockTime timeout;

  GST_OBJECT_LOCK (self);
  timeout = self->session_timeout;
  GST_OBJECT_UNLOCK (self);

  /* Closed without the close/closed exchange (a probe needs none). */
  lost = !probe && ah_session_get_state (session) != AH_STATE_CLOSED
      && ah_session_get_state (session) != AH_STATE_CLOSING;
  if (self->channel) {
    gst_genesys_channel_session_gone (self->channel, conn);
    gst_genesys_channel_session_ended (self->channel, conn);
  }

  g_mutex_lock (&self->lock);
  owned = g_list_find (self->conns, conn) != NULL;
  self->conns = g_list_remove (self->conns, conn);
  if (self->conn == conn) {
    self->conn = NULL;
    /* A session that never closed leaves the element free for a
     * continuation; a closed one ended the stream (see CLOSED). */
    if (lost || probe)
      self->busy = FALSE;
  }
  if (lost) {
    self->stats.sessions_lost++;
    self->lost_deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (lost) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The AudioHook session ended without a close."),
        ("session %s: WebSocket closed with code %u at position %"
            GST_TIME_FORMAT, ah_session_get_id (session), code,
            GST_TIME_ARGS (gst_genesys_samples_to_time (position))));
    src_post_element_message (self, gst_structure_new ("genesys-session-lost",
            "session-id", G_TYPE_STRING, ah_session_get_id (session),
            "code", G_TYPE_UINT, (guint) code,
            "position", G_TYPE_UINT64, gst_genesys_samples_to_time (position),
            NULL));
  }
  if (owned)
    gst_genesys_loop_invoke (gst_genesys_conn_get_loop (conn), unref_conn_cb,
        conn, NULL);
}

const GstGenesysConnCallbacks src_conn_callbacks = {
  on_action,
  on_closed,
};

/* Server and external modes: a run starts, taking sessions. */
void
src_start_serving_locked (GstGenesysSrc * self)
{
  self->started = TRUE;
  self->busy = FALSE;
  self->ended = FALSE;
  self->flushing = FALSE;
  self->lost_deadline = 0;
  memset (&self->stats, 0, sizeof (self->stats));
}
