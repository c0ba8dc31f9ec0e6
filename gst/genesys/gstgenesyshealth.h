/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port's request reader: which page the bytes read so far ask
 * for, and the status each page answers with. Pure. */

#ifndef __GST_GENESYS_HEALTH_H__
#define __GST_GENESYS_HEALTH_H__

#include <glib.h>

G_BEGIN_DECLS typedef enum
{
  GST_GENESYS_HEALTH_INCOMPLETE = 0,    /* read more */
  GST_GENESYS_HEALTH_NOT_FOUND, /* another path or method, or no request */
  GST_GENESYS_HEALTH_HEALTH,    /* /health: for load balancers, as /ready */
  GST_GENESYS_HEALTH_READY,     /* /ready: takes new sessions (not draining) */
  GST_GENESYS_HEALTH_LIVE,      /* /live: the process runs, draining or not */
  GST_GENESYS_HEALTH_METRICS,   /* /metrics: Prometheus text exposition */
} GstGenesysHealthPage;

/* INCOMPLETE while the request's head is incomplete (no blank line yet,
 * and fewer than @capacity bytes); then the page a GET or HEAD asks for
 * (a query string is ignored), NOT_FOUND for anything else. *@head: the
 * method is HEAD (no body is sent). */
GstGenesysHealthPage gst_genesys_health_page (const gchar * request,
    gsize len, gsize capacity, gboolean * head);

/* The HTTP status of @page: 200, or 503 for HEALTH and READY while
 * @draining, 404 for NOT_FOUND. */
guint gst_genesys_health_status (GstGenesysHealthPage page, gboolean draining);

G_END_DECLS
#endif /* __GST_GENESYS_HEALTH_H__ */
