/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* sched_getaffinity(), CPU_COUNT */
#define _GNU_SOURCE
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sched.h>
#include <string.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <json-glib/json-glib.h>
#include "gstgenesysserver.h"
#include "gstgenesysdebug.h"
#include "audiohook/ah-path.h"
#include "gstgenesysguard.h"

GST_GENESYS_DEBUG_CATEGORY ("genesysserver", "Genesys AudioHook shared server");
#define GST_CAT_DEFAULT ensure_debug_category ()

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
  GQueue pending;               /* Pending not done yet; this thread only */
} Shard;

/* A connection accepted and not yet upgraded (see
 * GST_GENESYS_HANDSHAKE_TIMEOUT_MS). Listed in the server's queues until it
 * is upgraded, closed, cut off or pushed out by a newer one; everything
 * else happens on its shard's thread. */
typedef struct
{
  gatomicrefcount ref_count;
  Shard *shard;
  GSocket *socket;
  /* libsoup 3.2 has no socket for a stream it was given: its messages are
   * told apart by the remote address object handed to it */
  GSocketAddress *remote;
  gchar *peer;                  /* the address, an IPv6 /64 */
  gint64 accepted;              /* monotonic */
  /* under the server's pending_lock */
  gboolean listed;
  GList all_link, peer_link;
  /* the shard's thread */
  gboolean on_shard;
  GList shard_link;
  gboolean done;
  GSource *deadline;
} Pending;

struct _GstGenesysServer
{
  grefcount ref_count;          /* under servers_lock */
  gchar *key;                   /* address|port|cert|key in the registry */
  GstGenesysLoop *loop;         /* shard 0's: it also accepts */
  Shard *shards;
  guint n_shards;
  guint next_shard;             /* accepting thread only */
  GTlsCertificate *certificate;
  guint port;

  /* shard 0's thread */
  GSocket *listen_socket;
  GstGenesysPollerWatch *listen_watch;  /* NULL while accepting is paused */
  GstGenesysPollerTimer *resume_timer;
  guint accept_failures;        /* since the last warning */
  gint64 accept_warned;         /* monotonic */

  GMutex pending_lock;
  GQueue pending;               /* Pending, oldest first */
  GHashTable *pending_peers;    /* peer -> GQueue of Pending, oldest first */

  GMutex lock;                  /* listeners, sessions, 404 log */
  gint64 not_found_logged;      /* monotonic µs of the last 404 logged */
  guint not_found_unlogged;     /* 404s since, not logged */
  GMutex auth_lock;             /* the listeners' verifiers (replay caches) */
  GList *listeners;
  GHashTable *sessions;         /* session id -> GstGenesysListener */
};

static GMutex servers_lock;
static GHashTable *servers;     /* key -> GstGenesysServer */
static guint handshake_timeout_ms = GST_GENESYS_HANDSHAKE_TIMEOUT_MS;

#define PENDING_KEY "gst-genesys-pending"
/* At the descriptor limit accepting pauses this long (the connections wait
 * in the listen backlog) and one warning per interval says so. */
#define ACCEPT_PAUSE_MS 100
#define ACCEPT_WARN_INTERVAL (10 * G_USEC_PER_SEC)
/* Connections accepted per wakeup, at most. */
#define ACCEPT_BATCH 64
#define DEFAULT_BACKLOG 4096

