/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgenesysenums.h"

G_DEFINE_ENUM_TYPE (GstGenesysGapMode, gst_genesys_gap_mode,
    G_DEFINE_ENUM_VALUE (GST_GENESYS_GAP_MODE_GAP_EVENT, "gap-event"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_GAP_MODE_SILENCE, "silence"));

G_DEFINE_ENUM_TYPE (GstGenesysMediaPreference, gst_genesys_media_preference,
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MEDIA_PREFERENCE_STEREO, "stereo"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MEDIA_PREFERENCE_EXTERNAL, "external"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MEDIA_PREFERENCE_INTERNAL, "internal"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MEDIA_PREFERENCE_FIRST, "first"));

G_DEFINE_ENUM_TYPE (GstGenesysMode, gst_genesys_mode,
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MODE_SERVER, "server"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MODE_CLIENT, "client"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_MODE_EXTERNAL, "external"));

G_DEFINE_ENUM_TYPE (GstGenesysPushMode, gst_genesys_push_mode,
    G_DEFINE_ENUM_VALUE (GST_GENESYS_PUSH_MODE_THREAD, "thread"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_PUSH_MODE_LOOP, "loop"),
    G_DEFINE_ENUM_VALUE (GST_GENESYS_PUSH_MODE_AUTO, "auto"));

/* @nick: thread, loop or auto; FALSE for anything else */
gboolean
gst_genesys_push_mode_from_nick (const gchar * nick, GstGenesysPushMode * mode)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_GENESYS_PUSH_MODE);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick);

  if (value)
    *mode = value->value;
  g_type_class_unref (klass);
  return value != NULL;
}
