/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Prometheus text exposition (format 0.0.4): metric families, samples with
 * labels, histograms with cumulative buckets. Pure: it writes into a
 * GString what it is given. */

#ifndef __GST_GENESYS_METRICS_H__
#define __GST_GENESYS_METRICS_H__

#include <glib.h>

G_BEGIN_DECLS
#define GST_GENESYS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define GST_GENESYS_HISTOGRAM_MAX_BOUNDS 16
/* Observations counted in buckets with upper bounds @bounds (ascending,
 * at most GST_GENESYS_HISTOGRAM_MAX_BOUNDS; +Inf is implied). */
    typedef struct
{
  const gdouble *bounds;
  guint n_bounds;
  guint64 counts[GST_GENESYS_HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket */
  guint64 count;
  gdouble sum;
} GstGenesysHistogram;

void gst_genesys_histogram_init (GstGenesysHistogram * h,
    const gdouble * bounds, guint n_bounds);
void gst_genesys_histogram_observe (GstGenesysHistogram * h, gdouble value);

/* `# HELP` (escaped) and `# TYPE` lines of a family; @type is counter,
 * gauge or histogram. */
void gst_genesys_metrics_family (GString * out, const gchar * name,
    const gchar * type, const gchar * help);

/* One sample line; @label and @label_value may be %NULL (no label); the
 * value is escaped. */
void gst_genesys_metrics_sample (GString * out, const gchar * name,
    const gchar * label, const gchar * label_value, guint64 value);
void gst_genesys_metrics_sample_double (GString * out, const gchar * name,
    const gchar * label, const gchar * label_value, gdouble value);

/* A family with one sample each: counter (@name ends in _total) or
 * gauge. */
void gst_genesys_metrics_counter (GString * out, const gchar * name,
    const gchar * help, guint64 value);
void gst_genesys_metrics_gauge (GString * out, const gchar * name,
    const gchar * help, gdouble value);

/* The family of @h: _bucket lines (cumulative, le="..." then le="+Inf"),
 * _sum and _count. */
void gst_genesys_metrics_histogram (GString * out, const gchar * name,
    const gchar * help, const GstGenesysHistogram * h);

/* What process_* metrics need, from the text of /proc/self/stat: user
 * and system CPU time in clock ticks, start time in ticks after boot,
 * virtual size and resident pages. FALSE when it does not parse. */
gboolean gst_genesys_metrics_parse_proc_stat (const gchar * text,
    guint64 * utime, guint64 * stime, guint64 * starttime, guint64 * vsize,
    guint64 * rss_pages);

G_END_DECLS
#endif /* __GST_GENESYS_METRICS_H__ */
