/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "ahserver.h"
#include "ah-signature.h"

typedef struct
{
  guint index;
  SoupWebsocketConnection *ws;
  gchar *session_id;
  gchar *target;
  GHashTable *headers;          /* lowercase name -> value */
  gint64 seq;                   /* last sent */
  gint64 client_seq;            /* last received */
  gboolean closed;
} Conn;

struct _AhServer
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *soup;
  GSocketService *service;
  GTlsCertificate *certificate;
  guint port;
  GAsyncQueue *frames;

  GMutex lock;
  GCond cond;
  gboolean ready;
  guint status;
  gchar *opened_params;
  gboolean auto_pong;
  gboolean hold;
  GPtrArray *held;              /* SoupServerMessage */
  AhVerifier *verifier;
  guint requests;
  GPtrArray *conns;             /* Conn */
};

void
ah_server_frame_free (AhServerFrame * frame)
{
  if (frame->data)
    g_bytes_unref (frame->data);
  if (frame->json)
    json_object_unref (frame->json);
  g_free (frame);
}

const gchar *
ah_server_frame_type (AhServerFrame * frame)
{
  if (!frame || !frame->json)
    return NULL;
  return json_object_get_string_member_with_default (frame->json, "type", NULL);
}

JsonObject *
ah_server_frame_params (AhServerFrame * frame)
{
  JsonNode *node;

  if (!frame || !frame->json)
    return NULL;
  node = json_object_get_member (frame->json, "parameters");
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static void
conn_free (Conn * c)
{
  g_clear_object (&c->ws);
  g_free (c->session_id);
  g_free (c->target);
  g_hash_table_unref (c->headers);
  g_free (c);
}

/* ---- on the server thread ---- */

static Conn *
find_conn (AhServer * self, SoupWebsocketConnection * ws)
{
  guint i;

  for (i = 0; i < self->conns->len; i++) {
    Conn *c = g_ptr_array_index (self->conns, i);
    if (c->ws == ws)
      return c;
  }
  return NULL;
}

static Conn *
latest_conn (AhServer * self)
{
  if (self->conns->len == 0)
    return NULL;
  return g_ptr_array_index (self->conns, self->conns->len - 1);
}

/* Under lock. */
static void
send_locked (AhServer * self, Conn * c, const gchar * type,
    const gchar * params)
{
  gchar *text;

  if (!c->ws || soup_websocket_connection_get_state (c->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  c->seq++;
  text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"%s\",\"type\":\"%s\","
      "\"seq\":%" G_GINT64_FORMAT ",\"clientseq\":%" G_GINT64_FORMAT
      ",\"parameters\":%s}", c->session_id, type, c->seq, c->client_seq,
      params ? params : "{}");
  soup_websocket_connection_send_text (c->ws, text);
  g_free (text);
}

static gchar *
first_offer (JsonObject * params)
{
  JsonArray *media;
  JsonNode *node;
  gchar *json, *list;

  if (!params || !json_object_has_member (params, "media"))
    return g_strdup ("[]");
  media = json_object_get_array_member (params, "media");
  if (json_array_get_length (media) == 0)
    return g_strdup ("[]");
  node = json_node_copy (json_array_get_element (media, 0));
  json = json_to_string (node, FALSE);
  json_node_unref (node);
  list = g_strdup_printf ("[%s]", json);
  g_free (json);
  return list;
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  AhServer *self = data;
  AhServerFrame *frame = g_new0 (AhServerFrame, 1);
  Conn *c;
  const gchar *mtype = NULL;

  g_mutex_lock (&self->lock);
  c = find_conn (self, ws);
  frame->conn = c ? c->index : 0;
  frame->binary = type == SOUP_WEBSOCKET_DATA_BINARY;
  frame->data = g_bytes_ref (message);
  frame->received_us = g_get_monotonic_time ();
  if (!frame->binary) {
    gsize size;
    const gchar *text = g_bytes_get_data (message, &size);
    JsonParser *parser = json_parser_new ();
    if (json_parser_load_from_data (parser, text, size, NULL)) {
      JsonNode *root = json_parser_get_root (parser);
      if (JSON_NODE_HOLDS_OBJECT (root))
        frame->json = json_object_ref (json_node_get_object (root));
    }
    g_object_unref (parser);
  }
  if (c && frame->json) {
    c->client_seq = json_object_get_int_member_with_default (frame->json,
        "seq", c->client_seq);
    mtype = ah_server_frame_type (frame);
    if (g_strcmp0 (mtype, "open") == 0) {
      if (self->opened_params) {
        send_locked (self, c, "opened", self->opened_params);
      } else {
        gchar *media = first_offer (ah_server_frame_params (frame));
        gchar *params = g_strdup_printf ("{\"media\":%s,"
            "\"startPaused\":false}", media);
        send_locked (self, c, "opened", params);
        g_free (params);
        g_free (media);
      }
    } else if (g_strcmp0 (mtype, "ping") == 0 && self->auto_pong) {
      send_locked (self, c, "pong", "{}");
    } else if (g_strcmp0 (mtype, "close") == 0) {
      send_locked (self, c, "closed", "{}");
    }
  }
  g_mutex_unlock (&self->lock);
  g_async_queue_push (self->frames, frame);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  AhServer *self = data;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = find_conn (self, ws);
  if (c)
    c->closed = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
collect_header (const char *name, const char *value, gpointer data)
{
  GHashTable *headers = data;
  gchar *key = g_ascii_strdown (name, -1);
  const gchar *old = g_hash_table_lookup (headers, key);

  if (old)
    g_hash_table_replace (headers, key, g_strdup_printf ("%s, %s", old, value));
  else
    g_hash_table_replace (headers, key, g_strdup (value));
}

static gboolean
verify (AhServer * self, SoupServerMessage * msg, GHashTable * headers,
    const gchar * target)
{
  GArray *arr = g_array_new (FALSE, FALSE, sizeof (AhHeader));
  GHashTableIter iter;
  gpointer k, v;
  AhRequest req;
  GError *error = NULL;
  gboolean ok;

  g_hash_table_iter_init (&iter, headers);
  while (g_hash_table_iter_next (&iter, &k, &v)) {
    AhHeader h = { k, v };
    g_array_append_val (arr, h);
  }
  req.request_target = target;
  req.authority = g_hash_table_lookup (headers, "host");
  req.headers = (const AhHeader *) arr->data;
  req.n_headers = arr->len;
  ok = ah_verifier_verify (self->verifier, &req,
      g_get_real_time () / G_USEC_PER_SEC, NULL, &error);
  if (!ok) {
    g_test_message ("test server: signature refused: %s", error->message);
    g_error_free (error);
  }
  g_array_free (arr, TRUE);
  return ok;
}

static void
server_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  AhServer *self = data;
  GHashTable *headers = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, g_free);
  GUri *uri = soup_server_message_get_uri (msg);
  gchar *target;
  guint status;

  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
      collect_header, headers);
  target = g_uri_get_query (uri) ? g_strdup_printf ("%s?%s",
      g_uri_get_path (uri), g_uri_get_query (uri)) :
      g_strdup (g_uri_get_path (uri));

  g_mutex_lock (&self->lock);
  self->requests++;
  status = self->status;
  if (status == 0 && self->verifier && !verify (self, msg, headers, target))
    status = SOUP_STATUS_UNAUTHORIZED;
  if (status != 0) {
    soup_server_message_set_status (msg, status, NULL);
  } else {
    g_object_set_data_full (G_OBJECT (msg), "ah-headers",
        g_hash_table_ref (headers), (GDestroyNotify) g_hash_table_unref);
    g_object_set_data_full (G_OBJECT (msg), "ah-target", g_strdup (target),
        g_free);
    if (self->hold) {
      soup_server_message_pause (msg);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_hash_table_unref (headers);
  g_free (target);
}

static void
websocket_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer data)
{
  AhServer *self = data;
  Conn *c = g_new0 (Conn, 1);
  GHashTable *headers = g_object_get_data (G_OBJECT (msg), "ah-headers");

  c->ws = g_object_ref (ws);
  c->headers = headers ? g_hash_table_ref (headers) :
      g_hash_table_new (g_str_hash, g_str_equal);
  c->target = g_strdup (g_object_get_data (G_OBJECT (msg), "ah-target"));
  c->session_id = g_strdup (g_hash_table_lookup (c->headers,
          "audiohook-session-id"));
  soup_websocket_connection_set_max_incoming_payload_size (ws, 0);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), self);
  g_mutex_lock (&self->lock);
  c->index = self->conns->len + 1;
  g_ptr_array_add (self->conns, c);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
