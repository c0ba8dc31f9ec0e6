/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A GIOStream between an accepted connection and libsoup that watches the
 * WebSocket frames the client sends once the upgrade is answered (101):
 * a data message that grows beyond the limit across its fragments (libsoup
 * 3.2 would gather it without bound), and what the client is owed (pongs,
 * and what the server sent) piling up unwritten (a client that never
 * reads). Either is reported
 * once to the violation function (the connection closes with 1009 or
 * 1008); from then on its input is drained and dropped, so nothing more
 * is gathered. Everything before the 101 passes untouched. */

#ifndef __GST_GENESYS_GUARD_H__
#define __GST_GENESYS_GUARD_H__

#include <gio/gio.h>

G_BEGIN_DECLS
#define GST_TYPE_GENESYS_GUARD (gst_genesys_guard_get_type ())
G_DECLARE_FINAL_TYPE (GstGenesysGuard, gst_genesys_guard, GST, GENESYS_GUARD,
    GIOStream);

typedef enum
{
  GST_GENESYS_GUARD_MESSAGE_TOO_BIG,    /* close 1009 */
  GST_GENESYS_GUARD_SLOW_READER,        /* close 1008 */
  GST_GENESYS_GUARD_NOT_FRAMING,        /* close 1002: no WebSocket framing */
} GstGenesysGuardViolation;

/* Called once, on the thread that reads; @size: the message's size so far,
 * or the bytes of pongs owed and not written. */
typedef void (*GstGenesysGuardFunc) (GstGenesysGuardViolation violation,
    guint64 size, gpointer user_data);

/* The message bound until a listener's is known (after the upgrade). */
#define GST_GENESYS_GUARD_DEFAULT_MAX (1024 * 1024)
/* Bytes owed to the client (pongs, and what the server sent:
 * gst_genesys_guard_owe()) beyond what was written, at most: more than the
 * largest burst the bot audio pacer sends (25 messages of 64000 bytes). */
#define GST_GENESYS_GUARD_MAX_OWED (8 * 1024 * 1024)
/* Pongs alone: no client that reads is owed this many. */
#define GST_GENESYS_GUARD_MAX_PONGS_OWED (1024 * 1024)

GstGenesysGuard *gst_genesys_guard_new (GIOStream * base, guint64 max_message);
void gst_genesys_guard_set_max_message (GstGenesysGuard * guard,
    guint64 max_message);
/* @func NULL: a violation fails the next read (the connection ends). */
void gst_genesys_guard_set_func (GstGenesysGuard * guard,
    GstGenesysGuardFunc func, gpointer user_data, GDestroyNotify notify);
/* The server queued a message of @payload bytes for the client (counted
 * with the pongs owed). The connection's thread. */
void gst_genesys_guard_owe (GstGenesysGuard * guard, gsize payload);
/* Connections closed for each violation since the process started. */
void gst_genesys_guard_get_counts (guint64 * too_big, guint64 * slow_readers);
/* The stream @io wraps (SoupIOStream, GTlsConnection, a guard), or NULL. */
GIOStream *gst_genesys_io_stream_base (GIOStream * io);
/* The guard under @io, looking through wrappers (SoupIOStream); NULL. */
GstGenesysGuard *gst_genesys_guard_find (GIOStream * io);

G_END_DECLS
#endif /* __GST_GENESYS_GUARD_H__ */
