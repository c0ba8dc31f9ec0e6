/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The position -> running time mapping, as tables of inputs and the exact
 * spans expected, and senders that are not clocks: drift, jitter, stalls,
 * timers that run late, frozen and advancing pauses. */

#include <string.h>
#include <gst/gst.h>
#include "gstgenesystimeline.h"

#define MS GST_MSECOND
#define NONE GST_CLOCK_TIME_NONE

typedef enum
{
  END,                          /* (all fields 0): the case ends */
  AUDIO,
  GAP,
  NEW_SESSION,
  RESUMED,                      /* a `resumed` at @arrival, at @position */
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
  GstClockTime gap_pts;         /* a gap before the audio ... */
  GstClockTime gap_duration;    /* ... of this (0: no gap) */
} Step;

typedef struct
{
  const gchar *name;
  GstClockTime latency;         /* 0: the default, 300 ms */
  guint reanchors;              /* sessions placed by their arrival, at the end */
  guint64 origin;               /* the first session's position of output 0 */
  Step steps[10];
} Case;

static const Case cases[] = {
  {.name = "first frame anchors at its arrival minus its length",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 1000 * MS,
                    .emitted = TRUE,.pts = 800 * MS,.duration = 200 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival =
                    1210 * MS,
                    .emitted = TRUE,.pts = 1000 * MS,.duration = 200 * MS,
                  .offset = 1600},
              /* jitter does not move timestamps: they come from positions */
              {.op = AUDIO,.position = 3200,.samples = 1600,.arrival =
                    1390 * MS,
                    .emitted = TRUE,.pts = 1200 * MS,.duration = 200 * MS,
                  .offset = 3200},
          }},
  {.name = "unknown arrival anchors at zero",.steps = {
              {.op = AUDIO,.position = 0,.samples = 800,.arrival = NONE,
                    .emitted = TRUE,.pts = 0,.duration = 100 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 800,.samples = 1,.arrival = NONE,
                    .emitted = TRUE,.pts = 100 * MS,
                  .duration = 125 * GST_USECOND,.offset = 800},
          }},
  {.name = "arrival earlier than the audio's length clamps to zero",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 50 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
          }},
  {.name = "a hole in positions becomes a gap before the audio",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 2400,.samples = 800,.arrival = 500 * MS,
                    .emitted = TRUE,.pts = 300 * MS,.duration = 100 * MS,
                    .offset = 2400,.gap_pts = 200 * MS,
                  .gap_duration = 100 * MS},
          }},
  {.name = "a gap advances the timeline exactly",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = GAP,.position = 1600,.samples = 9900,.arrival = NONE,
                    .emitted = TRUE,.pts = 200 * MS,
                  .duration = 1237500 * GST_USECOND,.offset = 1600},
              {.op = AUDIO,.position = 11500,.samples = 1600,.arrival = NONE,
                    .emitted = TRUE,.pts = 1437500 * GST_USECOND,
                  .duration = 200 * MS,.offset = 11500},
          }},
  {.name = "a gap after a hole in positions covers the hole too",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              /* (a continuation: positions go on, no new session) */
              {.op = GAP,.position = 4800,.samples = 1600,.arrival = NONE,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 600 * MS,
                  .offset = 1600},
              /* an empty span runs the timeline to a position (a close) */
              {.op = GAP,.position = 8000,.samples = 0,.arrival = NONE,
                    .emitted = TRUE,.pts = 800 * MS,.duration = 200 * MS,
                  .offset = 6400},
              {.op = GAP,.position = 8000,.samples = 0,.arrival = NONE,
                  .emitted = FALSE},
          }},
  {.name = "repeated audio is trimmed or dropped",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 800,.samples = 1600,.arrival = 300 * MS,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 100 * MS,
                  .offset = 1600,.skip = 800},
              /* ending exactly where the output ends: nothing of it is new */
              {.op = AUDIO,.position = 800,.samples = 1600,.arrival = 300 * MS,
                  .emitted = FALSE},
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 300 * MS,
                  .emitted = FALSE},
              {.op = GAP,.position = 0,.samples = 2400,.arrival = NONE,
                  .emitted = FALSE},
          }},
  {.name = "a new session lands where it arrives, the time between is a gap",
        .reanchors = 1,.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = NEW_SESSION},
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 1200 * MS,
                    .emitted = TRUE,.pts = 1000 * MS,.duration = 200 * MS,
                    .offset = 8000,.gap_pts = 200 * MS,
                  .gap_duration = 800 * MS},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival =
                    1400 * MS,
                    .emitted = TRUE,.pts = 1200 * MS,.duration = 200 * MS,
                  .offset = 9600},
          }},
  {.name = "a new session that arrives too early continues at the end",
        .reanchors = 1,.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = NEW_SESSION},
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 100 * MS,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 200 * MS,
                  .offset = 1600},
          }},
  {.name = "a session that ends with nothing placed covers no time",
        .reanchors = 1,.steps = {
              {.op = GAP,.position = 0,.samples = 0,.arrival = NONE,
                  .emitted = FALSE},
              {.op = NEW_SESSION},
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 3500 * MS,
                    .emitted = TRUE,.pts = 3300 * MS,.duration = 200 * MS,
                  .offset = 0},
              {.op = NEW_SESSION},
              {.op = GAP,.position = 4000,.samples = 0,.arrival = NONE,
                  .emitted = FALSE},
              {.op = NEW_SESSION},
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 4000 * MS,
                    .emitted = TRUE,.pts = 3800 * MS,.duration = 200 * MS,
                    .offset = 4000,.gap_pts = 3500 * MS,
                  .gap_duration = 300 * MS},
          }},
  {.name = "a session that starts with a gap is placed by it",.steps = {
              {.op = GAP,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival = 400 * MS,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 200 * MS,
                  .offset = 1600},
          }},
  {.name = "a continued session whose positions go on",.reanchors = 1,
        .steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = NEW_SESSION},
              {.op = AUDIO,.position = 4000,.samples = 1600,.arrival = 700 * MS,
                    .emitted = TRUE,.pts = 500 * MS,.duration = 200 * MS,
                    .offset = 4000,.gap_pts = 200 * MS,
                  .gap_duration = 300 * MS},
          }},
  /* the position's PTS (200 ms) + latency (300 ms) is the last arrival
   * that keeps the placement */
  {.name = "a resumed at exactly PTS + latency re-places nothing",.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = RESUMED,.position = 1600,.arrival = 500 * MS},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival = 700 * MS,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 200 * MS,
                  .offset = 1600},
          }},
  {.name = "a resumed a nanosecond later: the frozen pause is a gap",
        .reanchors = 1,.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = RESUMED,.position = 1600,.arrival = 500 * MS + 1},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival = 700 * MS,
                    .emitted = TRUE,.pts = 500 * MS,.duration = 200 * MS,
                    .offset = 4000,.gap_pts = 200 * MS,
                  .gap_duration = 300 * MS},
          }},
  /* beyond the latency, but nearer to the position's PTS than half a
   * sample: the sample there is the position's own */
  {.name = "a resumed that lands on its own position re-places nothing",
        .latency = 1,.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = RESUMED,.position = 1600,.arrival = 200 * MS + 2},
              {.op = AUDIO,.position = 1600,.samples = 1600,.arrival = 400 * MS,
                    .emitted = TRUE,.pts = 200 * MS,.duration = 200 * MS,
                  .offset = 1600},
          }},
  /* a new session's offset is not yet known: its resumed has no position
   * to re-place; the first audio places the session */
  {.name = "a resumed before the new session's first audio is ignored",
        .reanchors = 1,.steps = {
              {.op = AUDIO,.position = 0,.samples = 1600,.arrival = 200 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 200 * MS,
                  .offset = 0},
              {.op = NEW_SESSION},
              {.op = RESUMED,.position = 1600,.arrival = 5000 * MS},
              {.op = AUDIO,.position = 1600,.samples = 1600,
                    .arrival = 5200 * MS,.emitted = TRUE,.pts = 5000 * MS,
                    .duration = 200 * MS,.offset = 40000,.gap_pts = 200 * MS,
                  .gap_duration = 4800 * MS},
          }},
  /* a call that moved here: output 0 is position 40000 (5 s) */
  {.name = "a call that goes on from elsewhere starts at its origin",
        .origin = 40000,.steps = {
              {.op = AUDIO,.position = 40000,.samples = 1600,.arrival =
                    1000 * MS,.emitted = TRUE,.pts = 800 * MS,
                  .duration = 200 * MS,.offset = 0},
              {.op = AUDIO,.position = 41600,.samples = 1600,.arrival =
                    1200 * MS,.emitted = TRUE,.pts = 1000 * MS,
                  .duration = 200 * MS,.offset = 1600},
          }},
  {.name = "audio before the origin is not output, across it is trimmed",
        .origin = 40000,.steps = {
              {.op = AUDIO,.position = 38400,.samples = 1600,.arrival =
                    200 * MS,.emitted = FALSE},
              {.op = AUDIO,.position = 39200,.samples = 1600,.arrival =
                    300 * MS,.emitted = TRUE,.pts = 200 * MS,
                  .duration = 100 * MS,.offset = 0,.skip = 800},
              {.op = AUDIO,.position = 40800,.samples = 1600,.arrival =
                    500 * MS,.emitted = TRUE,.pts = 300 * MS,
                  .duration = 200 * MS,.offset = 800},
          }},
  {.name = "a gap across the origin covers only what lies after it",
        .origin = 40000,.steps = {
              {.op = GAP,.position = 36000,.samples = 8000,.arrival = 500 * MS,
                    .emitted = TRUE,.pts = 0,.duration = 500 * MS,
                  .offset = 0},
              {.op = AUDIO,.position = 44000,.samples = 1600,.arrival =
                    700 * MS,.emitted = TRUE,.pts = 500 * MS,
                  .duration = 200 * MS,.offset = 4000},
          }},
};

