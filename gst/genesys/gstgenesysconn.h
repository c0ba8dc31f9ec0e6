/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One AudioHook WebSocket connection driven by an AhSession, on a
 * GstGenesysLoop thread: on the server side our own framing on the loop's
 * poller (gstgenesyswebsocket.h), on the client side libsoup's
 * SoupWebsocketConnection.
 *
 * Everything the session decides (messages to send, timers, hang-ups) is
 * carried out here on the loop thread; what the application must see
 * (audio, gaps, state changes, messages) is handed to the owner's
 * callbacks, also on the loop thread. Those callbacks must not block. */

#ifndef __GST_GENESYS_CONN_H__
#define __GST_GENESYS_CONN_H__

#include <gst/gst.h>
#include <libsoup/soup.h>
#include "audiohook/ah-session.h"
#include "gstgenesysloop.h"
#include "gstgenesystime.h"
#include "gstgenesyswebsocket.h"

G_BEGIN_DECLS typedef struct _GstGenesysConn GstGenesysConn;

typedef struct
{
  /* Every action other than SEND_TEXT, SEND_BINARY, DEADLINE and HANGUP.
   * Ownership of @action passes to the callee. */
  void (*action) (GstGenesysConn * conn, AhAction * action, gpointer user_data);
  /* The WebSocket closed. @clean: a close frame was exchanged. */
  void (*closed) (GstGenesysConn * conn, gushort code, const gchar * reason,
      gboolean clean, gpointer user_data);
} GstGenesysConnCallbacks;

/* Takes a reference on @ws and ownership of @session. On the loop thread. */
GstGenesysConn *gst_genesys_conn_new (GstGenesysLoop * loop,
    SoupWebsocketConnection * ws, AhSession * session, gsize max_message_size);
/* The same over our own framing: takes ownership of @ws (not started) and
 * of @session. On the loop thread. */
GstGenesysConn *gst_genesys_conn_new_framed (GstGenesysLoop * loop,
    GstGenesysWs * ws, AhSession * session, gsize max_message_size);
/* Server side: what followed the endpoint's path in the request target
 * (the Audio Connector's Connector ID), NULL when nothing did. Set before
 * the connection is handed out; read from any thread after. */
void gst_genesys_conn_set_connector_id (GstGenesysConn * conn,
    const gchar * connector_id);
const gchar *gst_genesys_conn_get_connector_id (GstGenesysConn * conn);
/* Server side: the guard of the connection's stream (gstgenesysguard.h);
 * from now on it bounds a message to the conn's max-message-size, and a
 * violation closes the WebSocket (1009 or 1008). Loop thread. */
typedef struct _GstGenesysGuard GstGenesysGuard;
void gst_genesys_conn_set_guard (GstGenesysConn * conn,
    GstGenesysGuard * guard);

GstGenesysConn *gst_genesys_conn_ref (GstGenesysConn * conn);
void gst_genesys_conn_unref (GstGenesysConn * conn);

/* Starts dispatching to @callbacks (on the loop thread). Until then,
 * incoming frames wait in the socket. */
void gst_genesys_conn_start (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify);

/* Hands the callbacks' user data over to another owner (the old one's
 * @notify runs); loop thread only, also from inside a callback. */
void gst_genesys_conn_retarget (GstGenesysConn * conn, gpointer user_data,
    GDestroyNotify notify);

/* Makes @callbacks with @user_data the owner (the old owner's notify
 * runs): hands the connection to another kind of owner. Loop thread only,
 * also from inside a callback or the session's media selector; the
 * actions after that go to the new owner. */
void gst_genesys_conn_set_callbacks (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify);

/* A second, passive party besides the owner: it sees every action the
 * owner gets, just before the owner (it must neither keep nor free it),
 * and the close, just after the owner, whoever the owner is meanwhile
 * and even once the owner detached. @callbacks NULL removes it. @notify
 * runs on removal or when the connection is freed. Loop thread only. */
void gst_genesys_conn_set_observer (GstGenesysConn * conn,
    const GstGenesysConnCallbacks * callbacks, gpointer user_data,
    GDestroyNotify notify);

/* Stops calling the callbacks (drops the user data); from any thread.
 * Returns once no callback is running or will run. */
void gst_genesys_conn_detach (GstGenesysConn * conn);

typedef gboolean (*GstGenesysConnCommand) (AhSession * session,
    gpointer data, guint64 now);

/* Runs @command on the loop thread with the session and carries out the
 * resulting actions; from any thread, does not wait. */
void gst_genesys_conn_command (GstGenesysConn * conn,
    GstGenesysConnCommand command, gpointer data, GDestroyNotify notify);

/* Runs @command on the session now and carries out the resulting actions
 * (callbacks included); loop thread only. Returns what @command returned. */
gboolean gst_genesys_conn_run (GstGenesysConn * conn,
    GstGenesysConnCommand command, gpointer data);

/* Ending a session from outside (an element stops, serve ends its calls):
 * begin runs @command (a disconnect) unless an end already began, and sets
 * the deadline of the close transaction @timeout from now; wait returns
 * when the WebSocket closed (the client answered with its close, and its
 * close got `closed`) or at that deadline, whichever comes first: TRUE
 * when it closed. Any thread; wait not from the connection's loop. */
void gst_genesys_conn_end_begin (GstGenesysConn * conn,
    GstGenesysConnCommand command, gpointer data, GstClockTime timeout);
gboolean gst_genesys_conn_end_wait (GstGenesysConn * conn);

/* Closes the WebSocket with @code; from any thread. */
void gst_genesys_conn_close (GstGenesysConn * conn, gushort code,
    const gchar * reason);

GstGenesysLoop *gst_genesys_conn_get_loop (GstGenesysConn * conn);
/* The session, for configuration before gst_genesys_conn_start(); loop
 * thread only. */
AhSession *gst_genesys_conn_get_session (GstGenesysConn * conn);


/* Audio messages (binary frames) and their bytes sent by every connection
 * of the process so far. */
void gst_genesys_conn_get_sent_counts (guint64 * frames, guint64 * bytes);

G_END_DECLS
#endif /* __GST_GENESYS_CONN_H__ */
