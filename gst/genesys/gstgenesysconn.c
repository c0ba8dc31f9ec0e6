/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "gstgenesysconn.h"
#include "gstgenesysdebug.h"
#include "gstgenesysguard.h"
#include "gstgenesyspoller.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysconn", "Genesys AudioHook connections");
#define GST_CAT_DEFAULT ensure_debug_category ()

struct _GstGenesysConn
{
  gatomicrefcount ref_count;
  GstGenesysLoop *loop;
  /* one of the two: libsoup's (client side), ours (server side) */
  SoupWebsocketConnection *ws;
  GstGenesysWs *framed;
  gchar *connector_id;          /* server side: the rest of the path */
  GstGenesysGuard *guard;       /* server side: the client's frames */
  AhSession *session;
  GstGenesysPollerTimer *timer;
  guint64 timer_deadline;
  gsize max_message_size;
  gulong message_id, closed_id, error_id;

  /* loop thread only */
  GstGenesysConnCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;
  gboolean attached;
  gboolean closed_reported;
  GstGenesysConnCallbacks observer;
  gpointer observer_data;
  GDestroyNotify observer_notify;

  /* gst_genesys_conn_end_begin() / _wait() */
  GMutex end_lock;
  GCond end_cond;
  gboolean ws_closed;           /* reported closed */
  gint64 end_deadline;          /* monotonic µs; 0: no end begun */
};

static void conn_process (GstGenesysConn * self);

static void
timer_cb (GstGenesysPollerTimer * timer, gpointer data)
{
  GstGenesysConn *self = data;

  self->timer_deadline = G_MAXUINT64;
  ah_session_timeout (self->session, gst_genesys_now ());
  conn_process (self);
}

/* @deadline: gst_genesys_now() nanoseconds; G_MAXUINT64: none. */
static void
conn_arm_timer (GstGenesysConn * self, guint64 deadline)
{
  if (deadline == self->timer_deadline)
    return;
  self->timer_deadline = deadline;
  if (!self->timer)
    self->timer = gst_genesys_poller_timer_new (gst_genesys_loop_get_poller
        (self->loop), timer_cb, self);
  /* rounded up: never before the session's deadline */
  gst_genesys_poller_timer_set (self->timer, deadline == G_MAXUINT64 ? -1 :
      (gint64) ((deadline + 999) / 1000));
}

static gboolean
ws_is_open (GstGenesysConn * self)
{
  if (self->framed)
    return gst_genesys_ws_get_state (self->framed) == GST_GENESYS_WS_OPEN;
  return soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN;
}

static gboolean
ws_is_closed (GstGenesysConn * self)
{
  if (self->framed)
    return gst_genesys_ws_get_state (self->framed) == GST_GENESYS_WS_CLOSED;
  return soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_CLOSED;
}

/* Audio messages sent by every connection of the process. */
static guint64 sent_frames, sent_bytes;

static void
ws_send (GstGenesysConn * self, gboolean binary, gconstpointer data, gsize size)
{
  if (self->framed)
    gst_genesys_ws_send (self->framed, binary ? AH_WS_OP_BINARY :
        AH_WS_OP_TEXT, data, size);
  else if (binary)
    soup_websocket_connection_send_binary (self->ws, data, size);
  else
    soup_websocket_connection_send_text (self->ws, data);
}

/* Sends a close frame. The loop thread. */
static void
ws_close (GstGenesysConn * self, gushort code, const gchar * reason)
{
  if (!ws_is_open (self))
    return;
  if (self->framed)
    gst_genesys_ws_close (self->framed, code, reason);
  else
    soup_websocket_connection_close (self->ws, code, reason);
}

