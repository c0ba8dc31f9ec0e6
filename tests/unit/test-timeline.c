/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The position -> running time mapping, as tables of inputs and the exact
 * spans expected. */

#include <gst/gst.h>
#include "gstgenesystimeline.h"

#define MS GST_MSECOND
#define NONE GST_CLOCK_TIME_NONE

typedef enum
{
  AUDIO,
  GAP,
  NEW_SESSION,
} Op;

typedef struct
{
  Op op;
  guint64 position;
  guint64 samples;
  GstClockTime arrival;
  /* expected */
  gboolean emitted;
  GstClockTime pts;
  GstClockTime duration;
  guint64 offset;
  guint64 skip;
  GstClockTime gap_pts;         /* NONE: no gap before the audio */
  GstClockTime gap_duration;
} Step;

typedef struct
{
  const gchar *name;
  Step steps[8];
} Case;

#define END {0, 0, 0, 0, FALSE, 0, 0, 0, 0, 0, 0}

static const Case cases[] = {
  {"first frame anchors at its arrival minus its length", {
              {AUDIO, 0, 1600, 1000 * MS, TRUE, 800 * MS, 200 * MS, 0, 0, NONE,
                  0},
              {AUDIO, 1600, 1600, 1210 * MS, TRUE, 1000 * MS, 200 * MS, 1600, 0,
                  NONE, 0},
              /* jitter does not move timestamps: they come from positions */
              {AUDIO, 3200, 1600, 1390 * MS, TRUE, 1200 * MS, 200 * MS, 3200, 0,
                  NONE, 0},
          END}},
  {"unknown arrival anchors at zero", {
              {AUDIO, 0, 800, NONE, TRUE, 0, 100 * MS, 0, 0, NONE, 0},
              {AUDIO, 800, 1, NONE, TRUE, 100 * MS, 125 * GST_USECOND, 800, 0,
                  NONE, 0},
          END}},
  {"arrival earlier than the audio's length clamps to zero", {
              {AUDIO, 0, 1600, 50 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
          END}},
  {"a hole in positions becomes a gap before the audio", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {AUDIO, 2400, 800, 500 * MS, TRUE, 300 * MS, 100 * MS, 2400, 0,
                  200 * MS, 100 * MS},
          END}},
  {"a gap advances the timeline exactly", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {GAP, 1600, 9900, NONE, TRUE, 200 * MS, 1237500 * GST_USECOND,
                    1600,
                  0, NONE, 0},
              {AUDIO, 11500, 1600, NONE, TRUE, 1437500 * GST_USECOND, 200 * MS,
                  11500, 0, NONE, 0},
          END}},
  {"a gap after a hole in positions covers the hole too", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              /* (a continuation: positions go on, no new session) */
              {GAP, 4800, 1600, NONE, TRUE, 200 * MS, 600 * MS, 1600, 0, NONE,
                  0},
              /* an empty span runs the timeline to a position (a close) */
              {GAP, 8000, 0, NONE, TRUE, 800 * MS, 200 * MS, 6400, 0, NONE, 0},
              {GAP, 8000, 0, NONE, FALSE},
          END}},
  {"repeated audio is trimmed or dropped", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {AUDIO, 800, 1600, 300 * MS, TRUE, 200 * MS, 100 * MS, 1600, 800,
                  NONE, 0},
              {AUDIO, 0, 1600, 300 * MS, FALSE},
              {GAP, 0, 2400, NONE, FALSE},
          END}},
  {"a new session lands where it arrives, the time between is a gap", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {NEW_SESSION},
              {AUDIO, 0, 1600, 1200 * MS, TRUE, 1000 * MS, 200 * MS, 8000, 0,
                  200 * MS, 800 * MS},
              {AUDIO, 1600, 1600, 1400 * MS, TRUE, 1200 * MS, 200 * MS, 9600, 0,
                  NONE, 0},
          END}},
  {"a new session that arrives too early continues at the end", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {NEW_SESSION},
              {AUDIO, 0, 1600, 100 * MS, TRUE, 200 * MS, 200 * MS, 1600, 0,
                    NONE,
                  0},
          END}},
  {"a continued session whose positions go on", {
              {AUDIO, 0, 1600, 200 * MS, TRUE, 0, 200 * MS, 0, 0, NONE, 0},
              {NEW_SESSION},
              {AUDIO, 4000, 1600, 700 * MS, TRUE, 500 * MS, 200 * MS, 4000, 0,
                  200 * MS, 300 * MS},
          END}},
};

