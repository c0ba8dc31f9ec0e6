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

  /* latency budget and clock drift */
  GstClockTime latency;         /* audio leaves before PTS + latency */
  GstClockTime alignment_threshold;
  GstClockTime discont_wait;
  gboolean resync;              /* FALSE: measure and clip only */
  GstClockTime window_start;    /* arrival opening the current window */
  GstClockTimeDiff window_min;  /* lowest lateness seen in it */
  gboolean have_estimate;
  GstClockTimeDiff lateness;    /* the last window's lowest lateness */
  GstClockTime drift_since;     /* NONE while within the threshold */
  GstClockTimeDiff baseline;    /* earliness the anchoring left (<= 0) */
  gboolean baseline_pending;    /* anchored blind: the first window sets it */
  guint64 late_samples;         /* dropped for arriving too late */
  guint64 inserted_samples;     /* re-alignment: gaps inserted */
  guint64 removed_samples;      /* re-alignment: audio dropped */
  guint realignments;
  gint64 pending_shift;         /* samples the next audio moves by */
} GstGenesysTimeline;

/* How often the lowest lateness is taken (a window of arrivals): jitter
 * only ever delays audio, so the lowest lateness in a window tracks the
 * sender's clock against ours. */
#define GST_GENESYS_TIMELINE_WINDOW (1 * GST_SECOND)

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

/* A span without audio at session position @position (@samples may be 0:
 * the timeline runs to @position), with any hole in positions before it.
 * Returns FALSE when nothing of it lies beyond the output (nothing to
 * emit). */
gboolean gst_genesys_timeline_gap (GstGenesysTimeline * tl,
    guint64 position, guint64 samples, GstClockTime arrival,
    GstGenesysSpan * span);

GstClockTime gst_genesys_timeline_samples_to_time (GstGenesysTimeline * tl,
    guint64 samples);

/* Latency budget and drift handling. Defaults: latency 200 ms, threshold
 * 40 ms, discont-wait 1 s, resync on. */
void gst_genesys_timeline_set_budget (GstGenesysTimeline * tl,
    GstClockTime latency, GstClockTime alignment_threshold,
    GstClockTime discont_wait, gboolean resync);

/* Clips audio that would leave later than its PTS + latency (plus the
 * alignment threshold, the jitter tolerated) at running time @now: the late
 * leading samples move from @span into @late (late->samples 0 when none;
 * span->samples 0 when all of it is late). A backlog flushed after a
 * reconnect is cut down to what is still on time. Returns the number of
 * samples clipped. */
guint64 gst_genesys_timeline_clip (GstGenesysTimeline * tl, GstClockTime now,
    GstGenesysSpan * span, GstGenesysSpan * late);

/* The sender's lateness against the anchor, smoothed (lowest over the last
 * window); 0 before the first window closes. */
GstClockTimeDiff gst_genesys_timeline_get_lateness (GstGenesysTimeline * tl);

G_END_DECLS
#endif /* __GST_GENESYS_TIMELINE_H__ */
