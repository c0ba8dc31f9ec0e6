/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A relayed session, see gstgenesysrelay.h.
 *
 * Threads: the hop (its socket, the dialer, the AhRelay) lives on the
 * relay's loop thread; the client leg's actions come on its own loop
 * thread and are handed over with gst_genesys_loop_invoke(); what goes to
 * the client leg goes with gst_genesys_conn_command(). The first hop's
 * outcome, the client leg and what waits for it are under @lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <libsoup/soup.h>

#include "gstgenesysrelay.h"
#include "gstgenesysdebug.h"
#include "gstgenesysdialer.h"
#include "gstgenesysloop.h"
#include "gstgenesystime.h"
#include "audiohook/ah-relay.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysrelay",
    "Genesys relay of a session to its call's owner");
#define GST_CAT_DEFAULT ensure_debug_category ()

/* The hop pings the owner this often; its pong confirms what was sent. */
#define PING_INTERVAL_MS 2000
/* After the client's close, the owner's closed is awaited this long. */
#define CLOSE_TIMEOUT_MS 10000
/* The client leg's closed waits for the owner's at most this long (the
 * client's own close timeout is 10 s). */
#define CLOSE_HOLD (8 * GST_SECOND)
/* Unconfirmed audio kept for a hop that reconnects: 60 s. */
#define MAX_KEPT (60 * AH_RATE)

struct _GstGenesysRelay
{
  gatomicrefcount ref_count;
  GstGenesysDialer *dialer;
  GstGenesysLoop *loop;         /* the dialer's, while it runs */
  gchar *uri, *key_id, *secret, *authority, *session_id, *organization_id;
  GstGenesysRelayDoneFunc done;
  gpointer user_data;

  GMutex lock;
  GCond cond;
  /* under lock */
  gint first;                   /* 0: waiting for the first opened, 1: opened, -1: failed */
  gint chosen;
  gchar *first_error;
  GstGenesysConn *conn;         /* the client leg, once attached */
  GQueue waiting;               /* Forward: for the client leg before it is attached */
  gboolean stopped;
  gboolean over;                /* finished: it takes no client leg */
  guint hops;

  /* loop thread */
  AhRelay *ah;
  SoupWebsocketConnection *ws;
  gulong message_id, closed_id;
  gchar *next_id;
  gboolean hop_open;            /* the current hop session is opened */
  gboolean client_closed;       /* the client's close is on its way */
  gboolean client_gone;         /* the client leg's WebSocket closed */
  gboolean finished;
  gboolean gave_up;             /* the owner cannot be reached */
  guint64 pause_start, pause_samples;
  GSource *ping_timer, *close_timer;
  guint64 ping_sent_at, rtt;
};

/* What goes to the client leg: a message of the owner, or its audio. */
typedef struct
{
  AhMessage *msg;
  GBytes *data;
} Forward;

