/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesystimeline.h"

#define PPB G_GINT64_CONSTANT (1000000000)

void
gst_genesys_timeline_init (GstGenesysTimeline * tl, guint rate)
{
  memset (tl, 0, sizeof (*tl));
  tl->rate = rate;
  tl->latency = 300 * GST_MSECOND;
  gst_genesys_skew_init (&tl->skew);
}

void
gst_genesys_timeline_set_latency (GstGenesysTimeline * tl,
    GstClockTime latency, gboolean drop_late)
{
  tl->latency = latency;
  tl->drop_late = drop_late;
}

void
gst_genesys_timeline_set_origin (GstGenesysTimeline * tl, guint64 origin)
{
  g_return_if_fail (!tl->anchored);
  tl->origin = origin;
}

void
gst_genesys_timeline_new_session (GstGenesysTimeline * tl)
{
  tl->session_placed = FALSE;
}

GstClockTime
gst_genesys_timeline_samples_to_time (const GstGenesysTimeline * tl,
    guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, tl->rate);
}

/* Nominal time -> time at the mapping's slope, and back. */
static GstClockTime
stretch (const GstGenesysTimeline * tl, GstClockTime t)
{
  return gst_util_uint64_scale (t, PPB + tl->ppb, PPB);
}

GstClockTime
gst_genesys_timeline_pts (const GstGenesysTimeline * tl, guint64 out)
{
  GstClockTime back;

  if (out >= tl->seg_out)
    return tl->seg_pts + stretch (tl,
        gst_genesys_timeline_samples_to_time (tl, out - tl->seg_out));
  back = stretch (tl, gst_genesys_timeline_samples_to_time (tl,
          tl->seg_out - out));
  return tl->seg_pts > back ? tl->seg_pts - back : 0;
}

/* The output sample whose PTS is @t (the nearest; never before seg_out). */
static guint64
out_at (const GstGenesysTimeline * tl, GstClockTime t)
{
  GstClockTime nominal;

  if (t <= tl->seg_pts)
    return tl->seg_out;
  nominal = gst_util_uint64_scale (t - tl->seg_pts, PPB, PPB + tl->ppb);
  return tl->seg_out + gst_util_uint64_scale_int_round (nominal, tl->rate,
      GST_SECOND);
}

void
gst_genesys_timeline_span (const GstGenesysTimeline * tl, guint64 from,
    guint64 to, GstGenesysSpan * span)
{
  span->pts = gst_genesys_timeline_pts (tl, from);
  span->duration = gst_genesys_timeline_pts (tl, to) - span->pts;
  span->offset = from;
  span->samples = to - from;
}

GstClockTime
gst_genesys_timeline_position_time (const GstGenesysTimeline * tl,
    guint64 position)
{
  gint64 out;

  if (!tl->anchored || !tl->session_placed)
    return GST_CLOCK_TIME_NONE;
  out = tl->session_offset + (gint64) position;
  return gst_genesys_timeline_pts (tl, out > 0 ? (guint64) out : 0);
}

/* @v less @tolerance towards zero, zero within it: a dead band without a
 * step at its edges. */
static gint64
soften (gint64 v, gint64 tolerance)
{
  if (v > tolerance)
    return v - tolerance;
  if (v < -tolerance)
    return v + tolerance;
  return 0;
}

/* Steers the slope from the end of the output on, for audio of @samples:
 * the sender's rate, plus the phase error between the arrivals' envelope
 * and the PTS (less its tolerance) spread over
 * GST_GENESYS_TIMELINE_CORRECTION; a rate within its tolerance counts as none
 * (a sender as good as our clock keeps exact 8 kHz timestamps: the phase
 * term takes up a small drift on its own); the slope moves
 * towards that by at most GST_GENESYS_TIMELINE_MAX_SLEW per second of the
 * audio. */
static void
steer (GstGenesysTimeline * tl, guint64 samples)
{
  gint64 ppb = tl->est_ppb, target, step;
  GstClockTimeDiff at, phase;
  GstClockTime since;

  if (!gst_genesys_skew_envelope (&tl->skew,
          gst_genesys_timeline_samples_to_time (tl, tl->end), &ppb, &at))
    return;
  tl->est_ppb = ppb;
  phase = at - (GstClockTimeDiff) gst_genesys_timeline_pts (tl, tl->end);
  /* a rate within the tolerance is none; beyond it, all of it (the slew
   * limit smooths the edge) */
  if (ABS (ppb) <= GST_GENESYS_TIMELINE_RATE_TOLERANCE)
    ppb = 0;
  target = ppb +
      CLAMP ((gint64) gst_util_uint64_scale (ABS (soften (phase,
                  GST_GENESYS_TIMELINE_PHASE_TOLERANCE)), GST_SECOND,
          GST_GENESYS_TIMELINE_CORRECTION) * (phase < 0 ? -1 : 1),
      -GST_GENESYS_TIMELINE_MAX_STEER, GST_GENESYS_TIMELINE_MAX_STEER);
  /* the buffer's audio as it will last on the output, at the least (the
   * slope may yet go down by a step) */
  since = gst_util_uint64_scale (gst_genesys_timeline_samples_to_time (tl,
          samples), PPB + tl->ppb - GST_GENESYS_TIMELINE_MAX_STEP, PPB);
  step = MIN (GST_GENESYS_TIMELINE_MAX_STEP,
      (gint64) gst_util_uint64_scale (since, GST_GENESYS_TIMELINE_MAX_SLEW,
          GST_SECOND));
  target = CLAMP (target, tl->ppb - step, tl->ppb + step);
  if (target == tl->ppb)
    return;
  tl->seg_pts = gst_genesys_timeline_pts (tl, tl->end);
  tl->seg_out = tl->end;
  tl->ppb = target;
}

