/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Estimates a sender's clock against ours from when its audio arrives.
 * Pure: the caller passes (sender time, arrival running time) pairs.
 *
 * Network and scheduling delays only ever make audio late, never early, so
 * the earliest arrivals follow the sender's clock: the estimate is the
 * lower envelope of the arrivals over the last half minute, a line under
 * every point (the lower convex hull's edge above the points' mean sender
 * time, which minimises the points' summed height above it). Points are
 * kept one per bucket of sender time, the earliest of each. */

#ifndef __GST_GENESYS_SKEW_H__
#define __GST_GENESYS_SKEW_H__

#include <gst/gst.h>

G_BEGIN_DECLS
/* Sender time per bucket, and how many buckets are kept. */
#define GST_GENESYS_SKEW_BUCKET (500 * GST_MSECOND)
#define GST_GENESYS_SKEW_BUCKETS 64
/* The envelope is trusted once the points span this much sender time (and
 * half as much arrival time: a burst shows no clock). */
#define GST_GENESYS_SKEW_MIN_SPAN (2 * GST_SECOND)
/* Rates beyond this are not clocks but something else (a stall, a burst). */
#define GST_GENESYS_SKEW_MAX_PPM 50000
    typedef struct
{
  GstClockTime x;               /* sender time */
  GstClockTime y;               /* arrival running time */
} GstGenesysSkewPoint;

typedef struct
{
  GstGenesysSkewPoint points[GST_GENESYS_SKEW_BUCKETS];
  guint first;                  /* ring: oldest point */
  guint n;
  guint64 bucket;               /* of the newest point */
  /* the envelope of the points as they are: @fit_state 0 not computed
   * since they changed, 1 none, 2 the line through the newest point of
   * slope @fit_slope, @fit_height under it, rate @fit_ppb */
  guint fit_state;
  gdouble fit_slope, fit_height;
  gint64 fit_ppb;
} GstGenesysSkew;

void gst_genesys_skew_init (GstGenesysSkew * skew);
/* Forget the points (the sender's time was re-placed). */
void gst_genesys_skew_reset (GstGenesysSkew * skew);
/* Sender time @x arrived at running time @y. Sender time must not go back
 * by more than a bucket. */
void gst_genesys_skew_add (GstGenesysSkew * skew, GstClockTime x,
    GstClockTime y);

/* The lower envelope: arrival = @at + (x - @x) * (1 + *@ppb / 1e9), evaluated
 * at sender time @x. *@ppb is the sender's rate against ours in parts per
 * billion (positive: a slow sender, its second lasts longer here). Returns
 * FALSE (and leaves both alone) while the points span too little time, or
 * when their rate is no clock's (beyond GST_GENESYS_SKEW_MAX_PPM). */
gboolean gst_genesys_skew_envelope (GstGenesysSkew * skew,
    GstClockTime x, gint64 * ppb, GstClockTimeDiff * at);

G_END_DECLS
#endif /* __GST_GENESYS_SKEW_H__ */
