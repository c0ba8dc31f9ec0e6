/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ahpeer.h"
#include "ah-signature.h"

struct _AhPeer
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GAsyncQueue *frames;
  gchar *session_id;
  gchar *ca_file;

  GMutex lock;
  GCond cond;
  gboolean connect_done;
  guint status;
  gushort close_code;
  gboolean closed;

  /* any thread, under lock */
  gint64 seq;
  gint64 serverseq;
};

void
ah_peer_frame_free (AhPeerFrame * frame)
{
  if (frame->data)
    g_bytes_unref (frame->data);
  if (frame->json)
    json_object_unref (frame->json);
  g_free (frame);
}

const gchar *
ah_peer_type (AhPeerFrame * frame)
{
  if (!frame || !frame->json)
    return NULL;
  return json_object_get_string_member_with_default (frame->json, "type", NULL);
}

static gpointer
peer_thread (gpointer data)
{
  AhPeer *self = data;

  g_main_context_push_thread_default (self->context);
  {
    /* Direct connections: no system proxy lookup in tests. */
    GProxyResolver *direct = g_simple_proxy_resolver_new (NULL, NULL);
    self->session = soup_session_new_with_options ("proxy-resolver", direct,
        NULL);
    g_object_unref (direct);
    if (self->ca_file) {
      GTlsDatabase *db = g_tls_file_database_new (self->ca_file, NULL);
      g_assert_nonnull (db);
      soup_session_set_tls_database (self->session, db);
      g_object_unref (db);
    }
  }
  g_main_loop_run (self->loop);
  g_clear_object (&self->ws);
  g_clear_object (&self->session);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static AhPeer *
peer_new (const gchar * ca_file)
{
  AhPeer *self = g_new0 (AhPeer, 1);

  self->ca_file = g_strdup (ca_file);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->frames = g_async_queue_new_full ((GDestroyNotify) ah_peer_frame_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("ahpeer", peer_thread, self);
  return self;
}

AhPeer *
ah_peer_new (void)
{
  return peer_new (NULL);
}

AhPeer *
ah_peer_new_tls (const gchar * ca_file)
{
  return peer_new (ca_file);
}

typedef struct
{
  AhPeer *peer;
  GSourceFunc func;
  gpointer data;
  gboolean done;
} Call;

static gboolean
call_cb (gpointer data)
{
  Call *call = data;

  call->func (call->data);
  g_mutex_lock (&call->peer->lock);
  call->done = TRUE;
  g_cond_broadcast (&call->peer->cond);
  g_mutex_unlock (&call->peer->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the peer thread and waits. */
static void
peer_call (AhPeer * self, GSourceFunc func, gpointer data)
{
  Call call = { self, func, data, FALSE };

  g_main_context_invoke (self->context, call_cb, &call);
  g_mutex_lock (&self->lock);
  while (!call.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
close_now_cb (gpointer data)
{
  AhPeer *self = data;

  if (self->ws && soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    GIOStream *io = soup_websocket_connection_get_io_stream (self->ws);
    g_io_stream_close (io, NULL, NULL);
  }
  return G_SOURCE_REMOVE;
}

void
ah_peer_free (AhPeer * peer)
{
  peer_call (peer, close_now_cb, peer);
  g_main_context_invoke (peer->context, quit_cb, peer->loop);
  g_thread_join (peer->thread);
  g_main_loop_unref (peer->loop);
  g_main_context_unref (peer->context);
  g_async_queue_unref (peer->frames);
  g_free (peer->session_id);
  g_free (peer->ca_file);
  g_mutex_clear (&peer->lock);
  g_cond_clear (&peer->cond);
  g_free (peer);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  AhPeer *self = data;
  AhPeerFrame *frame = g_new0 (AhPeerFrame, 1);

  frame->binary = type == SOUP_WEBSOCKET_DATA_BINARY;
  frame->data = g_bytes_ref (message);
  frame->received_us = g_get_monotonic_time ();
  if (!frame->binary) {
    gsize size;
    const gchar *text = g_bytes_get_data (message, &size);
    JsonParser *parser = json_parser_new ();
    if (json_parser_load_from_data (parser, text, size, NULL)) {
      JsonNode *root = json_parser_get_root (parser);
      if (JSON_NODE_HOLDS_OBJECT (root)) {
        frame->json = json_object_ref (json_node_get_object (root));
        g_mutex_lock (&self->lock);
        self->serverseq = json_object_get_int_member_with_default (frame->json,
            "seq", self->serverseq);
        g_mutex_unlock (&self->lock);
      }
    }
    g_object_unref (parser);
  }
  g_async_queue_push (self->frames, frame);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer data)
{
  AhPeer *self = data;

  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  self->close_code = soup_websocket_connection_get_close_code (ws);
  if (self->close_code == 0)
    self->close_code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

typedef struct
{
  AhPeer *peer;
  SoupMessage *msg;
} ConnectData;

static void
connected_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  ConnectData *cd = data;
  AhPeer *self = cd->peer;
  GError *error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &error);
  g_mutex_lock (&self->lock);
  if (ws) {
    self->ws = ws;
    self->status = 101;
    soup_websocket_connection_set_max_incoming_payload_size (ws, 0);
    g_signal_connect (ws, "message", G_CALLBACK (on_message), self);
    g_signal_connect (ws, "closed", G_CALLBACK (on_closed), self);
  } else {
    self->status = soup_message_get_status (cd->msg);
    if (self->status == 0)
      self->status = 1;
    g_error_free (error);
  }
  self->connect_done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_object_unref (cd->msg);
  g_free (cd);
}

typedef struct
{
  AhPeer *peer;
  gchar *uri;
  GPtrArray *headers;           /* name, value, name, value ... */
} StartConnect;

static gboolean
start_connect_cb (gpointer data)
{
  StartConnect *sc = data;
  ConnectData *cd = g_new0 (ConnectData, 1);
  SoupMessageHeaders *h;
  guint i;

  cd->peer = sc->peer;
  cd->msg = soup_message_new ("GET", sc->uri);
  h = soup_message_get_request_headers (cd->msg);
  for (i = 0; i + 1 < sc->headers->len; i += 2)
    soup_message_headers_replace (h, sc->headers->pdata[i],
        sc->headers->pdata[i + 1]);
  soup_session_websocket_connect_async (sc->peer->session, cd->msg, NULL,
      NULL, G_PRIORITY_DEFAULT, NULL, connected_cb, cd);
  return G_SOURCE_REMOVE;
}

gboolean
ah_peer_connect (AhPeer * peer, guint port, const gchar * path,
    const AhPeerAuth * auth, guint * status)
{
  StartConnect sc;
  gchar *authority = g_strdup_printf ("127.0.0.1:%u", port);
  gchar *correlation = g_uuid_string_random ();
  const gchar *org = auth && auth->org_id ? auth->org_id : AH_PEER_ORG;

  g_free (peer->session_id);
  peer->session_id = g_strdup (auth && auth->session_id ? auth->session_id :
      NULL);
  if (!peer->session_id)
    peer->session_id = g_uuid_string_random ();

  sc.peer = peer;
  sc.uri = g_strdup_printf ("%s://%s%s", peer->ca_file ? "wss" : "ws",
      authority, path);
  sc.headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (sc.headers, g_strdup ("Audiohook-Organization-Id"));
  g_ptr_array_add (sc.headers, g_strdup (org));
  g_ptr_array_add (sc.headers, g_strdup ("Audiohook-Session-Id"));
  g_ptr_array_add (sc.headers, g_strdup (peer->session_id));
  g_ptr_array_add (sc.headers, g_strdup ("Audiohook-Correlation-Id"));
  g_ptr_array_add (sc.headers, g_strdup (correlation));
  if (auth && auth->api_key) {
    g_ptr_array_add (sc.headers, g_strdup ("X-API-KEY"));
    g_ptr_array_add (sc.headers, g_strdup (auth->api_key));
  }
  if (auth && auth->api_key && auth->client_secret) {
    AhHeader hdrs[4] = {
      {"audiohook-organization-id", org},
      {"audiohook-session-id", peer->session_id},
      {"audiohook-correlation-id", correlation},
      {"x-api-key", auth->api_key},
    };
    AhRequest req = { path, authority, hdrs, 4 };
    gchar *nonce = auth->nonce ? g_strdup (auth->nonce) :
        ah_signature_new_nonce ();
    gint64 created = auth->created ? auth->created :
        g_get_real_time () / G_USEC_PER_SEC;
    gchar *sig_input = NULL, *sig = NULL;
    if (ah_signature_sign (&req, auth->api_key, auth->client_secret, nonce,
            created, auth->expires ? auth->expires : created + 10, &sig_input,
            &sig, NULL)) {
      g_ptr_array_add (sc.headers, g_strdup ("Signature-Input"));
      if (auth->signature_input) {
        g_free (sig_input);
        sig_input = g_strdup (auth->signature_input);
      }
      g_ptr_array_add (sc.headers, sig_input);
      g_ptr_array_add (sc.headers, g_strdup ("Signature"));
      g_ptr_array_add (sc.headers, sig);
    }
    g_free (nonce);
  }

  g_mutex_lock (&peer->lock);
  peer->connect_done = FALSE;
  peer->closed = FALSE;
  peer->close_code = 0;
  peer->seq = 0;
  peer->serverseq = 0;
  g_mutex_unlock (&peer->lock);

  g_main_context_invoke (peer->context, start_connect_cb, &sc);
  g_mutex_lock (&peer->lock);
  while (!peer->connect_done)
    g_cond_wait (&peer->cond, &peer->lock);
  if (status)
    *status = peer->status;
  g_mutex_unlock (&peer->lock);

  g_free (sc.uri);
  g_ptr_array_unref (sc.headers);
  g_free (authority);
  g_free (correlation);
  return peer->status == 101;
}

const gchar *
ah_peer_session_id (AhPeer * peer)
{
  return peer->session_id;
}

typedef struct
{
  AhPeer *peer;
  gboolean binary;
  gchar *text;
  GBytes *bytes;
} SendData;

static gboolean
send_cb (gpointer data)
{
  SendData *sd = data;
  SoupWebsocketConnection *ws = sd->peer->ws;

  if (ws && soup_websocket_connection_get_state (ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    if (sd->binary)
      soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_BINARY,
          sd->bytes);
    else
      soup_websocket_connection_send_text (ws, sd->text);
  }
  return G_SOURCE_REMOVE;
}

static void
send_data_free (gpointer data)
{
  SendData *sd = data;

  g_free (sd->text);
  if (sd->bytes)
    g_bytes_unref (sd->bytes);
  g_free (sd);
}

void
ah_peer_send_text (AhPeer * peer, const gchar * text)
{
  SendData *sd = g_new0 (SendData, 1);

  sd->peer = peer;
  sd->text = g_strdup (text);
  g_main_context_invoke_full (peer->context, G_PRIORITY_DEFAULT, send_cb, sd,
      send_data_free);
}

void
ah_peer_send_binary (AhPeer * peer, gconstpointer data, gsize size)
{
  SendData *sd = g_new0 (SendData, 1);

  sd->peer = peer;
  sd->binary = TRUE;
  sd->bytes = g_bytes_new (data, size);
  g_main_context_invoke_full (peer->context, G_PRIORITY_DEFAULT, send_cb, sd,
      send_data_free);
}

gint64
ah_peer_send (AhPeer * peer, const gchar * type, const gchar * position,
    const gchar * params)
{
  gchar *text;
  gint64 seq, serverseq;

  g_mutex_lock (&peer->lock);
  seq = ++peer->seq;
  serverseq = peer->serverseq;
  g_mutex_unlock (&peer->lock);
  text = g_strdup_printf ("{\"version\":\"2\",\"id\":\"%s\",\"type\":\"%s\","
      "\"seq\":%" G_GINT64_FORMAT ",\"serverseq\":%" G_GINT64_FORMAT
      ",\"position\":\"%s\",\"parameters\":%s}", peer->session_id, type, seq,
      serverseq, position, params ? params : "{}");
  ah_peer_send_text (peer, text);
  g_free (text);
  return seq;
}

AhPeerFrame *
ah_peer_next (AhPeer * peer, guint timeout_ms)
{
  return g_async_queue_timeout_pop (peer->frames, (guint64) timeout_ms * 1000);
}

AhPeerFrame *
ah_peer_expect (AhPeer * peer, const gchar * type, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (TRUE) {
    gint64 left = end - g_get_monotonic_time ();
    AhPeerFrame *frame;
    if (left <= 0)
      return NULL;
    frame = g_async_queue_timeout_pop (peer->frames, left);
    if (!frame)
      return NULL;
    if (g_strcmp0 (ah_peer_type (frame), type) == 0)
      return frame;
    ah_peer_frame_free (frame);
  }
}

gushort
ah_peer_wait_closed (AhPeer * peer, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gushort code;

  g_mutex_lock (&peer->lock);
  while (!peer->closed)
    if (!g_cond_wait_until (&peer->cond, &peer->lock, end))
      break;
  code = peer->closed ? peer->close_code : 0;
  g_mutex_unlock (&peer->lock);
  return code;
}

static gboolean
close_cb (gpointer data)
{
  AhPeer *self = data;

  if (self->ws && soup_websocket_connection_get_state (self->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
  return G_SOURCE_REMOVE;
}

void
ah_peer_close (AhPeer * peer)
{
  peer_call (peer, close_cb, peer);
}

void
ah_peer_drop (AhPeer * peer)
{
  peer_call (peer, close_now_cb, peer);
}

guint
ah_peer_free_port (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("127.0.0.1",
      0);
  guint port;

  g_assert_true (g_socket_bind (socket, addr, FALSE, NULL));
  g_object_unref (addr);
  addr = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  g_object_unref (addr);
  g_object_unref (socket);
  return port;
}