static void
test_table (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstGenesysTimeline tl;

    gst_genesys_timeline_init (&tl, 8000);
    if (cases[i].latency)
      gst_genesys_timeline_set_latency (&tl, cases[i].latency, FALSE);
    gst_genesys_timeline_set_origin (&tl, cases[i].origin);
    for (j = 0; j < G_N_ELEMENTS (cases[i].steps); j++) {
      const Step *s = &cases[i].steps[j];
      GstGenesysSpan span = { 0 }, gap = { 0 };
      guint64 skip = 0;
      gboolean emitted;

      if (s->op == END)
        break;
      g_test_message ("%s, step %u", cases[i].name, j);
      switch (s->op) {
        case NEW_SESSION:
          gst_genesys_timeline_new_session (&tl);
          continue;
        case RESUMED:
          gst_genesys_timeline_resumed (&tl, s->position, s->arrival);
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
        if (s->gap_duration == 0) {
          g_assert_cmpuint (gap.samples, ==, 0);
        } else {
          g_assert_cmpuint (gap.pts, ==, s->gap_pts);
          g_assert_cmpuint (gap.duration, ==, s->gap_duration);
          /* audio and gap tile the timeline */
          g_assert_cmpuint (gap.pts + gap.duration, ==, span.pts);
        }
      }
    }
    g_assert_cmpuint (tl.reanchors, ==, cases[i].reanchors);
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
  /* jitter only delays: the timeline ends where the earliest arrivals put
   * it, the sender's clock, and its rate is taken as ours */
  g_test_message ("an hour with 0-80 ms of jitter ends %+.3f ms off, rate %+.1f"
      " ppm", GST_CLOCK_DIFF (pos * 125000, last_end) / 1e6, tl.est_ppb / 1e3);
  g_assert_cmpint (ABS (GST_CLOCK_DIFF (pos * 125000, last_end)), <=, 5 * MS);
  g_assert_cmpint (ABS (tl.est_ppb), <=, 200000);
  g_rand_free (rand);
}

