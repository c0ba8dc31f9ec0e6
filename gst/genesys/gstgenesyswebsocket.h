/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A WebSocket after its upgrade, framed by audiohook/ah-wsframe over the
 * connection's GIOStream (plain or TLS) and driven by its loop's
 * GstGenesysPoller: the socket is one entry in the loop's epoll set, and
 * nothing is created or destroyed per read. Reads drain the stream (up to a
 * fair share per wakeup); writes go out at once and queue only what the
 * socket does not take. Pings are answered here; the close handshake is
 * carried out here, with a timeout for a peer that never answers. A peer
 * that breaks the protocol gets a close with the code that says how, and
 * the connection ends without waiting for its answer.
 *
 * Everything happens on the loop's thread, callbacks included. */

#ifndef __GST_GENESYS_WEBSOCKET_H__
#define __GST_GENESYS_WEBSOCKET_H__

#include <gio/gio.h>
#include "audiohook/ah-wsframe.h"
#include "gstgenesysloop.h"

G_BEGIN_DECLS typedef struct _GstGenesysWs GstGenesysWs;

typedef enum
{
  GST_GENESYS_WS_OPEN,
  GST_GENESYS_WS_CLOSING,       /* a close frame went out or came in */
  GST_GENESYS_WS_CLOSED
} GstGenesysWsState;

/* The peer's close, not answered within this, ends the connection. */
#define GST_GENESYS_WS_CLOSE_TIMEOUT_MS 4000
/* Bytes read from one connection per wakeup at most (the others' turn). */
#define GST_GENESYS_WS_READ_SHARE (256 * 1024)

typedef struct
{
  /* A whole message. Ownership of @message stays with the caller. */
  void (*message) (GstGenesysWs * ws, gboolean binary, GBytes * message,
      gpointer user_data);
  /* The connection ended (CLOSED); once. */
  void (*closed) (GstGenesysWs * ws, gpointer user_data);
} GstGenesysWsCallbacks;

/* Takes a reference on @stream, whose input and output must be pollable, and
 * on @socket, the descriptor under it. Nothing is read until started. */
GstGenesysWs *gst_genesys_ws_new (GstGenesysLoop * loop, GIOStream * stream,
    GSocket * socket, AhWsRole role, gsize max_message_size);
void gst_genesys_ws_start (GstGenesysWs * ws,
    const GstGenesysWsCallbacks * callbacks, gpointer user_data);
/* Closes with 1001 if still open, ends the connection without waiting, and
 * frees; no callback runs from now on (also when called from one). */
void gst_genesys_ws_free (GstGenesysWs * ws);

GstGenesysWsState gst_genesys_ws_get_state (GstGenesysWs * ws);
/* Queues one message (TEXT or BINARY); dropped unless OPEN. */
void gst_genesys_ws_send (GstGenesysWs * ws, AhWsOpcode op,
    const guint8 * data, gsize size);
/* Begins the close handshake (nothing if not OPEN). */
void gst_genesys_ws_close (GstGenesysWs * ws, gushort code,
    const gchar * reason);
/* Fails the connection (RFC 6455 7.1.7): a close with @code goes out if
 * the socket takes it, nothing more is read, and the connection ends in the
 * poller's next round (the peer broke the protocol or a limit). */
void gst_genesys_ws_fail (GstGenesysWs * ws, gushort code,
    const gchar * reason);
/* Once CLOSED: the peer's close code (1005: its close had none; 1006: no
 * close came, the connection broke) and its reason (or ""). */
gushort gst_genesys_ws_get_close_code (GstGenesysWs * ws);
const gchar *gst_genesys_ws_get_close_reason (GstGenesysWs * ws);

G_END_DECLS
#endif /* __GST_GENESYS_WEBSOCKET_H__ */