incoming_cb (GSocketService * service, GSocketConnection * connection,
    GObject * source, gpointer data)
{
  AhServer *self = data;
  GSocketAddress *local, *remote;
  GError *error = NULL;
  GIOStream *stream = G_IO_STREAM (connection);

  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (self->certificate) {
    stream = g_tls_server_connection_new (stream, self->certificate, &error);
    g_assert_no_error (error);
  } else {
    g_object_ref (stream);
  }
  if (!soup_server_accept_iostream (self->soup, stream, local, remote, &error)) {
    g_test_message ("test server: accept failed: %s", error->message);
    g_error_free (error);
  }
  g_object_unref (stream);
  g_clear_object (&local);
  g_clear_object (&remote);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  AhServer *self = data;
  GInetAddress *inet;
  GSocketAddress *addr, *bound = NULL;
  guint i;

  g_main_context_push_thread_default (self->context);
  self->soup = g_object_new (SOUP_TYPE_SERVER, NULL);
  soup_server_add_handler (self->soup, NULL, server_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL,
      websocket_cb, self, NULL);
  inet = g_inet_address_new_from_string ("127.0.0.1");
  addr = g_inet_socket_address_new (inet, 0);
  self->service = g_socket_service_new ();
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER
          (self->service), addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
          NULL, &bound, NULL));
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  g_mutex_lock (&self->lock);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (inet);

  g_main_loop_run (self->loop);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_object (&self->service);
  for (i = 0; i < self->held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (self->held, i));
  g_ptr_array_set_size (self->held, 0);
  for (i = 0; i < self->conns->len; i++) {
    Conn *c = g_ptr_array_index (self->conns, i);
    if (c->ws) {
      g_signal_handlers_disconnect_by_data (c->ws, self);
      if (soup_websocket_connection_get_state (c->ws) !=
          SOUP_WEBSOCKET_STATE_CLOSED)
        g_io_stream_close (soup_websocket_connection_get_io_stream (c->ws),
            NULL, NULL);
      g_clear_object (&c->ws);
    }
  }
  soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static AhServer *
