/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Maps AudioHook sample positions onto GStreamer running time. Pure: the
 * caller passes the running time at which audio arrived; it never reads a
 * clock.
 *
 * One output timeline per element run, in samples from an anchor running
 * time fixed once by the first audio's arrival. Each session contributes
 * its positions at an offset on that timeline; a new session's offset is
 * taken from its arrival time, so the span between sessions is a gap. */

#ifndef __GST_GENESYS_TIMELINE_H__
#define __GST_GENESYS_TIMELINE_H__

#include <gst/gst.h>

G_BEGIN_DECLS typedef struct
{
  guint rate;
  gboolean anchored;
  GstClockTime anchor;          /* running time of output sample 0 */
  gboolean session_placed;      /* the current session has an offset */
  gint64 session_offset;        /* output sample of session position 0 */
  guint64 end;                  /* output samples covered so far */
} GstGenesysTimeline;

/* A span of output: PTS/duration/offset derived from sample counts. */
typedef struct
{
  GstClockTime pts;
  GstClockTime duration;
  guint64 offset;               /* output sample */
  guint64 samples;
} GstGenesysSpan;

void gst_genesys_timeline_init (GstGenesysTimeline * tl, guint rate);
/* The next audio comes from a new session whose positions restart. */
void gst_genesys_timeline_new_session (GstGenesysTimeline * tl);

/* Audio of @samples at session position @position that arrived (its last
 * sample) at running time @arrival (GST_CLOCK_TIME_NONE: unknown, use the
 * end of the timeline). Returns FALSE when the audio lies entirely before
 * what was already output (a repeat); otherwise fills @span and, when the
 * audio does not start where the output ended, @gap with the span in
 * between (gap->samples 0 when none). Audio overlapping the output is
 * trimmed: *@skip is the number of leading samples to drop. */
gboolean gst_genesys_timeline_audio (GstGenesysTimeline * tl,
    guint64 position, guint64 samples, GstClockTime arrival,
    GstGenesysSpan * span, GstGenesysSpan * gap, guint64 * skip);

/* A span without audio at session position @position. Returns FALSE when
 * nothing of it lies beyond the output (nothing to emit). */
gboolean gst_genesys_timeline_gap (GstGenesysTimeline * tl,
    guint64 position, guint64 samples, GstClockTime arrival,
    GstGenesysSpan * span);

GstClockTime gst_genesys_timeline_samples_to_time (GstGenesysTimeline * tl,
    guint64 samples);

G_END_DECLS
#endif /* __GST_GENESYS_TIMELINE_H__ */
