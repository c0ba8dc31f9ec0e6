/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The reconnecting AudioHook client, see gstgenesysclient.h.
 *
 * Threads: everything libsoup, every AhSession and every GstGenesysConn
 * lives on the client's loop thread. Other threads only touch the fields
 * under @lock: the audio queue, the count of lost samples, the state and
 * the statistics.
 *
 * Accounting: every sample pushed ends up in exactly one of three places:
 * handed to an open session (which sends it, drops it while paused, or
 * drops it for discardTo, all of which advance the session position),
 * waiting in the queue, or counted in @lost. @lost is reported with one
 * ah_session_discard() as soon as the next session is open, so the
 * server's timeline keeps every sample: the position of a new session
 * starts where the old one stopped, and the lost span follows it. What an
 * old session was handed but did not account for (it was closing, or
 * discardTo was still pending) goes back into @lost when it ends. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gstgenesysclient.h"
#include "gstgenesysdebug.h"
#include "gstgenesysdialer.h"
#include "gstgenesysconn.h"
#include "gstgenesysloop.h"
#include "audiohook/ah-session.h"
#include "audiohook/ah-signature.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysclient",
    "Genesys AudioHook client connection");
#define GST_CAT_DEFAULT ensure_debug_category ()

#define MAX_MESSAGE_SIZE 65536
/* Signatures are valid this long after they were made. */
typedef struct
{
  GBytes *data;                 /* NULL: a span without audio */
  guint64 samples;
} Item;

typedef struct
{
  guint64 sessions;
  guint64 frames, bytes, samples;
  guint64 dropped_samples;
  guint64 discarded, discarded_samples;
  guint64 pings, rtt_last, rtt_min, rtt_max;
  guint64 protocol_errors, events, server_audio_bytes;
} Stats;

struct _GstGenesysClient
{
  GstGenesysLoop *loop;
  GstGenesysClientConfig config;
  guint in_frame;               /* bytes per pushed sample frame */
  GstGenesysDialer *dialer;
  GstGenesysClientEventFunc func;
  gpointer user_data;

  /* any thread, under lock */
  GMutex lock;
  GCond cond;
  GstGenesysClientState state;
  gboolean accepting;           /* a session takes audio */
  gboolean flushing;
  GQueue queue;                 /* Item */
  guint64 queued;               /* samples of audio in @queue */
  gboolean drain_scheduled;
  guint64 lost;
  Stats stats;

  /* loop thread */
  gboolean stopping;
  gboolean closing;             /* the application asked to close */
  GstGenesysConn *conn;
  GPtrArray *dead_conns;        /* ended, to unref outside their callbacks */
  gboolean reap_scheduled;
  SoupWebsocketConnection *ws;
  gchar *session_id;
  /* the current session */
  gboolean opened;
  AhMedia media;
  guint64 target;               /* position it must reach for all it was handed */
  guint64 report_pending;       /* lost samples it reports with the next audio */
  gboolean closed;              /* its CLOSED action came */
  gchar *closed_reason;
  gint closed_code;
  gboolean disconnect_received;
  gchar *disconnect_reason;
  gchar *disconnect_info;
  /* playback model of the server's audio (playback_events) */
  gboolean playing;
  guint64 playout_end;          /* ns, monotonic */
  GSource *playback_timer;
  /* what the next session continues */
  guint64 position;
  gchar *prev_id;
  gint64 prev_serverseq;
  gint64 prev_clientseq;
};

