/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Helpers that the element tests share: properties from a string, element
 * messages from a bus, stats, events from a harness, a TLS certificate, a
 * raw WebSocket client. */

#ifndef __CHECK_UTIL_H__
#define __CHECK_UTIL_H__

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gio/gio.h>
#include "ah-wsframe.h"

G_BEGIN_DECLS

/* Sets "name=value name=value ..." on @e (gst_util_set_object_arg); NULL
 * sets nothing. */
void check_set_props (GstElement * e, const gchar * props);

/* A genesyssrc in server mode on 127.0.0.1, any port, with @props (as
 * check_set_props() takes them), playing under a harness on its src pad:
 * its bus in *@bus, the port it listens on in *@port. The element is the
 * harness's. */
GstHarness *check_src_start (const gchar * props, GstBus ** bus,
    guint * port);
/* Tears down what check_src_start() made. */
void check_src_stop (GstHarness * h, GstBus * bus);

/* The next element message named @name on @bus within @timeout_ms (other
 * messages are skipped), NULL when none came; an error message fails the
 * test. Free with gst_structure_free(). */
GstStructure *check_wait_element (GstBus * bus, const gchar * name,
    guint timeout_ms);
/* The same, and no message fails the test. */
GstStructure *check_expect_element (GstBus * bus, const gchar * name,
    guint timeout_ms);

/* The guint64 field @field of @e's "stats"; a missing field fails the test. */
guint64 check_stat_u64 (GstElement * e, const gchar * field);

/* Sets @e to NULL on a thread of its own (a stop that waits for a peer);
 * join the thread returned. */
GThread *check_stop_in_thread (GstElement * e);

/* The next event of @type from @h (others are dropped); NULL when none. */
GstEvent *check_pull_event_of_type (GstHarness * h, GstEventType type);

/* A folder holding cert.pem and key.pem, a self-signed certificate for
 * 127.0.0.1 made with openssl once per process; NULL when openssl could not
 * make it. */
const gchar *check_tls_dir (void);
/* Removes that folder, if it was made. */
void check_tls_dir_remove (void);

/* A raw WebSocket client on a blocking GSocket: the upgrade request written
 * by hand, frames sent as given (masked), the server's frames read with a
 * client-role AhWsDecoder. */
typedef struct
{
  GSocket *socket;
  gchar *head;                  /* the server's answer, up to the blank line */
  gchar *session_id;            /* what Audiohook-Session-Id said */
  AhWsDecoder *decoder;
  GByteArray *unread;           /* read, not decoded yet */
  gboolean ended;               /* end of stream or reset seen */
} CheckWs;

/* Connects to 127.0.0.1:@port and asks for @path with the headers of an
 * AudioHook client (a fresh session id) and @extra_headers (lines ending in
 * CRLF, or NULL); reads the answer's head within 5 s (a missing one fails
 * the test). */
CheckWs *check_ws_connect (guint port, const gchar * path,
    const gchar * extra_headers);
/* Closes the socket and frees. */
void check_ws_free (CheckWs * ws);
/* Writes all of @data. */
void check_ws_write (CheckWs * ws, gconstpointer data, gsize size);
/* Appends one masked frame whose first byte (FIN, RSV1-3, opcode) is @b0,
 * with @payload, to @out. */
void check_ws_frame (GByteArray * out, guint8 b0, gconstpointer payload,
    gsize size);
/* Sends one masked frame as check_ws_frame() builds it. */
void check_ws_send (CheckWs * ws, guint8 b0, gconstpointer payload,
    gsize size);
/* Sends a close frame (client role). */
void check_ws_send_close (CheckWs * ws, gushort code, const gchar * reason);
/* The next frame the server sent, within @timeout_ms, into @ev (release
 * with ah_ws_event_clear()); FALSE when none came (time out, or the
 * connection ended). */
gboolean check_ws_next (CheckWs * ws, AhWsEvent * ev, guint timeout_ms);
/* Skips frames up to the server's close frame, within @timeout_ms: its
 * code, or 0 when none came. */
gushort check_ws_expect_close (CheckWs * ws, guint timeout_ms);
/* Skips frames until the server ended the TCP connection, within
 * @timeout_ms; FALSE when it did not. */
gboolean check_ws_wait_end (CheckWs * ws, guint timeout_ms);

G_END_DECLS
#endif /* __CHECK_UTIL_H__ */
