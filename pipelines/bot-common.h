/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the example bots in pipelines/ share: times, collecting a
 * pipeline's output, the bus's errors and warnings. */

#ifndef BOT_COMMON_H
#define BOT_COMMON_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* The pipeline's running time now, or GST_CLOCK_TIME_NONE without a clock. */
GstClockTime bot_running_time (GstElement * e);

/* @t in seconds; -1 for GST_CLOCK_TIME_NONE. */
gdouble bot_seconds (GstClockTime t);

/* Runs @desc, which ends in "appsink name=out", to its end and returns all
 * the appsink got; an element named "tts" gets @text as its "text". */
GBytes *bot_collect (const gchar * desc, const gchar * text, GError ** error);

/* EOS, ERROR (printed, sets *@failed) and WARNING (printed) messages: the
 * first two quit @loop. TRUE if @msg was one of them. */
gboolean bot_bus_common (GstMessage * msg, GMainLoop * loop,
    gboolean * failed);

G_END_DECLS

#endif /* BOT_COMMON_H */