typedef struct
{
  GstClockTime now;
  gboolean drop;
  guint64 late;                 /* samples late */
} LateCase;

static void
test_late (void)
{
  static const LateCase late_cases[] = {
    {GST_CLOCK_TIME_NONE, FALSE, 0},
    {0, FALSE, 0},
    {1300 * MS, FALSE, 0},      /* at PTS + latency */
    {1300 * MS + 1, FALSE, 1},  /* one nanosecond beyond: one sample */
    {1350 * MS, FALSE, 400},
    {1500 * MS, FALSE, 1600},   /* all of it */
    {1300 * MS, TRUE, 0},
    {1300 * MS + 1, TRUE, 1},
    {1350 * MS, TRUE, 400},
    {1499 * MS, TRUE, 1592},
    {1500 * MS, TRUE, 1600},
    {5000 * MS, TRUE, 1600},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (late_cases); i++) {
    const LateCase *c = &late_cases[i];
    GstGenesysTimeline tl;
    GstGenesysSpan span, late, gap;
    guint64 skip, n;

    gst_genesys_timeline_init (&tl, 8000);
    gst_genesys_timeline_set_latency (&tl, 300 * MS, c->drop);
    /* audio of [1.0 s, 1.2 s) on the output */
    g_assert_true (gst_genesys_timeline_audio (&tl, 8000, 1600, 1200 * MS,
            &span, &gap, &skip));
    g_assert_cmpuint (span.pts, ==, 1000 * MS);
    n = gst_genesys_timeline_late (&tl, c->now, &span, &late);
    g_assert_cmpuint (n, ==, c->late);
    g_assert_cmpuint (tl.late_samples, ==, c->late);
    if (!c->drop) {
      /* late audio is kept whole */
      g_assert_cmpuint (late.samples, ==, 0);
      g_assert_cmpuint (span.samples, ==, 1600);
      g_assert_cmpuint (tl.late_dropped_samples, ==, 0);
      continue;
    }
    g_assert_cmpuint (late.samples, ==, c->late);
    g_assert_cmpuint (span.samples, ==, 1600 - c->late);
    g_assert_cmpuint (tl.late_dropped_samples, ==, c->late);
    if (n) {
      /* the dropped part and the rest tile the original span */
      g_assert_cmpuint (late.pts, ==, 1000 * MS);
      g_assert_cmpuint (late.offset, ==, 8000);
      g_assert_cmpuint (late.pts + late.duration, ==, span.pts);
      g_assert_cmpuint (span.offset, ==, 8000 + n);
    }
    /* what is left leaves within the latency */
    if (span.samples && GST_CLOCK_TIME_IS_VALID (c->now))
      g_assert_cmpuint (span.pts + tl.latency, >=, c->now);
  }
}

