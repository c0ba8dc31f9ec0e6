/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A raw AudioHook client for tests: a libsoup WebSocket on a thread of its
 * own that sends exactly the frames a test writes (hand-built JSON, so it
 * does not share the element's protocol code) and queues every frame it
 * receives. */

#ifndef __AH_PEER_H__
#define __AH_PEER_H__

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS typedef struct _AhPeer AhPeer;

typedef struct
{
  gboolean binary;
  GBytes *data;
  JsonObject *json;             /* text frames that parse as an object */
  gint64 received_us;           /* monotonic */
} AhPeerFrame;

void ah_peer_frame_free (AhPeerFrame * frame);

typedef struct
{
  const gchar *api_key;         /* NULL: no X-API-KEY */
  const gchar *client_secret;   /* NULL: unsigned */
  const gchar *session_id;      /* NULL: a fresh UUID */
  const gchar *org_id;
  gint64 created;               /* 0: now */
  const gchar *nonce;           /* NULL: random */
  gint64 expires;               /* 0: created + 10 */
  const gchar *signature_input; /* replaces the computed one when set */
} AhPeerAuth;

AhPeer *ah_peer_new (void);
/* Connect with wss://, trusting the certificates in @ca_file. */
AhPeer *ah_peer_new_tls (const gchar * ca_file);
void ah_peer_free (AhPeer * peer);

/* Connects to ws://127.0.0.1:@port@path. Returns the HTTP status of a
 * refused upgrade in @status (101 on success). */
gboolean ah_peer_connect (AhPeer * peer, guint port, const gchar * path,
    const AhPeerAuth * auth, guint * status);
const gchar *ah_peer_session_id (AhPeer * peer);

void ah_peer_send_text (AhPeer * peer, const gchar * text);
void ah_peer_send_binary (AhPeer * peer, gconstpointer data, gsize size);
/* Sends a client message: fills version, id, seq (own counter), serverseq
 * (last server seq seen) and position. @params is JSON text. */
gint64 ah_peer_send (AhPeer * peer, const gchar * type,
    const gchar * position, const gchar * params);

/* The next frame received, waiting up to @timeout_ms; NULL on timeout. */
AhPeerFrame *ah_peer_next (AhPeer * peer, guint timeout_ms);
/* The next text frame of @type, skipping others; NULL on timeout. */
AhPeerFrame *ah_peer_expect (AhPeer * peer, const gchar * type,
    guint timeout_ms);

/* Close code once closed (0 while open); waits up to @timeout_ms. */
gushort ah_peer_wait_closed (AhPeer * peer, guint timeout_ms);
void ah_peer_close (AhPeer * peer);
/* Drops the TCP connection without a close frame. */
void ah_peer_drop (AhPeer * peer);

const gchar *ah_peer_type (AhPeerFrame * frame);

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then let go). */
guint ah_peer_free_port (void);

#define AH_PEER_ORG "d7934305-0972-4844-938e-9060eef73d05"

G_END_DECLS
#endif /* __AH_PEER_H__ */