typedef struct
{
  GstGenesysServer *server;
  GstGenesysListener *listener;
  gchar *session_id;
  gchar *org_id;
  gchar *connector_id;
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
  g_free (claim->connector_id);
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

/* Requests for no endpoint are said once per NOT_FOUND_LOG_INTERVAL (a
 * scanner must not flood the log), with how many went unsaid. */
#define NOT_FOUND_LOG_INTERVAL (10 * G_USEC_PER_SEC)

static void
not_found_log (GstGenesysServer * self, const gchar * target)
{
  gint64 now = g_get_monotonic_time ();
  guint unlogged = 0;
  gboolean log;

  g_mutex_lock (&self->lock);
  log = self->not_found_logged == 0
      || now - self->not_found_logged >= NOT_FOUND_LOG_INTERVAL;
  if (log) {
    unlogged = self->not_found_unlogged;
    self->not_found_unlogged = 0;
    self->not_found_logged = now;
  } else {
    self->not_found_unlogged++;
  }
  g_mutex_unlock (&self->lock);
  if (log && unlogged)
    GST_WARNING ("no endpoint for path %s on port %u (HTTP 404); %u more "
        "such requests since the last said", target, self->port, unlogged);
  else if (log)
    GST_WARNING ("no endpoint for path %s on port %u (HTTP 404)", target,
        self->port);
}

/* A shard's thread. */
/* The listeners whose path matches @path (the longest match wins), and
 * the connector id the path carries; NULL when none matches. Valid until
 * the handler returns (see listener_registered). */
static GList *
matching_listeners (GstGenesysServer * self, const gchar * path,
    const gchar * query, gchar ** connector_id)
{
  GList *listeners, *l;
  guint best = 0;

  g_mutex_lock (&self->lock);
  listeners = g_list_copy (self->listeners);
  g_mutex_unlock (&self->lock);
  for (l = listeners; l; l = l->next) {
    GstGenesysListener *listener = l->data;
    best = MAX (best, ah_path_match (listener->path, path, query, NULL));
  }
  for (l = listeners; l;) {
    GstGenesysListener *listener = l->data;
    GList *next = l->next;
    if (best == 0 || ah_path_match (listener->path, path, query,
            *connector_id ? NULL : connector_id) != best)
      listeners = g_list_delete_link (listeners, l);
    l = next;
  }
  return listeners;
}

/* No listener has @path: logged (rate-limited) and told to every
 * listener. */
static void
not_found (GstGenesysServer * self, const gchar * path, const gchar * query)
{
  gchar *target = query ? g_strdup_printf ("%s?%s", path, query) :
      g_strdup (path);
  GList *listeners, *l;

  not_found_log (self, target);
  g_mutex_lock (&self->lock);
  listeners = g_list_copy (self->listeners);
  g_mutex_unlock (&self->lock);
  for (l = listeners; l; l = l->next) {
    GstGenesysListener *listener = l->data;
    if (listener->not_found)
      listener->not_found (listener->user_data, target);
  }
  g_list_free (listeners);
  g_free (target);
}

/* Checks the upgrade request's signature and API key with @verifier. */
static gboolean
verify_request (GstGenesysServer * self, AhVerifier * verifier,
    SoupMessageHeaders * headers, GUri * uri, GError ** error)
{
  HeaderCollect hc;
  AhRequest req;
  GArray *arr;
  gchar *target;
  guint i;
  gboolean ok;

  hc.names = g_ptr_array_new ();
  hc.values = g_ptr_array_new ();
  soup_message_headers_foreach (headers, collect_header, &hc);
  arr = g_array_sized_new (FALSE, FALSE, sizeof (AhHeader), hc.names->len);
  for (i = 0; i < hc.names->len; i++) {
    AhHeader h = { hc.names->pdata[i], hc.values->pdata[i] };
    g_array_append_val (arr, h);
  }
  target = g_uri_get_query (uri) ? g_strdup_printf ("%s?%s",
      g_uri_get_path (uri), g_uri_get_query (uri)) :
      g_strdup (g_uri_get_path (uri));
  req.request_target = target;
  req.authority = soup_message_headers_get_one (headers, "Host");
  req.headers = (const AhHeader *) arr->data;
  req.n_headers = arr->len;
  g_mutex_lock (&self->auth_lock);
  ok = ah_verifier_verify (verifier, &req, g_get_real_time () / G_USEC_PER_SEC,
      NULL, error);
  g_mutex_unlock (&self->auth_lock);
  g_free (target);
  g_array_free (arr, TRUE);
  g_ptr_array_free (hc.names, TRUE);
  g_ptr_array_free (hc.values, TRUE);
  return ok;
}

static void upgraded_cb (SoupServerMessage * msg, gpointer data);

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
  gboolean authed = FALSE, busy = FALSE;
  const gchar *session_id;
  GList *listeners, *l;
  const gchar *query_text = g_uri_get_query (uri);
  gchar *connector_id = NULL;

  listeners = matching_listeners (self, path, query_text, &connector_id);
  if (listeners == NULL) {
    not_found (self, path, query_text);
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  /* Not a WebSocket upgrade: libsoup's handshake check answers it. */
  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, NULL)) {
    g_list_free (listeners);
    g_free (connector_id);
    return;
  }

  session_id = soup_message_headers_get_one (headers, "Audiohook-Session-Id");
  if (!session_id || !ah_uuid_is_valid (session_id)) {
    GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "Audiohook-Session-Id header missing or not a UUID");
    GST_INFO ("refusing %s: %s", path, error->message);
    for (l = listeners; l; l = l->next) {
      GstGenesysListener *listener = l->data;
      if (listener->refused) {
        listener->refused (listener->user_data, SOUP_STATUS_BAD_REQUEST, error);
        break;
      }
    }
    g_error_free (error);
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
    g_list_free (listeners);
    g_free (connector_id);
    return;
  }

  for (l = listeners; l && !chosen; l = l->next) {
    GstGenesysListener *listener = l->data;

    if (listener->verifier) {
      GError *error = NULL;
      gboolean ok = verify_request (self, listener->verifier, headers, uri,
          &error);

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
    claim->connector_id = g_steal_pointer (&connector_id);
    g_object_set_data_full (G_OBJECT (msg), "gst-genesys-claim", claim,
        claim_free);
    /* No extension is offered back: a compressed message would be inflated
     * whole before the size limit applies (a small message on the wire
     * could take gigabytes). Clients that offer permessage-deflate go on
     * without it. */
    if (soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
      g_signal_connect (msg, "wrote-informational", G_CALLBACK (upgraded_cb),
          shard);
  }
  g_clear_error (&auth_error);
  g_free (connector_id);
}

/* The GSocket under @io: libsoup wraps the accepted connection (or its TLS
 * connection) in a SoupIOStream; each wrapper names the stream it wraps. */
static GSocket *
stream_socket (GIOStream * io)
{
  guint depth;

  for (depth = 0; io && depth < 5; depth++) {
    if (G_IS_SOCKET_CONNECTION (io))
      return g_socket_connection_get_socket (G_SOCKET_CONNECTION (io));
    io = gst_genesys_io_stream_base (io);
  }
  return NULL;
}

static Pending *
pending_ref (Pending * p)
{
  g_atomic_ref_count_inc (&p->ref_count);
  return p;
}

static void
pending_unref (gpointer data)
{
  Pending *p = data;

  if (g_atomic_ref_count_dec (&p->ref_count)) {
    g_object_unref (p->socket);
    g_clear_object (&p->remote);
    g_free (p->peer);
    g_free (p);
  }
}

static void
pending_unref_closure (gpointer data, GClosure * closure)
{
  pending_unref (data);
}

/* Under pending_lock. */
static void
pending_unlist (GstGenesysServer * self, Pending * p)
{
  GQueue *peer;

  if (!p->listed)
    return;
  p->listed = FALSE;
  g_queue_unlink (&self->pending, &p->all_link);
  peer = g_hash_table_lookup (self->pending_peers, p->peer);
  g_queue_unlink (peer, &p->peer_link);
  if (g_queue_is_empty (peer))
    g_hash_table_remove (self->pending_peers, p->peer);
}

/* The shard's thread: @p is no longer pending (upgraded, closed, cut
 * off). */
static void
pending_done (Pending * p)
{
  GstGenesysServer *self = p->shard->server;

  if (p->done)
    return;
  p->done = TRUE;
  if (p->deadline) {
    g_source_destroy (p->deadline);
    g_clear_pointer (&p->deadline, g_source_unref);
  }
  g_mutex_lock (&self->pending_lock);
  pending_unlist (self, p);
  g_mutex_unlock (&self->pending_lock);
  if (p->on_shard) {
    p->on_shard = FALSE;
    g_queue_unlink (&p->shard->pending, &p->shard_link);
    if (p->remote)
      g_object_set_data (G_OBJECT (p->remote), PENDING_KEY, NULL);
  }
  /* the shard's reference */
  pending_unref (p);
}

/* The shard's thread: shuts the connection down; libsoup then sees its end
 * and closes it. */
static void
pending_cut (Pending * p)
{
  if (p->done)
    return;
  g_socket_shutdown (p->socket, TRUE, TRUE, NULL);
  pending_done (p);
}

static gboolean
pending_deadline_cb (gpointer data)
{
  Pending *p = data;

  GST_DEBUG ("connection from %s: no WebSocket upgrade within %u ms: "
      "closing it", p->peer, handshake_timeout_ms);
  pending_cut (p);
  return G_SOURCE_REMOVE;
}

/* The shard's thread: the connection has @ms from now. */
static void
pending_arm (Pending * p, guint ms)
{
  if (p->done)
    return;
  if (p->deadline) {
    g_source_destroy (p->deadline);
    g_source_unref (p->deadline);
  }
  p->deadline = gst_genesys_loop_add_timeout (p->shard->loop, ms,
      pending_deadline_cb, p, NULL);
}

static gboolean
pending_evict_cb (gpointer data)
{
  Pending *p = data;

  GST_DEBUG ("connection from %s: too many connections waiting for their "
      "handshake: closing this one, the oldest", p->peer);
  pending_cut (p);
  return G_SOURCE_REMOVE;
}

/* Under pending_lock: makes room by closing @oldest, unless it is young
 * enough to be a real handshake in progress. */
static gboolean
pending_evict (GstGenesysServer * self, Pending * oldest, gint64 now)
{
  if (now - oldest->accepted < GST_GENESYS_PENDING_IDLE_MS * (gint64) 1000)
    return FALSE;
  pending_unlist (self, oldest);
  gst_genesys_loop_invoke (oldest->shard->loop, pending_evict_cb,
      pending_ref (oldest), pending_unref);
  return TRUE;
}

/* What the per-peer cap counts: an address, an IPv6 /64. */
static gchar *
peer_key (GSocketAddress * remote)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff
  };
  GInetAddress *inet;
  const guint8 *b;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("?");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (inet);
  b = g_inet_address_to_bytes (inet);
  if (memcmp (b, v4_mapped, sizeof (v4_mapped)) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0],
      b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