server_new (GTlsCertificate * certificate)
{
  AhServer *self = g_new0 (AhServer, 1);

  self->certificate = certificate;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->frames = g_async_queue_new_full ((GDestroyNotify) ah_server_frame_free);
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->auto_pong = TRUE;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("ahserver", server_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

AhServer *
ah_server_new (void)
{
  return server_new (NULL);
}

AhServer *
ah_server_new_tls (const gchar * cert_file, const gchar * key_file)
{
  GError *error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_files (cert_file,
      key_file, &error);

  g_assert_no_error (error);
  return server_new (cert);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
ah_server_free (AhServer * self)
{
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_async_queue_unref (self->frames);
  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->held);
  if (self->verifier)
    ah_verifier_free (self->verifier);
  g_free (self->opened_params);
  g_clear_object (&self->certificate);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

guint
ah_server_port (AhServer * self)
{
  return self->port;
}

gchar *
ah_server_uri (AhServer * self, const gchar * path_and_query)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", self->certificate ? "wss" :
      "ws", self->port, path_and_query);
}

void
ah_server_set_status (AhServer * self, guint status)
{
  g_mutex_lock (&self->lock);
  self->status = status;
  g_mutex_unlock (&self->lock);
}

void
ah_server_set_credentials (AhServer * self, const gchar * api_key,
    const gchar * client_secret)
{
  g_mutex_lock (&self->lock);
  if (self->verifier)
    ah_verifier_free (self->verifier);
  self->verifier = ah_verifier_new ();
  g_assert_true (ah_verifier_add_key (self->verifier, api_key, client_secret,
          NULL));
  g_mutex_unlock (&self->lock);
}

void
ah_server_set_opened (AhServer * self, const gchar * params)
{
  g_mutex_lock (&self->lock);
  g_free (self->opened_params);
  self->opened_params = g_strdup (params);
  g_mutex_unlock (&self->lock);
}

void
ah_server_set_auto_pong (AhServer * self, gboolean auto_pong)
{
  g_mutex_lock (&self->lock);
  self->auto_pong = auto_pong;
  g_mutex_unlock (&self->lock);
}

static gboolean
release_cb (gpointer data)
{
  AhServer *self = data;
  GPtrArray *held;
  guint i;

  g_mutex_lock (&self->lock);
  held = self->held;
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&self->lock);
  for (i = 0; i < held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (held, i));
  g_ptr_array_unref (held);
  return G_SOURCE_REMOVE;
}

void
ah_server_hold (AhServer * self, gboolean hold)
{
  g_mutex_lock (&self->lock);
  self->hold = hold;
  g_mutex_unlock (&self->lock);
  if (!hold)
    g_main_context_invoke (self->context, release_cb, self);
}

