/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The dialer, see gstgenesysdialer.h.
 *
 * Threads: libsoup, the timers and the socket live on the owner's loop
 * thread. Other threads only read the statistics and wait for a pending
 * connect, under @lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "gstgenesysdialer.h"
#include "gstgenesysdebug.h"
#include "gstgenesystime.h"
#include "audiohook/ah-backoff.h"
#include "audiohook/ah-signature.h"

/* How long shutdown lets an orderly WebSocket close take. */
#define STOP_GRACE (G_USEC_PER_SEC)

GST_GENESYS_DEBUG_CATEGORY ("genesysdialer",
    "Genesys WebSocket dialer: connect, keep-alive, backoff");
#define GST_CAT_DEFAULT ensure_debug_category ()

GQuark
gst_genesys_client_error_quark (void)
{
  return g_quark_from_static_string ("gst-genesys-client-error-quark");
}

typedef struct
{
  gushort code;
  guint64 count;
} CodeCount;

struct _GstGenesysDialer
{
  GstGenesysDialerConfig config;        /* strings owned */
  GTlsDatabase *tls_database;
  GstGenesysDialerCallbacks cb;
  gpointer user_data;

  /* any thread, under lock */
  GMutex lock;
  GCond cond;
  gboolean connect_pending;
  gboolean alive;               /* from connected to lost */
  guint64 connection_attempts, connections, reconnects, watchdog_timeouts;
  GArray *close_codes;          /* CodeCount */

  /* loop thread (set and cleared by the owner's thread) */
  GstGenesysLoop *loop;
  GSourceFunc owner_stop, owner_teardown;
  gpointer owner;
  gboolean stopped;
  SoupSession *soup;
  SoupMessage *msg;
  GCancellable *cancellable;
  gboolean connect_timed_out;
  GSource *connect_timer;
  GSource *retry_timer;
  GSource *watchdog;
  SoupWebsocketConnection *ws;
  gulong pong_id;
  guint64 last_pong;
  guint64 keepalive_limit;
  AhBackoff backoff;
  guint attempt;
  gboolean opened;
  guint64 opened_at;
};

static void dial (GstGenesysDialer * self);

static guint
ns_to_ms (guint64 ns)
{
  return (guint) MIN ((ns + GST_MSECOND - 1) / GST_MSECOND, G_MAXUINT);
}

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

/* ---- URIs ---- */

const gchar *const *
gst_genesys_uri_protocols (GType type)
{
  static const gchar *protocols[] = { "ws", "wss", NULL };

  return protocols;
}

gboolean
gst_genesys_uri_acceptable (GstElement * element, const gchar * uri,
    GError ** error)
{
  GError *err = NULL;

  if (GST_STATE (element) > GST_STATE_READY) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "The uri cannot change while the element is running");
    return FALSE;
  }
  if (!gst_genesys_uri_parts (uri, NULL, NULL, NULL, &err)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s",
        err->message);
    g_error_free (err);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_genesys_uri_parts (const gchar * uri, gchar ** authority,
    gchar ** request_target, gboolean * tls, GError ** error)
{
  GUri *u;
  const gchar *scheme, *host, *path, *query;
  gboolean secure;
  gint port, default_port;
  gchar *h;

  u = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, error);
  if (u == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (u);
  host = g_uri_get_host (u);
  if (g_ascii_strcasecmp (scheme, "ws") == 0) {
    secure = FALSE;
    default_port = 80;
  } else if (g_ascii_strcasecmp (scheme, "wss") == 0) {
    secure = TRUE;
    default_port = 443;
  } else {
    g_set_error (error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CONFIG,
        "'%s' is not a ws:// or wss:// URI", uri);
    g_uri_unref (u);
    return FALSE;
  }
  if (host == NULL || *host == '\0') {
    g_set_error (error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CONFIG, "'%s' has no host", uri);
    g_uri_unref (u);
    return FALSE;
  }

  /* As libsoup writes the Host header. */
  if (strchr (host, ':'))
    h = g_strdup_printf ("[%.*s]", (gint) strcspn (host, "%"), host);
  else if (g_hostname_is_non_ascii (host))
    h = g_hostname_to_ascii (host);
  else
    h = g_strdup (host);
  port = g_uri_get_port (u);
  if (authority) {
    if (port == -1 || port == default_port)
      *authority = g_strdup (h);
    else
      *authority = g_strdup_printf ("%s:%d", h, port);
  }
  g_free (h);

  path = g_uri_get_path (u);
  query = g_uri_get_query (u);
  if (path == NULL || *path == '\0')
    path = "/";
  if (request_target)
    *request_target = query ? g_strdup_printf ("%s?%s", path, query) :
        g_strdup (path);
  if (tls)
    *tls = secure;
  g_uri_unref (u);
  return TRUE;
}