/* The accepting thread: lists a new connection, or returns NULL when it
 * is beyond a cap and nothing older can make room. */
static Pending *
pending_admit (Shard * shard, GSocketConnection * connection,
    GSocketAddress * remote)
{
  GstGenesysServer *self = shard->server;
  Pending *p = g_new0 (Pending, 1);
  GQueue *peer;
  gboolean ok = TRUE;

  g_atomic_ref_count_init (&p->ref_count);
  p->shard = shard;
  p->socket = g_object_ref (g_socket_connection_get_socket (connection));
  p->remote = remote ? g_object_ref (remote) : NULL;
  p->peer = peer_key (remote);
  p->accepted = g_get_monotonic_time ();
  p->all_link.data = p->peer_link.data = p->shard_link.data = p;

  g_mutex_lock (&self->pending_lock);
  peer = g_hash_table_lookup (self->pending_peers, p->peer);
  if (peer && peer->length >= GST_GENESYS_MAX_PENDING_PER_PEER)
    ok = pending_evict (self, g_queue_peek_head (peer), p->accepted);
  if (ok && self->pending.length >= GST_GENESYS_MAX_PENDING)
    ok = pending_evict (self, g_queue_peek_head (&self->pending), p->accepted);
  if (ok) {
    peer = g_hash_table_lookup (self->pending_peers, p->peer);
    if (!peer) {
      peer = g_queue_new ();
      g_hash_table_insert (self->pending_peers, g_strdup (p->peer), peer);
    }
    g_queue_push_tail_link (peer, &p->peer_link);
    g_queue_push_tail_link (&self->pending, &p->all_link);
    p->listed = TRUE;
  }
  g_mutex_unlock (&self->pending_lock);
  if (!ok) {
    GST_DEBUG ("connection from %s: too many connections waiting for their "
        "handshake: closing this one, the newest", p->peer);
    pending_unref (p);
    return NULL;
  }
  /* and one for the shard, dropped once done */
  return pending_ref (p);
}

