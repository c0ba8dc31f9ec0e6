/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The connection properties that genesyssrc (client mode) and genesyssink
 * share, in one home: their installation and documentation, their storage
 * (a GstGenesysClientProps inside the element, under the object lock),
 * the GstURIHandler for ws:// and wss://, the dialer configuration they
 * make, and how a client error becomes an element error. */

#ifndef __GST_GENESYS_CLIENT_PROPS_H__
#define __GST_GENESYS_CLIENT_PROPS_H__

#include <gst/gst.h>
#include "gstgenesysdialer.h"

G_BEGIN_DECLS

/* The property ids; an element numbers its own from
 * GST_GENESYS_CLIENT_PROP_LAST. */
enum
{
  GST_GENESYS_CLIENT_PROP_URI = 1,
  GST_GENESYS_CLIENT_PROP_EXTRA_HEADERS,
  GST_GENESYS_CLIENT_PROP_TLS_CA_FILE,
  GST_GENESYS_CLIENT_PROP_TLS_VALIDATION,
  GST_GENESYS_CLIENT_PROP_KEEPALIVE_INTERVAL,
  GST_GENESYS_CLIENT_PROP_KEEPALIVE_TIMEOUT,
  GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_FACTOR,
  GST_GENESYS_CLIENT_PROP_RETRY_BACKOFF_MAX,
  GST_GENESYS_CLIENT_PROP_RETRIES,
  GST_GENESYS_CLIENT_PROP_LAST
};

typedef struct
{
  gchar *uri;
  gchar *uri_error;             /* why the last uri set was refused */
  GstStructure *extra_headers;
  gchar *tls_ca_file;
  gboolean tls_validation;
  GstClockTime keepalive_interval;
  GstClockTime keepalive_timeout;
  GstClockTime retry_backoff_factor;
  GstClockTime retry_backoff_max;
  gint retries;
} GstGenesysClientProps;

/* A URI taken through the GstURIHandler (not the property), after it is
 * stored: genesyssrc selects client mode. */
typedef void (*GstGenesysUriTakenFunc) (GstElement * element);

/* class_init: installs the properties, with @scope ahead of each blurb
 * ("Client mode: " or ""), and notes where the element keeps them
 * (@offset of its GstGenesysClientProps). */
void gst_genesys_client_props_install (GObjectClass * klass, gsize offset,
    const gchar * scope, GstGenesysUriTakenFunc uri_taken);
/* For G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, ...). */
void gst_genesys_client_props_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

void gst_genesys_client_props_init (GstGenesysClientProps * props);
void gst_genesys_client_props_clear (GstGenesysClientProps * props);
/* set_property / get_property: FALSE when @prop_id is not one of these.
 * They take the object lock. */
gboolean gst_genesys_client_props_set_property (GstElement * element,
    guint prop_id, const GValue * value);
gboolean gst_genesys_client_props_get_property (GstElement * element,
    guint prop_id, GValue * value);

/* Under the object lock: @config borrows @props' strings; copy what must
 * outlive the lock with gst_genesys_client_props_copy(). */
void gst_genesys_client_props_to_dialer (const GstGenesysClientProps * props,
    GstGenesysDialerConfig * config);
void gst_genesys_client_props_copy (GstGenesysClientProps * dst,
    const GstGenesysClientProps * src);

/* Posts @error (GST_GENESYS_CLIENT_ERROR) as the element error a user of
 * @element expects: settings, not authorized, open read or write, stream
 * format or failure. */
void gst_genesys_client_props_post_error (GstElement * element,
    const GError * error);

G_END_DECLS
#endif /* __GST_GENESYS_CLIENT_PROPS_H__ */
