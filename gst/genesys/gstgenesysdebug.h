/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The debug category of a file that is not an element, made on its first
 * use: no log line can meet a category that does not exist yet, whichever
 * function runs first. In the file:
 *
 *   GST_GENESYS_DEBUG_CATEGORY ("genesysconn", "Genesys ... connections");
 *   #define GST_CAT_DEFAULT ensure_debug_category ()
 */

#ifndef __GST_GENESYS_DEBUG_H__
#define __GST_GENESYS_DEBUG_H__

#include <gst/gst.h>

#define GST_GENESYS_DEBUG_CATEGORY(name, description)                   \
static GstDebugCategory *                                               \
ensure_debug_category (void)                                            \
{                                                                       \
  static gsize cat = 0;                                                 \
                                                                        \
  if (g_once_init_enter (&cat))                                         \
    g_once_init_leave (&cat,                                            \
        (gsize) _gst_debug_category_new (name, 0, description));       \
  return (GstDebugCategory *) cat;                                      \
}

#endif /* __GST_GENESYS_DEBUG_H__ */