/* The shard's thread, before libsoup sees the connection. */
static void
pending_start (Pending * p)
{
  gint64 waited = (g_get_monotonic_time () - p->accepted) / 1000;

  if (p->done)
    return;
  p->on_shard = TRUE;
  g_queue_push_tail_link (&p->shard->pending, &p->shard_link);
  if (p->remote)
    g_object_set_data (G_OBJECT (p->remote), PENDING_KEY, p);
  pending_arm (p, handshake_timeout_ms > waited ?
      handshake_timeout_ms - waited : 0);
}

static Pending *
pending_of (SoupServerMessage * msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote ? g_object_get_data (G_OBJECT (remote), PENDING_KEY) : NULL;
}

static void
pending_disconnected_cb (SoupServerMessage * msg, gpointer data)
{
  pending_done (data);
}

/* A shard's thread: each request of a connection, from its first. */
static void
request_started_cb (SoupServer * soup, SoupServerMessage * msg, gpointer data)
{
  Pending *p = pending_of (msg);

  if (p)
    g_signal_connect_data (msg, "disconnected",
        G_CALLBACK (pending_disconnected_cb), pending_ref (p),
        pending_unref_closure, 0);
}

/* A shard's thread: answered; a kept-alive connection has the same time
 * again for its next request. */
