/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <json-glib/json-glib.h>
#include "gstgenesysserver.h"

GST_DEBUG_CATEGORY_STATIC (genesysserver_debug);
#define GST_CAT_DEFAULT genesysserver_debug

/* A loop thread with a SoupServer of its own. Every connection lives on
 * one shard from its accept to its end: a GMainContext walks all of its
 * sources and poll records on each wakeup (and libsoup re-attaches a
 * WebSocket's input source after every read), so the work per message
 * grows with the connections of a context; shards divide it. */
typedef struct
{
  GstGenesysServer *server;
  GstGenesysLoop *loop;
  SoupServer *soup;
} Shard;

struct _GstGenesysServer
{
  gint ref_count;               /* under servers_lock */
  gchar *key;                   /* address|port|cert|key in the registry */
  GstGenesysLoop *loop;         /* shard 0's: it also accepts */
  Shard *shards;
  guint n_shards;
  guint next_shard;             /* accepting thread only */
  GSocketService *service;
  GTlsCertificate *certificate;
  guint port;

  GMutex lock;                  /* listeners, sessions */
  GMutex auth_lock;             /* the listeners' verifiers (replay caches) */
  GList *listeners;
  GHashTable *sessions;         /* session id -> GstGenesysListener */
};

static GMutex servers_lock;
static GHashTable *servers;     /* key -> GstGenesysServer */

typedef struct
{
  GstGenesysServer *server;
  GstGenesysListener *listener;
  gchar *session_id;
  gchar *org_id;
  gboolean taken;
} Claim;

/* A listener found registered stays valid until the current dispatch of
 * the shard returns: gst_genesys_server_remove_listener() waits for
 * every shard. */
static gboolean
listener_registered (GstGenesysServer * self, GstGenesysListener * listener)
{
  gboolean found;

  g_mutex_lock (&self->lock);
  found = g_list_find (self->listeners, listener) != NULL;
  g_mutex_unlock (&self->lock);
  return found;
}

static void
claim_free (gpointer data)
{
  Claim *claim = data;

  if (!claim->taken && listener_registered (claim->server, claim->listener)
      && claim->listener->unclaim)
    claim->listener->unclaim (claim->listener->user_data);
  g_free (claim->session_id);
  g_free (claim->org_id);
  g_free (claim);
}

typedef struct
{
  GPtrArray *names;
  GPtrArray *values;
} HeaderCollect;

static void
collect_header (const char *name, const char *value, gpointer data)
{
  HeaderCollect *hc = data;

  g_ptr_array_add (hc->names, (gpointer) name);
  g_ptr_array_add (hc->values, (gpointer) value);
}

