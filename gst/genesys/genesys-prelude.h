/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_GENESYS_PRELUDE_H__
#define __GST_GENESYS_PRELUDE_H__

#include <gst/gst.h>

/**
 * GST_GENESYS_API:
 *
 * Marks a function of libgstgenesys-1.0's API. The library is built with
 * hidden visibility: whatever this macro does not mark stays inside it.
 */
#ifndef GST_GENESYS_API
#ifdef BUILDING_GST_GENESYS
#define GST_GENESYS_API GST_API_EXPORT
#else
#define GST_GENESYS_API GST_API_IMPORT
#endif
#endif

#endif /* __GST_GENESYS_PRELUDE_H__ */
