/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The AudioHook client side of a call: one logical stream carried over as
 * many WebSocket connections as it takes. Runs on a GstGenesysLoop thread
 * of its own: connects (signed upgrade request, TLS), drives a client-role
 * AhSession per connection through a GstGenesysConn, keeps the connection
 * alive below the protocol (WebSocket pings and a pong watchdog), and
 * reconnects with backoff after retryable failures. A new connection
 * continues the old session (continuedSessions, positions keep counting)
 * and reports the audio lost while no session was open with one
 * `discarded`; that audio is never queued.
 *
 * Audio is pushed from any thread and never blocks. Events are delivered
 * on the loop thread; the callback must not block.
 *
 * Connecting, keep-alive, backoff and what retrying cannot fix are the
 * GstGenesysDialer's (gstgenesysdialer.h). */

#ifndef __GST_GENESYS_CLIENT_H__
#define __GST_GENESYS_CLIENT_H__

#include <gst/gst.h>
#include "audiohook/ah-message.h"
#include "gstgenesysdialer.h"
#include "gstgenesysclientevent.h"

G_BEGIN_DECLS typedef struct _GstGenesysClient GstGenesysClient;

typedef struct
{
  gchar *uri;                   /* ws:// or wss:// */
  gchar *api_key;               /* X-API-KEY, NULL: none */
  gchar *client_secret;         /* base64; NULL or "": requests are not signed */
  gchar *user_agent;
  GstStructure *extra_headers;  /* more upgrade headers, may be NULL */
  gchar *tls_ca_file;           /* PEM CA certificates to trust, NULL: system */
  gboolean tls_validation;
  /* The open message: organizationId, conversationId, participant,
   * language, customConfig, inputVariables and the media offers. */
  AhMessage *open;
  /* The audio pushed: its format, and 1 channel (external) or 2
   * (external, internal), interleaved. */
  AhFormat format;
  guint channels;
  guint64 open_timeout;         /* ns: connecting, and waiting for opened */
  guint64 close_timeout;        /* ns: waiting for closed */
  guint64 ping_interval;        /* ns: protocol pings */
  guint64 keepalive_interval;   /* ns, 0: off; WebSocket pings, whole seconds */
  guint64 keepalive_timeout;    /* ns: pong grace beyond the interval */
  guint64 backoff_base;         /* ns */
  guint64 backoff_max;          /* ns */
  gint retries;                 /* -1: forever */
  guint64 stable_time;          /* ns a session must stay open to reset the backoff */
  guint64 max_queued;           /* samples waiting for the loop thread at most */
  /* Audio Connector client: play the server's audio in real time (a model
   * of it) and bracket it with playback_started / playback_completed. */
  gboolean playback_events;
} GstGenesysClientConfig;

void gst_genesys_client_config_clear (GstGenesysClientConfig * config);

typedef void (*GstGenesysClientEventFunc) (GstGenesysClient * client,
    const GstGenesysClientEvent * event, gpointer user_data);

/* Checks and copies @config; NULL with @error when it is unusable. */
GstGenesysClient *gst_genesys_client_new (const GstGenesysClientConfig *
    config, GstGenesysClientEventFunc func, gpointer user_data,
    GError ** error);
/* Stops (see gst_genesys_client_stop()) and frees; not on the loop thread. */
void gst_genesys_client_free (GstGenesysClient * client);

void gst_genesys_client_start (GstGenesysClient * client);
/* Ends at once: cancels connecting, says close(end) on an open session
 * without waiting for closed, and tears the connection down. */
void gst_genesys_client_stop (GstGenesysClient * client);

/* Whole sample frames of the configured input format; any thread, never
 * blocks. Dropped and counted (reported as discarded later) while no
 * session is open. Returns FALSE when dropped. */
gboolean gst_genesys_client_push (GstGenesysClient * client, GBytes * data);
/* @samples without audio (an upstream gap): reported as discarded. */
void gst_genesys_client_discard (GstGenesysClient * client, guint64 samples);

/* Sends @msg (dtmf, playback_*, error, update) on the open session, on
 * the loop thread; any thread. FALSE when no session is open now (the
 * message is not sent). Takes a reference on @msg. */
gboolean gst_genesys_client_send_message (GstGenesysClient * client,
    AhMessage * msg);
/* Blocks until a session is open (TRUE), or the client is flushing,
 * finished or failed (FALSE). */
gboolean gst_genesys_client_wait_open (GstGenesysClient * client);
/* Closes the stream with @reason and blocks until closed (TRUE), @timeout
 * ns passed, or flushing (FALSE). */
gboolean gst_genesys_client_close (GstGenesysClient * client,
    const gchar * reason, guint64 timeout);
/* Wakes and refuses the blocking calls above while @flushing. */
void gst_genesys_client_set_flushing (GstGenesysClient * client,
    gboolean flushing);

GstGenesysClientState gst_genesys_client_get_state (GstGenesysClient * client);
gboolean gst_genesys_client_is_open (GstGenesysClient * client);
/* application/x-genesys-stats */
GstStructure *gst_genesys_client_get_stats (GstGenesysClient * client);


G_END_DECLS
#endif /* __GST_GENESYS_CLIENT_H__ */
