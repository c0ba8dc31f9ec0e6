/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "gstgenesystimeline.h"

void
gst_genesys_timeline_init (GstGenesysTimeline * tl, guint rate)
{
  memset (tl, 0, sizeof (*tl));
  tl->rate = rate;
  tl->latency = 200 * GST_MSECOND;
  tl->alignment_threshold = 40 * GST_MSECOND;
  tl->discont_wait = GST_SECOND;
  tl->resync = TRUE;
  tl->window_start = GST_CLOCK_TIME_NONE;
  tl->drift_since = GST_CLOCK_TIME_NONE;
}

void
gst_genesys_timeline_set_budget (GstGenesysTimeline * tl,
    GstClockTime latency, GstClockTime alignment_threshold,
    GstClockTime discont_wait, gboolean resync)
{
  tl->latency = latency;
  tl->alignment_threshold = alignment_threshold;
  tl->discont_wait = discont_wait;
  tl->resync = resync;
}

GstClockTimeDiff
gst_genesys_timeline_get_lateness (GstGenesysTimeline * tl)
{
  return tl->have_estimate ? tl->lateness : 0;
}

void
gst_genesys_timeline_new_session (GstGenesysTimeline * tl)
{
  tl->session_placed = FALSE;
}

GstClockTime
gst_genesys_timeline_samples_to_time (GstGenesysTimeline * tl, guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, tl->rate);
}

static guint64
time_to_samples (GstGenesysTimeline * tl, GstClockTime t)
{
  return gst_util_uint64_scale_int_round (t, tl->rate, GST_SECOND);
}

/* Fixes where session position @position (whose span ends at @end_pos)
 * lands on the output, from the running time its end arrived. */
static void
place_session (GstGenesysTimeline * tl, guint64 position, guint64 end_pos,
    GstClockTime arrival)
{
  guint64 out_end;

  if (!tl->anchored) {
    GstClockTime span = gst_genesys_timeline_samples_to_time (tl, end_pos);
    tl->anchor = (GST_CLOCK_TIME_IS_VALID (arrival) && arrival > span) ?
        arrival - span : 0;
    /* Output starts at running time 0 at the earliest: audio that ended
     * before its own length had run (or before the pipeline ran at all)
     * stays that early. That is where the stream starts, not drift:
     * re-alignment must not drop audio for it. */
    tl->baseline_pending = !GST_CLOCK_TIME_IS_VALID (arrival);
    tl->baseline = (!tl->baseline_pending && arrival < span) ?
        -(GstClockTimeDiff) (span - arrival) : 0;
    tl->anchored = TRUE;
    tl->session_offset = 0;
    tl->end = 0;
  } else {
    /* Where the span's end arrived, on the output timeline. */
    if (GST_CLOCK_TIME_IS_VALID (arrival) && arrival > tl->anchor)
      out_end = time_to_samples (tl, arrival - tl->anchor);
    else
      out_end = tl->end;
    if (out_end < tl->end + (end_pos - position))
      out_end = tl->end + (end_pos - position);
    tl->session_offset = (gint64) (out_end - end_pos);
  }
  tl->session_placed = TRUE;
}

static void
fill_span (GstGenesysTimeline * tl, guint64 from, guint64 to,
    GstGenesysSpan * span)
{
  GstClockTime start = gst_genesys_timeline_samples_to_time (tl, from);

  span->pts = tl->anchor + start;
  span->duration = gst_genesys_timeline_samples_to_time (tl, to) - start;
  span->offset = from;
  span->samples = to - from;
}

/* Tracks how late audio ends arrive against their PTS; when the lowest
 * lateness of a window stays beyond the threshold for discont-wait, the
 * next audio moves by it: later (a gap is inserted) for a slow sender,
 * earlier (audio is dropped) for a fast one. Earliness is counted from the
 * baseline the anchoring left, so only a sender that gets faster loses
 * audio. */