/* *INDENT-OFF* */
static void client_fail (GstGenesysClient * self, GstGenesysClientError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */
static void playback_stop (GstGenesysClient * self);

static guint64
now_ns (void)
{
  return gst_genesys_now ();
}

static void
item_free (Item * item)
{
  if (item->data)
    g_bytes_unref (item->data);
  g_free (item);
}

static void
emit (GstGenesysClient * self, GstGenesysClientEvent * ev)
{
  if (ev->session_id == NULL)
    ev->session_id = self->session_id;
  if (self->func)
    self->func (self, ev, self->user_data);
}

static void
emit_simple (GstGenesysClient * self, GstGenesysClientEventType type)
{
  GstGenesysClientEvent ev = { type };

  emit (self, &ev);
}

/* ------------------------------------------------------------------ */
/* helpers */

void
gst_genesys_client_config_clear (GstGenesysClientConfig * config)
{
  g_clear_pointer (&config->uri, g_free);
  g_clear_pointer (&config->api_key, g_free);
  g_clear_pointer (&config->client_secret, g_free);
  g_clear_pointer (&config->user_agent, g_free);
  g_clear_pointer (&config->extra_headers, gst_structure_free);
  g_clear_pointer (&config->tls_ca_file, g_free);
  g_clear_pointer (&config->open, ah_message_unref);
}

static void
config_copy (GstGenesysClientConfig * dst, const GstGenesysClientConfig * src)
{
  *dst = *src;
  dst->uri = g_strdup (src->uri);
  dst->api_key = g_strdup (src->api_key);
  dst->client_secret = g_strdup (src->client_secret);
  dst->user_agent = g_strdup (src->user_agent ? src->user_agent :
      "gst-genesys/" VERSION);
  dst->extra_headers = src->extra_headers ?
      gst_structure_copy (src->extra_headers) : NULL;
  dst->tls_ca_file = g_strdup (src->tls_ca_file);
  dst->open = src->open ? ah_message_ref (src->open) : NULL;
}

/* ------------------------------------------------------------------ */
/* the open message */

static AhMessage *
build_open (GstGenesysClient * self)
{
  const AhMessage *t = self->config.open;
  AhMessage *open = ah_message_new (AH_MSG_OPEN);
  guint i;

  open->organization_id = g_strdup (t->organization_id);
  open->conversation_id = g_strdup (t->conversation_id);
  open->participant.id = g_strdup (t->participant.id);
  open->participant.ani = g_strdup (t->participant.ani);
  open->participant.ani_name = g_strdup (t->participant.ani_name);
  open->participant.dnis = g_strdup (t->participant.dnis);
  open->language = g_strdup (t->language);
  open->supported_languages = t->supported_languages;
  if (t->custom_config)
    open->custom_config = json_object_ref (t->custom_config);
  if (t->input_variables)
    open->input_variables = json_object_ref (t->input_variables);
  for (i = 0; t->media && i < t->media->len; i++)
    ah_message_add_media (open, &g_array_index (t->media, AhMedia, i));
  if (self->prev_id)
    ah_message_add_continued_session (open, self->prev_id,
        self->prev_serverseq, self->prev_clientseq);
  return open;
}

/* ------------------------------------------------------------------ */
/* audio (loop thread) */

static gboolean
session_takes_audio (AhSession * session)
{
  AhState state = ah_session_get_state (session);

  return state == AH_STATE_ACTIVE || state == AH_STATE_PAUSED;
}

/* Pushed audio in the chosen media's layout. Input channel 0 is
 * external, 1 internal. */
static GBytes *
convert (GstGenesysClient * self, GBytes * in)
{
  const AhMedia *m = &self->media;
  guint bps = self->config.format == AH_FORMAT_L16 ? 2 : 1;
  gsize size, n, i;
  const guint8 *src;
  guint8 *dst;
  guint pick[2];
  guint c;

  if (self->config.channels == 1)
    return g_bytes_ref (in);
  for (c = 0; c < m->n_channels; c++)
    pick[c] = m->channels[c] == AH_CHANNEL_INTERNAL ? 1 : 0;
  if (m->n_channels == 2 && pick[0] == 0 && pick[1] == 1)
    return g_bytes_ref (in);

  src = g_bytes_get_data (in, &size);
  n = size / self->in_frame;
  dst = g_malloc (n * m->n_channels * bps);
  for (i = 0; i < n; i++) {
    for (c = 0; c < m->n_channels; c++)
      memcpy (dst + (i * m->n_channels + c) * bps,
          src + i * self->in_frame + pick[c] * bps, bps);
  }
  return g_bytes_new_take (dst, n * m->n_channels * bps);
}

typedef struct
{
  GBytes *data;
  guint64 sent;
} SendArgs;

static gboolean
cmd_send_audio (AhSession * session, gpointer data, guint64 now)
{
  SendArgs *args = data;

  args->sent = ah_session_send_audio (session, args->data, now);
  return TRUE;
}

static void
emit_discarded (GstGenesysClient * self, guint64 start, guint64 samples)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_DISCARDED };

  g_mutex_lock (&self->lock);
  self->stats.discarded++;
  self->stats.discarded_samples += samples;
  g_mutex_unlock (&self->lock);
  GST_INFO ("session %s: discarded %" G_GUINT64_FORMAT " samples at %"
      G_GUINT64_FORMAT, self->session_id, samples, start);
  ev.position = start;
  ev.samples = samples;
  emit (self, &ev);
}

