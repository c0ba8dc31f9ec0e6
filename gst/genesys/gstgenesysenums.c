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