typedef struct
{
  AhServer *server;
  gchar *type;
  gchar *params;
} SendData;

static gboolean
send_cb (gpointer data)
{
  SendData *sd = data;
  AhServer *self = sd->server;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = latest_conn (self);
  if (c)
    send_locked (self, c, sd->type, sd->params);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static void
send_data_free (gpointer data)
{
  SendData *sd = data;

  g_free (sd->type);
  g_free (sd->params);
  g_free (sd);
}

void
ah_server_send (AhServer * self, const gchar * type, const gchar * params)
{
  SendData *sd = g_new0 (SendData, 1);

  sd->server = self;
  sd->type = g_strdup (type);
  sd->params = g_strdup (params);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, send_cb, sd,
      send_data_free);
}

typedef struct
{
  AhServer *server;
  gboolean done;
} DropData;

static gboolean
drop_cb (gpointer data)
{
  DropData *dd = data;
  AhServer *self = dd->server;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = latest_conn (self);
  if (c && c->ws)
    g_io_stream_close (soup_websocket_connection_get_io_stream (c->ws), NULL,
        NULL);
  dd->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

void
ah_server_drop (AhServer * self)
{
  DropData dd = { self, FALSE };

  g_main_context_invoke (self->context, drop_cb, &dd);
  g_mutex_lock (&self->lock);
  while (!dd.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
stall_cb (gpointer data)
{
  g_usleep (GPOINTER_TO_UINT (data) * 1000);
  return G_SOURCE_REMOVE;
}

void
ah_server_stall (AhServer * self, guint ms)
{
  g_main_context_invoke (self->context, stall_cb, GUINT_TO_POINTER (ms));
}

AhServerFrame *
ah_server_next (AhServer * self, guint timeout_ms)
{
  return g_async_queue_timeout_pop (self->frames, (guint64) timeout_ms * 1000);
}

AhServerFrame *
ah_server_expect (AhServer * self, const gchar * type, guint timeout_ms,
    guint * binaries)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (TRUE) {
    gint64 left = end - g_get_monotonic_time ();
    AhServerFrame *frame;

    if (left <= 0)
      return NULL;
    frame = g_async_queue_timeout_pop (self->frames, left);
    if (!frame)
      return NULL;
    if (frame->binary && binaries)
      (*binaries)++;
    if (!frame->binary && g_strcmp0 (ah_server_frame_type (frame), type) == 0)
      return frame;
    ah_server_frame_free (frame);
  }
}

guint
ah_server_requests (AhServer * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->requests;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
ah_server_connections (AhServer * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->conns->len;
  g_mutex_unlock (&self->lock);
  return n;
}

static Conn *
get_conn_locked (AhServer * self, guint conn)
{
  if (conn == 0 || conn > self->conns->len)
    return NULL;
  return g_ptr_array_index (self->conns, conn - 1);
}

gchar *
ah_server_header (AhServer * self, guint conn, const gchar * name)
{
  gchar *key = g_ascii_strdown (name, -1);
  gchar *value = NULL;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = get_conn_locked (self, conn);
  if (c)
    value = g_strdup (g_hash_table_lookup (c->headers, key));
  g_mutex_unlock (&self->lock);
  g_free (key);
  return value;
}

gchar *
ah_server_target (AhServer * self, guint conn)
{
  gchar *value = NULL;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = get_conn_locked (self, conn);
  if (c)
    value = g_strdup (c->target);
  g_mutex_unlock (&self->lock);
  return value;
}

gint64
ah_server_seq (AhServer * self, guint conn)
{
  gint64 v = -1;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = get_conn_locked (self, conn);
  if (c)
    v = c->seq;
  g_mutex_unlock (&self->lock);
  return v;
}

gint64
ah_server_client_seq (AhServer * self, guint conn)
{
  gint64 v = -1;
  Conn *c;

  g_mutex_lock (&self->lock);
  c = get_conn_locked (self, conn);
  if (c)
    v = c->client_seq;
  g_mutex_unlock (&self->lock);
  return v;
}

gboolean
ah_server_wait_closed (AhServer * self, guint conn, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean closed = FALSE;
  Conn *c;

  g_mutex_lock (&self->lock);
  while (TRUE) {
    c = get_conn_locked (self, conn);
    closed = c && c->closed;
    if (closed || !g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  }
  g_mutex_unlock (&self->lock);
  return closed;
}