static void
send_item (GstGenesysClient * self, Item * item)
{
  AhSession *session = NULL;
  SendArgs args;
  guint64 before, after, delta;
  AhState state;

  if (self->conn)
    session = gst_genesys_conn_get_session (self->conn);
  if (session == NULL || !session_takes_audio (session) || !self->ws
      || soup_websocket_connection_get_state (self->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_mutex_lock (&self->lock);
    self->lost += item->samples;
    if (item->data)
      self->stats.dropped_samples += item->samples;
    g_mutex_unlock (&self->lock);
    return;
  }

  if (item->data == NULL) {
    ah_session_discard (session, item->samples);
    self->report_pending += item->samples;
    self->target += item->samples;
    return;
  }

  self->target += item->samples;
  state = ah_session_get_state (session);
  before = ah_session_get_position (session);
  args.data = convert (self, item->data);
  args.sent = 0;
  gst_genesys_conn_run (self->conn, cmd_send_audio, &args);
  after = ah_session_get_position (session);

  if (args.sent > 0) {
    g_mutex_lock (&self->lock);
    self->stats.frames++;
    self->stats.bytes += g_bytes_get_size (args.data) * args.sent /
        item->samples;
    self->stats.samples += args.sent;
    g_mutex_unlock (&self->lock);
  }
  g_bytes_unref (args.data);

  /* What the session skipped: the lost span it was told about, then
   * what discardTo asked for. */
  if (state == AH_STATE_ACTIVE && after > before + args.sent) {
    delta = after - before - args.sent;
    if (self->report_pending > 0) {
      guint64 n = MIN (self->report_pending, delta);
      emit_discarded (self, before, n);
      before += n;
      delta -= n;
      self->report_pending = 0;
    }
    if (delta > 0)
      emit_discarded (self, before, delta);
  }
}

static void
drain (GstGenesysClient * self)
{
  GQueue items;
  Item *item;

  g_mutex_lock (&self->lock);
  items = self->queue;
  g_queue_init (&self->queue);
  self->queued = 0;
  self->drain_scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  while ((item = g_queue_pop_head (&items))) {
    send_item (self, item);
    item_free (item);
  }
}

static gboolean
drain_cb (gpointer data)
{
  GstGenesysClient *self = data;

  drain (self);
  return G_SOURCE_REMOVE;
}

/* Audio waiting in the queue cannot be sent any more: lost. */
static void
stop_accepting_locked (GstGenesysClient * self)
{
  Item *item;

  self->accepting = FALSE;
  while ((item = g_queue_pop_head (&self->queue))) {
    self->lost += item->samples;
    if (item->data)
      self->stats.dropped_samples += item->samples;
    item_free (item);
  }
  self->queued = 0;
}

static void
update_accepting (GstGenesysClient * self)
{
  AhSession *session = self->conn ?
      gst_genesys_conn_get_session (self->conn) : NULL;

  if (session && self->opened && session_takes_audio (session))
    return;
  g_mutex_lock (&self->lock);
  if (self->accepting)
    stop_accepting_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* connection lifecycle (loop thread) */

static void
reap (GstGenesysClient * self)
{
  while (self->dead_conns->len > 0)
    gst_genesys_conn_unref (g_ptr_array_steal_index (self->dead_conns,
            self->dead_conns->len - 1));
}

static gboolean
reap_cb (gpointer data)
{
  GstGenesysClient *self = data;

  self->reap_scheduled = FALSE;
  reap (self);
  return G_SOURCE_REMOVE;
}

/* Lets go of the WebSocket: libsoup closes the stream when the last
 * reference goes. */
static void
release_ws (GstGenesysClient * self)
{
  g_clear_object (&self->ws);
}

static void
finish (GstGenesysClient * self, const gchar * reason, gint code)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_CLOSED };

  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->state = GST_GENESYS_CLIENT_FINISHED;
  stop_accepting_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  gst_genesys_dialer_stop (self->dialer);
  GST_INFO ("stream closed: %s (%d)", reason, code);
  ev.reason = reason;
  ev.code = code;
  ev.position = self->position;
  if (self->conn)
    ev.position = ah_session_get_position (gst_genesys_conn_get_session
        (self->conn));
  emit (self, &ev);
}

static gboolean
cmd_close (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_close (session, data, now);
}

static void
client_fail (GstGenesysClient * self, GstGenesysClientError code,
    const gchar * format, ...)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_ERROR };
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (GST_GENESYS_CLIENT_ERROR, code, format, args);
  va_end (args);

  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING) {
    g_mutex_unlock (&self->lock);
    g_error_free (error);
    return;
  }
  self->state = GST_GENESYS_CLIENT_FAILED;
  stop_accepting_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  GST_WARNING ("giving up: %s", error->message);
  gst_genesys_dialer_stop (self->dialer);
  /* Tell the server, if a session can still say so. */
  if (self->conn) {
    AhSession *session = gst_genesys_conn_get_session (self->conn);
    AhState state = ah_session_get_state (session);
    if (state == AH_STATE_OPENING || state == AH_STATE_ACTIVE
        || state == AH_STATE_PAUSED)
      gst_genesys_conn_run (self->conn, cmd_close, (gpointer) "error");
  }
  ev.error = error;
  emit (self, &ev);
  g_error_free (error);
}

/* What comes after a connection ended, for a running client. */
static void
decide (GstGenesysClient * self, gushort code, const gchar * cause)
{
  if (self->stopping)
    return;
  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING) {
    g_mutex_unlock (&self->lock);
    return;
  }
  g_mutex_unlock (&self->lock);

  if (self->closing) {
    finish (self, "end", code);
  } else if (self->closed) {
    if (g_strcmp0 (self->closed_reason, "reconnect") == 0)
      gst_genesys_dialer_retry (self->dialer, TRUE,
          "the server asked to reconnect");
    else if (self->closed_code == 408)
      gst_genesys_dialer_retry (self->dialer, FALSE, "protocol timeout");
    else if (g_strcmp0 (self->closed_reason, "error") == 0)
      client_fail (self, GST_GENESYS_CLIENT_ERROR_PROTOCOL,
          "The AudioHook session failed with error %d (see the debug log)",
          self->closed_code);
    else
      finish (self, self->closed_reason, self->closed_code);
  } else if (self->disconnect_received) {
    finish (self, "disconnect", code);
  } else if (gst_genesys_close_code_is_fatal (code)) {
    client_fail (self, GST_GENESYS_CLIENT_ERROR_CLOSED,
        "The server closed the WebSocket with code %u, which retrying "
        "cannot fix", code);
  } else {
    gst_genesys_dialer_retry (self->dialer, FALSE, cause);
  }
}

/* The current connection is gone (closed, dropped, or declared dead).
 * @defer: called from within one of the connection's callbacks. */
