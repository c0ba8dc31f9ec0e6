/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The client of any WebSocket, see gstgenesysrawclient.h.
 *
 * Threads: the socket and the dialer live on the client's loop thread;
 * other threads only touch the state and the statistics, under @lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gstgenesysrawclient.h"
#include "gstgenesysdebug.h"
#include "gstgenesysloop.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysrawclient",
    "Genesys client of any WebSocket");
#define GST_CAT_DEFAULT ensure_debug_category ()

/* The answer to a notifications-style {"message":"ping"}. */
#define NOTIFICATIONS_PONG \
  "{\"topicName\":\"channel.metadata\",\"eventBody\":{\"message\":\"pong\"}}"

struct _GstGenesysRawClient
{
  GstGenesysDialer *dialer;
  gchar *uri;
  GstGenesysRawEventFunc event_func;
  GstGenesysRawFrameFunc frame_func;
  gpointer user_data;

  /* any thread, under lock */
  GMutex lock;
  GstGenesysClientState state;
  guint64 sessions, frames, bytes, events, pings;

  /* loop thread */
  GstGenesysLoop *loop;         /* the dialer's, while it runs */
  SoupWebsocketConnection *ws;
  gulong message_id, closed_id;
};

static void
emit (GstGenesysRawClient * self, GstGenesysClientEvent * ev)
{
  if (self->event_func)
    self->event_func (ev, self->user_data);
}

/* The stream ended (@failure NULL) or failed for good. */
static void
end (GstGenesysRawClient * self, gint code, const GError * failure)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_CLOSED };

  g_mutex_lock (&self->lock);
  if (self->state != GST_GENESYS_CLIENT_RUNNING) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->state = failure ? GST_GENESYS_CLIENT_FAILED :
      GST_GENESYS_CLIENT_FINISHED;
  g_mutex_unlock (&self->lock);

  gst_genesys_dialer_stop (self->dialer);
  if (failure) {
    GST_WARNING ("giving up: %s", failure->message);
    ev.type = GST_GENESYS_CLIENT_EVENT_ERROR;
    ev.error = failure;
  } else {
    GST_INFO ("stream closed (%d)", code);
    ev.reason = "end";
    ev.code = code;
  }
  emit (self, &ev);
}

static void
release_ws (GstGenesysRawClient * self)
{
  if (self->ws == NULL)
    return;
  g_signal_handler_disconnect (self->ws, self->message_id);
  g_signal_handler_disconnect (self->ws, self->closed_id);
  self->message_id = self->closed_id = 0;
  g_clear_object (&self->ws);
}

static gboolean
unref_later_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* The connection is gone (closed, dropped, or declared dead). @defer:
 * called from within one of the socket's signals. */
static void
connection_ended (GstGenesysRawClient * self, gushort code,
    const gchar * reason, gboolean clean, const gchar * cause, gboolean defer)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_DISCONNECTED };
  gchar *reason_copy = g_strdup (reason);
  GError *error = NULL;

  if (code == 0)
    code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
  gst_genesys_dialer_lost (self->dialer, code);
  GST_INFO ("connection ended, code %u (%s)%s: %s", code,
      reason ? reason : "", clean ? "" : ", not clean", cause);
  /* the socket is emitting: let go of it after this callback */
  if (defer && self->ws)
    gst_genesys_loop_invoke (self->loop, unref_later_cb,
        g_object_ref (self->ws), g_object_unref);
  release_ws (self);

  ev.code = code;
  ev.reason = reason_copy;
  ev.clean = clean;
  ev.cause = cause;
  emit (self, &ev);
  g_free (reason_copy);

  if (gst_genesys_raw_client_get_state (self) != GST_GENESYS_CLIENT_RUNNING)
    return;
  if (code == SOUP_WEBSOCKET_CLOSE_NORMAL) {
    end (self, code, NULL);
  } else if (gst_genesys_close_code_is_fatal (code)) {
    g_set_error (&error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CLOSED, "The server closed the WebSocket "
        "with code %u, which retrying cannot fix", code);
    end (self, code, error);
    g_error_free (error);
  } else {
    gst_genesys_dialer_retry (self->dialer, FALSE, cause);
  }
}

/* A notifications-style health check: a JSON object whose "message" is
 * "ping". */
