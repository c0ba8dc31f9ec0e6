/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The sender's rate as genesyssrc's timeline recovers it, against the true
 * rate, over an hour of simulated time. The timeline is pure (it is given
 * arrival times, it reads no clock), so an hour runs in a second: a sender
 * whose clock wanders between -5000 and +5000 ppm (a sine, period 30 min),
 * 200 ms frames, each 0-150 ms late on the network (order kept), a drop
 * every 45 s whose outage (1-3 s) the continuation reports as discarded.
 *
 *   bench-rate [OUTDIR]    writes bench-rate.csv and, with gnuplot,
 *                          bench-rate.png
 *
 * Prints the largest and typical gap between the recovered and the true
 * rate after the first minute, the largest output lateness (PTS to
 * arrival of a frame's first sample) and whether every sample was output.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include "gstgenesystimeline.h"

#define RATE 8000
#define FRAME 1600
#define HOUR (3600 * RATE)

static gdouble
true_ppm (gdouble t)
{
  return 5000.0 * sin (2 * G_PI * t / 1800.0);
}

static int
compare_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  const gchar *outdir = argc > 1 ? argv[1] : ".";
  gchar *csv_path = g_build_filename (outdir, "bench-rate.csv", NULL);
  gchar *png_path = g_build_filename (outdir, "bench-rate.png", NULL);
  FILE *csv = fopen (csv_path, "w");
  GRand *rand = g_rand_new_with_seed (1);
  GstGenesysTimeline tl;
  GArray *errors = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GArray *slope_errors = g_array_new (FALSE, FALSE, sizeof (gdouble));
  guint64 pos = 0, sent = 0, out = 0, gaps = 0, reported = 0;
  guint64 next_drop = 45 * RATE, next_sample = 0;
  gdouble wall = 0, max_error = 0;
  GstClockTime last_arrival = 0;
  GstClockTimeDiff max_late = 0;
  guint drops = 0;
  gchar *cmd;

  gst_init (&argc, &argv);
  if (!csv) {
    g_printerr ("cannot write %s\n", csv_path);
    return 1;
  }
  fprintf (csv, "time_s,true_ppm,recovered_ppm,slope_ppm,lateness_ms\n");
  gst_genesys_timeline_init (&tl, RATE);

  while (pos < HOUR) {
    GstGenesysSpan span, gap, late;
    GstClockTime arrival;
    guint64 skip;

    if (pos >= next_drop) {
      /* the outage, in sender time, reported on the continuation */
      guint64 outage = RATE + g_rand_int_range (rand, 0, 2 * RATE + 1);
      outage -= outage % 8;
      if (gst_genesys_timeline_gap (&tl, pos, outage, GST_CLOCK_TIME_NONE,
              &span))
        gaps += span.samples;
      reported += outage;
      wall += outage / (gdouble) RATE *(1 + true_ppm (wall) / 1e6);
      pos += outage;
      next_drop += 45 * RATE;
      drops++;
    }
    /* a frame's 200 ms of sender time last (1 + ppm) x 200 ms here */
    wall += FRAME / (gdouble) RATE *(1 + true_ppm (wall) / 1e6);
    arrival = (GstClockTime) (wall * GST_SECOND) +
        g_rand_int_range (rand, 0, 151) * GST_MSECOND;
    arrival = MAX (arrival, last_arrival);
    last_arrival = arrival;

    if (gst_genesys_timeline_audio (&tl, pos, FRAME, arrival, &span, &gap,
            &skip)) {
      gaps += gap.samples;
      gst_genesys_timeline_late (&tl, arrival, &span, &late);
      out += span.samples;
      max_late = MAX (max_late, GST_CLOCK_DIFF (span.pts, arrival));
    }
    sent += FRAME;
    pos += FRAME;

    if (pos >= next_sample) {
      gdouble t = pos / (gdouble) RATE, err;
      fprintf (csv, "%.1f,%.1f,%.1f,%.1f,%.2f\n", t, true_ppm (wall),
          tl.est_ppb / 1e3, tl.ppb / 1e3, tl.lateness / 1e6);
      if (t >= 60) {
        err = fabs (tl.est_ppb / 1e3 - true_ppm (wall));
        g_array_append_val (errors, err);
        max_error = MAX (max_error, err);
        err = fabs (tl.ppb / 1e3 - true_ppm (wall));
        g_array_append_val (slope_errors, err);
      }
      next_sample += RATE;
    }
  }
  fclose (csv);
  g_array_sort (errors, compare_double);
  g_array_sort (slope_errors, compare_double);

  g_print ("bench-rate: an hour, sender clock 5000 ppm x sin (2 pi t / 30 min),"
      " jitter 0-150 ms, a drop every 45 s (%u), outages reported\n", drops);
  g_print
      ("  recovered rate - true rate after the first minute: median %.0f ppm,"
      " p99 %.0f ppm, max %.0f ppm\n", g_array_index (errors, gdouble,
          errors->len / 2), g_array_index (errors, gdouble,
          errors->len * 99 / 100), max_error);
  g_print ("  PTS slope - true rate: median %.0f ppm, p99 %.0f ppm, max %.0f "
      "ppm\n", g_array_index (slope_errors, gdouble, slope_errors->len / 2),
      g_array_index (slope_errors, gdouble, slope_errors->len * 99 / 100),
      g_array_index (slope_errors, gdouble, slope_errors->len - 1));
  g_print ("  audio: sent %" G_GUINT64_FORMAT ", out %" G_GUINT64_FORMAT
      " (%s); gaps %" G_GUINT64_FORMAT " samples, reported %" G_GUINT64_FORMAT
      "; reanchors %u; latest buffer PTS + %.1f ms; late %.1f ms\n", sent, out,
      sent == out ? "every sample" : "LOST AUDIO", gaps, reported, tl.reanchors,
      max_late / 1e6, gst_genesys_timeline_samples_to_time (&tl,
          tl.late_samples) / 1e6);
  g_print ("  %s\n", csv_path);

  cmd = g_strdup_printf ("command -v gnuplot >/dev/null && gnuplot -e \""
      "set terminal png size 900,420; set output '%s'; set datafile "
      "separator ','; set key top right; set xlabel 'sender time (s)'; "
      "set ylabel 'rate against the pipeline clock (ppm)'; plot '%s' using "
      "1:2 with lines lw 3 title 'true', '' using 1:3 with lines title "
      "'recovered', '' using 1:4 with lines title 'PTS slope'\" && echo '  "
      "%s'", png_path, csv_path, png_path);
  if (system (cmd) != 0)
    g_print ("  (no plot: gnuplot is not installed)\n");
  g_free (cmd);
  g_array_free (errors, TRUE);
  g_array_free (slope_errors, TRUE);
  g_rand_free (rand);
  g_free (csv_path);
  g_free (png_path);
  return sent == out ? 0 : 1;
}
