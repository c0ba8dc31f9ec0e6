/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Prometheus text exposition: samples, escaping, histograms, the serve's
 * families; /proc/self/stat fields. */

#include <string.h>
#include "gstgenesysmetrics.h"
#include "gstgenesysservemetrics.h"

static void
test_samples (void)
{
  GString *out = g_string_new (NULL);

  gst_genesys_metrics_counter (out, "a_total", "Line one\nback\\slash", 7);
  gst_genesys_metrics_gauge (out, "b", "B", 0.25);
  gst_genesys_metrics_sample (out, "c_total", "reason", "say \"hi\"\n\\",
      G_MAXUINT64);
  gst_genesys_metrics_sample_double (out, "d", NULL, NULL, 1.0 / 0.0);
  g_assert_cmpstr (out->str, ==,
      "# HELP a_total Line one\\nback\\\\slash\n"
      "# TYPE a_total counter\n"
      "a_total 7\n"
      "# HELP b B\n"
      "# TYPE b gauge\n"
      "b 0.25\n"
      "c_total{reason=\"say \\\"hi\\\"\\n\\\\\"} 18446744073709551615\n"
      "d +Inf\n");
  g_string_free (out, TRUE);
}

/* Buckets are cumulative and hold values up to and including their
 * bound. */
static void
test_histogram (void)
{
  static const gdouble bounds[] = { 0.1, 1, 10 };
  static const gdouble values[] = { 0.05, 0.1, 0.5, 1, 5, 50, 0 };
  GstGenesysHistogram h;
  GString *out = g_string_new (NULL);
  guint i;

  gst_genesys_histogram_init (&h, bounds, G_N_ELEMENTS (bounds));
  for (i = 0; i < G_N_ELEMENTS (values); i++)
    gst_genesys_histogram_observe (&h, values[i]);
  gst_genesys_metrics_histogram (out, "x_seconds", "X", &h);
  g_assert_cmpstr (out->str, ==,
      "# HELP x_seconds X\n"
      "# TYPE x_seconds histogram\n"
      "x_seconds_bucket{le=\"0.1\"} 3\n"
      "x_seconds_bucket{le=\"1\"} 5\n"
      "x_seconds_bucket{le=\"10\"} 6\n"
      "x_seconds_bucket{le=\"+Inf\"} 7\n"
      "x_seconds_sum 56.65\n" "x_seconds_count 7\n");
  g_string_free (out, TRUE);
}

typedef struct
{
  const gchar *text;
  gboolean ok;
  guint64 utime, stime, start, vsize, rss;
} StatCase;

static const StatCase stat_cases[] = {
  {"26563 (cat) R 26559 26559 23959 0 -1 4194304 99 0 0 0 12 34 0 0 20 0 1 "
        "0 1871864 3133440 388 18446744073709551615 9473", TRUE, 12, 34,
      1871864, 3133440, 388},
  /* a command name with spaces and parentheses */
  {"7 (a) b (c) S 1 7 7 0 -1 4194560 5 0 0 0 100 200 0 0 20 0 9 0 55 4096 "
        "3 18446744073709551615", TRUE, 100, 200, 55, 4096, 3},
  {"7 (cut) S 1 7 7 0 -1 4194560 5 0 0 0 100", FALSE},
  {"no parenthesis", FALSE},
  {"1 (x)", FALSE},
  {"", FALSE},
};

static void
test_proc_stat (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (stat_cases); i++) {
    const StatCase *c = &stat_cases[i];
    guint64 u = 0, s = 0, st = 0, v = 0, r = 0;
    gboolean ok = gst_genesys_metrics_parse_proc_stat (c->text, &u, &s, &st,
        &v, &r);
    if (ok != c->ok)
      g_error ("case %u: parsed %d, expected %d", i, ok, c->ok);
    if (ok && (u != c->utime || s != c->stime || st != c->start
            || v != c->vsize || r != c->rss))
      g_error ("case %u: %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %"
          G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, i, u,
          s, st, v, r);
  }
}

/* Every family once, with HELP before TYPE before its samples; values
 * where the snapshot put them. */
static void
test_serve_render (void)
{
  GstGenesysServeMetrics m;
  GString *out = g_string_new (NULL);
  GHashTable *families = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  gchar **lines;
  guint i;

  gst_genesys_serve_metrics_init (&m);
  m.stats.sessions = 3;
  m.stats.auth_failures = 2;
  m.auth_failures[AH_SIGNATURE_ERROR_MISMATCH] = 2;
  m.gap_time = 1500 * GST_MSECOND;
  gst_genesys_histogram_observe (&m.pong_rtt, 0.002);
  gst_genesys_serve_metrics_render (&m, out);
  g_assert_nonnull (strstr (out->str, "\ngst_genesys_sessions 3\n"));
  g_assert_nonnull (strstr (out->str,
          "\ngst_genesys_auth_failures_total{cause=\"mismatch\"} 2\n"));
  g_assert_nonnull (strstr (out->str,
          "\ngst_genesys_upgrades_refused_total{reason=\"unauthorized\"} 2\n"));
  g_assert_nonnull (strstr (out->str, "\ngst_genesys_gap_seconds_total 1.5\n"));
  g_assert_nonnull (strstr (out->str,
          "\ngst_genesys_pong_rtt_seconds_bucket{le=\"0.0025\"} 1\n"));
  /* without /proc values, no process_ family */
  g_assert_null (strstr (out->str, "process_"));

  lines = g_strsplit (out->str, "\n", -1);
  for (i = 0; lines[i] && *lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "# HELP ")) {
      gchar **w = g_strsplit (lines[i], " ", 4);
      g_assert_false (g_hash_table_contains (families, w[2]));
      g_hash_table_add (families, g_strdup (w[2]));
      g_assert_true (g_str_has_prefix (lines[i + 1], "# TYPE "));
      g_assert_true (g_str_has_prefix (lines[i + 1] + 7, w[2]));
      g_strfreev (w);
    }
  }
  g_assert_cmpuint (g_hash_table_size (families), >=, 25);
  g_strfreev (lines);
  g_hash_table_unref (families);
  g_string_free (out, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/samples", test_samples);
  g_test_add_func ("/metrics/histogram", test_histogram);
  g_test_add_func ("/metrics/proc-stat", test_proc_stat);
  g_test_add_func ("/metrics/serve-render", test_serve_render);
  return g_test_run ();
}