static void
connection_ended (GstGenesysClient * self, gushort code, const gchar * reason,
    gboolean clean, const gchar * cause, gboolean defer)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_DISCONNECTED };
  GstGenesysConn *conn = self->conn;
  AhSession *session = conn ? gst_genesys_conn_get_session (conn) : NULL;
  gchar *reason_copy = g_strdup (reason);

  self->conn = NULL;
  playback_stop (self);
  if (code == 0)
    code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;

  gst_genesys_dialer_lost (self->dialer, code);
  g_mutex_lock (&self->lock);
  stop_accepting_locked (self);
  if (self->opened && session) {
    guint64 pos = ah_session_get_position (session);
    if (self->target > pos)
      self->lost += self->target - pos;
    self->position = pos;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->opened) {
    if (session) {
      g_free (self->prev_id);
      self->prev_id = g_strdup (ah_session_get_id (session));
      self->prev_serverseq = ah_session_get_peer_seq (session);
      self->prev_clientseq = ah_session_get_seq (session);
    }
  }
  self->report_pending = 0;
  self->opened = FALSE;

  GST_INFO ("session %s: connection ended, code %u (%s)%s: %s",
      session ? ah_session_get_id (session) : self->session_id, code,
      reason ? reason : "", clean ? "" : ", not clean", cause);

  /* Not from within its own callback: later, and at the latest in
   * teardown, so no connection outlives the client's loop. */
  if (conn) {
    gst_genesys_conn_detach (conn);
    g_ptr_array_add (self->dead_conns, conn);
    if (!defer)
      reap (self);
    else if (!self->reap_scheduled) {
      self->reap_scheduled = TRUE;
      gst_genesys_loop_invoke (self->loop, reap_cb, self, NULL);
    }
  }
  release_ws (self);

  ev.code = code;
  ev.reason = reason_copy;
  ev.clean = clean;
  ev.cause = cause;
  emit (self, &ev);
  decide (self, code, cause);
  g_free (reason_copy);
}

/* ---- GstGenesysConn callbacks ---- */

static gboolean
fail_no_media_cb (gpointer data)
{
  GstGenesysClient *self = data;

  client_fail (self, GST_GENESYS_CLIENT_ERROR_NO_MEDIA,
      "The AudioHook server chose no media (opened with an empty media "
      "list), so there is nothing this sink can send");
  return G_SOURCE_REMOVE;
}

static void
on_opened (GstGenesysClient * self, AhSession * session, AhAction * action)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_OPENED };
  guint64 start = ah_session_get_position (session);
  guint64 n;

  ev.media = &action->media;
  ev.message = action->message;
  ev.position = start;
  ev.continued = self->prev_id;

  if (action->media.n_channels == 0) {
    emit (self, &ev);
    gst_genesys_loop_invoke (self->loop, fail_no_media_cb, self, NULL);
    return;
  }

  self->opened = TRUE;
  gst_genesys_dialer_opened (self->dialer);
  self->media = action->media;
  g_mutex_lock (&self->lock);
  n = self->lost;
  self->lost = 0;
  self->accepting = TRUE;
  self->stats.sessions++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  self->target = start + n;
  self->report_pending = n;
  if (n > 0)
    ah_session_discard (session, n);
  GST_INFO ("session %s opened at position %" G_GUINT64_FORMAT
      ", %" G_GUINT64_FORMAT " samples lost before", self->session_id, start,
      n);
  emit (self, &ev);
}

static gboolean
reconnect_cb (gpointer data)
{
  GstGenesysClient *self = data;
  AhSession *session;

  if (!self->conn || self->closing || self->stopping)
    return G_SOURCE_REMOVE;
  session = gst_genesys_conn_get_session (self->conn);
  if (!session_takes_audio (session))
    return G_SOURCE_REMOVE;
  drain (self);
  if (self->conn)
    gst_genesys_conn_run (self->conn, cmd_close, (gpointer) "reconnect");
  update_accepting (self);
  return G_SOURCE_REMOVE;
}

static void
on_message (GstGenesysClient * self, AhMessage * msg)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_MESSAGE };

  switch (msg->type) {
    case AH_MSG_DISCONNECT:
      GST_INFO ("session %s: the server disconnects: %s (%s)",
          self->session_id, msg->reason, msg->info ? msg->info : "");
      self->disconnect_received = TRUE;
      g_free (self->disconnect_reason);
      self->disconnect_reason = g_strdup (msg->reason);
      g_free (self->disconnect_info);
      self->disconnect_info = g_strdup (msg->info);
      break;
    case AH_MSG_RECONNECT:
      GST_INFO ("session %s: the server asks to reconnect: %s",
          self->session_id, msg->info ? msg->info : "");
      gst_genesys_loop_invoke (self->loop, reconnect_cb, self, NULL);
      break;
    case AH_MSG_EVENT:
      g_mutex_lock (&self->lock);
      self->stats.events++;
      g_mutex_unlock (&self->lock);
      /* the caller interrupted: what was not played yet is dropped */
      if (self->config.playback_events && self->playing
          && ah_message_has_entity (msg, "barge_in")) {
        self->playout_end = now_ns ();
        g_source_set_ready_time (self->playback_timer, 0);
      }
      break;
    default:
      break;
  }
  ev.message = msg;
  emit (self, &ev);
}

static void
on_session_closed (GstGenesysClient * self, AhAction * action)
{
  self->closed = TRUE;
  g_free (self->closed_reason);
  self->closed_reason = g_strdup (action->text);
  self->closed_code = action->code;
  GST_INFO ("session %s closed: %s (%d)", self->session_id, action->text,
      action->code);

  if (self->closing) {
    finish (self, action->text, action->code);
  } else if (g_strcmp0 (action->text, "disconnect") == 0) {
    if (g_strcmp0 (self->disconnect_reason, "unauthorized") == 0)
      client_fail (self, GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED,
          "The AudioHook server ended the session as unauthorized: %s",
          self->disconnect_info ? self->disconnect_info : "no details");
    else if (g_strcmp0 (self->disconnect_reason, "error") == 0)
      client_fail (self, GST_GENESYS_CLIENT_ERROR_SERVER,
          "The AudioHook server ended the session with an error: %s",
          self->disconnect_info ? self->disconnect_info : "no details");
    else
      finish (self, action->text, action->code);
  }
}

