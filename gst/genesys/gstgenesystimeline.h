/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Maps AudioHook sample positions onto GStreamer running time. Pure: the
 * caller passes the running time at which audio arrived; it never reads a
 * clock.
 *
 * One output timeline per element run, counted in output samples (audio
 * and gaps). Each session contributes its positions at an offset on it.
 * Output samples become PTS through a continuous, piecewise linear mapping
 * that follows the sender's clock: its slope is the sender's rate as the
 * lower envelope of the arrivals shows it (GstGenesysSkew), and it is
 * steered onto that envelope, changing by at most a thousandth per second
 * of audio.
 * Nothing is dropped for being late unless asked (drop_late). */

#ifndef __GST_GENESYS_TIMELINE_H__
#define __GST_GENESYS_TIMELINE_H__

#include <gst/gst.h>
#include "gstgenesysskew.h"

G_BEGIN_DECLS
/* A phase error (arrivals against PTS) is steered out over this much audio. */
#define GST_GENESYS_TIMELINE_CORRECTION (16 * GST_SECOND)
/* From one buffer to the next the slope changes by at most this per second
 * of the buffer's audio (ppb): no step larger than 1 ms per second of
 * audio, ... */
#define GST_GENESYS_TIMELINE_MAX_SLEW 1000000
/* ... and never by more than this at once (ppb). */
#define GST_GENESYS_TIMELINE_MAX_STEP 1000000
/* Rates and phase errors within these are taken as none (ppb, ns). */
#define GST_GENESYS_TIMELINE_RATE_TOLERANCE 300000
#define GST_GENESYS_TIMELINE_PHASE_TOLERANCE (2 * GST_MSECOND)
/* The steering term is bounded to this rate (ppb). */
#define GST_GENESYS_TIMELINE_MAX_STEER 10000000
    typedef struct
{
  guint rate;
  gboolean anchored;

  /* output sample -> PTS: seg_pts + (out - seg_out) / rate * (1 + ppb/1e9) */
  guint64 seg_out;
  GstClockTime seg_pts;
  gint64 ppb;

  gboolean session_placed;      /* the current session has an offset */
  gint64 session_offset;        /* output sample of session position 0 */
  guint64 end;                  /* output samples covered so far */

  guint64 origin;               /* first session's position of output 0 */
  GstClockTime latency;         /* audio should leave before PTS + latency */
  gboolean drop_late;           /* ... and is dropped (a gap) when it cannot */

  GstGenesysSkew skew;
  gint64 est_ppb;               /* the sender's rate, as last estimated */
  GstClockTimeDiff lateness;    /* of the last audio's end against its PTS */

  guint64 late_samples;         /* audio that left after PTS + latency */
  guint64 late_dropped_samples; /* ... and was dropped for it */
  guint reanchors;              /* sessions placed by their arrival */
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
/* Defaults: latency 300 ms, late audio kept. */
void gst_genesys_timeline_set_latency (GstGenesysTimeline * tl,
    GstClockTime latency, gboolean drop_late);

/* Output sample 0 stands for position @origin of the first session
 * (default 0): what lies before it is not output, and the first audio
 * places nothing before it. For a call that goes on from elsewhere (its
 * output before @origin is another pipeline's). Before any audio. */
void gst_genesys_timeline_set_origin (GstGenesysTimeline * tl, guint64 origin);

/* The next audio comes from a new session whose positions restart: it is
 * placed where it arrives. */
void gst_genesys_timeline_new_session (GstGenesysTimeline * tl);
/* A `resumed` arrived at @arrival, the session's audio going on at
 * @position. When that position's PTS + latency lies before @arrival, the
 * client froze its position while the pause lasted: the session is placed
 * so that @position is at @arrival, and the pause is a gap of the time it
 * lasted. */
void gst_genesys_timeline_resumed (GstGenesysTimeline * tl, guint64 position,
    GstClockTime arrival);
/* Audio of @samples at session position @position whose last sample
 * arrived at running time @arrival (GST_CLOCK_TIME_NONE: unknown). Returns
 * FALSE when the audio lies entirely before what was already output (a
 * repeat); otherwise fills @span and, when the audio does not start where
 * the output ended, @gap with the span in between (gap->samples 0 when
 * none). Audio overlapping the output is trimmed: *@skip is the number of
 * leading samples to drop. */
gboolean gst_genesys_timeline_audio (GstGenesysTimeline * tl,
    guint64 position, guint64 samples, GstClockTime arrival,
    GstGenesysSpan * span, GstGenesysSpan * gap, guint64 * skip);

/* A span without audio at session position @position (@samples may be 0:
 * the timeline runs to @position), with any hole in positions before it.
 * Returns FALSE when nothing of it lies beyond the output (nothing to
 * emit), and for @samples 0 in a session nothing placed yet (a session
 * without audio or gaps covers no time). */
gboolean gst_genesys_timeline_gap (GstGenesysTimeline * tl,
    guint64 position, guint64 samples, GstClockTime arrival,
    GstGenesysSpan * span);

/* Audio @span leaves at running time @now: the samples that leave later
 * than their PTS + latency are late. They are counted; with drop_late they
 * move from the front of @span into @late (late->samples 0 otherwise; span
 * ->samples 0 when all of it is late). Returns the number of late samples. */
guint64 gst_genesys_timeline_late (GstGenesysTimeline * tl, GstClockTime now,
    GstGenesysSpan * span, GstGenesysSpan * late);

/* The PTS of output sample @out. */
GstClockTime gst_genesys_timeline_pts (const GstGenesysTimeline * tl,
    guint64 out);
/* Fills @span for output samples [@from, @to). */
void gst_genesys_timeline_span (const GstGenesysTimeline * tl, guint64 from,
    guint64 to, GstGenesysSpan * span);
/* The running time of session position @position; NONE before the session
 * is placed. */
GstClockTime gst_genesys_timeline_position_time (const GstGenesysTimeline *
    tl, guint64 position);

GstClockTime gst_genesys_timeline_samples_to_time (const GstGenesysTimeline *
    tl, guint64 samples);

G_END_DECLS
#endif /* __GST_GENESYS_TIMELINE_H__ */