static void
request_finished_cb (SoupServer * soup, SoupServerMessage * msg, gpointer data)
{
  Pending *p = pending_of (msg);

  if (p)
    pending_arm (p, handshake_timeout_ms);
}

/* got-headers, before libsoup reads a body. Nothing served here takes a
 * request body (an upgrade has none), so one is refused unread: 413 and
 * the connection closed. */
static void
early_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  static const gchar answer[] = "HTTP/1.1 413 Content Too Large\r\n"
      "Connection: close\r\nContent-Length: 0\r\n\r\n";
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  GOutputStream *out;
  GIOStream *stream;
  GSocket *socket;
  Pending *p;

  if (encoding == SOUP_ENCODING_NONE
      || (encoding == SOUP_ENCODING_CONTENT_LENGTH
          && soup_message_headers_get_content_length (headers) == 0))
    return;
  GST_DEBUG ("refusing %s %s: it has a body", soup_server_message_get_method
      (msg), path);
  stream = soup_server_message_steal_connection (msg);
  if (!stream)
    return;
  out = g_io_stream_get_output_stream (stream);
  if (G_IS_POLLABLE_OUTPUT_STREAM (out)
      && g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (out)))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM
        (out), answer, sizeof (answer) - 1, NULL, NULL);
  if ((p = pending_of (msg)))
    pending_done (p);
  socket = stream_socket (stream);
  /* the answer, then the end (also of a TLS close that cannot be sent) */
  if (socket)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  g_io_stream_close (stream, NULL, NULL);
  g_object_unref (stream);
}

/* The 101 went out: the connection is ours from here, framed by
 * gstgenesyswebsocket on the shard's poller. */