static gboolean
unpause_cb (gpointer data)
{
  SoupServerMessage *msg = data;

  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* Answers @status after the failure delay (timing side channel). */
static void
refuse_later (Shard * shard, SoupServerMessage * msg, guint status,
    const gchar * reason)
{
  GSource *source;

  soup_server_message_set_status (msg, status, reason);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
  soup_server_message_pause (msg);
  source = gst_genesys_loop_add_timeout (shard->loop,
      GST_GENESYS_AUTH_FAILURE_DELAY_MS, unpause_cb, g_object_ref (msg),
      g_object_unref);
  g_source_unref (source);
}

/* A shard's thread. */
static void
server_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Shard *shard = data;
  GstGenesysServer *self = shard->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  GstGenesysListener *chosen = NULL;
  GError *auth_error = NULL;
  gboolean any_path = FALSE, authed = FALSE, busy = FALSE;
  const gchar *session_id;
  GList *listeners, *l;

  /* valid until this returns (see listener_registered) */
  g_mutex_lock (&self->lock);
  listeners = g_list_copy (self->listeners);
  g_mutex_unlock (&self->lock);
  for (l = listeners; l; l = l->next) {
    GstGenesysListener *listener = l->data;
    if (g_strcmp0 (listener->path, path) == 0)
      any_path = TRUE;
  }
  if (!any_path) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    g_list_free (listeners);
    return;
  }
  /* Not a WebSocket upgrade: libsoup's handshake check answers it. */
  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, NULL)) {
    g_list_free (listeners);
    return;
  }

  session_id = soup_message_headers_get_one (headers, "Audiohook-Session-Id");
  if (!session_id || !ah_uuid_is_valid (session_id)) {
    GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Audiohook-Session-Id header missing or not a UUID");
    GST_INFO ("refusing %s: %s", path, error->message);
    for (l = listeners; l; l = l->next) {
      GstGenesysListener *listener = l->data;
      if (g_strcmp0 (listener->path, path) == 0 && listener->refused) {
        listener->refused (listener->user_data, SOUP_STATUS_BAD_REQUEST, error);
        break;
      }
    }
    g_error_free (error);
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
    g_list_free (listeners);
    return;
  }

  for (l = listeners; l && !chosen; l = l->next) {
    GstGenesysListener *listener = l->data;

    if (g_strcmp0 (listener->path, path) != 0)
      continue;
    if (listener->verifier) {
      HeaderCollect hc;
      AhRequest req;
      GArray *arr;
      gchar *target;
      guint i;
      gboolean ok;
      GError *error = NULL;

      hc.names = g_ptr_array_new ();
      hc.values = g_ptr_array_new ();
      soup_message_headers_foreach (headers, collect_header, &hc);
      arr = g_array_sized_new (FALSE, FALSE, sizeof (AhHeader), hc.names->len);
      for (i = 0; i < hc.names->len; i++) {
        AhHeader h = { hc.names->pdata[i], hc.values->pdata[i] };
        g_array_append_val (arr, h);
      }
      target = g_uri_get_query (uri) ?
          g_strdup_printf ("%s?%s", g_uri_get_path (uri),
          g_uri_get_query (uri)) : g_strdup (g_uri_get_path (uri));
      req.request_target = target;
      req.authority = soup_message_headers_get_one (headers, "Host");
      req.headers = (const AhHeader *) arr->data;
      req.n_headers = arr->len;
      g_mutex_lock (&self->auth_lock);
      ok = ah_verifier_verify (listener->verifier, &req,
          g_get_real_time () / G_USEC_PER_SEC, NULL, &error);
      g_mutex_unlock (&self->auth_lock);
      g_free (target);
      g_array_free (arr, TRUE);
      g_ptr_array_free (hc.names, TRUE);
      g_ptr_array_free (hc.values, TRUE);
      if (!ok && g_error_matches (error, AH_SIGNATURE_ERROR,
              AH_SIGNATURE_ERROR_CACHE_FULL)) {
        /* a valid request that cannot be remembered: busy, not forged */
        GST_WARNING ("session %s: %s", session_id, error->message);
        if (listener->refused)
          listener->refused (listener->user_data,
              SOUP_STATUS_SERVICE_UNAVAILABLE, error);
        g_error_free (error);
        busy = TRUE;
        continue;
      }
      if (!ok) {
        GST_INFO ("session %s: authentication failed: %s", session_id,
            error->message);
        if (listener->refused)
          listener->refused (listener->user_data, SOUP_STATUS_UNAUTHORIZED,
              error);
        if (!auth_error)
          auth_error = error;
        else
          g_error_free (error);
        continue;
      }
    }
    authed = TRUE;
    if (listener->claim (listener->user_data))
      chosen = listener;
  }
  g_list_free (listeners);

  if (!chosen) {
    if (authed || busy) {
      GST_INFO ("session %s: no idle element on %s", session_id, path);
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
          NULL);
    } else {
      refuse_later (shard, msg, SOUP_STATUS_UNAUTHORIZED, NULL);
    }
  } else {
    Claim *claim = g_new0 (Claim, 1);
    claim->server = self;
    claim->listener = chosen;
    claim->session_id = g_strdup (session_id);
    claim->org_id = g_strdup (soup_message_headers_get_one (headers,
            "Audiohook-Organization-Id"));
    g_object_set_data_full (G_OBJECT (msg), "gst-genesys-claim", claim,
        claim_free);
  }
  g_clear_error (&auth_error);
}

/* The GSocket under @io: libsoup wraps the accepted connection (or its TLS
 * connection) in a SoupIOStream; each wrapper names the stream it wraps. */
static GSocket *
stream_socket (GIOStream * io)
{
  guint depth;

  for (depth = 0; io && depth < 4; depth++) {
    GObjectClass *klass = G_OBJECT_GET_CLASS (io);
    const gchar *prop;
    GIOStream *base = NULL;

    if (G_IS_SOCKET_CONNECTION (io))
      return g_socket_connection_get_socket (G_SOCKET_CONNECTION (io));
    if (g_object_class_find_property (klass, "base-iostream"))
      prop = "base-iostream";   /* SoupIOStream */
    else if (g_object_class_find_property (klass, "base-io-stream"))
      prop = "base-io-stream";  /* GTlsConnection */
    else
      return NULL;
    g_object_get (io, prop, &base, NULL);
    /* the wrapper holds it */
    if (base)
      g_object_unref (base);
    io = base;
  }
  return NULL;
}

