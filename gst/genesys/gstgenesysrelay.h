/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A relayed session: a client's session that reached this instance while
 * its call's owner, another instance, is up. The client leg stays here (a
 * server-role GstGenesysConn: pings are answered here, seq numbered by its
 * own session); the hop is an AudioHook client connection to the owner,
 * signed with the relay key, dialed by a GstGenesysDialer on a loop thread
 * of its own. The client's audio and messages go to the owner, the
 * owner's messages (pause, resume, disconnect, reconnect, events) and
 * audio come back; the hop pings the owner itself. A hop connection that
 * drops is dialed again and continues the previous hop session at the
 * position the owner confirmed, sending again what it did not (ah-relay.h),
 * so the owner's call keeps one exact timeline. When the owner cannot be
 * reached again, the client is asked to reconnect. */

#ifndef __GST_GENESYS_RELAY_H__
#define __GST_GENESYS_RELAY_H__

#include <gst/gst.h>
#include "audiohook/ah-message.h"
#include "gstgenesysconn.h"

G_BEGIN_DECLS typedef struct _GstGenesysRelay GstGenesysRelay;

typedef struct
{
  const gchar *uri;             /* the owner's relay URL, ws:// or wss:// */
  const gchar *key_id;          /* the relay key: X-API-KEY */
  const gchar *secret;          /* base64 */
  const gchar *authority;       /* signed as this authority; NULL: the URL's */
  const AhMessage *open;        /* the client's open */
  const gchar *session_id;      /* the client's session: the first hop's id */
} GstGenesysRelayConfig;

/* The relay is over (client and hop gone); on its loop thread. */
typedef void (*GstGenesysRelayDoneFunc) (GstGenesysRelay * relay,
    gpointer user_data);

GstGenesysRelay *gst_genesys_relay_new (const GstGenesysRelayConfig * config,
    GstGenesysRelayDoneFunc done, gpointer user_data, GError ** error);

/* Dials the owner and waits up to @timeout ns for the first hop's opened:
 * TRUE with the client's offer it chose in *@chosen (-1: none). FALSE
 * with @error when it did not answer (the relay then stops). Not on the
 * relay's loop thread. */
gboolean gst_genesys_relay_connect (GstGenesysRelay * relay, guint64 timeout,
    gint * chosen, GError ** error);

/* The relay becomes @conn's owner (the client leg), before its open is
 * answered. FALSE when the relay ended meanwhile (the owner was lost for
 * good). On @conn's loop thread. */
gboolean gst_genesys_relay_attach (GstGenesysRelay * relay,
    GstGenesysConn * conn);

/* Hop sessions opened so far (1 + the hop's reconnections). */
guint gst_genesys_relay_get_hops (GstGenesysRelay * relay);

/* Stops (the hop closes without a word, the client leg is let go of) and
 * frees; not on the relay's loop thread. */
void gst_genesys_relay_free (GstGenesysRelay * relay);

G_END_DECLS
#endif /* __GST_GENESYS_RELAY_H__ */
