/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A client of any WebSocket, for genesyssrc's client mode: no AudioHook
 * (no AudioHook headers, no signature, no open message); every frame it
 * receives goes to @frame_func, with the GstGenesysDialer's keep-alive,
 * backoff and fatal causes. A JSON text frame with a "message":"ping"
 * member (the Genesys Cloud notifications health check) is answered with
 * the notifications pong. A close with code 1000 ends the stream
 * (CLOSED); every other retryable cause reconnects. Runs on a
 * GstGenesysLoop thread of its own; events and frames are delivered
 * there. */

#ifndef __GST_GENESYS_RAW_CLIENT_H__
#define __GST_GENESYS_RAW_CLIENT_H__

#include <gst/gst.h>
#include "gstgenesysclientevent.h"
#include "gstgenesysdialer.h"

G_BEGIN_DECLS typedef struct _GstGenesysRawClient GstGenesysRawClient;

/* A frame received; @text: a text frame (@data is UTF-8, @text_str the
 * same NUL-terminated), else binary. */
typedef void (*GstGenesysRawFrameFunc) (gboolean text, GBytes * data,
    const gchar * text_str, gpointer user_data);

/* Events: CONNECTING, CONNECTED, DISCONNECTED, RECONNECTING, CLOSED and
 * ERROR (gstgenesysclientevent.h). */
typedef void (*GstGenesysRawEventFunc) (const GstGenesysClientEvent * event,
    gpointer user_data);

GstGenesysRawClient *gst_genesys_raw_client_new (const GstGenesysDialerConfig
    * config, GstGenesysRawEventFunc event_func,
    GstGenesysRawFrameFunc frame_func, gpointer user_data, GError ** error);
void gst_genesys_raw_client_start (GstGenesysRawClient * client);
/* Closes with 1000 and lets go of the connection; not on the loop
 * thread. */
void gst_genesys_raw_client_stop (GstGenesysRawClient * client);
/* Stops and frees. */
void gst_genesys_raw_client_free (GstGenesysRawClient * client);
GstGenesysClientState gst_genesys_raw_client_get_state (GstGenesysRawClient *
    client);
/* application/x-genesys-stats: sessions, frames, bytes, events, pings and
 * the dialer's counters; zeros for a NULL @client. */
GstStructure *gst_genesys_raw_client_get_stats (GstGenesysRawClient * client);

G_END_DECLS
#endif /* __GST_GENESYS_RAW_CLIENT_H__ */