static void
upgraded_cb (SoupServerMessage * msg, gpointer data)
{
  Shard *shard = data;
  GstGenesysServer *self = shard->server;
  Claim *claim = g_object_get_data (G_OBJECT (msg), "gst-genesys-claim");
  AhSession *session;
  GstGenesysConn *conn;
  GstGenesysGuard *guard;
  GstGenesysWs *ws;
  GIOStream *stream;
  GSocket *socket;
  Pending *p;

  /* upgraded: no longer waiting for its handshake */
  if ((p = pending_of (msg)))
    pending_done (p);
  stream = soup_server_message_steal_connection (msg);
  socket = stream_socket (stream);
  if (!claim || !listener_registered (self, claim->listener) || !socket) {
    GST_DEBUG ("dropping an upgraded connection: %s", !socket ?
        "no socket under its stream" : "its listener is gone");
    if (socket)
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
    g_io_stream_close (stream, NULL, NULL);
    g_object_unref (stream);
    return;
  }

  ws = gst_genesys_ws_new (shard->loop, stream, socket, AH_WS_ROLE_SERVER,
      claim->listener->max_message_size);
  guard = gst_genesys_guard_find (stream);
  g_object_unref (stream);
  session = ah_session_new (AH_ROLE_SERVER, claim->session_id);
  if (claim->org_id)
    ah_session_set_organization_id (session, claim->org_id);
  conn = gst_genesys_conn_new_framed (shard->loop, ws, session,
      claim->listener->max_message_size);
  gst_genesys_conn_set_connector_id (conn, claim->connector_id);
  gst_genesys_conn_set_guard (conn, guard);
  claim->taken = TRUE;
  GST_DEBUG ("session %s accepted on %s", claim->session_id,
      g_uri_get_path (soup_server_message_get_uri (msg)));
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
  Pending *pending;
} Accept;

static void
accept_free (gpointer data)
{
  Accept *a = data;

  if (a->pending)
    pending_unref (a->pending);
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

  pending_start (a->pending);
  if (a->pending->done || !a->shard->soup) {
    /* pushed out already, or the server is going */
    pending_done (a->pending);
    g_io_stream_close (a->stream, NULL, NULL);
  } else if (!soup_server_accept_iostream (a->shard->soup, a->stream,
          a->local, a->remote, &error)) {
    GST_WARNING ("could not accept a connection: %s", error->message);
    g_clear_error (&error);
    pending_done (a->pending);
  }
  return G_SOURCE_REMOVE;
}

/* Connections are accepted here and handed to libsoup as streams: libsoup
 * 3.2's own listener leaks every accepted GSocket. Each goes to the next
 * shard in turn. */
static void
incoming_cb (GstGenesysServer * self, GSocketConnection * connection)
{
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
  /* watches the client's frames once upgraded (message size across
   * fragments, pongs owed): gstgenesysguard.h */
  a->stream = G_IO_STREAM (gst_genesys_guard_new (stream,
          GST_GENESYS_GUARD_DEFAULT_MAX));
  g_object_unref (stream);
  a->local = g_steal_pointer (&local);
  a->remote = g_steal_pointer (&remote);
  a->pending = pending_admit (a->shard, connection, a->remote);
  if (!a->pending) {
    g_socket_close (g_socket_connection_get_socket (connection), NULL);
    accept_free (a);
  } else if (a->shard->loop == self->loop) {
    accept_cb (a);
    accept_free (a);
  } else {
    gst_genesys_loop_invoke (a->shard->loop, accept_cb, a, accept_free);
  }
done:
  g_clear_object (&local);
  g_clear_object (&remote);
}

static void accept_pause (GstGenesysServer * self, const GError * error);

/* Shard 0's thread, on its poller (so that its context polls nothing but
 * the poller and its wakeup): a burst at a time, then the other
 * descriptors' turn. */
static void
listen_ready_cb (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  GstGenesysServer *self = data;
  guint i;

  for (i = 0; i < ACCEPT_BATCH; i++) {
    GError *error = NULL;
    GSocket *socket = g_socket_accept (self->listen_socket, NULL, &error);
    GSocketConnection *connection;

    if (!socket) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free (error);
        break;
      }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
        accept_pause (self, error);
        g_error_free (error);
        return;
      }
      /* that connection's own failure (reset before its accept) */
      GST_DEBUG ("accept: %s", error->message);
      g_error_free (error);
      continue;
    }
    connection = g_socket_connection_factory_create_connection (socket);
    g_object_unref (socket);
    incoming_cb (self, connection);
    g_object_unref (connection);
  }
}