static void
test_table (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstGenesysTimeline tl;
    gst_genesys_timeline_init (&tl, 8000);
    for (j = 0; j < G_N_ELEMENTS (cases[i].steps); j++) {
      const Step *s = &cases[i].steps[j];
      GstGenesysSpan span = { 0 }, gap = { 0 };
      guint64 skip = 0;
      gboolean emitted;

      if (s->op == AUDIO && s->samples == 0)
        break;
      g_test_message ("%s, step %u", cases[i].name, j);
      switch (s->op) {
        case NEW_SESSION:
          gst_genesys_timeline_new_session (&tl);
          continue;
        case AUDIO:
          emitted = gst_genesys_timeline_audio (&tl, s->position, s->samples,
              s->arrival, &span, &gap, &skip);
          break;
        case GAP:
        default:
          emitted = gst_genesys_timeline_gap (&tl, s->position, s->samples,
              s->arrival, &span);
          break;
      }
      g_assert_cmpint (emitted, ==, s->emitted);
      if (!emitted)
        continue;
      g_assert_cmpuint (span.pts, ==, s->pts);
      g_assert_cmpuint (span.duration, ==, s->duration);
      g_assert_cmpuint (span.offset, ==, s->offset);
      g_assert_cmpuint (skip, ==, s->skip);
      if (s->op == AUDIO) {
        if (s->gap_pts == NONE) {
          g_assert_cmpuint (gap.samples, ==, 0);
        } else {
          g_assert_cmpuint (gap.pts, ==, s->gap_pts);
          g_assert_cmpuint (gap.duration, ==, s->gap_duration);
          /* audio and gap tile the timeline */
          g_assert_cmpuint (gap.pts + gap.duration, ==, span.pts);
        }
      }
    }
  }
}

/* An hour of 200 ms frames with jitter and a gap every minute: the output
 * covers every sample exactly once. */
static void
test_hour_covers_every_sample (void)
{
  GstGenesysTimeline tl;
  GRand *rand = g_rand_new_with_seed (7);
  guint64 pos = 0, covered = 0;
  GstClockTime last_end = 0;

  gst_genesys_timeline_init (&tl, 8000);
  while (pos < 3600 * 8000) {
    GstGenesysSpan span, gap;
    guint64 skip;
    GstClockTime arrival = (pos + 1600) * 125000 +
        g_rand_int_range (rand, 0, 80) * MS;
    if (pos % (60 * 8000) == 30 * 8000) {
      g_assert_true (gst_genesys_timeline_gap (&tl, pos, 4000, NONE, &span));
      g_assert_cmpuint (span.pts, ==, last_end);
      covered += span.samples;
      last_end = span.pts + span.duration;
      pos += 4000;
      continue;
    }
    g_assert_true (gst_genesys_timeline_audio (&tl, pos, 1600, arrival,
            &span, &gap, &skip));
    g_assert_cmpuint (gap.samples, ==, 0);
    g_assert_cmpuint (skip, ==, 0);
    if (covered > 0)
      g_assert_cmpuint (span.pts, ==, last_end);
    covered += span.samples;
    last_end = span.pts + span.duration;
    pos += 1600;
  }
  g_assert_cmpuint (covered, ==, pos);
  g_assert_cmpuint (last_end - tl.anchor, ==, pos * 125000);
  g_rand_free (rand);
}

typedef struct
{
  GstClockTime now;
  guint64 late;                 /* samples clipped */
} ClipCase;

static void
test_clip (void)
{
  static const ClipCase clip_cases[] = {
    {GST_CLOCK_TIME_NONE, 0},
    {0, 0},
    {1200 * MS, 0},             /* at PTS + latency */
    {1240 * MS, 0},             /* within the 40 ms jitter tolerance */
    {1240 * MS + 1, 1},         /* one nanosecond beyond: one sample */
    {1290 * MS, 400},
    {1439 * MS, 1592},
    {1440 * MS, 1600},          /* all of it */
    {5000 * MS, 1600},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (clip_cases); i++) {
    GstGenesysTimeline tl;
    GstGenesysSpan span, late, gap;
    guint64 skip, n;

    gst_genesys_timeline_init (&tl, 8000);
    /* audio of [1.0 s, 1.2 s) on the output, budget 200 ms */
    g_assert_true (gst_genesys_timeline_audio (&tl, 8000, 1600, 1200 * MS,
            &span, &gap, &skip));
    g_assert_cmpuint (span.pts, ==, 1000 * MS);
    n = gst_genesys_timeline_clip (&tl, clip_cases[i].now, &span, &late);
    g_assert_cmpuint (n, ==, clip_cases[i].late);
    g_assert_cmpuint (late.samples, ==, clip_cases[i].late);
    g_assert_cmpuint (span.samples, ==, 1600 - clip_cases[i].late);
    g_assert_cmpuint (tl.late_samples, ==, clip_cases[i].late);
    if (n) {
      /* the late part and the rest tile the original span */
      g_assert_cmpuint (late.pts, ==, 1000 * MS);
      g_assert_cmpuint (late.offset, ==, 8000);
      g_assert_cmpuint (late.pts + late.duration, ==, span.pts);
      g_assert_cmpuint (span.offset, ==, 8000 + n);
    }
    /* what is left leaves within the budget and the tolerance */
    if (span.samples && GST_CLOCK_TIME_IS_VALID (clip_cases[i].now))
      g_assert_cmpuint (span.pts + tl.latency + tl.alignment_threshold, >=,
          clip_cases[i].now);
  }
}