/* ---- senders that are not clocks ---- */

#define FRAME 1600              /* 200 ms */

typedef struct
{
  const gchar *name;
  gint ppm;                     /* the sender's clock: > 0 slow */
  guint jitter_ms;              /* each frame 0..this late, order kept */
  guint timer_ms;               /* each send interval 0..this long too */
  guint stall_at, stall_ms;     /* s, ms: nothing arrives, then a burst */
  guint pause_at, pause_ms;     /* s, ms: a pause ... */
  gboolean frozen;              /* ... with its position frozen */
  guint discard_at, discard_ms; /* s, ms: discarded (positions advance) */
  guint drop_at, drop_ms;       /* s, ms: a drop, continued and reported */
  gboolean drop_burst;          /* ... continued at the old position, the
                                 * audio of the outage sent in a burst */
  gboolean check_latency;       /* every buffer leaves within the latency */
  guint exact_s;                /* the audio of the first this many seconds
                                 * keeps exact 8 kHz timestamps */
} Sender;

typedef struct
{
  guint64 sent, out, gap_samples, reported_gap;
  GstClockTime frozen_gap;      /* the gap output for a frozen pause */
  GstClockTimeDiff max_late;    /* latest buffer: leaves - PTS */
  gdouble max_step;             /* largest slope change between buffers,
                                 * per second of the buffer */
  guint reanchors;
  gint64 est_ppb;
  guint64 first_inexact;        /* position of the first audio whose
                                 * duration is not its nominal one */
} SenderResult;

static gdouble
slope_of (const GstGenesysSpan * span)
{
  return (gdouble) span->duration / (span->samples * 125000.0);
}

/* When the sender's clock reaches position @pos, on ours. */
static GstClockTime
sender_time (const Sender * snd, GstClockTime start, guint64 pos)
{
  return start + gst_util_uint64_scale (pos, (guint64) 125000 * (1000000 +
          snd->ppm), 1000000);
}

/* A span the sender reports (discarded, an advancing pause): exactly a gap
 * of its length, right after the output. */
