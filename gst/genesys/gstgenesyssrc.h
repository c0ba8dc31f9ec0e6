/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_SRC_H__
#define __GST_GENESYS_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>
#include "gstgenesysserver.h"

G_BEGIN_DECLS
#define GST_TYPE_GENESYS_SRC (gst_genesys_src_get_type ())
G_DECLARE_FINAL_TYPE (GstGenesysSrc, gst_genesys_src, GST, GENESYS_SRC,
    GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (genesyssrc);

gboolean gst_genesys_src_take_session (GstGenesysSrc * src,
    GstGenesysServer * server, GstGenesysConn * conn, const AhMedia * offers,
    guint n_offers, gint * chosen);

G_END_DECLS
#endif /* __GST_GENESYS_SRC_H__ */