/* Carries out the session's actions; hands the rest to the owner. */
static void
conn_process (GstGenesysConn * self)
{
  AhAction *action;

  while ((action = ah_session_pop_action (self->session))) {
    switch (action->type) {
      case AH_ACTION_SEND_TEXT:
        GST_LOG ("send %s", action->text);
        if (ws_is_open (self)) {
          if (self->guard)
            gst_genesys_guard_owe (self->guard, strlen (action->text));
          ws_send (self, FALSE, action->text, strlen (action->text));
        }
        ah_action_free (action);
        break;
      case AH_ACTION_SEND_BINARY:
        if (ws_is_open (self)) {
          gsize size;
          gconstpointer data = g_bytes_get_data (action->data, &size);
          if (self->guard)
            gst_genesys_guard_owe (self->guard, size);
          ws_send (self, TRUE, data, size);
          __atomic_add_fetch (&sent_frames, 1, __ATOMIC_RELAXED);
          __atomic_add_fetch (&sent_bytes, size, __ATOMIC_RELAXED);
        }
        ah_action_free (action);
        break;
      case AH_ACTION_DEADLINE:
        conn_arm_timer (self, action->deadline);
        ah_action_free (action);
        break;
      case AH_ACTION_HANGUP:
        GST_DEBUG ("session %s: hanging up", ah_session_get_id (self->session));
        ws_close (self, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        ah_action_free (action);
        break;
      default:
        if (self->observer.action)
          self->observer.action (self, action, self->observer_data);
        if (self->attached && self->callbacks.action)
          self->callbacks.action (self, action, self->user_data);
        else
          ah_action_free (action);
        break;
    }
  }
}

static void
conn_message (GstGenesysConn * self, gboolean binary, GBytes * message)
{
  guint64 now = gst_genesys_now ();

  if (g_bytes_get_size (message) > self->max_message_size) {
    GST_INFO ("session %s: %" G_GSIZE_FORMAT " byte message over the %"
        G_GSIZE_FORMAT " byte limit", ah_session_get_id (self->session),
        g_bytes_get_size (message), self->max_message_size);
    ws_close (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
    return;
  }
  if (!binary) {
    gsize size;
    const gchar *text = g_bytes_get_data (message, &size);
    GST_LOG ("recv %.*s", (gint) MIN (size, 2000), text);
    ah_session_feed_text (self->session, text, size, now);
  } else {
    ah_session_feed_binary (self->session, message, now);
  }
  conn_process (self);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  conn_message (data, type == SOUP_WEBSOCKET_DATA_BINARY, message);
}

static void
on_framed_message (GstGenesysWs * ws, gboolean binary, GBytes * message,
    gpointer data)
{
  conn_message (data, binary, message);
}

static void
report_closed (GstGenesysConn * self)
{
  gushort code;
  const gchar *reason;

  if (self->closed_reported)
    return;
  self->closed_reported = TRUE;
  g_mutex_lock (&self->end_lock);
  self->ws_closed = TRUE;
  g_cond_broadcast (&self->end_cond);
  g_mutex_unlock (&self->end_lock);
  conn_arm_timer (self, G_MAXUINT64);
  if (self->framed) {
    code = gst_genesys_ws_get_close_code (self->framed);
    reason = gst_genesys_ws_get_close_reason (self->framed);
  } else {
    code = soup_websocket_connection_get_close_code (self->ws);
    reason = soup_websocket_connection_get_close_data (self->ws);
  }
  GST_DEBUG ("session %s: websocket closed, code %u",
      ah_session_get_id (self->session), code);
  if (self->attached && self->callbacks.closed)
    self->callbacks.closed (self, code, reason,
        code != 0 && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL, self->user_data);
  if (self->observer.closed)
    self->observer.closed (self, code, reason,
        code != 0 && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL,
        self->observer_data);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  report_closed (data);
}

static void
on_framed_closed (GstGenesysWs * ws, gpointer data)
{
  report_closed (data);
}

static void
on_error (SoupWebsocketConnection * ws, GError * error, gpointer data)
{
  GstGenesysConn *self = data;

  GST_INFO ("session %s: websocket error: %s",
      ah_session_get_id (self->session), error->message);
}

static GstGenesysConn *
conn_new (GstGenesysLoop * loop, AhSession * session, gsize max_message_size)
{
  GstGenesysConn *self;

  self = g_new0 (GstGenesysConn, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->end_lock);
  g_cond_init (&self->end_cond);
  self->loop = gst_genesys_loop_ref (loop);
  self->session = session;
  self->timer_deadline = G_MAXUINT64;
  self->max_message_size = max_message_size;
  ah_session_set_max_message_size (session, max_message_size);
  return self;
}

GstGenesysConn *
gst_genesys_conn_new_framed (GstGenesysLoop * loop, GstGenesysWs * ws,
    AhSession * session, gsize max_message_size)
{
  GstGenesysConn *self = conn_new (loop, session, max_message_size);

  self->framed = ws;
  return self;
}

GstGenesysConn *
gst_genesys_conn_new (GstGenesysLoop * loop, SoupWebsocketConnection * ws,
    AhSession * session, gsize max_message_size)
{
  GstGenesysConn *self = conn_new (loop, session, max_message_size);

  self->ws = g_object_ref (ws);
  /* libsoup refuses larger frames before reading them, and closing with
   * unread data resets the TCP connection so the peer never sees why: let
   * it read moderately larger ones and refuse them here with 1009. */
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX (4 * (guint64) max_message_size, 1024 * 1024));
  return self;
}

void
gst_genesys_conn_set_connector_id (GstGenesysConn * conn,
    const gchar * connector_id)
{
  g_free (conn->connector_id);
  conn->connector_id = g_strdup (connector_id);
}

const gchar *
gst_genesys_conn_get_connector_id (GstGenesysConn * conn)
{
  return conn->connector_id;
}

/* The client broke a limit the guard watches: said, and closed with the
 * code that says which (the guard drops what it sends from now on). */
/* A client that broke a limit: closed with @code, and on our own framing
 * not waited for (it is not read any more). */
static void
conn_fail (GstGenesysConn * self, gushort code, const gchar * reason)
{
  if (self->framed)
    gst_genesys_ws_fail (self->framed, code, reason);
  else
    ws_close (self, code, reason);
}

static void
guard_violation (GstGenesysGuardViolation violation, guint64 size,
    gpointer data)
{
  GstGenesysConn *self = data;

  if (violation == GST_GENESYS_GUARD_MESSAGE_TOO_BIG) {
    GST_WARNING ("session %s: the client sent a message of %" G_GUINT64_FORMAT
        " bytes or more, over the limit of %" G_GSIZE_FORMAT
        " (fragmented): closing with 1009",
        ah_session_get_id (self->session), size, self->max_message_size);
    conn_fail (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
  } else if (violation == GST_GENESYS_GUARD_NOT_FRAMING) {
    GST_WARNING ("session %s: the client's bytes are not WebSocket frames: "
        "closing with 1002", ah_session_get_id (self->session));
    conn_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, "not WebSocket "
        "framing");
  } else {
    GST_WARNING ("session %s: the client does not read: %" G_GUINT64_FORMAT
        " bytes owed to it (messages, pongs) and not written: closing with "
        "1008", ah_session_get_id (self->session), size);
    conn_fail (self, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not reading");
  }
}

void
gst_genesys_conn_set_guard (GstGenesysConn * conn, GstGenesysGuard * guard)
{
  g_return_if_fail (conn->guard == NULL);
  if (!guard)
    return;
  conn->guard = g_object_ref (guard);
  gst_genesys_guard_set_max_message (guard, conn->max_message_size);
  gst_genesys_guard_set_func (guard, guard_violation, conn, NULL);
}

GstGenesysConn *
gst_genesys_conn_ref (GstGenesysConn * conn)
{
  g_atomic_ref_count_inc (&conn->ref_count);
  return conn;
}

static gboolean
conn_finalize_cb (gpointer data)
{
  GstGenesysConn *self = data;

  if (self->timer)
    gst_genesys_poller_timer_free (self->timer);
  if (self->message_id) {
    g_signal_handler_disconnect (self->ws, self->message_id);
    g_signal_handler_disconnect (self->ws, self->closed_id);
    g_signal_handler_disconnect (self->ws, self->error_id);
  }
  ws_close (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_clear_object (&self->ws);
  gst_genesys_ws_free (self->framed);
  g_free (self->connector_id);
  if (self->guard) {
    gst_genesys_guard_set_func (self->guard, NULL, NULL, NULL);
    g_object_unref (self->guard);
  }
  ah_session_free (self->session);
  if (self->notify)
    self->notify (self->user_data);
  if (self->observer_notify)
    self->observer_notify (self->observer_data);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_conn_unref (GstGenesysConn * conn)
{
  GstGenesysLoop *loop;

  if (!g_atomic_ref_count_dec (&conn->ref_count))
    return;

  /* libsoup objects die on the thread that made them. */
  loop = conn->loop;
  gst_genesys_loop_invoke_sync (loop, conn_finalize_cb, conn);
  g_mutex_clear (&conn->end_lock);
  g_cond_clear (&conn->end_cond);
  g_free (conn);
  gst_genesys_loop_unref (loop);
}

typedef struct
{
  GstGenesysConn *conn;
  GstGenesysConnCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;
} StartData;

static gboolean
start_cb (gpointer data)
{
  StartData *sd = data;
  GstGenesysConn *self = sd->conn;

  self->callbacks = sd->callbacks;
  self->user_data = sd->user_data;
  self->notify = sd->notify;
  self->attached = TRUE;
  if (self->framed) {
    static const GstGenesysWsCallbacks framed_callbacks = {
      .message = on_framed_message,
      .closed = on_framed_closed,
    };
    gst_genesys_ws_start (self->framed, &framed_callbacks, self);
  } else {
    self->message_id = g_signal_connect (self->ws, "message",
        G_CALLBACK (on_message), self);
    self->closed_id = g_signal_connect (self->ws, "closed",
        G_CALLBACK (on_closed), self);
    self->error_id = g_signal_connect (self->ws, "error",
        G_CALLBACK (on_error), self);
  }
  /* the session's own timeouts (no open, nothing received) run from now */
  ah_session_start (self->session, gst_genesys_now ());
  conn_process (self);
  if (ws_is_closed (self))
    report_closed (self);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_conn_start (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify)
{
  StartData sd = { conn, *callbacks, user_data, notify };

  gst_genesys_loop_invoke_sync (conn->loop, start_cb, &sd);
}

static gboolean
detach_cb (gpointer data)
{
  GstGenesysConn *self = data;

  self->attached = FALSE;
  if (self->notify)
    self->notify (self->user_data);
  self->notify = NULL;
  self->user_data = NULL;
  return G_SOURCE_REMOVE;
}

void
gst_genesys_conn_detach (GstGenesysConn * conn)
{
  gst_genesys_loop_invoke_sync (conn->loop, detach_cb, conn);
}

typedef struct
{
  GstGenesysConn *conn;
  GstGenesysConnCommand command;
  gpointer data;
  GDestroyNotify notify;
} CommandData;

static gboolean
command_cb (gpointer data)
{
  CommandData *cd = data;

  cd->command (cd->conn->session, cd->data, gst_genesys_now ());
  conn_process (cd->conn);
  return G_SOURCE_REMOVE;
}

static void
command_free (gpointer data)
{
  CommandData *cd = data;

  if (cd->notify)
    cd->notify (cd->data);
  gst_genesys_conn_unref (cd->conn);
  g_free (cd);
}

void
gst_genesys_conn_command (GstGenesysConn * conn,
    GstGenesysConnCommand command, gpointer data, GDestroyNotify notify)
{
  CommandData *cd = g_new0 (CommandData, 1);

  cd->conn = gst_genesys_conn_ref (conn);
  cd->command = command;
  cd->data = data;
  cd->notify = notify;
  gst_genesys_loop_invoke (conn->loop, command_cb, cd, command_free);
}

gboolean
gst_genesys_conn_run (GstGenesysConn * conn, GstGenesysConnCommand command,
    gpointer data)
{
  gboolean ret;

  g_return_val_if_fail (gst_genesys_loop_is_current (conn->loop), FALSE);

  ret = command (conn->session, data, gst_genesys_now ());
  conn_process (conn);
  return ret;
}

typedef struct
{
  GstGenesysConn *conn;
  gushort code;
  gchar *reason;
} CloseData;

static gboolean
close_cb (gpointer data)
{
  CloseData *cd = data;

  ws_close (cd->conn, cd->code, cd->reason);
  return G_SOURCE_REMOVE;
}

static void
close_free (gpointer data)
{
  CloseData *cd = data;

  g_free (cd->reason);
  gst_genesys_conn_unref (cd->conn);
  g_free (cd);
}

void
gst_genesys_conn_close (GstGenesysConn * conn, gushort code,
    const gchar * reason)
{
  CloseData *cd = g_new0 (CloseData, 1);

  cd->conn = gst_genesys_conn_ref (conn);
  cd->code = code;
  cd->reason = g_strdup (reason);
  gst_genesys_loop_invoke (conn->loop, close_cb, cd, close_free);
}

void
gst_genesys_conn_end_begin (GstGenesysConn * conn,
    GstGenesysConnCommand command, gpointer data, GstClockTime timeout)
{
  gboolean begun;

  g_mutex_lock (&conn->end_lock);
  begun = conn->end_deadline != 0;
  if (!begun)
    conn->end_deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  g_mutex_unlock (&conn->end_lock);
  if (!begun)
    gst_genesys_conn_command (conn, command, data, NULL);
}

gboolean
gst_genesys_conn_end_wait (GstGenesysConn * conn)
{
  gboolean closed;

  g_return_val_if_fail (!gst_genesys_loop_is_current (conn->loop), FALSE);

  g_mutex_lock (&conn->end_lock);
  while (!conn->ws_closed && conn->end_deadline != 0
      && g_cond_wait_until (&conn->end_cond, &conn->end_lock,
          conn->end_deadline));
  closed = conn->ws_closed;
  g_mutex_unlock (&conn->end_lock);
  return closed;
}

GstGenesysLoop *
gst_genesys_conn_get_loop (GstGenesysConn * conn)
{
  return conn->loop;
}

AhSession *
gst_genesys_conn_get_session (GstGenesysConn * conn)
{
  return conn->session;
}

void
gst_genesys_conn_retarget (GstGenesysConn * conn, gpointer user_data,
    GDestroyNotify notify)
{
  gpointer old = conn->user_data;
  GDestroyNotify old_notify = conn->notify;

  g_return_if_fail (gst_genesys_loop_is_current (conn->loop));
  conn->user_data = user_data;
  conn->notify = notify;
  if (old_notify)
    old_notify (old);
}

void
gst_genesys_conn_set_callbacks (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify)
{
  g_return_if_fail (gst_genesys_loop_is_current (conn->loop));
  g_return_if_fail (conn->attached);

  conn->callbacks = *callbacks;
  gst_genesys_conn_retarget (conn, user_data, notify);
}

void
gst_genesys_conn_set_observer (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify)
{
  gpointer old = conn->observer_data;
  GDestroyNotify old_notify = conn->observer_notify;
  GstGenesysConnCallbacks none = { NULL, NULL };

  g_return_if_fail (gst_genesys_loop_is_current (conn->loop));
  conn->observer = callbacks ? *callbacks : none;
  conn->observer_data = user_data;
  conn->observer_notify = notify;
  if (old_notify)
    old_notify (old);
}

void
gst_genesys_conn_get_sent_counts (guint64 * frames, guint64 * bytes)
{
  *frames = __atomic_load_n (&sent_frames, __ATOMIC_RELAXED);
  *bytes = __atomic_load_n (&sent_bytes, __ATOMIC_RELAXED);
}