static void
websocket_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer data)
{
  Shard *shard = data;
  GstGenesysServer *self = shard->server;
  Claim *claim = g_object_get_data (G_OBJECT (msg), "gst-genesys-claim");
  AhSession *session;
  GstGenesysConn *conn;
  GSocket *socket;

  if (!claim || !listener_registered (self, claim->listener)) {
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    return;
  }

  session = ah_session_new (AH_ROLE_SERVER, claim->session_id);
  if (claim->org_id)
    ah_session_set_organization_id (session, claim->org_id);
  conn = gst_genesys_conn_new (shard->loop, ws, session,
      claim->listener->max_message_size);
  socket = stream_socket (soup_websocket_connection_get_io_stream (ws));
  if (!socket)
    GST_DEBUG ("session %s: no socket under the WebSocket's stream",
        claim->session_id);
  gst_genesys_conn_set_socket (conn, socket);
  claim->taken = TRUE;
  GST_DEBUG ("session %s accepted on %s", claim->session_id, path);
  claim->listener->accepted (claim->listener->user_data, conn);
}

typedef struct
{
  GstGenesysServer *server;
  const gchar *address;
  guint port;
  const gchar *cert_file;
  const gchar *key_file;
  GError *error;
} CreateData;

typedef struct
{
  Shard *shard;
  GIOStream *stream;
  GSocketAddress *local;
  GSocketAddress *remote;
} Accept;

static void
accept_free (gpointer data)
{
  Accept *a = data;

  g_object_unref (a->stream);
  g_clear_object (&a->local);
  g_clear_object (&a->remote);
  g_free (a);
}

/* On the shard's thread: its sources attach to that thread's context. */
static gboolean
accept_cb (gpointer data)
{
  Accept *a = data;
  GError *error = NULL;

  if (a->shard->soup && !soup_server_accept_iostream (a->shard->soup,
          a->stream, a->local, a->remote, &error)) {
    GST_WARNING ("could not accept a connection: %s", error->message);
    g_clear_error (&error);
  }
  return G_SOURCE_REMOVE;
}

/* Connections are accepted here and handed to libsoup as streams: libsoup
 * 3.2's own listener leaks every accepted GSocket. Each goes to the next
 * shard in turn. */