static gboolean
cmd_send_message (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_send_message (session, data, now);
}

static void
send_playback (GstGenesysClient * self, AhMessageType type)
{
  AhMessage *msg;

  if (!self->conn)
    return;
  msg = ah_message_new (type);
  gst_genesys_conn_run (self->conn, cmd_send_message, msg);
  ah_message_unref (msg);
}

static void
playback_stop (GstGenesysClient * self)
{
  if (self->playback_timer) {
    g_source_destroy (self->playback_timer);
    g_source_unref (self->playback_timer);
    self->playback_timer = NULL;
  }
  self->playing = FALSE;
}

static gboolean
playback_timer_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs playback_timer_funcs = {
  NULL, NULL, playback_timer_dispatch, NULL, NULL, NULL
};

static gboolean
playback_done_cb (gpointer data)
{
  GstGenesysClient *self = data;
  guint64 now = now_ns ();

  if (now + GST_MSECOND < self->playout_end) {
    g_source_set_ready_time (self->playback_timer, g_get_monotonic_time () +
        (gint64) ((self->playout_end - now) / 1000));
    return G_SOURCE_CONTINUE;
  }
  g_source_unref (self->playback_timer);
  self->playback_timer = NULL;
  self->playing = FALSE;
  GST_DEBUG ("session %s: playback completed", self->session_id);
  send_playback (self, AH_MSG_PLAYBACK_COMPLETED);
  return G_SOURCE_REMOVE;
}

/* The server's audio is played in real time from its arrival: the first
 * audio while idle starts playback, the end of what was received ends it. */
static void
playback_audio (GstGenesysClient * self, guint64 samples)
{
  guint64 now = now_ns ();

  if (!self->playing) {
    self->playing = TRUE;
    self->playout_end = now;
    GST_DEBUG ("session %s: playback started", self->session_id);
    send_playback (self, AH_MSG_PLAYBACK_STARTED);
  }
  self->playout_end = MAX (self->playout_end, now) +
      gst_util_uint64_scale_int (samples, GST_SECOND, self->media.rate ?
      self->media.rate : 8000);
  if (!self->playback_timer) {
    self->playback_timer = g_source_new (&playback_timer_funcs,
        sizeof (GSource));
    g_source_set_callback (self->playback_timer, playback_done_cb, self, NULL);
    g_source_attach (self->playback_timer,
        gst_genesys_loop_get_context (self->loop));
  }
  g_source_set_ready_time (self->playback_timer, g_get_monotonic_time () +
      (gint64) ((self->playout_end - now) / 1000));
}

static void
on_conn_action (GstGenesysConn * conn, AhAction * action, gpointer user_data)
{
  GstGenesysClient *self = user_data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  GstGenesysClientEvent ev = { 0 };

  if (conn != self->conn) {
    ah_action_free (action);
    return;
  }

  switch (action->type) {
    case AH_ACTION_OPENED:
      on_opened (self, session, action);
      break;
    case AH_ACTION_PAUSED:
    case AH_ACTION_RESUMED:
      ev.type = action->type == AH_ACTION_PAUSED ?
          GST_GENESYS_CLIENT_EVENT_PAUSED : GST_GENESYS_CLIENT_EVENT_RESUMED;
      ev.position = action->position;
      emit (self, &ev);
      break;
    case AH_ACTION_PING:
      g_mutex_lock (&self->lock);
      self->stats.pings++;
      self->stats.rtt_last = action->rtt;
      if (self->stats.pings == 1 || action->rtt < self->stats.rtt_min)
        self->stats.rtt_min = action->rtt;
      self->stats.rtt_max = MAX (self->stats.rtt_max, action->rtt);
      g_mutex_unlock (&self->lock);
      ev.type = GST_GENESYS_CLIENT_EVENT_PING;
      ev.rtt = action->rtt;
      emit (self, &ev);
      break;
    case AH_ACTION_MESSAGE:
      on_message (self, action->message);
      break;
    case AH_ACTION_PROTOCOL_ERROR:
      g_mutex_lock (&self->lock);
      self->stats.protocol_errors++;
      g_mutex_unlock (&self->lock);
      GST_INFO ("session %s: protocol error %d: %s", self->session_id,
          action->code, action->text);
      ev.type = GST_GENESYS_CLIENT_EVENT_PROTOCOL_ERROR;
      ev.code = action->code;
      ev.reason = action->text;
      emit (self, &ev);
      break;
    case AH_ACTION_CLOSED:
      on_session_closed (self, action);
      break;
    case AH_ACTION_AUDIO:
      g_mutex_lock (&self->lock);
      self->stats.server_audio_bytes += g_bytes_get_size (action->data);
      g_mutex_unlock (&self->lock);
      if (self->config.playback_events)
        playback_audio (self, action->samples);
      ev.type = GST_GENESYS_CLIENT_EVENT_AUDIO;
      ev.data = action->data;
      ev.position = action->position;
      ev.samples = action->samples;
      emit (self, &ev);
      break;
    default:
      break;
  }
  ah_action_free (action);
  if (conn == self->conn)
    update_accepting (self);
}