static void
reported_gap (GstGenesysTimeline * tl, guint64 * pos, guint64 n,
    GstClockTime * out_end, SenderResult * r)
{
  GstGenesysSpan span;

  g_assert_true (gst_genesys_timeline_gap (tl, *pos, n, NONE, &span));
  g_assert_cmpuint (span.pts, ==, *out_end);
  g_assert_cmpuint (span.samples, ==, n);
  *out_end = span.pts + span.duration;
  r->gap_samples += span.samples;
  r->reported_gap += n;
  *pos += n;
}

/* Runs @seconds of 200 ms frames from @snd through a timeline, the
 * streaming thread handling each frame when it arrives. */
static void
run_sender (const Sender * snd, guint seconds, GstClockTime start,
    SenderResult * r)
{
  GstGenesysTimeline tl;
  GRand *rand = g_rand_new_with_seed (42);
  guint64 pos = 0, end_pos = (guint64) seconds * 8000;
  GstClockTime extra = 0, timer = 0, last_arrival = 0, out_end = NONE;
  GstClockTime frozen_at = NONE, burst_until = 0;
  gdouble last_slope = 0;
  gboolean paused = FALSE, discarded = FALSE, dropped = FALSE;

  memset (r, 0, sizeof (*r));
  r->max_late = G_MININT64;
  r->first_inexact = G_MAXUINT64;
  gst_genesys_timeline_init (&tl, 8000);
  while (pos < end_pos) {
    GstGenesysSpan span, gap, late;
    GstClockTime sent, arrival;
    guint64 skip;

    if (snd->pause_ms && !paused && pos >= snd->pause_at * 8000ULL) {
      guint64 n = snd->pause_ms * 8ULL;
      paused = TRUE;
      /* paused ... resumed: time goes on */
      extra += snd->pause_ms * MS;
      if (snd->frozen) {
        /* resumed at the old position, when the sender goes on */
        frozen_at = out_end;
        gst_genesys_timeline_resumed (&tl, pos,
            sender_time (snd, start, pos) + extra + timer);
      } else {
        reported_gap (&tl, &pos, n, &out_end, r);
        extra -= snd->pause_ms * MS;    /* the positions covered it */
        gst_genesys_timeline_resumed (&tl, pos,
            sender_time (snd, start, pos) + extra + timer);
      }
      last_slope = 0;
    }
    if (snd->discard_ms && !discarded && pos >= snd->discard_at * 8000ULL) {
      guint64 n = snd->discard_ms * 8ULL;
      discarded = TRUE;
      reported_gap (&tl, &pos, n, &out_end, r);
      last_slope = 0;
    }
    if (snd->drop_ms && !dropped && pos >= snd->drop_at * 8000ULL) {
      /* the connection drops; the continuation reports the outage */
      guint64 n = snd->drop_ms * 8ULL;
      dropped = TRUE;
      if (snd->drop_burst) {
        /* nothing arrives until the outage ends, then the backlog */
        burst_until = sender_time (snd, start, pos) + extra + timer +
            snd->drop_ms * MS;
      } else {
        reported_gap (&tl, &pos, n, &out_end, r);
      }
      last_slope = 0;
    }

    /* when the frame's last sample is due on the sender's clock */
    if (snd->timer_ms)
      timer += g_rand_int_range (rand, 0, snd->timer_ms * 1000 + 1) *
          GST_USECOND;
    sent = sender_time (snd, start, pos + FRAME) + extra + timer;
    arrival = sent + (snd->jitter_ms ?
        g_rand_int_range (rand, 0, snd->jitter_ms + 1) * MS : 0);
    if (snd->stall_ms && sent >= start + snd->stall_at * GST_SECOND &&
        sent < start + snd->stall_at * GST_SECOND + snd->stall_ms * MS)
      arrival = MAX (arrival, start + snd->stall_at * GST_SECOND +
          snd->stall_ms * MS);
    arrival = MAX (arrival, burst_until);
    arrival = MAX (arrival, last_arrival);
    last_arrival = arrival;

    g_assert_true (gst_genesys_timeline_audio (&tl, pos, FRAME, arrival,
            &span, &gap, &skip));
    g_assert_cmpuint (skip, ==, 0);
    if (gap.samples) {
      g_assert_cmpuint (gap.pts, ==, out_end);
      r->gap_samples += gap.samples;
      if (GST_CLOCK_TIME_IS_VALID (frozen_at))
        r->frozen_gap = gap.duration;
      last_slope = 0;
    }
    frozen_at = NONE;
    if (GST_CLOCK_TIME_IS_VALID (out_end))
      g_assert_cmpuint (gap.samples ? gap.pts : span.pts, ==, out_end);
    if (gap.samples)
      g_assert_cmpuint (gap.pts + gap.duration, ==, span.pts);
    g_assert_cmpuint (gst_genesys_timeline_late (&tl, arrival, &span, &late),
        ==, arrival > span.pts + tl.latency ?
        gst_genesys_timeline_late (&tl, arrival, &span, &late) : 0);
    r->max_late = MAX (r->max_late, GST_CLOCK_DIFF (span.pts, arrival));
    if (last_slope > 0)
      r->max_step = MAX (r->max_step, ABS (slope_of (&span) - last_slope) /
          (span.duration / 1e9));
    last_slope = slope_of (&span);
    if (span.duration != span.samples * 125000)
      r->first_inexact = MIN (r->first_inexact, pos);
    out_end = span.pts + span.duration;
    r->out += span.samples;
    r->sent += FRAME;
    pos += FRAME;
  }
  r->reanchors = tl.reanchors;
  r->est_ppb = tl.est_ppb;
  g_rand_free (rand);
}