/* Places the current session so that the audio ending at session position
 * @end_pos ends where it arrived (never before the output's end plus its
 * own @samples). */
static void
place_by_arrival (GstGenesysTimeline * tl, guint64 end_pos, guint64 samples,
    GstClockTime arrival)
{
  guint64 out_end = tl->end + samples;

  if (!tl->anchored) {
    /* output sample 0 is position origin: what ends before it is not out */
    guint64 out_pos = end_pos > tl->origin ? end_pos - tl->origin : 0;
    GstClockTime span = gst_genesys_timeline_samples_to_time (tl, out_pos);
    /* Output starts at running time 0 at the earliest: audio that ended
     * before its own length had run is early; the steering takes it to the
     * envelope of the arrivals. */
    tl->seg_pts = (GST_CLOCK_TIME_IS_VALID (arrival) && arrival > span) ?
        arrival - span : 0;
    tl->seg_out = 0;
    tl->end = 0;
    tl->anchored = TRUE;
    tl->session_offset = -(gint64) tl->origin;
    tl->session_placed = TRUE;
    gst_genesys_skew_reset (&tl->skew);
    return;
  } else {
    if (GST_CLOCK_TIME_IS_VALID (arrival))
      out_end = MAX (out_end, out_at (tl, arrival));
    tl->reanchors++;
  }
  tl->session_offset = (gint64) out_end - (gint64) end_pos;
  tl->session_placed = TRUE;
  /* points of the earlier placement are on another footing */
  gst_genesys_skew_reset (&tl->skew);
}

void
gst_genesys_timeline_resumed (GstGenesysTimeline * tl, guint64 position,
    GstClockTime arrival)
{
  gint64 end;
  guint64 out;

  if (!tl->anchored || !tl->session_placed
      || !GST_CLOCK_TIME_IS_VALID (arrival))
    return;
  end = tl->session_offset + (gint64) position;
  if (end < 0 || arrival <= gst_genesys_timeline_pts (tl, end) + tl->latency)
    return;
  /* the gap up to there goes out before the next audio */
  out = out_at (tl, arrival);
  if (out <= (guint64) end)
    return;
  tl->session_offset += (gint64) out - end;
  tl->reanchors++;
  gst_genesys_skew_reset (&tl->skew);
}

guint64
gst_genesys_timeline_late (GstGenesysTimeline * tl, GstClockTime now,
    GstGenesysSpan * span, GstGenesysSpan * late)
{
  GstClockTime deadline;
  guint64 n;

  memset (late, 0, sizeof (*late));
  if (!GST_CLOCK_TIME_IS_VALID (now) || span->samples == 0)
    return 0;
  deadline = span->pts + tl->latency;
  if (now <= deadline)
    return 0;
  /* the samples whose own deadline has passed */
  n = gst_util_uint64_scale_int_ceil (gst_util_uint64_scale_ceil (now -
          deadline, PPB, PPB + tl->ppb), tl->rate, GST_SECOND);
  n = MIN (n, span->samples);
  tl->late_samples += n;
  if (!tl->drop_late)
    return n;
  tl->late_dropped_samples += n;
  gst_genesys_timeline_span (tl, span->offset, span->offset + n, late);
  gst_genesys_timeline_span (tl, span->offset + n, span->offset + span->samples,
      span);
  return n;
}

gboolean
gst_genesys_timeline_audio (GstGenesysTimeline * tl, guint64 position,
    guint64 samples, GstClockTime arrival, GstGenesysSpan * span,
    GstGenesysSpan * gap, guint64 * skip)
{
  gint64 out;
  guint64 start;

  if (tl->anchored)
    steer (tl, samples);
  if (!tl->session_placed) {
    place_by_arrival (tl, position + samples, samples, arrival);
  }

  out = tl->session_offset + (gint64) position;
  memset (gap, 0, sizeof (*gap));
  *skip = 0;
  if (out + (gint64) samples <= (gint64) tl->end)
    return FALSE;
  if (out < (gint64) tl->end) {
    *skip = tl->end - out;
    start = tl->end;
  } else {
    start = out;
    if (start > tl->end)
      gst_genesys_timeline_span (tl, tl->end, start, gap);
  }
  gst_genesys_timeline_span (tl, start, out + samples, span);
  tl->end = out + samples;

  if (GST_CLOCK_TIME_IS_VALID (arrival)) {
    tl->lateness = GST_CLOCK_DIFF (span->pts + span->duration, arrival);
    gst_genesys_skew_add (&tl->skew,
        gst_genesys_timeline_samples_to_time (tl, tl->end), arrival);
  }
  return TRUE;
}

gboolean
gst_genesys_timeline_gap (GstGenesysTimeline * tl, guint64 position,
    guint64 samples, GstClockTime arrival, GstGenesysSpan * span)
{
  gint64 out;

  /* a session's end with nothing of it placed (no audio, no gap): there is
   * nothing of it to cover, and no arrival to place it by */
  if (!tl->session_placed && samples == 0)
    return FALSE;
  if (!tl->session_placed)
    place_by_arrival (tl, position + samples, samples, arrival);

  out = tl->session_offset + (gint64) position;
  if (out + (gint64) samples <= (gint64) tl->end)
    return FALSE;
  /* a hole in positions before it is no audio either: one gap */
  gst_genesys_timeline_span (tl, tl->end, out + samples, span);
  tl->end = out + samples;
  return TRUE;
}
