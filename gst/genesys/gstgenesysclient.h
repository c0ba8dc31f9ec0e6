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
 * With @raw set in the configuration the client speaks no AudioHook: it
 * connects to any WebSocket (no AudioHook headers, no signature, no open
 * message) and hands every frame it receives to @frame_func, with the
 * same keep-alive, watchdog, backoff and fatal causes. A JSON text frame with a "message":"ping" member (the Genesys
 * Cloud notifications health check) is answered with the notifications
 * pong. A close with code 1000 ends the stream (CLOSED); every other
 * retryable cause reconnects. */

#ifndef __GST_GENESYS_CLIENT_H__
#define __GST_GENESYS_CLIENT_H__

#include <gst/gst.h>
#include "audiohook/ah-message.h"

G_BEGIN_DECLS typedef struct _GstGenesysClient GstGenesysClient;

/* Raw mode: a frame received, on the loop thread; @text: a text frame
 * (@data is UTF-8, @text_str the same NUL-terminated), else binary. */
typedef void (*GstGenesysClientFrameFunc) (GstGenesysClient * client,
    gboolean text, GBytes * data, const gchar * text_str, gpointer user_data);

#define GST_GENESYS_CLIENT_ERROR (gst_genesys_client_error_quark ())
GQuark gst_genesys_client_error_quark (void);

typedef enum
{
  GST_GENESYS_CLIENT_ERROR_CONFIG,      /* bad URI, secret, CA file, ... */
  GST_GENESYS_CLIENT_ERROR_REFUSED,     /* HTTP status at upgrade that retrying cannot fix */
  GST_GENESYS_CLIENT_ERROR_TLS, /* certificate refused with validation on */
  GST_GENESYS_CLIENT_ERROR_CLOSED,      /* a close code that retrying cannot fix */
  GST_GENESYS_CLIENT_ERROR_PROTOCOL,    /* the server broke the protocol */
  GST_GENESYS_CLIENT_ERROR_NO_MEDIA,    /* the server chose no media */
  GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED,        /* disconnect reason unauthorized */
  GST_GENESYS_CLIENT_ERROR_SERVER,      /* disconnect reason error */
  GST_GENESYS_CLIENT_ERROR_GAVE_UP,     /* out of retries */
} GstGenesysClientError;

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
  gboolean raw;                 /* any WebSocket, frames to @frame_func */
  GstGenesysClientFrameFunc frame_func; /* raw: called with the user data */
  /* Audio Connector client: play the server's audio in real time (a model
   * of it) and bracket it with playback_started / playback_completed. */
  gboolean playback_events;
} GstGenesysClientConfig;

void gst_genesys_client_config_clear (GstGenesysClientConfig * config);

typedef enum
{
  GST_GENESYS_CLIENT_EVENT_CONNECTING,  /* attempt, session_id */
  GST_GENESYS_CLIENT_EVENT_CONNECTED,   /* session_id: upgraded */
  GST_GENESYS_CLIENT_EVENT_OPENED,      /* media, message (opened), position, continued */
  GST_GENESYS_CLIENT_EVENT_PAUSED,      /* position */
  GST_GENESYS_CLIENT_EVENT_RESUMED,     /* position */
  GST_GENESYS_CLIENT_EVENT_DISCARDED,   /* position (start), samples */
  GST_GENESYS_CLIENT_EVENT_PING,        /* rtt */
  GST_GENESYS_CLIENT_EVENT_MESSAGE,     /* message: event, disconnect, reconnect, ... */
  GST_GENESYS_CLIENT_EVENT_PROTOCOL_ERROR,      /* code, reason */
  GST_GENESYS_CLIENT_EVENT_DISCONNECTED,        /* code, reason, clean, cause */
  GST_GENESYS_CLIENT_EVENT_RECONNECTING,        /* attempt, delay, cause */
  GST_GENESYS_CLIENT_EVENT_CLOSED,      /* reason, code, position: the stream ended */
  GST_GENESYS_CLIENT_EVENT_ERROR,       /* error: the client gave up */
  GST_GENESYS_CLIENT_EVENT_AUDIO,       /* data: audio the server sent (Audio Connector) */
} GstGenesysClientEventType;

typedef struct
{
  GstGenesysClientEventType type;
  const gchar *session_id;
  guint attempt;
  guint64 delay;                /* ns */
  const gchar *cause;
  gint code;
  const gchar *reason;
  gboolean clean;
  const AhMedia *media;         /* n_channels 0: none */
  AhMessage *message;
  const gchar *continued;       /* OPENED: the session continued, or NULL */
  guint64 position;             /* samples */
  guint64 samples;
  guint64 rtt;                  /* ns */
  const GError *error;
  GBytes *data;
} GstGenesysClientEvent;

typedef void (*GstGenesysClientEventFunc) (GstGenesysClient * client,
    const GstGenesysClientEvent * event, gpointer user_data);

typedef enum
{
  GST_GENESYS_CLIENT_RUNNING,
  GST_GENESYS_CLIENT_FINISHED,  /* closed for good (end, disconnect) */
  GST_GENESYS_CLIENT_FAILED,
} GstGenesysClientState;

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

/* Helpers shared with the element and tests. */
gchar *gst_genesys_media_to_string (const AhMedia * media);
/* The @authority and @request_target of a ws(s) URI as libsoup sends them
 * (Host header without a default port; path and query). */
gboolean gst_genesys_uri_parts (const gchar * uri, gchar ** authority,
    gchar ** request_target, gboolean * tls, GError ** error);
/* For the elements' GstURIHandler: the protocols (ws, wss), and whether
 * @element may take @uri now (a GST_URI_ERROR when not). */
const gchar *const *gst_genesys_uri_protocols (GType type);
gboolean gst_genesys_uri_acceptable (GstElement * element, const gchar * uri,
    GError ** error);

G_END_DECLS
#endif /* __GST_GENESYS_CLIENT_H__ */
