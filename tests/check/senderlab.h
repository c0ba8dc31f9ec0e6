/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Sender models against a real genesyssrc: real sockets (AhPeer), the
 * pipeline clock a GstTestClock.
 *
 * A LabSender describes a client: its clock (ppm off ours), the delays of
 * its frames, pauses, discarded spans and drops. lab_run() turns it into
 * steps on the test clock (open, frame, text message, drop), each at the
 * time it arrives, and runs them: it sets the clock to a step's time, sends
 * it, and waits for what the element made of it (the output of every frame
 * sent so far; a ping/pong after a text message, so that the element's loop
 * thread read it at that time) before the clock moves on. Frames that
 * arrive at the same time are sent together.
 *
 * SrcOut records what the element outputs, in order, from a pad probe on
 * its src pad (buffers and GAP events in one sequence, with the clock's
 * running time when each was pushed), and checks it as it goes: audio
 * bytes against what was sent, continuity, slope steps, lateness, gaps. */

#ifndef __SENDER_LAB_H__
#define __SENDER_LAB_H__

#include <gst/gst.h>

G_BEGIN_DECLS
#define LAB_PATH "/api/v1/audiohook/ws"
#define LAB_FRAME 1600          /* 200 ms at 8 kHz */
#define LAB_WAIT 10000          /* ms of real time for anything to happen */
/* The audio byte the client sends as its @index-th sample (any session):
 * the output, concatenated, must be exactly these in order. */
    guint8 lab_pattern (guint64 index);

/* ---- the output recorder ---- */

typedef struct
{
  guint64 samples;              /* the jump in OFFSET across it */
  GstClockTime duration;        /* its PTS span (GAP events or GAP buffers) */
  GstClockTime pts;
  guint64 offset;               /* OFFSET where it starts */
  gboolean leading;             /* before the first audio buffer */
} LabGap;

typedef struct _SrcOut SrcOut;

struct _SrcOut
{
  GMutex lock;
  GCond cond;
  GstPad *pad;
  gulong probe;
  GstClock *clock;
  GstElement *element;          /* for its base time */
  GstClockTime latency;

  /* under lock, written by the streaming thread */
  guint64 audio;                /* audio samples out (non-GAP buffers) */
  guint64 buffers;
  guint discont;
  guint gap_events;
  guint gap_buffers;
  gboolean have_end;
  GstClockTime end;             /* PTS + DURATION of the last buffer/GAP */
  GstClockTime last_pts;
  gboolean have_audio;
  GstClockTime audio_end;       /* of the last audio buffer */
  guint64 audio_offset_end;
  GstClockTime pending_gap;     /* GAP time since the last audio buffer */
  gdouble last_slope;
  gdouble max_step;             /* largest |slope_i - slope_i-1| */
  gdouble max_step_ratio;       /* ... against its bound */
  GstClockTime worst_pts, worst_duration;       /* the buffer of the worst ratio */
  gdouble worst_slope, worst_prev_slope;
  GstClockTimeDiff max_late;    /* running time at push - PTS */
  guint late_buffers;           /* pushed later than PTS + latency */
  gboolean eos;
  GArray *gaps;                 /* LabGap */
  guint64 bad_byte;             /* first audio sample that differs (or G_MAXUINT64) */
  GString *problems;            /* continuity and order violations */
  guint n_problems;
};

SrcOut *src_out_new (GstElement * src, GstClock * clock);
void src_out_free (SrcOut * out);
/* Waits until @samples audio samples came out; FALSE on timeout. */
gboolean src_out_wait (SrcOut * out, guint64 samples, guint timeout_ms);
guint64 src_out_audio (SrcOut * out);
/* Waits up to @timeout_ms for any output; TRUE when something came. */
gboolean src_out_wait_any (SrcOut * out, guint64 * seen, guint timeout_ms);

/* ---- stats ---- */

guint64 lab_stat_u64 (GstElement * src, const gchar * field, gboolean * found);

/* ---- sender models ---- */

typedef struct
{
  const gchar *name;
  gint ppm;                     /* the sender's clock against ours: > 0 slow */
  guint jitter_ms;              /* each frame 0..this late (uniform, us), order kept */
  guint timer_us;               /* setInterval: each interval 0..this longer */
  guint stall_at_ms, stall_ms;  /* nothing arrives for stall_ms, then a burst */
  guint pause_at_ms, pause_ms;  /* paused ... resumed */
  gboolean frozen;              /* ... with discarded PT0S, positions frozen */
  guint discard_at_ms, discard_ms;      /* discarded (positions advance) */
  guint drop_at_ms, drop_ms;    /* a drop (1006), continued at the old
                                 * position and the outage reported */
  guint drop_every_ms;          /* drops repeat (outage drop_ms + i % 5 x 400 ms) */
  gboolean drop_frozen;         /* the outage not reported: positions frozen */
  guint seconds;                /* positions covered (audio and gaps) */
  gboolean check_latency;       /* no buffer later than PTS + latency */
  guint frozen_tol_us;          /* a frozen span's gap: its wall time +- this */
} LabSender;

typedef enum
{
  LAB_STANDALONE,               /* GstHarness, the element listens */
  LAB_EXTERNAL,                 /* GstGenesysServe, a pipeline per call */
} LabMode;

typedef struct
{
  gboolean exact;               /* samples exactly (else duration +- tol) */
  guint64 samples;
  GstClockTime duration;
  GstClockTime tolerance;
  const gchar *what;
  /* a frozen pause: the running time the resumed arrived at; the gap must
   * run from the end of the output to there, to a sample */
  GstClockTime resumed_at;
} LabExpectedGap;

typedef struct
{
  guint64 sent;                 /* audio samples sent */
  guint frames;
  guint drops;
  guint64 reported;             /* samples reported (discarded, advancing pauses) */
  guint expected_reanchors;
  GArray *expected_gaps;        /* LabExpectedGap */

  SrcOut *out;                  /* what came out (owned) */
  guint64 out_samples;

  /* stats at the end */
  gboolean have_new_stats;      /* reanchors, skew-ppm, late-dropped-duration */
  guint reanchors;
  gdouble skew_ppm;
  guint64 late_ns, late_dropped_ns, gap_ns, position_mismatches;
  guint64 loop_pushed;           /* buffers the loop thread pushed */
  GstClockTime latency;
  guint late_messages;          /* genesys-late bus messages */
  guint gap_messages;           /* genesys-gap bus messages */

  gdouble seconds;              /* real time the run took */
  gboolean aborted;             /* the run could not go on (see problems) */
  GString *problems;            /* everything that is not as specified */
} LabResult;

/* @props: extra genesyssrc properties "name=value ..." (may be NULL) */
void lab_run (const LabSender * snd, LabMode mode, GstClockTime start,
    const gchar * props, LabResult * r);
/* Compares the run with what the sender did; appends to r->problems.
 * Returns TRUE when all is as specified. */
gboolean lab_check (const LabSender * snd, LabResult * r);
/* One line for g_test_message(). */
gchar *lab_summary (const LabSender * snd, LabMode mode, GstClockTime start,
    const LabResult * r);
void lab_result_clear (LabResult * r);

G_END_DECLS
#endif /* __SENDER_LAB_H__ */