/* An hour of 200 ms frames from a sender whose clock is @ppm off ours,
 * with up to 30 ms of network jitter. Returns the worst and best
 * (arrival - PTS) seen, i.e. how long after its PTS each frame left. */
static void
run_drift (gint ppm, gboolean resync, GstGenesysTimeline * tl,
    GstClockTimeDiff * worst, GstClockTimeDiff * best, guint64 * covered)
{
  GRand *rand = g_rand_new_with_seed (11);
  guint64 pos = 0;
  GstClockTime last_end = GST_CLOCK_TIME_NONE;

  gst_genesys_timeline_init (tl, 8000);
  gst_genesys_timeline_set_budget (tl, 300 * MS, 40 * MS, GST_SECOND, resync);
  *worst = G_MININT64;
  *best = G_MAXINT64;
  *covered = 0;
  while (pos < 3600 * 8000) {
    GstGenesysSpan span, gap;
    guint64 skip;
    /* the sender's 200 ms take (1 + ppm/1e6) x 200 ms of our time */
    GstClockTime sent = gst_util_uint64_scale (pos + 1600, (guint64) 125000 *
        (1000000 + ppm), 1000000);
    GstClockTime arrival = sent + g_rand_int_range (rand, 0, 30) * MS;
    if (gst_genesys_timeline_audio (tl, pos, 1600, arrival, &span, &gap, &skip)) {
      GstClockTimeDiff d = GST_CLOCK_DIFF (span.pts, arrival);
      if (GST_CLOCK_TIME_IS_VALID (last_end))
        g_assert_cmpuint (gap.samples ? gap.pts : span.pts, ==, last_end);
      *worst = MAX (*worst, d);
      *best = MIN (*best, d);
      *covered += gap.samples + span.samples;
      last_end = span.pts + span.duration;
    }
    pos += 1600;
  }
  g_rand_free (rand);
}

static void
test_drift_slow_sender (void)
{
  GstGenesysTimeline tl;
  GstClockTimeDiff worst, best;
  guint64 covered;

  run_drift (300, TRUE, &tl, &worst, &best, &covered);
  g_test_message ("slow 300 ppm: %u realignments, %" G_GUINT64_FORMAT
      " samples inserted, frame leaves PTS + %" G_GINT64_FORMAT " .. %"
      G_GINT64_FORMAT " ms", tl.realignments, tl.inserted_samples,
      best / GST_MSECOND, worst / GST_MSECOND);
  /* 1.08 s of drift in an hour, made up in steps */
  g_assert_cmpuint (tl.realignments, >=, 10);
  g_assert_cmpuint (tl.inserted_samples, >=, 7000);
  g_assert_cmpuint (tl.inserted_samples, <=, 9000);
  g_assert_cmpuint (tl.removed_samples, ==, 0);
  /* never later than the budget */
  g_assert_cmpint (worst, <=, (GstClockTimeDiff) tl.latency);
  /* audio plus inserted gaps cover the output without holes */
  g_assert_cmpuint (covered, ==, 3600 * 8000 + tl.inserted_samples);
}

static void
test_drift_fast_sender (void)
{
  GstGenesysTimeline tl;
  GstClockTimeDiff worst, best;
  guint64 covered;

  run_drift (-300, TRUE, &tl, &worst, &best, &covered);
  g_test_message ("fast 300 ppm: %u realignments, %" G_GUINT64_FORMAT
      " samples removed, frame leaves PTS + %" G_GINT64_FORMAT " .. %"
      G_GINT64_FORMAT " ms", tl.realignments, tl.removed_samples,
      best / GST_MSECOND, worst / GST_MSECOND);
  g_assert_cmpuint (tl.realignments, >=, 10);
  g_assert_cmpuint (tl.removed_samples, >=, 7000);
  g_assert_cmpuint (tl.removed_samples, <=, 9000);
  g_assert_cmpuint (tl.inserted_samples, ==, 0);
  /* audio never runs more than the threshold (plus a window of drift)
   * ahead of its PTS: latency does not build up */
  g_assert_cmpint (best, >=, 200 * (GstClockTimeDiff) MS - 45 * MS);
  g_assert_cmpint (worst, <=, (GstClockTimeDiff) tl.latency);
  g_assert_cmpuint (covered + tl.removed_samples, ==, 3600 * 8000);
}