static const Sender senders[] = {
  {"on time",.check_latency = TRUE,.exact_s = 60},
  /* a rate within the tolerance counts as none: the timestamps stay exact
   * until the phase error passes its own (2 ms at 0.3 ms/s: after 6.7 s) */
  {"+300 ppm (the rate tolerance)",.ppm = 300,.check_latency = TRUE,
      .exact_s = 6},
  {"-300 ppm (the rate tolerance)",.ppm = -300,.check_latency = TRUE,
      .exact_s = 6},
  {"-1 % (fast)",.ppm = -10000,.check_latency = TRUE},
  {"-5000 ppm",.ppm = -5000,.check_latency = TRUE},
  {"+5000 ppm",.ppm = 5000,.check_latency = TRUE},
  {"+1 % (slow)",.ppm = 10000,.check_latency = TRUE},
  {"jitter 0-300 ms",.jitter_ms = 300},
  {"2 s stall, then a burst",.stall_at = 10,.stall_ms = 2000},
  {"setInterval: each interval 0-2 ms long",.timer_ms = 2},
  {"frozen pause 3 s",.pause_at = 10,.pause_ms = 3000,.frozen = TRUE,
      .check_latency = TRUE},
  {"advancing pause 3 s",.pause_at = 10,.pause_ms = 3000,
      .check_latency = TRUE},
  {"discarded 1.4 s",.discard_at = 10,.discard_ms = 1400,
      .check_latency = TRUE},
  {"drop, continued at 2.6 s",.drop_at = 10,.drop_ms = 2600,
      .check_latency = TRUE},
  {"drop, continued with a burst of the outage's audio",.drop_at = 10,
      .drop_ms = 2600,.drop_burst = TRUE},
  {"all combined",.ppm = 5000,.jitter_ms = 150,.timer_ms = 2,.stall_at = 20,
        .stall_ms = 2000,.pause_at = 30,.pause_ms = 3000,.frozen = TRUE,
      .discard_at = 40,.discard_ms = 1400,.drop_at = 50,.drop_ms = 2600},
};

static void
check_sender (const Sender * snd, guint seconds, GstClockTime start)
{
  SenderResult r;

  run_sender (snd, seconds, start, &r);
  g_test_message ("%-40s start %4" G_GUINT64_FORMAT " s: sent %"
      G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT ", gaps %" G_GUINT64_FORMAT
      " (reported %" G_GUINT64_FORMAT
      "), frozen gap %.3f ms, reanchors %u, rate %+.0f ppm,"
      " latest buffer PTS + %.1f ms, largest slope step %.0f ppm per s",
      snd->name, start / GST_SECOND, r.sent, r.out, r.gap_samples,
      r.reported_gap, r.frozen_gap / 1e6, r.reanchors, r.est_ppb / 1000.0,
      r.max_late / 1e6, r.max_step * 1e6);
  /* nothing the sender sent is lost */
  g_assert_cmpuint (r.out, ==, r.sent);
  if (snd->frozen) {
    /* the gap is the time the pause lasted, to a sample (jitter aside) */
    g_assert_cmpuint (r.reanchors, ==, 1);
    g_assert_cmpint (ABS (GST_CLOCK_DIFF (r.frozen_gap,
                snd->pause_ms * MS)), <=,
        125 * GST_USECOND + snd->jitter_ms * MS);
  } else {
    /* every gap is a reported span, to the sample */
    g_assert_cmpuint (r.reanchors, ==, 0);
    g_assert_cmpuint (r.gap_samples, ==, r.reported_gap);
  }
  /* no step larger than 1 ms per second of audio (a 200 ms buffer: 200
   * ppm; durations are whole nanoseconds: 5 ppb each) */
  g_assert_cmpfloat (r.max_step, <=, 0.001 + 1e-7);
  if (snd->check_latency)
    g_assert_cmpint (r.max_late, <=, 300 * (GstClockTimeDiff) MS);
  g_assert_cmpuint (r.first_inexact, >=, snd->exact_s * 8000ULL);
}

