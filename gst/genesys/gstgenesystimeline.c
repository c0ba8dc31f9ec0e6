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

gboolean
gst_genesys_timeline_audio (GstGenesysTimeline * tl, guint64 position,
    guint64 samples, GstClockTime arrival, GstGenesysSpan * span,
    GstGenesysSpan * gap, guint64 * skip)
{
  gint64 out;
  guint64 start;

  if (!tl->session_placed)
    place_session (tl, position, position + samples, arrival);

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
  start = MAX (out, (gint64) tl->end);
  fill_span (tl, start, out + samples, span);
  tl->end = out + samples;
  return TRUE;
}