static gboolean
incoming_cb (GSocketService * service, GSocketConnection * connection,
    GObject * source, gpointer data)
{
  GstGenesysServer *self = data;
  GIOStream *stream = G_IO_STREAM (connection);
  GSocketAddress *local, *remote;
  GError *error = NULL;
  Accept *a;

  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  /* Small frames (pongs, bot audio) go out at once, not after the peer's
   * delayed ACK (40 ms on Linux). */
  g_socket_set_option (g_socket_connection_get_socket (connection),
      IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  if (self->certificate) {
    stream = g_tls_server_connection_new (stream, self->certificate, &error);
    if (!stream) {
      GST_WARNING ("TLS setup failed: %s", error->message);
      g_clear_error (&error);
      goto done;
    }
  } else {
    g_object_ref (stream);
  }
  a = g_new0 (Accept, 1);
  a->shard = &self->shards[self->next_shard];
  self->next_shard = (self->next_shard + 1) % self->n_shards;
  a->stream = stream;
  a->local = g_steal_pointer (&local);
  a->remote = g_steal_pointer (&remote);
  if (a->shard->loop == self->loop) {
    accept_cb (a);
    accept_free (a);
  } else {
    gst_genesys_loop_invoke (a->shard->loop, accept_cb, a, accept_free);
  }
done:
  g_clear_object (&local);
  g_clear_object (&remote);
  return TRUE;
}

static gboolean
shard_create_cb (gpointer data)
{
  Shard *shard = data;

  shard->soup = g_object_new (SOUP_TYPE_SERVER, "server-header",
      "gst-genesys/" VERSION " ", NULL);
  soup_server_add_handler (shard->soup, NULL, server_cb, shard, NULL);
  soup_server_add_websocket_handler (shard->soup, NULL, NULL, NULL,
      websocket_cb, shard, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
shard_destroy_cb (gpointer data)
{
  Shard *shard = data;

  if (shard->soup) {
    soup_server_disconnect (shard->soup);
    g_clear_object (&shard->soup);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
nothing_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gboolean
create_cb (gpointer data)
{
  CreateData *cd = data;
  GstGenesysServer *self = cd->server;
  GSocketAddress *addr, *bound = NULL;
  GInetAddress *inet;

  if (cd->cert_file && cd->key_file) {
    self->certificate = g_tls_certificate_new_from_files (cd->cert_file,
        cd->key_file, &cd->error);
    if (!self->certificate)
      return G_SOURCE_REMOVE;
  }
  inet = g_inet_address_new_from_string (cd->address);
  if (!inet) {
    g_set_error (&cd->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "'%s' is not an IP address", cd->address);
    return G_SOURCE_REMOVE;
  }
  addr = g_inet_socket_address_new (inet, cd->port);
  g_object_unref (inet);

  /* The service attaches to the thread-default context: this loop's. */
  self->service = g_socket_service_new ();
  if (g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
          &cd->error)) {
    self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_object_unref (bound);
    g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb),
        self);
    g_socket_service_start (self->service);
  }
  g_object_unref (addr);
  return G_SOURCE_REMOVE;
}

static gboolean
destroy_cb (gpointer data)
{
  GstGenesysServer *self = data;

  if (self->service) {
    g_socket_service_stop (self->service);
    g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    g_clear_object (&self->service);
  }
  g_clear_object (&self->certificate);
  return G_SOURCE_REMOVE;
}

static void
server_free (GstGenesysServer * self)
{
  guint i;

  /* no accept after this; then the connections on every shard end */
  gst_genesys_loop_invoke_sync (self->loop, destroy_cb, self);
  for (i = 0; i < self->n_shards; i++) {
    gst_genesys_loop_invoke_sync (self->shards[i].loop, shard_destroy_cb,
        &self->shards[i]);
  }
  for (i = 0; i < self->n_shards; i++)
    gst_genesys_loop_unref (self->shards[i].loop);
  g_free (self->shards);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->auth_lock);
  g_hash_table_unref (self->sessions);
  g_free (self->key);
  g_free (self);
}

guint
gst_genesys_server_default_threads (void)
{
  return CLAMP (g_get_num_processors (), 4, 8);
}

GstGenesysServer *
gst_genesys_server_acquire (const gchar * address, guint port,
    const gchar * cert_file, const gchar * key_file, guint threads,
    GError ** error)
{
  GstGenesysServer *self = NULL;
  gchar *key = NULL;
  CreateData cd = { NULL, address, port, cert_file, key_file, NULL };
  static gsize debug_init = 0;
  guint i;

  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (genesysserver_debug, "genesysserver", 0,
        "Genesys AudioHook shared server");
    g_once_init_leave (&debug_init, 1);
  }

  g_mutex_lock (&servers_lock);
  if (!servers)
    servers = g_hash_table_new (g_str_hash, g_str_equal);
  if (port != 0) {
    key = g_strdup_printf ("%s|%u|%s|%s", address, port,
        cert_file ? cert_file : "", key_file ? key_file : "");
    self = g_hash_table_lookup (servers, key);
    if (self) {
      self->ref_count++;
      g_mutex_unlock (&servers_lock);
      g_free (key);
      return self;
    }
  }

  self = g_new0 (GstGenesysServer, 1);
  self->ref_count = 1;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->auth_lock);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  self->n_shards = threads ? threads : gst_genesys_server_default_threads ();
  self->shards = g_new0 (Shard, self->n_shards);
  for (i = 0; i < self->n_shards; i++) {
    Shard *shard = &self->shards[i];
    shard->server = self;
    shard->loop = gst_genesys_loop_new ("genesysserver");
    gst_genesys_loop_invoke_sync (shard->loop, shard_create_cb, shard);
  }
  self->loop = self->shards[0].loop;
  cd.server = self;
  gst_genesys_loop_invoke_sync (self->loop, create_cb, &cd);
  if (cd.error) {
    g_mutex_unlock (&servers_lock);
    g_propagate_error (error, cd.error);
    server_free (self);
    g_free (key);
    return NULL;
  }
  /* A server on an ephemeral port is shared under the port it got. */
  if (!key)
    key = g_strdup_printf ("%s|%u|%s|%s", address, self->port,
        cert_file ? cert_file : "", key_file ? key_file : "");
  self->key = key;
  g_hash_table_insert (servers, key, self);
  g_mutex_unlock (&servers_lock);
  GST_INFO ("listening on %s:%u%s, %u thread(s)", address, self->port,
      cert_file ? " (TLS)" : "", self->n_shards);
  return self;
}

