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
  {"a session that ends with nothing placed covers no time", {
              {GAP, 0, 0, NONE, FALSE},
              {NEW_SESSION},
              {AUDIO, 0, 1600, 3500 * MS, TRUE, 3300 * MS, 200 * MS, 0, 0,
                  NONE, 0},
              {NEW_SESSION},
              {GAP, 4000, 0, NONE, FALSE},
              {NEW_SESSION},
              {AUDIO, 0, 1600, 4000 * MS, TRUE, 3800 * MS, 200 * MS, 4000, 0,
                  3500 * MS, 300 * MS},
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
  {"on time",.check_latency = TRUE},
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
  return g_test_run ();
}