/* ---- rules ---- */

gboolean
gst_genesys_close_code_is_fatal (gushort code)
{
  switch (code) {
    case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
    case SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA:
    case SOUP_WEBSOCKET_CLOSE_BAD_DATA:
    case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION:
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
    case SOUP_WEBSOCKET_CLOSE_NO_EXTENSION:
      return TRUE;
    default:
      return FALSE;
  }
}

/* HTTP answers to the upgrade that another attempt will not change. */
static gboolean
status_is_fatal (guint status)
{
  if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429)
    return FALSE;
  return status >= 200 && status < 500;
}

/* *INDENT-OFF* */
static void dialer_fail (GstGenesysDialer * self, GstGenesysClientError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
dialer_fail (GstGenesysDialer * self, GstGenesysClientError code,
    const gchar * format, ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (GST_GENESYS_CLIENT_ERROR, code, format, args);
  va_end (args);
  if (self->cb.failed)
    self->cb.failed (error, self->user_data);
  g_error_free (error);
}

/* ---- keep-alive ---- */

static void
on_pong (SoupWebsocketConnection * ws, GBytes * payload, gpointer data)
{
  GstGenesysDialer *self = data;

  GST_TRACE ("pong");
  self->last_pong = gst_genesys_now ();
}

static gboolean
watchdog_cb (gpointer data)
{
  GstGenesysDialer *self = data;
  guint64 now = gst_genesys_now ();
  guint64 due = self->last_pong + self->keepalive_limit;

  destroy_source (&self->watchdog);
  if (!self->ws)
    return G_SOURCE_REMOVE;
  if (now < due) {
    self->watchdog = gst_genesys_loop_add_timeout (self->loop,
        ns_to_ms (due - now), watchdog_cb, self, NULL);
    return G_SOURCE_REMOVE;
  }

  GST_WARNING ("%s: no pong for %" GST_TIME_FORMAT ": the connection is dead",
      self->config.uri, GST_TIME_ARGS (now - self->last_pong));
  g_mutex_lock (&self->lock);
  self->watchdog_timeouts++;
  g_mutex_unlock (&self->lock);
  if (self->cb.dead)
    self->cb.dead (self->user_data);
  return G_SOURCE_REMOVE;
}

static void
keep_alive (GstGenesysDialer * self)
{
  guint secs;

  if (self->config.keepalive_interval == 0)
    return;
  secs = (guint) MIN ((self->config.keepalive_interval + GST_SECOND - 1) /
      GST_SECOND, G_MAXUINT);
  secs = MAX (secs, 1);
  soup_websocket_connection_set_keepalive_interval (self->ws, secs);
  self->pong_id = g_signal_connect (self->ws, "pong", G_CALLBACK (on_pong),
      self);
  self->last_pong = gst_genesys_now ();
  self->keepalive_limit = secs * GST_SECOND + self->config.keepalive_timeout;
  self->watchdog = gst_genesys_loop_add_timeout (self->loop,
      ns_to_ms (self->keepalive_limit), watchdog_cb, self, NULL);
}

static void
release_ws (GstGenesysDialer * self)
{
  destroy_source (&self->watchdog);
  if (self->ws) {
    if (self->pong_id)
      g_signal_handler_disconnect (self->ws, self->pong_id);
    self->pong_id = 0;
    g_clear_object (&self->ws);
  }
}

/* ---- connecting ---- */

static void
connect_failed (GstGenesysDialer * self, SoupMessage * msg, GError * error)
{
  guint status = soup_message_get_status (msg);
  const gchar *phrase = soup_message_get_reason_phrase (msg);
  gchar *cause;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !self->connect_timed_out)
    return;

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
    dialer_fail (self, GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED,
        "The server refused the WebSocket upgrade of %s with HTTP %u %s "
        "(check %s)", self->config.uri, status, phrase ? phrase : "",
        self->config.credentials_hint);
    return;
  }
  if (status != 0 && status_is_fatal (status)) {
    const gchar *hint = "";
    if (status == SOUP_STATUS_NOT_FOUND)
      hint = " (check the path of the uri)";
    else if (status < 300)
      hint = " (not a WebSocket endpoint)";
    dialer_fail (self, GST_GENESYS_CLIENT_ERROR_REFUSED,
        "The server refused the WebSocket upgrade of %s with HTTP %u %s%s",
        self->config.uri, status, phrase ? phrase : "", hint);
    return;
  }
  if (error->domain == G_TLS_ERROR && self->config.tls_validation) {
    dialer_fail (self, GST_GENESYS_CLIENT_ERROR_TLS,
        "TLS with %s failed: %s (set tls-ca-file to trust a private CA)",
        self->config.uri, error->message);
    return;
  }

  if (self->connect_timed_out)
    cause = g_strdup_printf ("no answer within %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->config.connect_timeout));
  else if (status != 0)
    cause = g_strdup_printf ("HTTP %u %s", status, phrase ? phrase : "");
  else
    cause = g_strdup (error->message);
  GST_INFO ("connecting to %s failed: %s", self->config.uri, cause);
  gst_genesys_dialer_retry (self, FALSE, cause);
  g_free (cause);
}