static GstGenesysRelay *
relay_ref (GstGenesysRelay * self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
forward_free (gpointer data)
{
  Forward *fwd = data;

  if (fwd->msg)
    ah_message_unref (fwd->msg);
  if (fwd->data)
    g_bytes_unref (fwd->data);
  g_free (fwd);
}

static void
relay_unref (gpointer data)
{
  GstGenesysRelay *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_assert (self->ws == NULL);
  gst_genesys_dialer_free (self->dialer);
  ah_relay_free (self->ah);
  g_queue_clear_full (&self->waiting, forward_free);
  if (self->conn)
    gst_genesys_conn_unref (self->conn);
  g_free (self->uri);
  g_free (self->key_id);
  g_free (self->secret);
  g_free (self->authority);
  g_free (self->session_id);
  g_free (self->organization_id);
  g_free (self->first_error);
  g_free (self->next_id);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* ---- toward the client leg ---- */

static gboolean
cmd_forward (AhSession * session, gpointer data, guint64 now)
{
  Forward *fwd = data;
  AhMessage *msg = fwd->msg;

  if (fwd->data)
    return ah_session_send_audio (session, fwd->data, now) > 0;
  switch (msg->type) {
    case AH_MSG_PAUSE:
      return ah_session_pause (session, now);
    case AH_MSG_RESUME:
      return ah_session_resume (session, now);
    case AH_MSG_DISCONNECT:
      return ah_session_disconnect (session, msg->reason ? msg->reason :
          "completed", msg->info, msg->output_variables, now);
    case AH_MSG_RECONNECT:
      return ah_session_reconnect (session, msg->info, now);
    case AH_MSG_EVENT:
      return msg->entities && ah_session_send_event (session, msg->entities,
          now);
    default:
      return FALSE;
  }
}

/* Sends @msg (ref taken) or @data (ref taken) to the client leg, or keeps
 * it until the leg is attached. Loop thread. */
static void
forward (GstGenesysRelay * self, AhMessage * msg, GBytes * data)
{
  Forward *fwd = g_new0 (Forward, 1);
  GstGenesysConn *conn = NULL;
  gboolean kept = FALSE;

  fwd->msg = msg;
  fwd->data = data;
  g_mutex_lock (&self->lock);
  if (self->conn) {
    conn = gst_genesys_conn_ref (self->conn);
  } else if (!self->stopped) {
    g_queue_push_tail (&self->waiting, fwd);
    kept = TRUE;
  }
  g_mutex_unlock (&self->lock);
  if (conn) {
    gst_genesys_conn_command (conn, cmd_forward, fwd, forward_free);
    gst_genesys_conn_unref (conn);
  } else if (!kept) {
    forward_free (fwd);
  }
}

static gboolean
cmd_answer_close (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_release_close (session, now);
}

/* The client leg's closed, held back until the owner's (or the relay's
 * end): what the owner sent before its closed went out first. */
static void
answer_close (GstGenesysRelay * self)
{
  GstGenesysConn *conn = NULL;

  g_mutex_lock (&self->lock);
  if (self->conn)
    conn = gst_genesys_conn_ref (self->conn);
  g_mutex_unlock (&self->lock);
  if (conn) {
    gst_genesys_conn_command (conn, cmd_answer_close, NULL, NULL);
    gst_genesys_conn_unref (conn);
  }
}

static void
forward_text (GstGenesysRelay * self, AhMessageType type, const gchar * reason,
    const gchar * info)
{
  AhMessage *msg = ah_message_new (type);

  msg->reason = g_strdup (reason);
  msg->info = g_strdup (info);
  forward (self, msg, NULL);
}

/* ---- the hop ---- */

/* The hop session is open and its WebSocket takes messages: not once a
 * close went out or came in (libsoup refuses to send then, loudly). What is
 * not sent is kept by the AhRelay and goes again on the next hop session. */
static gboolean
hop_writable (GstGenesysRelay * self)
{
  return self->hop_open && self->ws &&
      soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN;
}

static void
send_frame (GstGenesysRelay * self, AhRelayFrame * frame)
{
  if (hop_writable (self) && frame->text)
    soup_websocket_connection_send_text (self->ws, frame->text);
  else if (hop_writable (self) && frame->data)
    soup_websocket_connection_send_message (self->ws,
        SOUP_WEBSOCKET_DATA_BINARY, frame->data);
  ah_relay_frame_clear (frame);
}

/* A timer on this loop thread's context (the loop's). */
static GSource *
add_timeout_here (guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
stop_timer (GSource ** timer)
{
  if (*timer) {
    g_source_destroy (*timer);
    g_source_unref (*timer);
    *timer = NULL;
  }
}

/* Closes @ws with @code unless a close went out already. */
static void
close_ws (SoupWebsocketConnection * ws, gushort code, const gchar * reason)
{
  if (ws && soup_websocket_connection_get_state (ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws, code, reason);
}

static void
release_ws (GstGenesysRelay * self)
{
  if (self->ws == NULL)
    return;
  g_signal_handler_disconnect (self->ws, self->message_id);
  g_signal_handler_disconnect (self->ws, self->closed_id);
  self->message_id = self->closed_id = 0;
  g_clear_object (&self->ws);
}

/* The first hop did not open: whoever waits in connect() hears it. */
static void
first_failed (GstGenesysRelay * self, const gchar * why)
{
  g_mutex_lock (&self->lock);
  if (self->first == 0) {
    self->first = -1;
    self->first_error = g_strdup (why);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
}

/* Over: no more dialing; the owner of the relay frees it. */
static void
finish (GstGenesysRelay * self, const gchar * why)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_mutex_lock (&self->lock);
  self->over = TRUE;
  g_mutex_unlock (&self->lock);
  GST_INFO ("relay of session %s to %s ends: %s (%u hop sessions)",
      self->session_id, self->uri, why, ah_relay_get_hops (self->ah));
  stop_timer (&self->ping_timer);
  stop_timer (&self->close_timer);
  gst_genesys_dialer_stop (self->dialer);
  close_ws (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  if (self->client_closed)
    answer_close (self);
  first_failed (self, why);
  if (self->done)
    self->done (self, self->user_data);
}

static gboolean
ping_cb (gpointer data)
{
  GstGenesysRelay *self = data;
  gchar *text;

  if (!hop_writable (self)) {
    GST_DEBUG ("hop %s: no ping, the hop is not open",
        ah_relay_get_id (self->ah));
    return G_SOURCE_CONTINUE;
  }
  text = ah_relay_ping (self->ah, self->rtt);
  GST_DEBUG ("hop %s: ping, confirmed up to sample %" G_GUINT64_FORMAT,
      ah_relay_get_id (self->ah), ah_relay_get_confirmed (self->ah));
  soup_websocket_connection_send_text (self->ws, text);
  g_free (text);
  self->ping_sent_at = gst_genesys_now ();
  return G_SOURCE_CONTINUE;
}

static gboolean
close_timeout_cb (gpointer data)
{
  GstGenesysRelay *self = data;

  g_source_unref (self->close_timer);
  self->close_timer = NULL;
  finish (self, "no closed from the owner in time");
  return G_SOURCE_REMOVE;
}

/* A hop session opened: what the owner did not confirm goes again. */
static void
hop_opened (GstGenesysRelay * self, AhMessage * opened)
{
  GPtrArray *replay;
  guint i;

  g_mutex_lock (&self->lock);
  if (self->first == 0) {
    self->first = 1;
    self->chosen = ah_relay_chosen_offer (self->ah, opened);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  self->hop_open = TRUE;
  gst_genesys_dialer_opened (self->dialer);
  replay = ah_relay_replay (self->ah);
  GST_INFO ("hop session %s of %s opened at sample %" G_GUINT64_FORMAT
      ", %u items again", ah_relay_get_id (self->ah), self->session_id,
      ah_relay_get_confirmed (self->ah), replay->len);
  for (i = 0; i < replay->len; i++) {
    send_frame (self, replay->pdata[i]);
    g_free (replay->pdata[i]);
  }
  g_ptr_array_unref (replay);
  if (!self->ping_timer)
    self->ping_timer = add_timeout_here (PING_INTERVAL_MS, ping_cb, self);
}

static void
owner_text (GstGenesysRelay * self, const gchar * text, gsize len)
{
  AhMessage *msg = NULL;
  GError *error = NULL;

  switch (ah_relay_receive (self->ah, text, len, &msg, &error)) {
    case AH_RELAY_OPENED:
      hop_opened (self, msg);
      break;
    case AH_RELAY_PONG:
      if (self->ping_sent_at)
        self->rtt = gst_genesys_now () - self->ping_sent_at;
      GST_DEBUG ("hop %s: pong, confirmed up to sample %" G_GUINT64_FORMAT,
          ah_relay_get_id (self->ah), ah_relay_get_confirmed (self->ah));
      break;
    case AH_RELAY_CLOSED:
      if (!self->client_closed) {
        /* the owner ended it without being asked: so does the client leg */
        GST_WARNING ("hop %s: closed without a close",
            ah_relay_get_id (self->ah));
        forward_text (self, AH_MSG_DISCONNECT, "error",
            "the call's owner ended the session");
      }
      finish (self, "closed");
      break;
    case AH_RELAY_FORWARD:
      GST_DEBUG ("hop %s: '%s' goes to the client", ah_relay_get_id (self->ah),
          ah_message_type_name (msg->type));
      forward (self, ah_message_ref (msg), NULL);
      break;
    case AH_RELAY_IGNORE:
      GST_DEBUG ("hop %s: ignoring '%s'", ah_relay_get_id (self->ah),
          msg->type_name ? msg->type_name : ah_message_type_name (msg->type));
      break;
    case AH_RELAY_INVALID:
      GST_WARNING ("hop %s: %s", ah_relay_get_id (self->ah), error->message);
      g_clear_error (&error);
      /* a hop session out of step: the next one starts clean */
      close_ws (self->ws, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, NULL);
      break;
  }
  if (msg)
    ah_message_unref (msg);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  GstGenesysRelay *self = data;
  gsize size;
  const gchar *bytes = g_bytes_get_data (message, &size);

  if (ws != self->ws)
    return;
  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    owner_text (self, bytes, size);
  else if (self->hop_open)
    forward (self, NULL, g_bytes_ref (message));
}

static gboolean
unref_later_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
hop_ended (GstGenesysRelay * self, gushort code, const gchar * cause,
    gboolean defer)
{
  if (code == 0)
    code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
  gst_genesys_dialer_lost (self->dialer, code);
  /* the socket is emitting: let go of it after this callback */
  if (defer && self->ws) {
    GSource *idle = g_idle_source_new ();
    g_source_set_callback (idle, unref_later_cb, g_object_ref (self->ws),
        g_object_unref);
    g_source_attach (idle, g_main_context_get_thread_default ());
    g_source_unref (idle);
  }
  release_ws (self);
  self->hop_open = FALSE;
  GST_INFO ("hop %s of %s ended (%u): %s", ah_relay_get_id (self->ah),
      self->session_id, code, cause);
  if (self->finished)
    return;
  g_mutex_lock (&self->lock);
  if (self->first == 0) {
    g_mutex_unlock (&self->lock);
    finish (self, "the owner did not open the hop");
    return;
  }
  g_mutex_unlock (&self->lock);
  if (self->client_gone && !self->client_closed)
    finish (self, "the client went away");
  else
    gst_genesys_dialer_retry (self->dialer, FALSE, cause);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  GstGenesysRelay *self = data;

  if (ws != self->ws)
    return;
  hop_ended (self, soup_websocket_connection_get_close_code (ws),
      "the hop connection closed", TRUE);
}

/* ---- the dialer's callbacks ---- */

static void
on_headers (SoupMessageHeaders * h, gpointer user_data)
{
  GstGenesysRelay *self = user_data;
  gchar *correlation = g_uuid_string_random ();

  g_free (self->next_id);
  /* the first hop session is the client's: a continuation that names it
   * is found on the owner */
  self->next_id = ah_relay_get_hops (self->ah) == 0 ?
      g_strdup (self->session_id) : g_uuid_string_random ();
  soup_message_headers_replace (h, "Audiohook-Organization-Id",
      self->organization_id ? self->organization_id : "");
  soup_message_headers_replace (h, "Audiohook-Session-Id", self->next_id);
  soup_message_headers_replace (h, "Audiohook-Correlation-Id", correlation);
  soup_message_headers_replace (h, "X-API-KEY", self->key_id);
  g_free (correlation);
}

static gboolean
on_sign (SoupMessageHeaders * h, const gchar * authority,
    const gchar * target, gpointer user_data, GError ** error)
{
  GstGenesysRelay *self = user_data;

  return gst_genesys_sign_request (h, self->authority ? self->authority :
      authority, target, self->key_id, self->secret, error);
}

static void
on_connected (SoupWebsocketConnection * ws, gpointer user_data)
{
  GstGenesysRelay *self = user_data;
  gchar *open;

  if (self->finished) {
    close_ws (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    return;
  }
  self->ws = g_object_ref (ws);
  self->message_id = g_signal_connect (ws, "message", G_CALLBACK (on_message),
      self);
  self->closed_id = g_signal_connect (ws, "closed", G_CALLBACK (on_closed),
      self);
  open = ah_relay_open (self->ah, self->next_id);
  g_mutex_lock (&self->lock);
  self->hops = ah_relay_get_hops (self->ah);
  g_mutex_unlock (&self->lock);
  soup_websocket_connection_send_text (ws, open);
  g_free (open);
}

static void
on_dead (gpointer user_data)
{
  hop_ended (user_data, SOUP_WEBSOCKET_CLOSE_ABNORMAL,
      "no pong within the keep-alive", FALSE);
}

static void
on_failed (const GError * error, gpointer user_data)
{
  GstGenesysRelay *self = user_data;
  gboolean attached;

  GST_WARNING ("relay of session %s to %s: %s", self->session_id, self->uri,
      error->message);
  first_failed (self, error->message);
  self->gave_up = TRUE;
  g_mutex_lock (&self->lock);
  attached = self->conn != NULL;
  g_mutex_unlock (&self->lock);
  if (attached && !self->client_gone) {
    /* the client goes elsewhere; there the call moves */
    forward_text (self, AH_MSG_RECONNECT, NULL,
        "the call's owner cannot be reached");
  } else {
    finish (self, "the owner cannot be reached");
  }
}

static const GstGenesysDialerCallbacks dialer_callbacks = {
  .headers = on_headers,
  .sign = on_sign,
  .connected = on_connected,
  .dead = on_dead,
  .failed = on_failed,
};

/* ---- the client leg ---- */

typedef struct
{
  GstGenesysRelay *relay;
  AhAction *action;             /* NULL: the leg's WebSocket closed */
} ClientItem;

static void
client_item_free (gpointer data)
{
  ClientItem *item = data;

  if (item->action)
    ah_action_free (item->action);
  relay_unref (item->relay);
  g_free (item);
}

/* An action of the client leg, in the hop's terms. */
static void
client_action (GstGenesysRelay * self, AhAction * action)
{
  AhRelayFrame out = { NULL, NULL };
  gboolean live = hop_writable (self);

  switch (action->type) {
    case AH_ACTION_AUDIO:
      ah_relay_audio (self->ah, action->data, action->samples, live, &out);
      break;
    case AH_ACTION_GAP:
      if (action->cause == AH_GAP_PAUSED) {
        /* the resumed that follows says it */
        self->pause_start = action->position;
        self->pause_samples = action->samples;
        return;
      }
      ah_relay_span (self->ah, FALSE, action->position, action->samples, live,
          &out);
      break;
    case AH_ACTION_PAUSED:
      ah_relay_paused (self->ah, live, &out);
      break;
    case AH_ACTION_RESUMED:
      if (self->pause_samples == 0)
        self->pause_start = action->position;
      ah_relay_span (self->ah, TRUE, self->pause_start, self->pause_samples,
          live, &out);
      self->pause_samples = 0;
      break;
    case AH_ACTION_MESSAGE:
      ah_relay_message (self->ah, action->message, live, &out);
      break;
    case AH_ACTION_CLOSED:
      self->client_closed = TRUE;
      ah_relay_close (self->ah, action->text, live, &out);
      if (self->gave_up)
        finish (self, "the client closed");
      else
        self->close_timer = add_timeout_here (CLOSE_TIMEOUT_MS,
            close_timeout_cb, self);
      break;
    default:
      /* pings are answered on the client leg */
      return;
  }
  send_frame (self, &out);
}

static gboolean
client_item_cb (gpointer data)
{
  ClientItem *item = data;
  GstGenesysRelay *self = item->relay;

  if (self->finished) {
    GST_DEBUG ("relay of session %s: a client action after its end",
        self->session_id);
    return G_SOURCE_REMOVE;
  }
  if (item->action) {
    client_action (self, item->action);
    return G_SOURCE_REMOVE;
  }
  self->client_gone = TRUE;
  if (self->client_closed && self->gave_up) {
    finish (self, "the client closed");
  } else if (self->client_closed) {
    /* the owner's closed is awaited */
  } else if (self->ws) {
    /* a drop: the owner sees one too, and waits for a continuation */
    close_ws (self->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        "the client went away");
  } else {
    finish (self, "the client went away");
  }
  return G_SOURCE_REMOVE;
}

static void
client_post (GstGenesysRelay * self, AhAction * action)
{
  ClientItem *item;

  g_mutex_lock (&self->lock);
  if (self->stopped || !self->loop) {
    g_mutex_unlock (&self->lock);
    if (action)
      ah_action_free (action);
    return;
  }
  item = g_new0 (ClientItem, 1);
  item->relay = relay_ref (self);
  item->action = action;
  gst_genesys_loop_invoke (self->loop, client_item_cb, item, client_item_free);
  g_mutex_unlock (&self->lock);
}

static void
client_on_action (GstGenesysConn * conn, AhAction * action, gpointer data)
{
  client_post (data, action);
}

static void
client_on_closed (GstGenesysConn * conn, gushort code, const gchar * reason,
    gboolean clean, gpointer data)
{
  client_post (data, NULL);
}

static const GstGenesysConnCallbacks client_callbacks = {
  client_on_action,
  client_on_closed,
};

/* ---- API ---- */

GstGenesysRelay *
gst_genesys_relay_new (const GstGenesysRelayConfig * config,
    GstGenesysRelayDoneFunc done, gpointer user_data, GError ** error)
{
  GstGenesysRelay *self = g_new0 (GstGenesysRelay, 1);
  GstGenesysDialerConfig dc = { 0 };

  dc.uri = config->uri;
  dc.user_agent = "gst-genesys-relay";
  dc.tls_validation = TRUE;
  dc.credentials_hint = "the relay key";
  dc.connect_timeout = 2 * GST_SECOND;
  dc.keepalive_interval = 5 * GST_SECOND;
  dc.keepalive_timeout = 5 * GST_SECOND;
  dc.backoff_base = 100 * GST_MSECOND;
  dc.backoff_max = 1 * GST_SECOND;
  dc.retries = 20;
  dc.stable_time = 1 * GST_SECOND;
  self->dialer = gst_genesys_dialer_new (&dc, &dialer_callbacks, self, error);
  if (!self->dialer) {
    g_free (self);
    return NULL;
  }
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->waiting);
  self->uri = g_strdup (config->uri);
  self->key_id = g_strdup (config->key_id);
  self->secret = g_strdup (config->secret);
  self->authority = g_strdup (config->authority);
  self->session_id = g_strdup (config->session_id);
  self->organization_id = g_strdup (config->open->organization_id);
  self->done = done;
  self->user_data = user_data;
  self->chosen = -1;
  self->ah = ah_relay_new (config->open, config->session_id, MAX_KEPT);
  return self;
}

gboolean
gst_genesys_relay_connect (GstGenesysRelay * self, guint64 timeout,
    gint * chosen, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + timeout / 1000;
  GstGenesysLoop *loop = gst_genesys_dialer_start (self->dialer,
      "genesysrelay");
  gboolean ok;

  g_mutex_lock (&self->lock);
  self->loop = loop;
  while (self->first == 0
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  ok = self->first == 1;
  *chosen = self->chosen;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the call's owner at %s did not open the relay: %s", self->uri,
        self->first_error ? self->first_error : "no answer in time");
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
gst_genesys_relay_attach (GstGenesysRelay * self, GstGenesysConn * conn)
{
  GQueue waiting = G_QUEUE_INIT;
  Forward *fwd;

  g_mutex_lock (&self->lock);
  if (self->over) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  g_mutex_unlock (&self->lock);
  /* the client's close is answered once the owner answered the hop's */
  ah_session_set_close_hold (gst_genesys_conn_get_session (conn), CLOSE_HOLD);
  gst_genesys_conn_set_callbacks (conn, &client_callbacks, relay_ref (self),
      relay_unref);
  g_mutex_lock (&self->lock);
  self->conn = gst_genesys_conn_ref (conn);
  waiting = self->waiting;
  g_queue_init (&self->waiting);
  g_mutex_unlock (&self->lock);
  while ((fwd = g_queue_pop_head (&waiting)))
    gst_genesys_conn_command (conn, cmd_forward, fwd, forward_free);
  return TRUE;
}

guint
gst_genesys_relay_get_hops (GstGenesysRelay * self)
{
  guint hops;

  g_mutex_lock (&self->lock);
  hops = self->hops;
  g_mutex_unlock (&self->lock);
  return hops;
}

static gboolean
stop_cb (gpointer data)
{
  GstGenesysRelay *self = data;

  self->finished = TRUE;
  stop_timer (&self->ping_timer);
  stop_timer (&self->close_timer);
  return G_SOURCE_REMOVE;
}

static gboolean
teardown_cb (gpointer data)
{
  GstGenesysRelay *self = data;

  release_ws (self);
  stop_timer (&self->ping_timer);
  stop_timer (&self->close_timer);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_relay_free (GstGenesysRelay * self)
{
  GstGenesysConn *conn;

  if (!self)
    return;
  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  conn = self->conn;
  self->conn = NULL;
  g_mutex_unlock (&self->lock);
  if (conn) {
    gst_genesys_conn_detach (conn);
    gst_genesys_conn_unref (conn);
  }
  gst_genesys_dialer_shutdown (self->dialer, stop_cb, teardown_cb, self);
  g_mutex_lock (&self->lock);
  self->loop = NULL;
  g_mutex_unlock (&self->lock);
  relay_unref (self);
}
