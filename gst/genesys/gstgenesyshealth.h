/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's request reader: what to answer to the bytes read so
 * far. Pure. */

#ifndef __GST_GENESYS_HEALTH_H__
#define __GST_GENESYS_HEALTH_H__

#include <glib.h>

G_BEGIN_DECLS

/* 0 while the request is incomplete (no blank line yet, and fewer than
 * @capacity bytes); then 200 for GET or HEAD /health (503 when
 * @draining), 404 for anything else. */
guint gst_genesys_health_status (const gchar * request, gsize len,
    gsize capacity, gboolean draining);

G_END_DECLS
#endif /* __GST_GENESYS_HEALTH_H__ */