static void
connect_done_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  GstGenesysDialer *self = data;
  SoupMessage *msg = self->msg;
  SoupWebsocketConnection *ws;
  GError *error = NULL;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &error);
  self->msg = NULL;
  g_clear_object (&self->cancellable);
  destroy_source (&self->connect_timer);

  g_mutex_lock (&self->lock);
  self->connect_pending = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->stopped) {
    g_clear_object (&ws);
  } else if (ws) {
    g_mutex_lock (&self->lock);
    self->connections++;
    self->alive = TRUE;
    g_mutex_unlock (&self->lock);
    self->ws = ws;
    self->opened = FALSE;
    keep_alive (self);
    GST_INFO ("connected to %s", self->config.uri);
    if (self->cb.connected)
      self->cb.connected (ws, self->user_data);
  } else {
    connect_failed (self, msg, error);
  }
  g_clear_error (&error);
  g_object_unref (msg);
}

static gboolean
connect_timeout_cb (gpointer data)
{
  GstGenesysDialer *self = data;

  destroy_source (&self->connect_timer);
  self->connect_timed_out = TRUE;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer data)
{
  GST_DEBUG ("accepting a certificate with errors 0x%x", errors);
  return TRUE;
}

static gboolean
add_extra_header (GQuark field, const GValue * value, gpointer data)
{
  SoupMessageHeaders *h = data;
  gchar *str;

  if (G_VALUE_HOLDS_STRING (value))
    str = g_value_dup_string (value);
  else
    str = gst_value_serialize (value);
  if (str)
    soup_message_headers_replace (h, g_quark_to_string (field), str);
  g_free (str);
  return TRUE;
}

/* Small frames (audio, pings) go out at once, not after the peer's
 * delayed ACK. */
static void
on_network_event (SoupMessage * msg, GSocketClientEvent event,
    GIOStream * connection, gpointer user_data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION
            (connection)), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static SoupMessage *
build_request (GstGenesysDialer * self, GError ** error)
{
  SoupMessage *msg;
  SoupMessageHeaders *h;
  gchar *authority = NULL, *target = NULL;
  gboolean ok = TRUE;

  msg = soup_message_new ("GET", self->config.uri);
  if (msg == NULL) {
    g_set_error (error, GST_GENESYS_CLIENT_ERROR,
        GST_GENESYS_CLIENT_ERROR_CONFIG, "invalid URI %s", self->config.uri);
    return NULL;
  }
  h = soup_message_get_request_headers (msg);
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
  if (!self->config.tls_validation)
    g_signal_connect (msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);
  if (self->cb.headers)
    self->cb.headers (h, self->user_data);
  soup_message_headers_replace (h, "User-Agent", self->config.user_agent);
  if (self->config.extra_headers)
    gst_structure_foreach (self->config.extra_headers, add_extra_header, h);
  if (self->cb.sign) {
    gst_genesys_uri_parts (self->config.uri, &authority, &target, NULL, NULL);
    ok = self->cb.sign (h, authority, target, self->user_data, error);
    g_free (authority);
    g_free (target);
  }
  if (!ok)
    g_clear_object (&msg);
  return msg;
}

