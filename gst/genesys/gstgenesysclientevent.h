/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the clients (GstGenesysClient, GstGenesysRawClient) and their
 * GstGenesysDialer report, and the state of a client's stream. */

#ifndef __GST_GENESYS_CLIENT_EVENT_H__
#define __GST_GENESYS_CLIENT_EVENT_H__

#include <gst/gst.h>
#include "audiohook/ah-message.h"

G_BEGIN_DECLS

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

typedef enum
{
  GST_GENESYS_CLIENT_RUNNING,
  GST_GENESYS_CLIENT_FINISHED,  /* closed for good (end, disconnect) */
  GST_GENESYS_CLIENT_FAILED,
} GstGenesysClientState;

G_END_DECLS
#endif /* __GST_GENESYS_CLIENT_EVENT_H__ */