static gboolean
is_notifications_ping (const gchar * text, gsize len)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root, *member;
  gboolean ping = FALSE;

  if (json_parser_load_from_data (parser, text, len, NULL)
      && (root = json_parser_get_root (parser))
      && JSON_NODE_HOLDS_OBJECT (root)
      && (member = json_object_get_member (json_node_get_object (root),
              "message")) && JSON_NODE_HOLDS_VALUE (member)
      && json_node_get_value_type (member) == G_TYPE_STRING)
    ping = g_strcmp0 (json_node_get_string (member), "ping") == 0;
  g_object_unref (parser);
  return ping;
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  GstGenesysRawClient *self = data;
  gsize size;
  const gchar *bytes = g_bytes_get_data (message, &size);
  gchar *text = NULL;

  if (ws != self->ws)
    return;
  if (type == SOUP_WEBSOCKET_DATA_BINARY) {
    g_mutex_lock (&self->lock);
    self->frames++;
    self->bytes += size;
    g_mutex_unlock (&self->lock);
  } else {
    /* libsoup checked it is UTF-8 */
    text = g_strndup (bytes, size);
    g_mutex_lock (&self->lock);
    self->events++;
    g_mutex_unlock (&self->lock);
    if (is_notifications_ping (text, size)) {
      GST_DEBUG ("answering a notifications ping");
      g_mutex_lock (&self->lock);
      self->pings++;
      g_mutex_unlock (&self->lock);
      soup_websocket_connection_send_text (ws, NOTIFICATIONS_PONG);
    }
  }
  if (self->frame_func)
    self->frame_func (text != NULL, message, text, self->user_data);
  g_free (text);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  GstGenesysRawClient *self = data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  gboolean clean = code != 0 && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL;

  if (ws != self->ws)
    return;
  connection_ended (self, code, soup_websocket_connection_get_close_data (ws),
      clean, clean ? "the server closed the connection" :
      "the connection dropped without a close frame", TRUE);
}

/* ---- the dialer's callbacks ---- */

static void
on_connected (SoupWebsocketConnection * ws, gpointer user_data)
{
  GstGenesysRawClient *self = user_data;
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_CONNECTED };

  g_mutex_lock (&self->lock);
  self->sessions++;
  g_mutex_unlock (&self->lock);
  self->ws = g_object_ref (ws);
  gst_genesys_dialer_opened (self->dialer);
  self->message_id = g_signal_connect (ws, "message", G_CALLBACK (on_message),
      self);
  self->closed_id = g_signal_connect (ws, "closed", G_CALLBACK (on_closed),
      self);
  GST_INFO ("connected to %s", self->uri);
  emit (self, &ev);
}

static void
on_dial_event (GstGenesysClientEvent * ev, gpointer user_data)
{
  emit (user_data, ev);
}

static void
on_dead (gpointer user_data)
{
  /* Like a drop without a close frame: no goodbye on a dead path. */
  connection_ended (user_data, SOUP_WEBSOCKET_CLOSE_ABNORMAL,
      "keep-alive timeout", FALSE,
      "no pong within keepalive-interval + keepalive-timeout", FALSE);
}

static void
on_failed (const GError * error, gpointer user_data)
{
  end (user_data, 0, error);
}

static const GstGenesysDialerCallbacks dialer_callbacks = {
  .connected = on_connected,
  .event = on_dial_event,
  .dead = on_dead,
  .failed = on_failed,
};

/* ---- API ---- */

GstGenesysRawClient *
gst_genesys_raw_client_new (const GstGenesysDialerConfig * config,
    GstGenesysRawEventFunc event_func, GstGenesysRawFrameFunc frame_func,
    gpointer user_data, GError ** error)
{
  GstGenesysRawClient *self;

  self = g_new0 (GstGenesysRawClient, 1);
  self->dialer = gst_genesys_dialer_new (config, &dialer_callbacks, self,
      error);
  if (self->dialer == NULL) {
    g_free (self);
    return NULL;
  }
  self->uri = g_strdup (config->uri);
  self->event_func = event_func;
  self->frame_func = frame_func;
  self->user_data = user_data;
  self->state = GST_GENESYS_CLIENT_RUNNING;
  g_mutex_init (&self->lock);
  return self;
}

void
gst_genesys_raw_client_start (GstGenesysRawClient * self)
{
  self->loop = gst_genesys_dialer_start (self->dialer, "genesysrawclient");
}

static gboolean
teardown_cb (gpointer data)
{
  release_ws (data);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_raw_client_stop (GstGenesysRawClient * self)
{
  /* the stream ends here: what the connection does next is no news */
  g_mutex_lock (&self->lock);
  if (self->state == GST_GENESYS_CLIENT_RUNNING)
    self->state = GST_GENESYS_CLIENT_FINISHED;
  g_mutex_unlock (&self->lock);
  gst_genesys_dialer_shutdown (self->dialer, NULL, teardown_cb, self);
  self->loop = NULL;
}

void
gst_genesys_raw_client_free (GstGenesysRawClient * self)
{
  if (self == NULL)
    return;
  gst_genesys_raw_client_stop (self);
  gst_genesys_dialer_free (self->dialer);
  g_free (self->uri);
  g_mutex_clear (&self->lock);
  g_free (self);
}

GstGenesysClientState
gst_genesys_raw_client_get_state (GstGenesysRawClient * self)
{
  GstGenesysClientState state;

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

GstStructure *
gst_genesys_raw_client_get_stats (GstGenesysRawClient * self)
{
  GstStructure *s;

  if (self)
    g_mutex_lock (&self->lock);
  s = gst_structure_new ("application/x-genesys-stats",
      "sessions", G_TYPE_UINT64, self ? self->sessions : 0,
      "frames", G_TYPE_UINT64, self ? self->frames : 0,
      "bytes", G_TYPE_UINT64, self ? self->bytes : 0,
      "events", G_TYPE_UINT64, self ? self->events : 0,
      "pings", G_TYPE_UINT64, self ? self->pings : 0, NULL);
  if (self)
    g_mutex_unlock (&self->lock);
  gst_genesys_dialer_add_stats (self ? self->dialer : NULL, s);
  return s;
}