static void
test_drift_without_resync (void)
{
  GstGenesysTimeline tl;
  GstClockTimeDiff worst, best;
  guint64 covered;

  run_drift (300, FALSE, &tl, &worst, &best, &covered);
  g_test_message ("slow 300 ppm, no resync: lateness %" G_GINT64_FORMAT
      " ms, frame leaves up to PTS + %" G_GINT64_FORMAT " ms",
      gst_genesys_timeline_get_lateness (&tl) / GST_MSECOND,
      worst / GST_MSECOND);
  g_assert_cmpuint (tl.realignments, ==, 0);
  /* the drift is measured, and the budget is blown without resync */
  g_assert_cmpint (gst_genesys_timeline_get_lateness (&tl), >=, 1000 * MS);
  g_assert_cmpint (worst, >, (GstClockTimeDiff) tl.latency);
  g_assert_cmpuint (covered, ==, 3600 * 8000);
}

/* A sender whose frames arrive at the start of their 200 ms (a frame's end
 * is 200 ms ahead of its arrival), the first @first_arrival into the
 * running time, then on time for @frames frames at @ppm. */
static void
run_early_start (GstClockTime first_arrival, gint ppm, guint frames,
    GstGenesysTimeline * tl, guint64 * covered)
{
  guint64 pos = 0;
  guint k;

  gst_genesys_timeline_init (tl, 8000);
  gst_genesys_timeline_set_budget (tl, 200 * MS, 40 * MS, GST_SECOND, TRUE);
  *covered = 0;
  for (k = 0; k < frames; k++) {
    GstGenesysSpan span, gap;
    guint64 skip;
    GstClockTime arrival = GST_CLOCK_TIME_NONE;

    if (k > 0 || GST_CLOCK_TIME_IS_VALID (first_arrival))
      arrival = (GST_CLOCK_TIME_IS_VALID (first_arrival) ? first_arrival : 0) +
          gst_util_uint64_scale (k, (guint64) 200 * MS * (1000000 + ppm),
          1000000);
    if (gst_genesys_timeline_audio (tl, pos, 1600, arrival, &span, &gap, &skip))
      *covered += gap.samples + span.samples;
    pos += 1600;
  }
}

static void
test_early_start_is_no_drift (void)
{
  static const GstClockTime firsts[] = { 0, 5 * MS, 150 * MS, NONE };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (firsts); i++) {
    GstGenesysTimeline tl;
    guint64 covered;

    /* ten minutes on time: the start's earliness is kept, nothing dropped */
    run_early_start (firsts[i], 0, 3000, &tl, &covered);
    g_assert_cmpuint (tl.realignments, ==, 0);
    g_assert_cmpuint (tl.removed_samples, ==, 0);
    g_assert_cmpuint (covered, ==, 3000 * 1600);
  }
}

static void
test_early_start_fast_sender (void)
{
  GstGenesysTimeline tl;
  guint64 covered;

  /* 300 ppm fast for an hour: 1.08 s of drift is removed, the earliness the
   * start left (195 ms) is not */
  run_early_start (5 * MS, -300, 18000, &tl, &covered);
  g_test_message ("early start, fast 300 ppm: %u realignments, %"
      G_GUINT64_FORMAT " samples removed", tl.realignments, tl.removed_samples);
  g_assert_cmpuint (tl.realignments, >=, 10);
  g_assert_cmpuint (tl.removed_samples, >=, 7000);
  g_assert_cmpuint (tl.removed_samples, <=, 9000);
  g_assert_cmpuint (covered + tl.removed_samples, ==, 18000 * 1600);
  /* a frame's end is at most the baseline plus the threshold early */
  g_assert_cmpint (tl.lateness, >=, -(195 + 45) * (GstClockTimeDiff) MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/timeline/table", test_table);
  g_test_add_func ("/timeline/hour-covers-every-sample",
      test_hour_covers_every_sample);
  g_test_add_func ("/timeline/clip", test_clip);
  g_test_add_func ("/timeline/drift-slow-sender", test_drift_slow_sender);
  g_test_add_func ("/timeline/drift-fast-sender", test_drift_fast_sender);
  g_test_add_func ("/timeline/drift-without-resync", test_drift_without_resync);
  g_test_add_func ("/timeline/early-start-is-no-drift",
      test_early_start_is_no_drift);
  g_test_add_func ("/timeline/early-start-fast-sender",
      test_early_start_fast_sender);
  return g_test_run ();
}