static void
track_lateness (GstGenesysTimeline * tl, guint64 out_end, GstClockTime arrival)
{
  GstClockTime end_pts;
  GstClockTimeDiff lateness, drift;

  if (!GST_CLOCK_TIME_IS_VALID (arrival))
    return;
  end_pts = tl->anchor + gst_genesys_timeline_samples_to_time (tl, out_end);
  lateness = GST_CLOCK_DIFF (end_pts, arrival);

  if (!GST_CLOCK_TIME_IS_VALID (tl->window_start)) {
    tl->window_start = arrival;
    tl->window_min = lateness;
    return;
  }
  tl->window_min = MIN (tl->window_min, lateness);
  if (arrival < tl->window_start + GST_GENESYS_TIMELINE_WINDOW)
    return;

  /* a window closed */
  tl->lateness = tl->window_min;
  tl->have_estimate = TRUE;
  tl->window_start = arrival;
  tl->window_min = lateness;
  if (tl->baseline_pending) {
    tl->baseline = MIN (tl->lateness, 0);
    tl->baseline_pending = FALSE;
  }

  /* late: absolute (sinks would drop it); early: beyond the baseline */
  drift = tl->lateness > 0 ? tl->lateness :
      MIN (tl->lateness - tl->baseline, 0);
  if ((GstClockTime) ABS (drift) <= tl->alignment_threshold) {
    tl->drift_since = GST_CLOCK_TIME_NONE;
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (tl->drift_since)) {
    tl->drift_since = arrival;
    return;
  }
  if (!tl->resync || arrival < tl->drift_since + tl->discont_wait)
    return;

  tl->pending_shift = drift > 0 ?
      (gint64) time_to_samples (tl, drift) :
      -(gint64) time_to_samples (tl, -drift);
  tl->drift_since = GST_CLOCK_TIME_NONE;
  /* the next window measures against the new alignment */
  tl->window_start = GST_CLOCK_TIME_NONE;
  tl->have_estimate = FALSE;
}

guint64
gst_genesys_timeline_clip (GstGenesysTimeline * tl, GstClockTime now,
    GstGenesysSpan * span, GstGenesysSpan * late)
{
  GstClockTime deadline;
  guint64 n;

  memset (late, 0, sizeof (*late));
  if (!GST_CLOCK_TIME_IS_VALID (now) || span->samples == 0)
    return 0;
  /* Lateness within the alignment threshold is jitter that sinks absorb
   * (and drift correction removes); dropping it would only cut holes. */
  deadline = span->pts + tl->latency + tl->alignment_threshold;
  if (now <= deadline)
    return 0;
  /* samples whose own deadline has passed: ceil ((now - deadline) * rate) */
  n = gst_util_uint64_scale_int_ceil (now - deadline, tl->rate, GST_SECOND);
  n = MIN (n, span->samples);
  fill_span (tl, span->offset, span->offset + n, late);
  fill_span (tl, span->offset + n, span->offset + span->samples, span);
  tl->late_samples += n;
  return n;
}

gboolean
gst_genesys_timeline_audio (GstGenesysTimeline * tl, guint64 position,
    guint64 samples, GstClockTime arrival, GstGenesysSpan * span,
    GstGenesysSpan * gap, guint64 * skip)
{
  gint64 out;
  guint64 start;

  if (!tl->session_placed)
    place_session (tl, position, position + samples, arrival);

  if (tl->pending_shift) {
    tl->session_offset += tl->pending_shift;
    tl->realignments++;
    if (tl->pending_shift > 0)
      tl->inserted_samples += tl->pending_shift;
    else
      tl->removed_samples += -tl->pending_shift;
    tl->pending_shift = 0;
  }

  out = tl->session_offset + (gint64) position;
  track_lateness (tl, out + samples, arrival);
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
      fill_span (tl, tl->end, start, gap);
  }
  fill_span (tl, start, out + samples, span);
  tl->end = out + samples;
  return TRUE;
}

gboolean
gst_genesys_timeline_gap (GstGenesysTimeline * tl, guint64 position,
    guint64 samples, GstClockTime arrival, GstGenesysSpan * span)
{
  gint64 out;
  guint64 start;

  if (!tl->session_placed)
    place_session (tl, position, position + samples, arrival);

  out = tl->session_offset + (gint64) position;
  if (out + (gint64) samples <= (gint64) tl->end)
    return FALSE;
  /* a hole in positions before it is no audio either: one gap */
  start = tl->end;
  fill_span (tl, start, out + samples, span);
  tl->end = out + samples;
  return TRUE;
}