GstGenesysServer *
gst_genesys_server_ref (GstGenesysServer * server)
{
  g_mutex_lock (&servers_lock);
  server->ref_count++;
  g_mutex_unlock (&servers_lock);
  return server;
}

void
gst_genesys_server_release (GstGenesysServer * server)
{
  g_mutex_lock (&servers_lock);
  if (--server->ref_count > 0) {
    g_mutex_unlock (&servers_lock);
    return;
  }
  g_hash_table_remove (servers, server->key);
  g_mutex_unlock (&servers_lock);
  server_free (server);
}

guint
gst_genesys_server_get_port (GstGenesysServer * server)
{
  return server->port;
}

guint
gst_genesys_server_get_threads (GstGenesysServer * server)
{
  return server->n_shards;
}

static gboolean
listener_matches (gpointer key, gpointer value, gpointer listener)
{
  return value == listener;
}

gboolean
gst_genesys_server_is_current (GstGenesysServer * server)
{
  guint i;

  for (i = 0; i < server->n_shards; i++) {
    if (gst_genesys_loop_is_current (server->shards[i].loop))
      return TRUE;
  }
  return FALSE;
}

void
gst_genesys_server_sync (GstGenesysServer * server)
{
  guint i;

  for (i = 0; i < server->n_shards; i++) {
    gst_genesys_loop_invoke_sync (server->shards[i].loop, nothing_cb, NULL);
  }
}

void
gst_genesys_server_remember_session (GstGenesysServer * server,
    const gchar * session_id, GstGenesysListener * listener)
{
  g_return_if_fail (gst_genesys_server_is_current (server));
  g_mutex_lock (&server->lock);
  g_hash_table_replace (server->sessions, g_strdup (session_id), listener);
  g_mutex_unlock (&server->lock);
}

GstGenesysListener *
gst_genesys_server_find_session (GstGenesysServer * server,
    const gchar * session_id)
{
  GstGenesysListener *listener;

  g_return_val_if_fail (gst_genesys_server_is_current (server), NULL);
  g_mutex_lock (&server->lock);
  listener = g_hash_table_lookup (server->sessions, session_id);
  g_mutex_unlock (&server->lock);
  return listener;
}

void
gst_genesys_server_forget_session (GstGenesysServer * server,
    const gchar * session_id)
{
  g_return_if_fail (gst_genesys_server_is_current (server));
  g_mutex_lock (&server->lock);
  g_hash_table_remove (server->sessions, session_id);
  g_mutex_unlock (&server->lock);
}

GList *
gst_genesys_server_get_listeners (GstGenesysServer * server)
{
  GList *copy;

  g_return_val_if_fail (gst_genesys_server_is_current (server), NULL);
  g_mutex_lock (&server->lock);
  copy = g_list_copy (server->listeners);
  g_mutex_unlock (&server->lock);
  return copy;
}

void
gst_genesys_server_add_listener (GstGenesysServer * server,
    GstGenesysListener * listener)
{
  g_mutex_lock (&server->lock);
  server->listeners = g_list_append (server->listeners, listener);
  g_mutex_unlock (&server->lock);
}

void
gst_genesys_server_remove_listener (GstGenesysServer * server,
    GstGenesysListener * listener)
{
  g_mutex_lock (&server->lock);
  server->listeners = g_list_remove (server->listeners, listener);
  g_hash_table_foreach_remove (server->sessions, listener_matches, listener);
  g_mutex_unlock (&server->lock);
  /* a callback that found it registered has returned on every shard */
  gst_genesys_server_sync (server);
}

gboolean
gst_genesys_load_credentials (AhVerifier * verifier, const gchar * file,
    GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  JsonObject *obj;
  GList *members, *l;
  gboolean ok = TRUE;

  if (!json_parser_load_from_file (parser, file, error)) {
    g_object_unref (parser);
    return FALSE;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: expected a JSON object mapping API keys to client secrets", file);
    g_object_unref (parser);
    return FALSE;
  }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (l = members; l && ok; l = l->next) {
    JsonNode *value = json_object_get_member (obj, l->data);
    if (!JSON_NODE_HOLDS_VALUE (value)
        || json_node_get_value_type (value) != G_TYPE_STRING) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s: the secret of API key '%s' is not a string", file,
          (const gchar *) l->data);
      ok = FALSE;
      break;
    }
    ok = ah_verifier_add_key (verifier, l->data,
        json_node_get_string (value), error);
  }
  g_list_free (members);
  g_object_unref (parser);
  return ok;
}
