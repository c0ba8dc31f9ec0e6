/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Whether what is linked downstream of a source pad can block a push:
 * the test genesyssrc's push-mode=auto makes before a loop thread pushes
 * audio itself. Only elements known never to wait pass; anything else is
 * taken to block. */

#ifndef __GST_GENESYS_DOWNSTREAM_H__
#define __GST_GENESYS_DOWNSTREAM_H__

#include <gst/gst.h>

G_BEGIN_DECLS
    gboolean gst_genesys_downstream_never_blocks (GstPad * srcpad,
    gchar ** blocker);

G_END_DECLS
#endif /* __GST_GENESYS_DOWNSTREAM_H__ */
