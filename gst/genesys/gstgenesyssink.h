/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_SINK_H__
#define __GST_GENESYS_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS
#define GST_TYPE_GENESYS_SINK (gst_genesys_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstGenesysSink, gst_genesys_sink, GST, GENESYS_SINK,
    GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (genesyssink);

G_END_DECLS
#endif /* __GST_GENESYS_SINK_H__ */
