/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The health port: a plain HTTP listener for load balancers, orchestrators
 * and Prometheus. Reads one request per connection (gstgenesyshealth.c
 * says which page), asks its owner for the answer, writes it and closes. */

#ifndef __GST_GENESYS_HEALTH_PORT_H__
#define __GST_GENESYS_HEALTH_PORT_H__

#include <gio/gio.h>
#include "gstgenesyshealth.h"

G_BEGIN_DECLS typedef struct _GstGenesysHealthPort GstGenesysHealthPort;

/* The answer to @page: its HTTP status; @body is filled (sent unless the
 * request was HEAD), *@content_type may be changed from text/plain. */
typedef guint (*GstGenesysHealthAnswerFunc) (GstGenesysHealthPage page,
    GString * body, const gchar ** content_type, gpointer user_data);

/* Listens on @address:@port (0: a free one); @answer runs in @context,
 * which must be the thread-default context of the caller. */
GstGenesysHealthPort *gst_genesys_health_port_new (GMainContext * context,
    const gchar * address, guint port, GstGenesysHealthAnswerFunc answer,
    gpointer user_data, GError ** error);
guint gst_genesys_health_port_get_port (GstGenesysHealthPort * port);

/* Stops listening; requests still being answered end on their own, and
 * @answer is not called again. From @context's thread. */
void gst_genesys_health_port_free (GstGenesysHealthPort * port);

G_END_DECLS
#endif /* __GST_GENESYS_HEALTH_PORT_H__ */
