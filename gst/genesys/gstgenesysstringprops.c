/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Plain string properties from a table, see gstgenesysstringprops.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysstringprops.h"

static const GstGenesysStringProp *
find_row (const GstGenesysStringProp * props, guint prop_id)
{
  for (; props->name != NULL; props++) {
    if (props->prop_id == prop_id)
      return props;
  }
  return NULL;
}

void
gst_genesys_string_props_install (GObjectClass * klass,
    const GstGenesysStringProp * props, GParamFlags flags)
{
  for (; props->name != NULL; props++) {
    g_object_class_install_property (klass, props->prop_id,
        g_param_spec_string (props->name, props->nick, props->blurb,
            props->default_value, flags));
  }
}

void
gst_genesys_string_props_init (gpointer instance,
    const GstGenesysStringProp * props)
{
  for (; props->name != NULL; props++)
    G_STRUCT_MEMBER (gchar *, instance, props->offset) =
        g_strdup (props->default_value);
}

void
gst_genesys_string_props_free (gpointer instance,
    const GstGenesysStringProp * props)
{
  for (; props->name != NULL; props++)
    g_clear_pointer (&G_STRUCT_MEMBER (gchar *, instance, props->offset),
        g_free);
}

gboolean
gst_genesys_string_props_set (gpointer instance,
    const GstGenesysStringProp * props, guint prop_id, const GValue * value)
{
  const GstGenesysStringProp *row = find_row (props, prop_id);
  gchar **field;

  if (row == NULL)
    return FALSE;
  field = G_STRUCT_MEMBER_P (instance, row->offset);
  g_free (*field);
  *field = g_value_dup_string (value);
  return TRUE;
}

gboolean
gst_genesys_string_props_get (gpointer instance,
    const GstGenesysStringProp * props, guint prop_id, GValue * value)
{
  const GstGenesysStringProp *row = find_row (props, prop_id);

  if (row == NULL)
    return FALSE;
  g_value_set_string (value, G_STRUCT_MEMBER (gchar *, instance, row->offset));
  return TRUE;
}
