/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The two clocks of the plugin's I/O: monotonic nanoseconds (AhSession's
 * time base) and the duration of AudioHook samples. */

#ifndef __GST_GENESYS_TIME_H__
#define __GST_GENESYS_TIME_H__

#include <gst/gst.h>
#include "audiohook/ah-message.h"

G_BEGIN_DECLS

/* Monotonic nanoseconds, the time base for AhSession. */
static inline guint64
gst_genesys_now (void)
{
  return (guint64) g_get_monotonic_time () * 1000;
}

/* The duration of @samples at AH_RATE. */
static inline GstClockTime
gst_genesys_samples_to_time (guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, AH_RATE);
}

G_END_DECLS
#endif /* __GST_GENESYS_TIME_H__ */