static void
on_conn_closed (GstGenesysConn * conn, gushort code, const gchar * reason,
    gboolean clean, gpointer user_data)
{
  GstGenesysClient *self = user_data;

  if (conn != self->conn)
    return;
  connection_ended (self, code, reason, clean,
      clean ? "the server closed the connection" :
      "the connection dropped without a close frame", TRUE);
}

static const GstGenesysConnCallbacks conn_callbacks = {
  on_conn_action,
  on_conn_closed,
};

/* ---- the dialer's callbacks ---- */

static void
on_dead (gpointer user_data)
{
  GstGenesysClient *self = user_data;

  /* Like a drop without a close frame: no goodbye on a dead path. */
  connection_ended (self, SOUP_WEBSOCKET_CLOSE_ABNORMAL, "keep-alive timeout",
      FALSE, "no pong within keepalive-interval + keepalive-timeout", FALSE);
}

static void
on_failed (const GError * error, gpointer user_data)
{
  client_fail (user_data, error->code, "%s", error->message);
}

static void
on_dial_event (GstGenesysClientEvent * ev, gpointer user_data)
{
  emit (user_data, ev);
}

/* ---- connecting ---- */

static gboolean
cmd_open (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_open (session, data, now);
}

static void
on_connected (SoupWebsocketConnection * ws, gpointer user_data)
{
  GstGenesysClient *self = user_data;
  AhSession *session;
  GstGenesysConn *conn;
  AhMessage *open;

  self->ws = g_object_ref (ws);
  self->opened = FALSE;
  self->closed = FALSE;
  self->disconnect_received = FALSE;
  self->report_pending = 0;

  session = ah_session_new (AH_ROLE_CLIENT, self->session_id);
  ah_session_set_timeouts (session, self->config.open_timeout,
      self->config.close_timeout, self->config.ping_interval, 0);
  ah_session_set_accept_audio (session, TRUE);
  ah_session_set_start_position (session, self->position);
  conn = gst_genesys_conn_new (self->loop, ws, session, MAX_MESSAGE_SIZE);
  self->conn = conn;

  GST_INFO ("session %s: connected to %s", self->session_id, self->config.uri);
  emit_simple (self, GST_GENESYS_CLIENT_EVENT_CONNECTED);
  if (self->conn != conn)
    return;
  gst_genesys_conn_start (conn, &conn_callbacks, self, NULL);
  if (self->conn != conn)
    return;
  open = build_open (self);
  gst_genesys_conn_run (conn, cmd_open, open);
  ah_message_unref (open);
}

/* Each attempt is a session of its own. */
static void
on_headers (SoupMessageHeaders * h, gpointer user_data)
{
  GstGenesysClient *self = user_data;
  gchar *correlation = g_uuid_string_random ();

  g_free (self->session_id);
  self->session_id = g_uuid_string_random ();
  soup_message_headers_replace (h, "Audiohook-Organization-Id",
      self->config.open->organization_id);
  soup_message_headers_replace (h, "Audiohook-Session-Id", self->session_id);
  soup_message_headers_replace (h, "Audiohook-Correlation-Id", correlation);
  if (self->config.api_key && *self->config.api_key)
    soup_message_headers_replace (h, "X-API-KEY", self->config.api_key);
  g_free (correlation);
}

/* Adds the signature of the request as it stands. */
static gboolean
on_sign (SoupMessageHeaders * h, const gchar * authority,
    const gchar * target, gpointer user_data, GError ** error)
{
  GstGenesysClient *self = user_data;

  return gst_genesys_sign_request (h, authority, target,
      self->config.api_key, self->config.client_secret, error);
}

static const GstGenesysDialerCallbacks dialer_callbacks = {
  .headers = on_headers,
  .sign = on_sign,
  .event = on_dial_event,
  .connected = on_connected,
  .dead = on_dead,
  .failed = on_failed,
};

/* ------------------------------------------------------------------ */
/* public API */

GstGenesysClient *
gst_genesys_client_new (const GstGenesysClientConfig * config,
    GstGenesysClientEventFunc func, gpointer user_data, GError ** error)
{
  GstGenesysDialerConfig dial = { 0 };
  GstGenesysDialer *dialer;
  GstGenesysClient *self;
  guint bps;


  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->open != NULL, NULL);

  if (config->format != AH_FORMAT_PCMU && config->format != AH_FORMAT_L16) {
    g_set_error (error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CONFIG, "unsupported audio format");
    return NULL;
  }
  if (config->channels != 1 && config->channels != 2) {
    g_set_error (error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CONFIG, "1 or 2 channels only");
    return NULL;
  }
  if (config->client_secret && *config->client_secret) {
    static const AhHeader dummy[] = {
      {"audiohook-organization-id", "o"}, {"audiohook-session-id", "s"},
      {"audiohook-correlation-id", "c"}, {"x-api-key", "k"},
    };
    AhRequest req = { "/", "example.com", dummy, G_N_ELEMENTS (dummy) };
    gchar *a = NULL, *b = NULL;
    GError *sig_error = NULL;

    if (!config->api_key || !*config->api_key) {
      g_set_error (error, GST_GENESYS_CLIENT_ERROR,
          GST_GENESYS_CLIENT_ERROR_CONFIG,
          "a client secret needs an API key to sign with");
      return NULL;
    }
    /* Catches a secret that is not base64 now rather than per request. */
    if (!ah_signature_sign (&req, config->api_key, config->client_secret,
            "bm9uY2Vub25jZW5vbmNlbm9u", 1, 2, &a, &b, &sig_error)) {
      g_set_error (error, GST_GENESYS_CLIENT_ERROR,
          GST_GENESYS_CLIENT_ERROR_CONFIG, "client secret: %s",
          sig_error->message);
      g_error_free (sig_error);
      return NULL;
    }
    g_free (a);
    g_free (b);
  }

  dial.uri = config->uri;
  dial.user_agent = config->user_agent;
  dial.extra_headers = config->extra_headers;
  dial.tls_ca_file = config->tls_ca_file;
  dial.tls_validation = config->tls_validation;
  dial.credentials_hint = "api-key, client-secret and organization-id";
  dial.connect_timeout = config->open_timeout;
  dial.keepalive_interval = config->keepalive_interval;
  dial.keepalive_timeout = config->keepalive_timeout;
  dial.backoff_base = config->backoff_base;
  dial.backoff_max = config->backoff_max;
  dial.retries = config->retries;
  dial.stable_time = config->stable_time;
  self = g_new0 (GstGenesysClient, 1);
  dialer = gst_genesys_dialer_new (&dial, &dialer_callbacks, self, error);
  if (dialer == NULL) {
    g_free (self);
    return NULL;
  }
  config_copy (&self->config, config);
  bps = config->format == AH_FORMAT_L16 ? 2 : 1;
  self->in_frame = bps * config->channels;
  self->dialer = dialer;
  self->func = func;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->state = GST_GENESYS_CLIENT_RUNNING;
  self->dead_conns = g_ptr_array_new ();
  if (self->config.max_queued == 0)
    self->config.max_queued = 5 * AH_RATE;
  return self;
}