static void
test_senders (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (senders); i++) {
    /* started at the first frame, and after an hour of running */
    check_sender (&senders[i], 60, 0);
    check_sender (&senders[i], 60, 3600 * GST_SECOND);
  }
}

/* An hour, ±1 %: the rate found is the sender's, within 100 ppm. */
static void
test_rate_recovered (void)
{
  static const gint ppms[] = { -10000, -5000, -300, 0, 300, 5000, 10000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ppms); i++) {
    Sender snd = {.name = "drift",.ppm = ppms[i],.jitter_ms = 150 };
    SenderResult r;

    run_sender (&snd, 3600, 0, &r);
    g_test_message ("%+d ppm, jitter 0-150 ms, an hour: rate %+.1f ppm, "
        "latest buffer PTS + %.1f ms", ppms[i], r.est_ppb / 1000.0,
        r.max_late / 1e6);
    g_assert_cmpuint (r.out, ==, r.sent);
    g_assert_cmpint (ABS (r.est_ppb - ppms[i] * 1000), <=, 100000);
  }
}

/* ---- the sender's clock from the arrivals ---- */

typedef struct
{
  GstClockTime x, y;            /* sender time, arrival (ms) */
} Point;

typedef struct
{
  const gchar *name;
  Point points[8];              /* added in order; ends at the first x 0 after
                                 * the first point */
  GstClockTime at_x;            /* the envelope evaluated here (ms) */
  /* expected */
  gboolean found;
  gint64 ppb;
  GstClockTimeDiff at;          /* ns */
} SkewCase;

static const SkewCase skew_cases[] = {
  {.name = "a clock as good as ours",
        .points = {{0, 100}, {1000, 1100}, {2000, 2100}},
      .at_x = 3000,.found = TRUE,.ppb = 0,.at = 3100 * MS},
  {.name = "exactly the least span of sender time is enough",
        .points = {{0, 0}, {2000, 2010}},
      .at_x = 2000,.found = TRUE,.ppb = 5000000,.at = 2010 * MS},
  {.name = "a little less is not",
        .points = {{0, 0}, {1999, 2010}},
      .at_x = 2000,.found = FALSE},
  /* the first point is late: the edge over the mean (1666 ms) is the
   * clock's; arrivals span exactly half the least span */
  {.name = "exactly half the least span of arrival time is enough",
        .points = {{0, 2000}, {1000, 1000}, {1500, 1500}, {2000, 2000},
            {2500, 2500}, {3000, 3000}},
      .at_x = 3000,.found = TRUE,.ppb = 0,.at = 3000 * MS},
  {.name = "a little less is a burst",
        .points = {{0, 2001}, {1000, 1000}, {1500, 1500}, {2000, 2000},
            {2500, 2500}, {3000, 3000}},
      .at_x = 3000,.found = FALSE},
  /* a point of the hull exactly at the mean (1000 ms): its edge to the
   * left is the one taken */
  {.name = "the edge that ends at the mean",
        .points = {{0, 0}, {1000, 1000}, {2000, 2030}},
      .at_x = 2000,.found = TRUE,.ppb = 0,.at = 2000 * MS},
  /* two arrivals in a bucket with the same lateness: the first stays */
  {.name = "the first of a bucket's equally early arrivals stands for it",
        .points = {{0, 0}, {400, 400}, {2500, 2510}},
      .at_x = 2500,.found = TRUE,.ppb = 4000000,.at = 2510 * MS},
  /* an arrival from before the newest bucket is too old to count */
  {.name = "an arrival from an earlier bucket is ignored",
        .points = {{0, 0}, {1000, 1050}, {2600, 2650}, {2400, 2400}},
      .at_x = 2600,.found = TRUE,.ppb = 19230769,.at = 2650 * MS},
  {.name = "exactly +5 % is a clock",
        .points = {{0, 0}, {2000, 2100}},
      .at_x = 2000,.found = TRUE,.ppb = 50000000,.at = 2100 * MS},
  {.name = "exactly -5 % is a clock",
        .points = {{0, 0}, {2000, 1900}},
      .at_x = 2000,.found = TRUE,.ppb = -50000000,.at = 1900 * MS},
  {.name = "+10 % is no clock",
        .points = {{0, 0}, {2000, 2200}},
      .at_x = 2000,.found = FALSE},
  {.name = "-10 % is no clock",
        .points = {{0, 0}, {2000, 1800}},
      .at_x = 2000,.found = FALSE},
};