static void
dial (GstGenesysDialer * self)
{
  GstGenesysClientEvent ev = { 0 };
  GError *error = NULL;
  SoupMessage *msg;

  if (self->stopped || self->ws || self->msg)
    return;
  msg = build_request (self, &error);
  if (msg == NULL) {
    dialer_fail (self, GST_GENESYS_CLIENT_ERROR_CONFIG, "%s", error->message);
    g_error_free (error);
    return;
  }

  g_mutex_lock (&self->lock);
  self->connect_pending = TRUE;
  self->connection_attempts++;
  g_mutex_unlock (&self->lock);

  GST_DEBUG ("connecting to %s", self->config.uri);
  ev.type = GST_GENESYS_CLIENT_EVENT_CONNECTING;
  ev.attempt = self->attempt;
  if (self->cb.event)
    self->cb.event (&ev, self->user_data);
  if (self->stopped) {
    g_mutex_lock (&self->lock);
    self->connect_pending = FALSE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    g_object_unref (msg);
    return;
  }

  self->msg = msg;
  self->cancellable = g_cancellable_new ();
  self->connect_timed_out = FALSE;
  self->connect_timer = gst_genesys_loop_add_timeout (self->loop,
      ns_to_ms (self->config.connect_timeout), connect_timeout_cb, self, NULL);
  soup_session_websocket_connect_async (self->soup, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, self->cancellable, connect_done_cb, self);
}

static gboolean
retry_cb (gpointer data)
{
  GstGenesysDialer *self = data;

  destroy_source (&self->retry_timer);
  dial (self);
  return G_SOURCE_REMOVE;
}

/* ---- API ---- */

void
gst_genesys_dialer_retry (GstGenesysDialer * self, gboolean immediate,
    const gchar * cause)
{
  GstGenesysClientEvent ev = { GST_GENESYS_CLIENT_EVENT_RECONNECTING };
  guint64 delay;

  if (self->stopped)
    return;
  if (self->config.retries >= 0 && self->attempt >= (guint)
      self->config.retries) {
    dialer_fail (self, GST_GENESYS_CLIENT_ERROR_GAVE_UP,
        "Gave up after %u reconnection attempts (last cause: %s)",
        self->attempt, cause);
    return;
  }
  delay = immediate ? 0 : ah_backoff_next (&self->backoff, g_random_int ());
  self->attempt++;
  g_mutex_lock (&self->lock);
  self->reconnects++;
  g_mutex_unlock (&self->lock);
  GST_INFO ("reconnecting in %" GST_TIME_FORMAT " (attempt %u): %s",
      GST_TIME_ARGS (delay), self->attempt, cause);
  ev.attempt = self->attempt;
  ev.delay = delay;
  ev.cause = cause;
  if (self->cb.event)
    self->cb.event (&ev, self->user_data);
  destroy_source (&self->retry_timer);
  if (!self->stopped)
    self->retry_timer = gst_genesys_loop_add_timeout (self->loop,
        ns_to_ms (delay), retry_cb, self, NULL);
}

void
gst_genesys_dialer_opened (GstGenesysDialer * self)
{
  self->opened = TRUE;
  self->opened_at = gst_genesys_now ();
}

void
gst_genesys_dialer_lost (GstGenesysDialer * self, gushort code)
{
  GArray *codes = self->close_codes;
  CodeCount cc = { code, 1 };
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < codes->len; i++) {
    CodeCount *c = &g_array_index (codes, CodeCount, i);
    if (c->code == code) {
      c->count++;
      break;
    }
  }
  if (i == codes->len)
    g_array_append_val (codes, cc);
  self->alive = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (self->opened
      && gst_genesys_now () - self->opened_at >= self->config.stable_time) {
    ah_backoff_reset (&self->backoff);
    self->attempt = 0;
  }
  self->opened = FALSE;
  release_ws (self);
}

