/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gstgenesysmetrics.h"

void
gst_genesys_histogram_init (GstGenesysHistogram * h, const gdouble * bounds,
    guint n_bounds)
{
  g_return_if_fail (n_bounds <= GST_GENESYS_HISTOGRAM_MAX_BOUNDS);
  memset (h, 0, sizeof (*h));
  h->bounds = bounds;
  h->n_bounds = n_bounds;
}

void
gst_genesys_histogram_observe (GstGenesysHistogram * h, gdouble value)
{
  guint i = 0;

  while (i < h->n_bounds && value > h->bounds[i])
    i++;
  h->counts[i]++;
  h->count++;
  h->sum += value;
}

/* HELP text: backslash and line feed escaped. Label values: also the
 * double quote. */
static void
append_escaped (GString * out, const gchar * text, gboolean quote)
{
  const gchar *p;

  for (p = text; *p; p++) {
    if (*p == '\\')
      g_string_append (out, "\\\\");
    else if (*p == '\n')
      g_string_append (out, "\\n");
    else if (quote && *p == '"')
      g_string_append (out, "\\\"");
    else
      g_string_append_c (out, *p);
  }
}

void
gst_genesys_metrics_family (GString * out, const gchar * name,
    const gchar * type, const gchar * help)
{
  g_string_append_printf (out, "# HELP %s ", name);
  append_escaped (out, help, FALSE);
  g_string_append_printf (out, "\n# TYPE %s %s\n", name, type);
}

static void
append_name (GString * out, const gchar * name, const gchar * label,
    const gchar * label_value)
{
  g_string_append (out, name);
  if (label) {
    g_string_append_printf (out, "{%s=\"", label);
    append_escaped (out, label_value ? label_value : "", TRUE);
    g_string_append (out, "\"}");
  }
  g_string_append_c (out, ' ');
}

/* 15 significant digits: 0.15 stays 0.15 (not 0.14999999999999999), and
 * counters of seconds keep microseconds for years. */
static const gchar *
format_double (gchar * buf, gdouble value)
{
  return g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", value);
}

static void
append_double (GString * out, gdouble value)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    g_string_append (out, "NaN");
  else if (isinf (value))
    g_string_append (out, value > 0 ? "+Inf" : "-Inf");
  else
    g_string_append (out, format_double (buf, value));
}

void
gst_genesys_metrics_sample (GString * out, const gchar * name,
    const gchar * label, const gchar * label_value, guint64 value)
{
  append_name (out, name, label, label_value);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\n", value);
}

void
gst_genesys_metrics_sample_double (GString * out, const gchar * name,
    const gchar * label, const gchar * label_value, gdouble value)
{
  append_name (out, name, label, label_value);
  append_double (out, value);
  g_string_append_c (out, '\n');
}

void
gst_genesys_metrics_counter (GString * out, const gchar * name,
    const gchar * help, guint64 value)
{
  gst_genesys_metrics_family (out, name, "counter", help);
  gst_genesys_metrics_sample (out, name, NULL, NULL, value);
}

void
gst_genesys_metrics_gauge (GString * out, const gchar * name,
    const gchar * help, gdouble value)
{
  gst_genesys_metrics_family (out, name, "gauge", help);
  gst_genesys_metrics_sample_double (out, name, NULL, NULL, value);
}

void
gst_genesys_metrics_histogram (GString * out, const gchar * name,
    const gchar * help, const GstGenesysHistogram * h)
{
  gchar *series = g_strconcat (name, "_bucket", NULL);
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 below = 0;
  guint i;

  gst_genesys_metrics_family (out, name, "histogram", help);
  for (i = 0; i < h->n_bounds; i++) {
    below += h->counts[i];
    gst_genesys_metrics_sample (out, series, "le",
        format_double (buf, h->bounds[i]), below);
  }
  gst_genesys_metrics_sample (out, series, "le", "+Inf", h->count);
  g_free (series);
  g_string_append_printf (out, "%s_sum ", name);
  append_double (out, h->sum);
  g_string_append_printf (out, "\n%s_count %" G_GUINT64_FORMAT "\n", name,
      h->count);
}

gboolean
gst_genesys_metrics_parse_proc_stat (const gchar * text, guint64 * utime,
    guint64 * stime, guint64 * starttime, guint64 * vsize, guint64 * rss_pages)
{
  /* pid (comm) state ...: comm may hold spaces and parentheses, so the
   * fields are counted after its last ')' */
  const gchar *p = strrchr (text, ')');
  guint64 fields[24 - 3 + 1];
  guint n;

  if (!p)
    return FALSE;
  p++;
  /* fields 3 (state) onwards; field k is fields[k - 3], state skipped */
  while (*p == ' ')
    p++;
  if (*p == '\0' || p[1] != ' ')
    return FALSE;
  p += 2;
  /* fields 4 to 24 */
  for (n = 1; n < G_N_ELEMENTS (fields); n++) {
    gchar *end;
    fields[n] = g_ascii_strtoull (p, &end, 10);
    if (end == p)
      return FALSE;
    p = end;
    while (*p == ' ')
      p++;
  }
  *utime = fields[14 - 3];
  *stime = fields[15 - 3];
  *starttime = fields[22 - 3];
  *vsize = fields[23 - 3];
  *rss_pages = fields[24 - 3];
  return TRUE;
}
