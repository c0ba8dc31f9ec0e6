/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One listening socket per (address, port, TLS) shared by every element
 * that listens there. Accepted connections are spread over a few loop
 * threads (shards), each with a SoupServer; a connection stays on its
 * shard. Routes by path, checks authentication before the WebSocket
 * upgrade, and hands each accepted session to an idle listener. */

#ifndef __GST_GENESYS_SERVER_H__
#define __GST_GENESYS_SERVER_H__

#include "gstgenesysconn.h"
#include "audiohook/ah-signature.h"

G_BEGIN_DECLS typedef struct _GstGenesysServer GstGenesysServer;

/* What an element registers to receive sessions. The callbacks run on one
 * of the server's loop threads (several may run at once for different
 * connections) and must not block. */
typedef struct
{
  /* matched as a prefix on a segment boundary (ah_path_match(): the rest
   * is the session's connector id); the longest matching path wins */
  gchar *path;
  /* NULL: no authentication. Used only on the loop thread while the
   * listener is registered. */
  AhVerifier *verifier;
  gsize max_message_size;

  /* TRUE when the listener takes a new session now (it becomes busy). */
    gboolean (*claim) (gpointer user_data);
  /* A claimed session did not come to be (bad upgrade). */
  void (*unclaim) (gpointer user_data);
  /* A request was refused: @status (401, 400), @error says why. */
  void (*refused) (gpointer user_data, guint status, const GError * error);
  /* The upgraded session; the callee takes the reference on @conn and
   * must call gst_genesys_conn_start(). @org_id: Audiohook-Organization-Id */
  void (*accepted) (gpointer user_data, GstGenesysConn * conn);
  /* Optional: a request matched no listener's path (HTTP 404);
   * @request_target: its path and query. Every listener hears it. */
  void (*not_found) (gpointer user_data, const gchar * request_target);
  gpointer user_data;
} GstGenesysListener;

/* Finds or creates the server for @address:@port and binds it. Port 0 is
 * never shared. TLS when @cert_file and @key_file are set. @threads: loop
 * threads for a new server, 0 for gst_genesys_server_default_threads(). */
GstGenesysServer *gst_genesys_server_acquire (const gchar * address,
    guint port, const gchar * cert_file, const gchar * key_file,
    guint threads, GError ** error);
/* One per processor the process may run on (its CPU affinity), at most
 * 8: a loop's cost per frame does not grow with its connections, and more
 * loops than processors only add context switches. */
guint gst_genesys_server_default_threads (void);
void gst_genesys_server_release (GstGenesysServer * server);
/* Another reference, released with gst_genesys_server_release(). */
GstGenesysServer *gst_genesys_server_ref (GstGenesysServer * server);

guint gst_genesys_server_get_port (GstGenesysServer * server);
guint gst_genesys_server_get_threads (GstGenesysServer * server);
/* TRUE on one of @server's loop threads. */
gboolean gst_genesys_server_is_current (GstGenesysServer * server);
/* Returns once every loop thread of @server has finished what it was
 * doing (not from a callback that another loop thread waits for). */
void gst_genesys_server_sync (GstGenesysServer * server);

/* FALSE (with @error) when a listener with @path and other credentials
 * (API keys, secrets, authority) is registered: a session could go to
 * either. Check before gst_genesys_server_add_listener(). */
gboolean gst_genesys_server_check_listener (GstGenesysServer * server,
    const gchar * path, const AhVerifier * verifier, GError ** error);
/* Gives @verifier (a registered listener's) the keys of @from, between
 * two upgrades: requests being checked finish with the old keys. Any
 * thread. */
void gst_genesys_server_replace_keys (GstGenesysServer * server,
    AhVerifier * verifier, AhVerifier * from);
/* Registers @listener (not copied: keep it alive until removed). Any
 * thread. */
void gst_genesys_server_add_listener (GstGenesysServer * server,
    GstGenesysListener * listener);
/* Unregisters; once it returns no callback of @listener runs and no loop
 * thread uses it (it waits for each of them, see gst_genesys_server_sync). */
void gst_genesys_server_remove_listener (GstGenesysServer * server,
    GstGenesysListener * listener);

/* Sessions served by listeners, for continuedSessions; from @server's loop
 * threads only (a listener found stays valid until the callback returns).
 * Forgotten when the listener is removed. */
void gst_genesys_server_remember_session (GstGenesysServer * server,
    const gchar * session_id, GstGenesysListener * listener);
GstGenesysListener *gst_genesys_server_find_session (GstGenesysServer *
    server, const gchar * session_id);
void gst_genesys_server_forget_session (GstGenesysServer * server,
    const gchar * session_id);
/* A copy of the list of registered listeners (free with g_list_free());
 * loop threads only. */
GList *gst_genesys_server_get_listeners (GstGenesysServer * server);



/* Minimum time between the start of a failed authentication and its 401
 * answer, against timing side channels. */
#define GST_GENESYS_AUTH_FAILURE_DELAY_MS 500

/* Limits before authentication. A connection must complete its WebSocket
 * upgrade (TLS handshake, request and 101 answer) within
 * GST_GENESYS_HANDSHAKE_TIMEOUT_MS of its accept, and a kept-alive plain
 * HTTP connection its next request within as long of the previous answer,
 * or it is shut down. The environment variable of the same name replaces
 * the value (for tests). */
#define GST_GENESYS_HANDSHAKE_TIMEOUT_MS 10000
/* Connections accepted and not yet upgraded, overall and from one peer
 * address (an IPv6 /64): beyond either, the oldest of them is closed if it
 * has been waiting longer than GST_GENESYS_PENDING_IDLE_MS (it is idle or
 * slow: a real handshake takes a few round trips), otherwise the new one. */
#define GST_GENESYS_MAX_PENDING 1024
#define GST_GENESYS_MAX_PENDING_PER_PEER 64
#define GST_GENESYS_PENDING_IDLE_MS 1000

G_END_DECLS
#endif /* __GST_GENESYS_SERVER_H__ */