static void
accept_resume (GstGenesysServer * self)
{
  self->listen_watch =
      gst_genesys_poller_watch (gst_genesys_loop_get_poller (self->loop),
      g_socket_get_fd (self->listen_socket), G_IO_IN, listen_ready_cb, self);
  g_warn_if_fail (self->listen_watch != NULL);
}

static void
accept_resume_cb (GstGenesysPollerTimer * timer, gpointer data)
{
  accept_resume (data);
}

/* Out of descriptors (or memory): what waits in the backlog waits a
 * little, and the operator hears of it once per interval, not per try. */
static void
accept_pause (GstGenesysServer * self, const GError * error)
{
  gint64 now = g_get_monotonic_time ();

  gst_genesys_poller_watch_remove (self->listen_watch);
  self->listen_watch = NULL;
  if (!self->resume_timer)
    self->resume_timer =
        gst_genesys_poller_timer_new (gst_genesys_loop_get_poller (self->loop),
        accept_resume_cb, self);
  gst_genesys_poller_timer_set (self->resume_timer,
      now + ACCEPT_PAUSE_MS * G_TIME_SPAN_MILLISECOND);
  self->accept_failures++;
  if (self->accept_warned && now - self->accept_warned < ACCEPT_WARN_INTERVAL)
    return;
  GST_WARNING ("cannot accept connections on port %u: %s (%u time(s) since "
      "the last such warning); they wait in the listen backlog. Raise the "
      "limit on open files (ulimit -n) or lower the load", self->port,
      error->message, self->accept_failures);
  self->accept_failures = 0;
  self->accept_warned = now;
}

/* The kernel caps a listen backlog at net.core.somaxconn: ask for all of
 * it, so that a burst of connections waits there instead of being
 * dropped. */
static gint
listen_backlog (void)
{
  gchar *text = NULL;
  gint64 value = 0;

  if (g_file_get_contents ("/proc/sys/net/core/somaxconn", &text, NULL, NULL))
    value = g_ascii_strtoll (text, NULL, 10);
  g_free (text);
  return value > 0 ? (gint) MIN (value, G_MAXINT) : DEFAULT_BACKLOG;
}

static gboolean
shard_create_cb (gpointer data)
{
  Shard *shard = data;

  shard->soup = g_object_new (SOUP_TYPE_SERVER, "server-header",
      "gst-genesys/" VERSION " ", NULL);
  soup_server_add_early_handler (shard->soup, NULL, early_cb, shard, NULL);
  soup_server_add_handler (shard->soup, NULL, server_cb, shard, NULL);
  g_signal_connect (shard->soup, "request-started",
      G_CALLBACK (request_started_cb), shard);
  g_signal_connect (shard->soup, "request-finished",
      G_CALLBACK (request_finished_cb), shard);
  g_signal_connect (shard->soup, "request-aborted",
      G_CALLBACK (request_finished_cb), shard);
  return G_SOURCE_REMOVE;
}

