/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesysskew.h"

void
gst_genesys_skew_init (GstGenesysSkew * skew)
{
  memset (skew, 0, sizeof (*skew));
}

void
gst_genesys_skew_reset (GstGenesysSkew * skew)
{
  skew->first = 0;
  skew->n = 0;
  skew->fit_state = 0;
}

static gint64
round_to_int (gdouble v)
{
  return (gint64) (v + (v >= 0 ? 0.5 : -0.5));
}

static GstGenesysSkewPoint *
point (const GstGenesysSkew * skew, guint i)
{
  return (GstGenesysSkewPoint *) skew->points + (skew->first + i) %
      GST_GENESYS_SKEW_BUCKETS;
}

static gint64
lateness (const GstGenesysSkewPoint * p)
{
  return (gint64) p->y - (gint64) p->x;
}

void
gst_genesys_skew_add (GstGenesysSkew * skew, GstClockTime x, GstClockTime y)
{
  guint64 bucket = x / GST_GENESYS_SKEW_BUCKET;
  GstGenesysSkewPoint p = { x, y };

  if (skew->n > 0 && bucket <= skew->bucket) {
    /* the earliest arrival of the newest bucket stands for it */
    GstGenesysSkewPoint *last = point (skew, skew->n - 1);
    if (bucket == skew->bucket && lateness (&p) < lateness (last)) {
      *last = p;
      skew->fit_state = 0;
    }
    return;
  }
  /* points older than the kept span go */
  while (skew->n > 0 && point (skew, 0)->x / GST_GENESYS_SKEW_BUCKET +
      GST_GENESYS_SKEW_BUCKETS <= bucket) {
    skew->first = (skew->first + 1) % GST_GENESYS_SKEW_BUCKETS;
    skew->n--;
  }
  *point (skew, skew->n) = p;
  skew->n++;
  skew->bucket = bucket;
  skew->fit_state = 0;
}

/* Cross product of (b - a) and (c - a) in coordinates relative to the
 * newest point: > 0 when a, b, c turn counter-clockwise. */
static gdouble
cross (const gdouble * ax, const gdouble * ay, guint a, guint b, guint c)
{
  return (ax[b] - ax[a]) * (ay[c] - ay[a]) - (ay[b] - ay[a]) * (ax[c] - ax[a]);
}

/* The envelope of the points: FALSE when they give none. */
static gboolean
fit (const GstGenesysSkew * skew, gdouble * slope_out, gdouble * height_out,
    gint64 * ppb)
{
  gdouble px[GST_GENESYS_SKEW_BUCKETS], py[GST_GENESYS_SKEW_BUCKETS];
  guint hull[GST_GENESYS_SKEW_BUCKETS];
  const GstGenesysSkewPoint *newest;
  gdouble slope, mean = 0, height = G_MAXDOUBLE, max_slope;
  guint i, h = 0;

  if (skew->n == 0)
    return FALSE;
  newest = point (skew, skew->n - 1);
  /* relative to the newest point: small numbers, exact in a double */
  for (i = 0; i < skew->n; i++) {
    const GstGenesysSkewPoint *p = point (skew, i);
    px[i] = (gdouble) ((gint64) p->x - (gint64) newest->x);
    py[i] = (gdouble) ((gint64) p->y - (gint64) newest->y);
    mean += px[i];
  }
  mean /= skew->n;

  /* a clock shows itself over time on both sides, not in a burst */
  if (newest->x - point (skew, 0)->x < GST_GENESYS_SKEW_MIN_SPAN
      || newest->y - point (skew, 0)->y < GST_GENESYS_SKEW_MIN_SPAN / 2)
    return FALSE;

  /* lower hull, points in order of x (monotone chain) */
  for (i = 0; i < skew->n; i++) {
    while (h >= 2 && cross (px, py, hull[h - 2], hull[h - 1], i) <= 0)
      h--;
    hull[h++] = i;
  }
  /* the edge over the mean */
  slope = 1.0;
  for (i = 0; i + 1 < h; i++) {
    if (px[hull[i + 1]] >= mean || i + 2 == h) {
      slope = (py[hull[i + 1]] - py[hull[i]]) / (px[hull[i + 1]] - px[hull[i]]);
      break;
    }
  }
  max_slope = GST_GENESYS_SKEW_MAX_PPM / 1e6;
  if (slope < 1.0 - max_slope || slope > 1.0 + max_slope)
    return FALSE;
  *ppb = round_to_int ((slope - 1.0) * 1e9);

  /* the line of that slope under every point */
  for (i = 0; i < skew->n; i++)
    height = MIN (height, py[i] - slope * px[i]);
  *slope_out = slope;
  *height_out = height;
  return TRUE;
}

/* The fit is kept until the points change: most audio adds none (a
 * point per bucket, the earliest arrival in it). */
gboolean
gst_genesys_skew_envelope (GstGenesysSkew * skew, GstClockTime x,
    gint64 * ppb, GstClockTimeDiff * at)
{
  const GstGenesysSkewPoint *newest;

  if (skew->fit_state == 0)
    skew->fit_state = fit (skew, &skew->fit_slope, &skew->fit_height,
        &skew->fit_ppb) ? 2 : 1;
  if (skew->fit_state == 1)
    return FALSE;
  newest = point (skew, skew->n - 1);
  *ppb = skew->fit_ppb;
  *at = (GstClockTimeDiff) newest->y +
      (GstClockTimeDiff) round_to_int (skew->fit_height +
      skew->fit_slope * (gdouble) ((gint64) x - (gint64) newest->x));
  return TRUE;
}