void
gst_genesys_client_start (GstGenesysClient * self)
{
  self->loop = gst_genesys_dialer_start (self->dialer, "genesysclient");
}

/* On the loop thread, as the dialer shuts down: say end on an open
 * session. */
static gboolean
stop_cb (gpointer data)
{
  GstGenesysClient *self = data;

  self->stopping = TRUE;
  g_mutex_lock (&self->lock);
  if (self->state == GST_GENESYS_CLIENT_RUNNING)
    self->state = GST_GENESYS_CLIENT_FINISHED;
  stop_accepting_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->conn && self->ws) {
    AhSession *session = gst_genesys_conn_get_session (self->conn);
    AhState state = ah_session_get_state (session);

    if (state == AH_STATE_OPENING || state == AH_STATE_ACTIVE
        || state == AH_STATE_PAUSED)
      gst_genesys_conn_run (self->conn, cmd_close, (gpointer) "end");
  }
  return G_SOURCE_REMOVE;
}

static gboolean
teardown_cb (gpointer data)
{
  GstGenesysClient *self = data;

  playback_stop (self);
  if (self->conn) {
    GstGenesysConn *conn = self->conn;
    self->conn = NULL;
    gst_genesys_conn_detach (conn);
    gst_genesys_conn_unref (conn);
  }
  reap (self);
  release_ws (self);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_client_stop (GstGenesysClient * self)
{
  gst_genesys_dialer_shutdown (self->dialer, stop_cb, teardown_cb, self);
  self->loop = NULL;
}

void
gst_genesys_client_free (GstGenesysClient * self)
{
  Item *item;

  if (self == NULL)
    return;
  gst_genesys_client_stop (self);
  while ((item = g_queue_pop_head (&self->queue)))
    item_free (item);
  gst_genesys_dialer_free (self->dialer);
  gst_genesys_client_config_clear (&self->config);
  g_ptr_array_unref (self->dead_conns);
  g_free (self->session_id);
  g_free (self->closed_reason);
  g_free (self->disconnect_reason);
  g_free (self->disconnect_info);
  g_free (self->prev_id);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static void
queue_item_locked (GstGenesysClient * self, GBytes * data, guint64 samples)
{
  Item *tail = g_queue_peek_tail (&self->queue);
  Item *item;

  if (data == NULL && tail && tail->data == NULL) {
    tail->samples += samples;
  } else {
    item = g_new0 (Item, 1);
    item->data = data ? g_bytes_ref (data) : NULL;
    item->samples = samples;
    g_queue_push_tail (&self->queue, item);
    if (data)
      self->queued += samples;
  }
  if (!self->drain_scheduled) {
    self->drain_scheduled = TRUE;
    gst_genesys_loop_invoke (self->loop, drain_cb, self, NULL);
  }
}

gboolean
gst_genesys_client_push (GstGenesysClient * self, GBytes * data)
{
  gsize size = g_bytes_get_size (data);
  guint64 samples = size / self->in_frame;
  gboolean ok = FALSE;

  g_return_val_if_fail (size % self->in_frame == 0, FALSE);
  if (samples == 0)
    return TRUE;

  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING || !self->loop) {
    /* nothing more goes out */
  } else if (!self->accepting) {
    self->lost += samples;
    self->stats.dropped_samples += samples;
  } else if (self->queued + samples > self->config.max_queued) {
    /* The loop thread is behind: drop rather than wait. */
    self->stats.dropped_samples += samples;
    queue_item_locked (self, NULL, samples);
  } else {
    queue_item_locked (self, data, samples);
    ok = TRUE;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

void
gst_genesys_client_discard (GstGenesysClient * self, guint64 samples)
{
  if (samples == 0)
    return;
  g_mutex_lock (&self->lock);
  if (self->state == GST_GENESYS_CLIENT_RUNNING && self->loop) {
    if (!self->accepting)
      self->lost += samples;
    else
      queue_item_locked (self, NULL, samples);
  }
  g_mutex_unlock (&self->lock);
}

typedef struct
{
  GstGenesysClient *client;
  AhMessage *msg;
} MessageArgs;

static void
message_args_free (gpointer data)
{
  MessageArgs *args = data;

  ah_message_unref (args->msg);
  g_free (args);
}

static gboolean
send_message_cb (gpointer data)
{
  MessageArgs *args = data;
  GstGenesysClient *self = args->client;

  if (self->conn && !self->stopping)
    gst_genesys_conn_run (self->conn, cmd_send_message, args->msg);
  return G_SOURCE_REMOVE;
}

gboolean
gst_genesys_client_send_message (GstGenesysClient * self, AhMessage * msg)
{
  MessageArgs *args;
  gboolean open;

  g_mutex_lock (&self->lock);
  open = self->accepting && self->state == GST_GENESYS_CLIENT_RUNNING;
  g_mutex_unlock (&self->lock);
  if (!open || !self->loop)
    return FALSE;
  args = g_new0 (MessageArgs, 1);
  args->client = self;
  args->msg = ah_message_ref (msg);
  gst_genesys_loop_invoke (self->loop, send_message_cb, args,
      message_args_free);
  return TRUE;
}

gboolean
gst_genesys_client_wait_open (GstGenesysClient * self)
{
  gboolean open;

  g_mutex_lock (&self->lock);
  while (!self->accepting && !self->flushing
      && self->state == GST_GENESYS_CLIENT_RUNNING)
    g_cond_wait (&self->cond, &self->lock);
  open = self->accepting && !self->flushing;
  g_mutex_unlock (&self->lock);
  return open;
}

typedef struct
{
  GstGenesysClient *client;
  gchar *reason;
} CloseArgs;

static gboolean
close_cb (gpointer data)
{
  CloseArgs *args = data;
  GstGenesysClient *self = args->client;
  AhSession *session = NULL;
  AhState state = AH_STATE_CLOSED;

  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING || self->stopping) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  g_mutex_unlock (&self->lock);

  self->closing = TRUE;
  /* Audio pushed before the close goes first. */
  drain (self);
  if (self->conn) {
    session = gst_genesys_conn_get_session (self->conn);
    state = ah_session_get_state (session);
  }
  if (state == AH_STATE_OPENING || state == AH_STATE_ACTIVE
      || state == AH_STATE_PAUSED) {
    GST_INFO ("session %s: closing with reason %s", self->session_id,
        args->reason);
    gst_genesys_conn_run (self->conn, cmd_close, args->reason);
    update_accepting (self);
  } else if (state != AH_STATE_CLOSING) {
    /* No session to close: connecting, waiting to retry, or closed. */
    finish (self, args->reason, 0);
  }
  return G_SOURCE_REMOVE;
}

static void
close_args_free (gpointer data)
{
  CloseArgs *args = data;

  g_free (args->reason);
  g_free (args);
}

gboolean
gst_genesys_client_close (GstGenesysClient * self, const gchar * reason,
    guint64 timeout)
{
  CloseArgs *args;
  gint64 deadline;
  gboolean done;

  if (!self->loop)
    return TRUE;
  args = g_new0 (CloseArgs, 1);
  args->client = self;
  args->reason = g_strdup (reason ? reason : "end");
  gst_genesys_loop_invoke (self->loop, close_cb, args, close_args_free);

  deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  g_mutex_lock (&self->lock);
  while (self->state == GST_GENESYS_CLIENT_RUNNING && !self->flushing) {
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  }
  done = self->state != GST_GENESYS_CLIENT_RUNNING;
  g_mutex_unlock (&self->lock);
  return done;
}

void
gst_genesys_client_set_flushing (GstGenesysClient * self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

GstGenesysClientState
gst_genesys_client_get_state (GstGenesysClient * self)
{
  GstGenesysClientState state;

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

gboolean
gst_genesys_client_is_open (GstGenesysClient * self)
{
  gboolean open;

  g_mutex_lock (&self->lock);
  open = self->accepting;
  g_mutex_unlock (&self->lock);
  return open;
}

/* Zeros for a NULL @client. */
GstStructure *
gst_genesys_client_get_stats (GstGenesysClient * client)
{
  Stats zero = { 0 };
  const Stats *st = &zero;
  GstStructure *s;

  if (client) {
    g_mutex_lock (&client->lock);
    st = &client->stats;
  }
  s = gst_structure_new ("application/x-genesys-stats",
      "sessions", G_TYPE_UINT64, st->sessions,
      "frames", G_TYPE_UINT64, st->frames,
      "bytes", G_TYPE_UINT64, st->bytes,
      "samples", G_TYPE_UINT64, st->samples,
      "dropped-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (st->dropped_samples), "discarded",
      G_TYPE_UINT64, st->discarded, "discarded-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (st->discarded_samples), "pings",
      G_TYPE_UINT64, st->pings, "rtt-last", G_TYPE_UINT64, st->rtt_last,
      "rtt-min", G_TYPE_UINT64, st->rtt_min, "rtt-max", G_TYPE_UINT64,
      st->rtt_max, "protocol-errors", G_TYPE_UINT64, st->protocol_errors,
      "events", G_TYPE_UINT64, st->events, "server-audio-bytes", G_TYPE_UINT64,
      st->server_audio_bytes, NULL);
  if (client)
    g_mutex_unlock (&client->lock);
  gst_genesys_dialer_add_stats (client ? client->dialer : NULL, s);
  return s;
}