static gboolean
shard_destroy_cb (gpointer data)
{
  Shard *shard = data;

  Pending *p;

  if (shard->soup) {
    soup_server_disconnect (shard->soup);
    g_clear_object (&shard->soup);
  }
  while ((p = g_queue_peek_head (&shard->pending)))
    pending_done (p);
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

  /* An accept loop of our own: GSocketService retries at once, and warns,
   * on every failure at the descriptor limit. */
  self->listen_socket = g_socket_new (g_socket_address_get_family (addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &cd->error);
  if (self->listen_socket) {
    g_socket_set_blocking (self->listen_socket, FALSE);
    g_socket_set_listen_backlog (self->listen_socket, listen_backlog ());
    if (g_socket_bind (self->listen_socket, addr, TRUE, &cd->error)
        && g_socket_listen (self->listen_socket, &cd->error)
        && (bound = g_socket_get_local_address (self->listen_socket,
                &cd->error))) {
      self->port =
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_object_unref (bound);
      accept_resume (self);
    } else {
      g_clear_object (&self->listen_socket);
    }
  }
  g_object_unref (addr);
  return G_SOURCE_REMOVE;
}

static gboolean
destroy_cb (gpointer data)
{
  GstGenesysServer *self = data;

  if (self->listen_watch) {
    gst_genesys_poller_watch_remove (self->listen_watch);
    self->listen_watch = NULL;
  }
  g_clear_pointer (&self->resume_timer, gst_genesys_poller_timer_free);
  if (self->listen_socket) {
    g_socket_close (self->listen_socket, NULL);
    g_clear_object (&self->listen_socket);
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
  g_mutex_clear (&self->pending_lock);
  g_hash_table_unref (self->pending_peers);
  g_hash_table_unref (self->sessions);
  g_free (self->key);
  g_free (self);
}

guint
gst_genesys_server_default_threads (void)
{
  cpu_set_t set;
  guint n = 0;

  /* the processors this process may run on (taskset, cgroup cpusets):
   * GLib 2.74 counts every online one */
  CPU_ZERO (&set);
  if (sched_getaffinity (0, sizeof (set), &set) == 0)
    n = CPU_COUNT (&set);
  if (n == 0)
    n = g_get_num_processors ();
  return CLAMP (n, 1, 8);
}

GstGenesysServer *
gst_genesys_server_acquire (const gchar * address, guint port,
    const gchar * cert_file, const gchar * key_file, guint threads,
    GError ** error)
{
  GstGenesysServer *self = NULL;
  gchar *key = NULL;
  CreateData cd = { NULL, address, port, cert_file, key_file, NULL };
  static gsize env_read = 0;
  guint i;

  if (g_once_init_enter (&env_read)) {
    const gchar *timeout = g_getenv ("GST_GENESYS_HANDSHAKE_TIMEOUT_MS");

    if (timeout && g_ascii_strtoull (timeout, NULL, 10) > 0)
      handshake_timeout_ms = MIN (g_ascii_strtoull (timeout, NULL, 10),
          G_MAXUINT);
    g_once_init_leave (&env_read, 1);
  }

  g_mutex_lock (&servers_lock);
  if (!servers)
    servers = g_hash_table_new (g_str_hash, g_str_equal);
  if (port != 0) {
    key = g_strdup_printf ("%s|%u|%s|%s", address, port,
        cert_file ? cert_file : "", key_file ? key_file : "");
    self = g_hash_table_lookup (servers, key);
    if (self) {
      g_ref_count_inc (&self->ref_count);
      g_mutex_unlock (&servers_lock);
      g_free (key);
      return self;
    }
  }

  self = g_new0 (GstGenesysServer, 1);
  g_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->auth_lock);
  g_mutex_init (&self->pending_lock);
  g_queue_init (&self->pending);
  self->pending_peers = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) g_queue_free);
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
  g_ref_count_inc (&server->ref_count);
  g_mutex_unlock (&servers_lock);
  return server;
}

void
gst_genesys_server_release (GstGenesysServer * server)
{
  g_mutex_lock (&servers_lock);
  if (!g_ref_count_dec (&server->ref_count)) {
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
gst_genesys_server_replace_keys (GstGenesysServer * server,
    AhVerifier * verifier, AhVerifier * from)
{
  /* the listeners' checks read keys under lock, upgrades under auth_lock */
  g_mutex_lock (&server->lock);
  g_mutex_lock (&server->auth_lock);
  ah_verifier_take_keys (verifier, from);
  g_mutex_unlock (&server->auth_lock);
  g_mutex_unlock (&server->lock);
}

gboolean
gst_genesys_server_check_listener (GstGenesysServer * server,
    const gchar * path, const AhVerifier * verifier, GError ** error)
{
  GList *l;
  gboolean ok = TRUE;

  g_mutex_lock (&server->lock);
  for (l = server->listeners; l && ok; l = l->next) {
    GstGenesysListener *other = l->data;
    ok = g_strcmp0 (other->path, path) != 0
        || ah_verifier_same_keys (other->verifier, verifier);
  }
  g_mutex_unlock (&server->lock);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "port %u path %s is already served with other credentials (API "
        "keys, secrets or authority): a session could go to either",
        server->port, path);
  return ok;
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
