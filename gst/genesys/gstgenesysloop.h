/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A GMainContext with a thread of its own, and a poller on it. libsoup
 * objects are created, used and destroyed on it; other threads hand it
 * work with gst_genesys_loop_invoke(). */

#ifndef __GST_GENESYS_LOOP_H__
#define __GST_GENESYS_LOOP_H__

#include <glib.h>
#include "gstgenesyspoller.h"

G_BEGIN_DECLS typedef struct _GstGenesysLoop GstGenesysLoop;

GstGenesysLoop *gst_genesys_loop_new (const gchar * name);
GstGenesysLoop *gst_genesys_loop_ref (GstGenesysLoop * loop);
/* The last unref stops the thread and joins it; on the loop's own thread
 * (inside a callback) it stops the thread, which then frees the loop. */
void gst_genesys_loop_unref (GstGenesysLoop * loop);

GMainContext *gst_genesys_loop_get_context (GstGenesysLoop * loop);
/* The poller on the loop's context (gstgenesyspoller.h): used on the loop
 * thread only; made with the loop, freed on its thread when it stops. */
GstGenesysPoller *gst_genesys_loop_get_poller (GstGenesysLoop * loop);
gboolean gst_genesys_loop_is_current (GstGenesysLoop * loop);

/* Runs @func on the loop thread soon (at high priority). */
void gst_genesys_loop_invoke (GstGenesysLoop * loop, GSourceFunc func,
    gpointer data, GDestroyNotify notify);
/* Runs @func on the loop thread and waits for it to return (directly when
 * called on the loop thread). */
void gst_genesys_loop_invoke_sync (GstGenesysLoop * loop, GSourceFunc func,
    gpointer data);
/* A timeout source on the loop's context; returns the attached source. */
GSource *gst_genesys_loop_add_timeout (GstGenesysLoop * loop, guint ms,
    GSourceFunc func, gpointer data, GDestroyNotify notify);

G_END_DECLS
#endif /* __GST_GENESYS_LOOP_H__ */