static void
test_skew (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (skew_cases); i++) {
    const SkewCase *c = &skew_cases[i];
    GstGenesysSkew skew;
    gint64 ppb = G_MININT64;
    GstClockTimeDiff at = G_MININT64;
    gboolean found;

    g_test_message ("skew: %s", c->name);
    gst_genesys_skew_init (&skew);
    for (j = 0; j < G_N_ELEMENTS (c->points); j++) {
      if (j > 0 && c->points[j].x == 0)
        break;
      gst_genesys_skew_add (&skew, c->points[j].x * MS, c->points[j].y * MS);
    }
    found = gst_genesys_skew_envelope (&skew, c->at_x * MS, &ppb, &at);
    g_assert_cmpint (found, ==, c->found);
    if (!found) {
      /* left alone */
      g_assert_cmpint (ppb, ==, G_MININT64);
      g_assert_cmpint (at, ==, G_MININT64);
      continue;
    }
    g_assert_cmpint (ppb, ==, c->ppb);
    g_assert_cmpint (at, ==, c->at);
  }
}

/* The envelope kept between calls is the one the points give: after every
 * arrival of a jittering, drifting sender (new buckets, earlier arrivals
 * replacing a bucket's, later ones not), asked twice at two times, it
 * equals a fresh fit. */
static void
test_skew_kept (void)
{
  GstGenesysSkew skew;
  GRand *rand = g_rand_new_with_seed (7);
  guint i, found = 0;

  gst_genesys_skew_init (&skew);
  for (i = 0; i < 3000; i++) {
    GstClockTime x = i * 20 * MS;
    GstClockTime y = x + x / 100 + g_rand_int_range (rand, 0, 80) * MS;
    GstGenesysSkew fresh;
    gint64 ppb_a = 0, ppb_b = 0;
    GstClockTimeDiff at_a = 0, at_b = 0;
    gboolean a, b;

    gst_genesys_skew_add (&skew, x, y);
    a = gst_genesys_skew_envelope (&skew, x, &ppb_a, &at_a);
    a = gst_genesys_skew_envelope (&skew, x + 10 * MS, &ppb_a, &at_a) && a;
    fresh = skew;
    fresh.fit_state = 0;
    b = gst_genesys_skew_envelope (&fresh, x, &ppb_b, &at_b);
    b = gst_genesys_skew_envelope (&fresh, x + 10 * MS, &ppb_b, &at_b) && b;
    g_assert_cmpint (a, ==, b);
    g_assert_cmpint (ppb_a, ==, ppb_b);
    g_assert_cmpint (at_a, ==, at_b);
    found += a;
  }
  /* the +1 % sender's rate, once there are points enough */
  g_assert_cmpuint (found, >, 2800);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/timeline/table", test_table);
  g_test_add_func ("/timeline/hour-covers-every-sample",
      test_hour_covers_every_sample);
  g_test_add_func ("/timeline/late", test_late);
  g_test_add_func ("/timeline/senders", test_senders);
  g_test_add_func ("/timeline/rate-recovered", test_rate_recovered);
  g_test_add_func ("/timeline/skew", test_skew);
  g_test_add_func ("/timeline/skew-kept", test_skew_kept);
  return g_test_run ();
}
