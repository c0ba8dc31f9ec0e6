/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_ELEMENTS_H__
#define __GST_GENESYS_ELEMENTS_H__

#include <gst/gst.h>
#include "genesys-prelude.h"

G_BEGIN_DECLS

GST_GENESYS_API
gboolean gst_genesys_elements_register (GstPlugin * plugin);

G_END_DECLS
#endif /* __GST_GENESYS_ELEMENTS_H__ */
