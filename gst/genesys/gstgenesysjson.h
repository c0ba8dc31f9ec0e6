/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON members as GstStructure fields, for bus messages an application
 * reads without a JSON parser: a string stays a string, an integer is a
 * gint64, another number a gdouble, true/false a gboolean, null a NULL
 * string, an object a nested GstStructure named "object" and an array a
 * GstValueArray of the same conversions (of the JSON text of each member
 * when they are not all of one type). Member names are kept as they are.
 * Pure. */

#ifndef __GST_GENESYS_JSON_H__
#define __GST_GENESYS_JSON_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

GstStructure *gst_genesys_json_to_structure (const gchar * name,
    JsonObject * object);

G_END_DECLS
#endif /* __GST_GENESYS_JSON_H__ */
