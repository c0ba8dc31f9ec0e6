/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a GstGenesysServe counts beyond its public stats, and the whole of
 * it as Prometheus metrics (/metrics on the health port). Pure: the serve
 * fills a snapshot, this renders it. */

#ifndef __GST_GENESYS_SERVE_METRICS_H__
#define __GST_GENESYS_SERVE_METRICS_H__

#include "gstgenesysserve.h"
#include "gstgenesysmetrics.h"
#include "audiohook/ah-signature.h"

G_BEGIN_DECLS typedef struct
{
  GstGenesysServeStats stats;
  guint64 auth_failures[AH_SIGNATURE_ERROR_N_CODES];    /* by cause */
  GstClockTime gap_time;        /* genesys-gap durations */
  GstClockTime late_time;       /* calls' genesyssrc late-duration */
  GstClockTime late_dropped_time;       /* and late-dropped-duration */
  guint64 sent_frames;          /* audio messages sent (whole process) */
  guint64 sent_bytes;
  guint64 reconnects;           /* sessions sent `reconnect` (drain) */
  guint64 moved_in;             /* calls that went on here from elsewhere */
  guint64 registry_errors;      /* registry writes and lookups that failed */
  guint64 relayed;              /* sessions relayed to their call's owner */
  guint64 relay_hops;           /* hop sessions opened by ended relays */
  guint64 relay_fallbacks;      /* relays the owner did not open: moved */
  GstGenesysHistogram pong_rtt; /* seconds, the rtt clients report in ping */
  GstGenesysHistogram open_time;        /* seconds, open -> opened of calls */

  /* process_*; not rendered when !have_process */
  gboolean have_process;
  gdouble cpu_seconds;
  gdouble start_time;           /* seconds since the epoch */
  guint64 resident_bytes;
  guint64 virtual_bytes;
  guint64 open_fds;
  guint64 max_fds;
} GstGenesysServeMetrics;

/* Zeroes @m and sets its histograms' buckets. */
void gst_genesys_serve_metrics_init (GstGenesysServeMetrics * m);

/* Appends the exposition of @m to @out. */
void gst_genesys_serve_metrics_render (const GstGenesysServeMetrics * m,
    GString * out);

G_END_DECLS
#endif /* __GST_GENESYS_SERVE_METRICS_H__ */
