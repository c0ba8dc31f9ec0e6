/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A raw AudioHook server for tests: a libsoup SoupServer on 127.0.0.1 port
 * 0 with a thread of its own. It answers open, ping and close with
 * hand-built JSON (so it does not share the elements' protocol code),
 * queues every frame it receives, and misbehaves on request: refuses
 * upgrades, holds them, drops connections without a close frame, stalls. */

#ifndef __AH_SERVER_H__
#define __AH_SERVER_H__

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS typedef struct _AhServer AhServer;

typedef struct
{
  guint conn;                   /* connection number, from 1 */
  gboolean binary;
  GBytes *data;
  JsonObject *json;             /* text frames that parse as an object */
  gint64 received_us;           /* monotonic */
} AhServerFrame;

void ah_server_frame_free (AhServerFrame * frame);
const gchar *ah_server_frame_type (AhServerFrame * frame);
/* parameters.@name of a text frame, or NULL */
JsonObject *ah_server_frame_params (AhServerFrame * frame);

AhServer *ah_server_new (void);
/* wss:// with this PEM certificate and key. */
AhServer *ah_server_new_tls (const gchar * cert_file, const gchar * key_file);
void ah_server_free (AhServer * server);

guint ah_server_port (AhServer * server);
/* ws(s)://127.0.0.1:<port><path_and_query> */
gchar *ah_server_uri (AhServer * server, const gchar * path_and_query);

/* Answers upgrade requests with HTTP @status (0: upgrade). */
void ah_server_set_status (AhServer * server, guint status);
/* Checks signatures with this key and secret; failures get 401. */
void ah_server_set_credentials (AhServer * server, const gchar * api_key,
    const gchar * client_secret);
/* Parameters of opened as JSON text (NULL: echo the first offer). */
void ah_server_set_opened (AhServer * server, const gchar * params);
void ah_server_set_auto_pong (AhServer * server, gboolean auto_pong);
/* While held, upgrade requests wait unanswered. */
void ah_server_hold (AhServer * server, gboolean hold);

/* On the latest connection: sends a server message of @type with
 * @params (JSON text), filling version, id, seq and clientseq. */
void ah_server_send (AhServer * server, const gchar * type,
    const gchar * params);
/* Drops the latest connection's TCP connection without a close frame, and
 * returns once done. */
void ah_server_drop (AhServer * server);
/* Blocks the server thread for @ms: it reads, answers and accepts
 * nothing meanwhile. Returns at once. */
void ah_server_stall (AhServer * server, guint ms);

AhServerFrame *ah_server_next (AhServer * server, guint timeout_ms);
/* The next text frame of @type; other text frames are skipped, binary
 * frames too (counted in *@binaries, if not NULL). */
AhServerFrame *ah_server_expect (AhServer * server, const gchar * type,
    guint timeout_ms, guint * binaries);

guint ah_server_requests (AhServer * server);   /* upgrade requests seen */
guint ah_server_connections (AhServer * server);        /* upgraded */
/* A request header of connection @conn (from 1), case-insensitive. */
gchar *ah_server_header (AhServer * server, guint conn, const gchar * name);
/* The request target (path and query) of connection @conn. */
gchar *ah_server_target (AhServer * server, guint conn);
/* Last seq the server sent / last client seq it received on @conn. */
gint64 ah_server_seq (AhServer * server, guint conn);
gint64 ah_server_client_seq (AhServer * server, guint conn);
/* Waits up to @timeout_ms until connection @conn is closed; TRUE if so. */
gboolean ah_server_wait_closed (AhServer * server, guint conn,
    guint timeout_ms);

G_END_DECLS
#endif /* __AH_SERVER_H__ */
