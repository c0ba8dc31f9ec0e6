/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Drives genesyssrc's timeline (and the clock recovery under it) with any
 * sequence of what a client can make it see: audio at any position and
 * arrival, discarded spans, resumed, new sessions, late checks. Whatever
 * the order and the values, the output must tile: every span starts where
 * the previous one ended, PTS never go back, and late samples never exceed
 * the span. No allocation depends on a span's length. */

#include <string.h>
#include <gst/gst.h>
#include "gstgenesystimeline.h"

#include "fuzz-take.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  GstGenesysTimeline tl;
  GstClockTime now = 0, last_end = GST_CLOCK_TIME_NONE;
  guint64 position = 0;
  static gboolean inited = FALSE;

  if (!inited) {
    gst_init (NULL, NULL);
    inited = TRUE;
  }
  gst_genesys_timeline_init (&tl, 8000);
  gst_genesys_timeline_set_latency (&tl, take (&data, &size, 2) *
      GST_MSECOND, take (&data, &size, 1) & 1);

  while (size > 0) {
    guint op = take (&data, &size, 1);
    GstGenesysSpan span, gap, late;
    guint64 skip, samples;

    /* time goes on by up to 65 s per step, or jumps back a little (a
     * reordered arrival is still a later or equal running time) */
    now += take (&data, &size, 2) * GST_MSECOND;
    switch (op % 6) {
      case 0:                  /* audio at the current position */
      case 1:                  /* audio at any position */
        samples = take (&data, &size, 2) % 64001;
        if (op % 6 == 1)
          position = take (&data, &size, 4);
        if (samples == 0)
          break;
        if (gst_genesys_timeline_audio (&tl, position, samples,
                (op & 0x80) ? GST_CLOCK_TIME_NONE : now, &span, &gap, &skip)) {
          g_assert (skip < samples);
          g_assert (span.samples == samples - skip);
          if (gap.samples) {
            if (GST_CLOCK_TIME_IS_VALID (last_end))
              g_assert (gap.pts == last_end);
            g_assert (gap.pts + gap.duration == span.pts);
          } else if (GST_CLOCK_TIME_IS_VALID (last_end)) {
            g_assert (span.pts == last_end);
          }
          last_end = span.pts + span.duration;
          g_assert (gst_genesys_timeline_late (&tl, now, &span, &late) <=
              samples - skip);
          if (late.samples)
            g_assert (late.pts + late.duration == span.pts);
        }
        position += samples;
        break;
      case 2:                  /* discarded / a paused span */
        samples = take (&data, &size, 4);
        if (gst_genesys_timeline_gap (&tl, position, samples,
                GST_CLOCK_TIME_NONE, &span)) {
          if (GST_CLOCK_TIME_IS_VALID (last_end))
            g_assert (span.pts == last_end);
          last_end = span.pts + span.duration;
        }
        position += samples;
        break;
      case 3:                  /* resumed */
        gst_genesys_timeline_resumed (&tl, position, now);
        break;
      case 4:                  /* a new session */
        gst_genesys_timeline_new_session (&tl);
        position = take (&data, &size, 1) ? take (&data, &size, 4) : 0;
        break;
      case 5:                  /* a DTMF's running time */
        (void) gst_genesys_timeline_position_time (&tl, take (&data, &size, 4));
        break;
    }
  }
  return 0;
}