void
gst_genesys_dialer_stop (GstGenesysDialer * self)
{
  self->stopped = TRUE;
  destroy_source (&self->connect_timer);
  destroy_source (&self->retry_timer);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

static void
dialer_close (GstGenesysDialer * self)
{
  destroy_source (&self->watchdog);
  if (self->ws && soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
}

static void
dialer_teardown (GstGenesysDialer * self)
{
  gst_genesys_dialer_stop (self);
  release_ws (self);
  if (self->soup) {
    soup_session_abort (self->soup);
    g_clear_object (&self->soup);
  }
}

static gboolean
start_cb (gpointer data)
{
  GstGenesysDialer *self = data;

  self->soup = soup_session_new ();
  if (self->tls_database)
    soup_session_set_tls_database (self->soup, self->tls_database);
  dial (self);
  return G_SOURCE_REMOVE;
}

GstGenesysLoop *
gst_genesys_dialer_start (GstGenesysDialer * self, const gchar * name)
{
  g_return_val_if_fail (self->loop == NULL, NULL);

  self->loop = gst_genesys_loop_new (name);
  gst_genesys_loop_invoke_sync (self->loop, start_cb, self);
  return self->loop;
}

static gboolean
stop_cb (gpointer data)
{
  GstGenesysDialer *self = data;

  if (self->owner_stop)
    self->owner_stop (self->owner);
  gst_genesys_dialer_stop (self);
  dialer_close (self);
  return G_SOURCE_REMOVE;
}

static gboolean
teardown_cb (gpointer data)
{
  GstGenesysDialer *self = data;

  if (self->owner_teardown)
    self->owner_teardown (self->owner);
  dialer_teardown (self);
  return G_SOURCE_REMOVE;
}

void
gst_genesys_dialer_shutdown (GstGenesysDialer * self, GSourceFunc stop,
    GSourceFunc teardown, gpointer owner)
{
  gint64 deadline;

  if (self->loop == NULL)
    return;
  g_return_if_fail (!gst_genesys_loop_is_current (self->loop));
  self->owner_stop = stop;
  self->owner_teardown = teardown;
  self->owner = owner;
  gst_genesys_loop_invoke_sync (self->loop, stop_cb, self);
  /* An orderly close (and a cancelled connect) takes a moment. */
  deadline = g_get_monotonic_time () + STOP_GRACE;
  g_mutex_lock (&self->lock);
  while ((self->connect_pending || self->alive)
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  g_mutex_unlock (&self->lock);
  gst_genesys_loop_invoke_sync (self->loop, teardown_cb, self);
  g_clear_pointer (&self->loop, gst_genesys_loop_unref);
}

void
gst_genesys_dialer_add_stats (GstGenesysDialer * self, GstStructure * s)
{
  GString *codes = g_string_new (NULL);
  guint i;

  if (self)
    g_mutex_lock (&self->lock);
  gst_structure_set (s,
      "connection-attempts", G_TYPE_UINT64,
      self ? self->connection_attempts : 0,
      "connections", G_TYPE_UINT64, self ? self->connections : 0,
      "reconnects", G_TYPE_UINT64, self ? self->reconnects : 0,
      "keepalive-timeouts", G_TYPE_UINT64,
      self ? self->watchdog_timeouts : 0, NULL);
  for (i = 0; self && i < self->close_codes->len; i++) {
    CodeCount *c = &g_array_index (self->close_codes, CodeCount, i);
    gchar *name = g_strdup_printf ("close-code-%u", c->code);
    gst_structure_set (s, name, G_TYPE_UINT64, c->count, NULL);
    g_string_append_printf (codes, "%s%u:%" G_GUINT64_FORMAT,
        codes->len ? "," : "", c->code, c->count);
    g_free (name);
  }
  if (self)
    g_mutex_unlock (&self->lock);
  gst_structure_set (s, "close-codes", G_TYPE_STRING, codes->str, NULL);
  g_string_free (codes, TRUE);
}

GstGenesysDialer *
gst_genesys_dialer_new (const GstGenesysDialerConfig * config,
    const GstGenesysDialerCallbacks * callbacks, gpointer user_data,
    GError ** error)
{
  GstGenesysDialer *self;
  GTlsDatabase *db = NULL;

  if (config->uri == NULL || !gst_genesys_uri_parts (config->uri, NULL, NULL,
          NULL, error)) {
    if (error && *error == NULL)
      g_set_error (error, GST_GENESYS_CLIENT_ERROR,
          GST_GENESYS_CLIENT_ERROR_CONFIG, "no ws:// or wss:// URI");
    return NULL;
  }
  if (config->tls_ca_file) {
    GError *tls_error = NULL;
    /* GTlsFileDatabase takes absolute paths only */
    gchar *path = g_canonicalize_filename (config->tls_ca_file, NULL);
    db = g_tls_file_database_new (path, &tls_error);
    g_free (path);
    if (db == NULL) {
      g_set_error (error, GST_GENESYS_CLIENT_ERROR,
          GST_GENESYS_CLIENT_ERROR_CONFIG, "tls-ca-file %s: %s",
          config->tls_ca_file, tls_error->message);
      g_error_free (tls_error);
      return NULL;
    }
  }

  self = g_new0 (GstGenesysDialer, 1);
  self->config = *config;
  self->config.uri = g_strdup (config->uri);
  self->config.user_agent = g_strdup (config->user_agent ?
      config->user_agent : "gst-genesys/" VERSION);
  self->config.extra_headers = config->extra_headers ?
      gst_structure_copy (config->extra_headers) : NULL;
  self->config.tls_ca_file = g_strdup (config->tls_ca_file);
  self->config.credentials_hint = g_strdup (config->credentials_hint ?
      config->credentials_hint : "the credentials");
  self->tls_database = db;
  if (callbacks)
    self->cb = *callbacks;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->close_codes = g_array_new (FALSE, FALSE, sizeof (CodeCount));
  ah_backoff_init (&self->backoff, config->backoff_base, config->backoff_max);
  return self;
}

void
gst_genesys_dialer_free (GstGenesysDialer * self)
{
  if (self == NULL)
    return;
  g_return_if_fail (self->loop == NULL);
  g_clear_object (&self->tls_database);
  g_free ((gchar *) self->config.uri);
  g_free ((gchar *) self->config.user_agent);
  if (self->config.extra_headers)
    gst_structure_free ((GstStructure *) self->config.extra_headers);
  g_free ((gchar *) self->config.tls_ca_file);
  g_free ((gchar *) self->config.credentials_hint);
  g_array_unref (self->close_codes);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* The lifetime of a signature (created -> expires), s. */
#define SIGNATURE_LIFETIME 30

gboolean
gst_genesys_sign_request (SoupMessageHeaders * h, const gchar * authority,
    const gchar * target, const gchar * api_key, const gchar * client_secret,
    GError ** error)
{
  static const gchar *names[] = { "audiohook-organization-id",
    "audiohook-session-id", "audiohook-correlation-id", "x-api-key"
  };
  AhHeader headers[G_N_ELEMENTS (names)];
  AhRequest req;
  gchar *nonce, *sig_input = NULL, *sig = NULL;
  gint64 created = g_get_real_time () / G_USEC_PER_SEC;
  gboolean ok;
  guint i;

  if (!client_secret || !*client_secret)
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    const gchar *value = soup_message_headers_get_list (h, names[i]);
    headers[i].name = names[i];
    headers[i].value = value ? value : "";
  }
  req.request_target = target;
  req.authority = authority;
  req.headers = headers;
  req.n_headers = G_N_ELEMENTS (names);
  nonce = ah_signature_new_nonce ();
  ok = ah_signature_sign (&req, api_key, client_secret, nonce, created,
      created + SIGNATURE_LIFETIME, &sig_input, &sig, error);
  if (ok) {
    soup_message_headers_replace (h, "Signature-Input", sig_input);
    soup_message_headers_replace (h, "Signature", sig);
  }
  g_free (nonce);
  g_free (sig_input);
  g_free (sig);
  return ok;
}
