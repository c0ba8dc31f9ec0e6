/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* An element's plain string properties as a table: one row names the
 * property and the gchar * of the instance that holds it, and the table
 * installs them, gives them their defaults, sets, gets and frees them.
 * The gtk-doc block of each property stays in the element's file, at its
 * row. */

#ifndef __GST_GENESYS_STRING_PROPS_H__
#define __GST_GENESYS_STRING_PROPS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  guint prop_id;
  const gchar *name;
  const gchar *nick;
  const gchar *blurb;
  const gchar *default_value;
  gsize offset;                 /* of the gchar * in the instance */
} GstGenesysStringProp;

/* Tables end with a row whose name is NULL. */

/* class_init: @props with @flags (static strings: the table's are). */
void gst_genesys_string_props_install (GObjectClass * klass,
    const GstGenesysStringProp * props, GParamFlags flags);

/* instance_init and finalize: copies of the defaults, then freed. */
void gst_genesys_string_props_init (gpointer instance,
    const GstGenesysStringProp * props);
void gst_genesys_string_props_free (gpointer instance,
    const GstGenesysStringProp * props);

/* set_property / get_property, under the object lock: FALSE when
 * @prop_id has no row in @props. */
gboolean gst_genesys_string_props_set (gpointer instance,
    const GstGenesysStringProp * props, guint prop_id, const GValue * value);
gboolean gst_genesys_string_props_get (gpointer instance,
    const GstGenesysStringProp * props, guint prop_id, GValue * value);

G_END_DECLS
#endif /* __GST_GENESYS_STRING_PROPS_H__ */
