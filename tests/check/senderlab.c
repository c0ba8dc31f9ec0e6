/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <math.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/genesys/gstgenesysserve.h>
#include "senderlab.h"
#include "ahpeer.h"
#include "ah-duration.h"
#include "checkutil.h"

#define OFFER "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define MAX_PROBLEMS 12

guint8
lab_pattern (guint64 index)
{
  guint32 h = (guint32) index * 2654435761u;

  return (guint8) ((h >> 13) ^ (index >> 8));
}

/* ---- SrcOut ---- */

static void
out_problem (SrcOut * out, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static void out_problem (SrcOut * out, const gchar * format, ...)
{
  va_list args;

  if (out->n_problems++ >= MAX_PROBLEMS)
    return;
  va_start (args, format);
  g_string_append (out->problems, "\n    ");
  g_string_append_vprintf (out->problems, format, args);
  va_end (args);
}

/* Every buffer and GAP event starts where the previous one ended. */
static void
out_continuity (SrcOut * out, GstClockTime pts, GstClockTime duration,
    const gchar * what)
{
  if (out->have_end) {
    GstClockTimeDiff d = GST_CLOCK_DIFF (out->end, pts);
    if (d > 1 || d < -1)
      out_problem (out, "%s at %" GST_TIME_FORMAT " does not start where the "
          "output ended (%" GST_TIME_FORMAT ", %+" G_GINT64_FORMAT " ns)", what,
          GST_TIME_ARGS (pts), GST_TIME_ARGS (out->end), d);
    if (pts <= out->last_pts)
      out_problem (out, "%s at %" GST_TIME_FORMAT " is not after the previous "
          "one (%" GST_TIME_FORMAT ")", what, GST_TIME_ARGS (pts),
          GST_TIME_ARGS (out->last_pts));
  }
  out->have_end = TRUE;
  out->last_pts = pts;
  out->end = pts + duration;
}

static void
out_buffer (SrcOut * out, GstBuffer * buf, GstClockTime now)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), dur = GST_BUFFER_DURATION (buf);
  guint64 off = GST_BUFFER_OFFSET (buf), off_end = GST_BUFFER_OFFSET_END (buf);
  gsize size = gst_buffer_get_size (buf);
  GstMapInfo map;
  gdouble slope;
  guint64 i;

  out->buffers++;
  if (!GST_CLOCK_TIME_IS_VALID (pts) || !GST_CLOCK_TIME_IS_VALID (dur)) {
    out_problem (out, "buffer without PTS or DURATION");
    return;
  }
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    out->discont++;
  out_continuity (out, pts, dur, GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_GAP) ? "GAP buffer" : "buffer");
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    out->gap_buffers++;
    out->pending_gap += dur;
    return;
  }

  /* audio: mono 8-bit, a byte a sample */
  if (off_end - off != size)
    out_problem (out, "buffer at %" GST_TIME_FORMAT ": OFFSET %"
        G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT " for %" G_GSIZE_FORMAT
        " samples", GST_TIME_ARGS (pts), off, off_end, size);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < size && out->bad_byte == G_MAXUINT64; i++)
    if (map.data[i] != lab_pattern (out->audio + i))
      out->bad_byte = out->audio + i;
  gst_buffer_unmap (buf, &map);

  slope = size ? (gdouble) dur / (size * 125000.0) : 1.0;
  if (out->have_audio) {
    gdouble step = fabs (slope - out->last_slope);
    /* no step larger than 1 ms per second of audio; durations are whole
     * nanoseconds (5 ppb of a 200 ms buffer, each) */
    gdouble bound = 0.001 * dur / 1e9 + 1e-8;
    if (step > out->max_step)
      out->max_step = step;
    if (step / bound > out->max_step_ratio) {
      out->max_step_ratio = step / bound;
      out->worst_pts = pts;
      out->worst_duration = dur;
      out->worst_slope = slope;
      out->worst_prev_slope = out->last_slope;
    }
    if (off != out->audio_offset_end || pts > out->audio_end + 1
        || out->pending_gap > 0) {
      LabGap g = { 0, };
      if (off < out->audio_offset_end)
        out_problem (out, "buffer at %" GST_TIME_FORMAT ": OFFSET %"
            G_GUINT64_FORMAT " goes back (the last audio ended at %"
            G_GUINT64_FORMAT ")", GST_TIME_ARGS (pts), off,
            out->audio_offset_end);
      g.samples = off > out->audio_offset_end ? off - out->audio_offset_end : 0;
      g.duration = pts > out->audio_end ? pts - out->audio_end : 0;
      g.pts = out->audio_end;
      g.offset = out->audio_offset_end;
      g_array_append_val (out->gaps, g);
    }
  } else if (off > 0 || out->pending_gap > 0) {
    LabGap g = { 0, };
    g.samples = off;
    g.duration = out->pending_gap;
    g.pts = pts - out->pending_gap;
    g.leading = TRUE;
    g_array_append_val (out->gaps, g);
  }
  out->have_audio = TRUE;
  out->audio_end = pts + dur;
  out->audio_offset_end = off_end;
  out->last_slope = slope;
  out->pending_gap = 0;

  if (GST_CLOCK_TIME_IS_VALID (now)) {
    GstClockTimeDiff late = GST_CLOCK_DIFF (pts, now);
    if (late > out->max_late)
      out->max_late = late;
    if (late > (GstClockTimeDiff) out->latency)
      out->late_buffers++;
  }
  out->audio += size;
}

static gboolean
out_list_item (GstBuffer ** buf, guint idx, gpointer data)
{
  gpointer *args = data;

  out_buffer (args[0], *buf, *(GstClockTime *) args[1]);
  return TRUE;
}

static GstPadProbeReturn
out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  SrcOut *out = data;
  GstClockTime now = gst_clock_get_time (out->clock);
  GstClockTime base = gst_element_get_base_time (out->element);

  now = now >= base ? now - base : 0;
  g_mutex_lock (&out->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    out_buffer (out, GST_PAD_PROBE_INFO_BUFFER (info), now);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    gpointer args[2] = { out, &now };
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        out_list_item, args);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime ts, d;
      gst_event_parse_gap (ev, &ts, &d);
      if (!GST_CLOCK_TIME_IS_VALID (d)) {
        out_problem (out, "GAP event at %" GST_TIME_FORMAT " without a "
            "duration", GST_TIME_ARGS (ts));
        d = 0;
      }
      out->gap_events++;
      out_continuity (out, ts, d, "GAP event");
      out->pending_gap += d;
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      out->eos = TRUE;
    }
  }
  g_cond_broadcast (&out->cond);
  g_mutex_unlock (&out->lock);
  return GST_PAD_PROBE_OK;
}

SrcOut *
src_out_new (GstElement * src, GstClock * clock)
{
  SrcOut *out = g_new0 (SrcOut, 1);

  g_mutex_init (&out->lock);
  g_cond_init (&out->cond);
  out->element = gst_object_ref (src);
  out->clock = gst_object_ref (clock);
  g_object_get (src, "latency", &out->latency, NULL);
  out->gaps = g_array_new (FALSE, TRUE, sizeof (LabGap));
  out->problems = g_string_new (NULL);
  out->bad_byte = G_MAXUINT64;
  out->max_late = G_MININT64;
  out->pad = gst_element_get_static_pad (src, "src");
  out->probe = gst_pad_add_probe (out->pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      out_probe, out, NULL);
  return out;
}

void
src_out_free (SrcOut * out)
{
  if (!out)
    return;
  if (out->probe)
    gst_pad_remove_probe (out->pad, out->probe);
  gst_object_unref (out->pad);
  gst_object_unref (out->element);
  gst_object_unref (out->clock);
  g_array_unref (out->gaps);
  g_string_free (out->problems, TRUE);
  g_mutex_clear (&out->lock);
  g_cond_clear (&out->cond);
  g_free (out);
}

gboolean
src_out_wait (SrcOut * out, guint64 samples, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok;

  g_mutex_lock (&out->lock);
  while (out->audio < samples)
    if (!g_cond_wait_until (&out->cond, &out->lock, end))
      break;
  ok = out->audio >= samples;
  g_mutex_unlock (&out->lock);
  return ok;
}

guint64
src_out_audio (SrcOut * out)
{
  guint64 n;

  g_mutex_lock (&out->lock);
  n = out->audio;
  g_mutex_unlock (&out->lock);
  return n;
}

gboolean
src_out_wait_any (SrcOut * out, guint64 * seen, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint64 now;

  g_mutex_lock (&out->lock);
  while ((now = out->buffers + out->gap_events) == *seen)
    if (!g_cond_wait_until (&out->cond, &out->lock, end))
      break;
  g_mutex_unlock (&out->lock);
  if (now == *seen)
    return FALSE;
  *seen = now;
  return TRUE;
}

/* ---- stats ---- */

guint64
lab_stat_u64 (GstElement * src, const gchar * field, gboolean * found)
{
  GstStructure *stats;
  guint64 v = 0;
  gboolean ok;

  g_object_get (src, "stats", &stats, NULL);
  ok = gst_structure_get_uint64 (stats, field, &v);
  gst_structure_free (stats);
  if (found)
    *found = ok;
  return v;
}

/* Samples the element accounts as dropped: for being late (the new
 * late-dropped-duration; before it, late-duration and removed-duration
 * were clipped or removed audio), or for a blocked streaming thread. */
static guint64
lost_samples (GstElement * src)
{
  GstStructure *stats;
  guint64 v = 0, ns = 0;

  g_object_get (src, "stats", &stats, NULL);
  if (gst_structure_get_uint64 (stats, "late-dropped-duration", &v)) {
    ns += v;
  } else {
    if (gst_structure_get_uint64 (stats, "late-duration", &v))
      ns += v;
    if (gst_structure_get_uint64 (stats, "removed-duration", &v))
      ns += v;
  }
  if (gst_structure_get_uint64 (stats, "dropped-duration", &v))
    ns += v;
  gst_structure_free (stats);
  return gst_util_uint64_scale_round (ns, 8000, GST_SECOND);
}

/* ---- the sender's steps ---- */

typedef enum
{
  STEP_OPEN,
  STEP_FRAME,
  STEP_TEXT,
  STEP_DROP,
} StepType;

typedef struct
{
  StepType type;
  GstClockTime t;               /* on the test clock */
  guint64 pos;                  /* the client's position after it */
  guint64 samples;              /* FRAME */
  gboolean continued;           /* OPEN */
  const gchar *msg;             /* TEXT: type */
  gchar *params;                /* TEXT */
} Step;

static void
step_clear (gpointer data)
{
  g_free (((Step *) data)->params);
}

static gchar *
span_params (guint64 start, guint64 samples)
{
  gchar *a = ah_duration_format_samples (start, 8000);
  gchar *b = ah_duration_format_samples (samples, 8000);
  gchar *p = g_strdup_printf ("{\"start\":\"%s\",\"discarded\":\"%s\"}", a, b);

  g_free (a);
  g_free (b);
  return p;
}

typedef struct
{
  const LabSender *snd;
  GstClockTime start;
  GstClockTime base;            /* the element's base time */
  GArray *steps;
  GstClockTime last;            /* latest arrival so far (order is kept) */
  LabResult *r;
} Plan;

static GstClockTime
plan_clock (Plan * p, GstClockTime sender_ns)
{
  return p->start + gst_util_uint64_scale (sender_ns,
      1000000 + p->snd->ppm, 1000000);
}

static Step *
plan_add (Plan * p, StepType type, GstClockTime t, guint64 pos)
{
  Step s = { 0, };

  s.type = type;
  s.t = MAX (t, p->last);
  s.pos = pos;
  p->last = s.t;
  g_array_append_val (p->steps, s);
  return &g_array_index (p->steps, Step, p->steps->len - 1);
}

static void
expect_exact (Plan * p, guint64 samples, const gchar * what)
{
  LabExpectedGap g = { TRUE, samples, samples * 125000, 0, what };

  g_array_append_val (p->r->expected_gaps, g);
  p->r->reported += samples;
}

static void
expect_wall (Plan * p, GstClockTime duration, const gchar * what,
    GstClockTime resumed_at)
{
  LabExpectedGap g = { FALSE, 0, duration,
    p->snd->frozen_tol_us * GST_USECOND, what,
    GST_CLOCK_TIME_IS_VALID (resumed_at) ? resumed_at - p->base :
        GST_CLOCK_TIME_NONE
  };

  g_array_append_val (p->r->expected_gaps, g);
  p->r->expected_reanchors++;
}

/* The sender's life as steps on our clock. */
static void
plan_build (Plan * p)
{
  const LabSender *snd = p->snd;
  GRand *rand = g_rand_new_with_seed (42);
  guint64 pos = 0, end_pos = (guint64) snd->seconds * 8000;
  guint64 next_drop = snd->drop_ms ? snd->drop_at_ms * 8ULL : G_MAXUINT64;
  GstClockTime extra = 0, timer = 0;    /* sender time not in positions */
  gboolean paused = FALSE, discarded = FALSE;
  GstClockTime stall_from = p->start + snd->stall_at_ms * GST_MSECOND;
  GstClockTime stall_to = stall_from + snd->stall_ms * GST_MSECOND;
  guint drops = 0;
  Step *s;

  p->last = p->start;
  plan_add (p, STEP_OPEN, p->start, 0);
  while (pos < end_pos) {
    GstClockTime sent, arrival;
    guint64 n;

    if (snd->pause_ms && !paused && pos >= snd->pause_at_ms * 8ULL) {
      GstClockTime at = plan_clock (p, pos * 125000 + extra + timer);
      paused = TRUE;
      s = plan_add (p, STEP_TEXT, at, pos);
      s->msg = "paused";
      s->params = g_strdup ("{}");
      if (snd->frozen) {
        /* the client's positions stand still while the pause lasts */
        extra += snd->pause_ms * GST_MSECOND;
        s = plan_add (p, STEP_TEXT, plan_clock (p, pos * 125000 + extra +
                timer), pos);
        s->msg = "resumed";
        s->params = span_params (pos, 0);
        expect_wall (p, plan_clock (p, pos * 125000 + extra + timer) - at,
            "frozen pause", s->t);
      } else {
        guint64 d = snd->pause_ms * 8ULL;
        s = plan_add (p, STEP_TEXT, plan_clock (p, (pos + d) * 125000 + extra +
                timer), pos + d);
        s->msg = "resumed";
        s->params = span_params (pos, d);
        expect_exact (p, d, "advancing pause");
        pos += d;
      }
    }
    if (snd->discard_ms && !discarded && pos >= snd->discard_at_ms * 8ULL) {
      guint64 d = snd->discard_ms * 8ULL;
      discarded = TRUE;
      /* reported when the audio goes on */
      s = plan_add (p, STEP_TEXT, plan_clock (p, (pos + d) * 125000 + extra +
              timer), pos + d);
      s->msg = "discarded";
      s->params = span_params (pos, d);
      expect_exact (p, d, "discarded");
      pos += d;
    }
    if (pos >= next_drop) {
      /* the connection drops (1006) once the frames sent so far are in */
      GstClockTime outage = (snd->drop_ms + (snd->drop_every_ms ?
              (drops % 5) * 400 : 0)) * GST_MSECOND;
      GstClockTime at = plan_clock (p, pos * 125000 + extra + timer);
      guint64 o = gst_util_uint64_scale_int (outage, 8000, GST_SECOND);

      drops++;
      plan_add (p, STEP_DROP, at, pos);
      if (snd->drop_frozen) {
        /* continued at the old position, the outage not reported */
        extra += outage;
        s = plan_add (p, STEP_OPEN, plan_clock (p, pos * 125000 + extra +
                timer), pos);
        s->continued = TRUE;
        expect_wall (p, plan_clock (p, pos * 125000 + extra + timer) - at,
            "frozen continuation", GST_CLOCK_TIME_NONE);
      } else {
        GstClockTime back = plan_clock (p, (pos + o) * 125000 + extra + timer);
        s = plan_add (p, STEP_OPEN, back, pos);
        s->continued = TRUE;
        s = plan_add (p, STEP_TEXT, back, pos + o);
        s->msg = "discarded";
        s->params = span_params (pos, o);
        expect_exact (p, o, "outage");
        pos += o;
      }
      next_drop = snd->drop_every_ms ? next_drop + snd->drop_every_ms * 8ULL :
          G_MAXUINT64;
    }
    if (pos >= end_pos)
      break;

    /* the frame goes when its last sample is due on the sender's clock */
    if (snd->timer_us)
      timer += g_rand_int_range (rand, 0, snd->timer_us + 1) * GST_USECOND;
    n = MIN (LAB_FRAME, end_pos - pos);
    sent = plan_clock (p, (pos + n) * 125000 + extra + timer);
    arrival = sent + (snd->jitter_ms ?
        g_rand_int_range (rand, 0, snd->jitter_ms * 1000 + 1) * GST_USECOND :
        0);
    if (snd->stall_ms && sent >= stall_from && sent < stall_to)
      arrival = MAX (arrival, stall_to);
    s = plan_add (p, STEP_FRAME, arrival, pos + n);
    s->samples = n;
    pos += n;
  }
  p->r->drops = drops;
  g_rand_free (rand);
}

/* ---- running it ---- */

typedef struct
{
  const LabSender *snd;
  LabMode mode;
  LabResult *r;
  GstTestClock *clock;
  GstClockTime now;

  /* standalone */
  GstHarness *h;
  GstBus *bus;

  /* external */
  GstGenesysServe *serve;
  GstElement *pipeline;
  gboolean started, ended;

  GstElement *src;
  guint port;
  AhPeer *peer;
  guint64 pos;                  /* the client's position */
  gboolean need_ping;
  guint drops;
} Lab;

static void
lab_problem (Lab * lab, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static void lab_problem (Lab * lab, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_string_append (lab->r->problems, "\n    ");
  g_string_append_vprintf (lab->r->problems, format, args);
  va_end (args);
}

static void
on_started (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, GstElement * pipeline, gpointer user_data)
{
  Lab *lab = user_data;

  if (lab->started) {
    lab_problem (lab, "a second call started (%s): a continuation went to a "
        "pipeline of its own", session_id);
    return;
  }
  lab->started = TRUE;
  lab->pipeline = gst_object_ref (pipeline);
  lab->src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_assert_nonnull (lab->src);
  /* gst_system_clock_set_default() made the test clock the pipeline's */
  if (GST_ELEMENT_CLOCK (lab->src) != GST_CLOCK (lab->clock))
    lab_problem (lab, "the call's pipeline does not run on the test clock");
  lab->r->out = src_out_new (lab->src, GST_CLOCK (lab->clock));
}

static void
on_ended (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, const GError * error, gpointer user_data)
{
  Lab *lab = user_data;

  lab->ended = TRUE;
  if (error)
    lab_problem (lab, "the call ended with an error: %s", error->message);
}

static const GstGenesysServeCallbacks lab_callbacks = {
  on_started, on_ended, NULL,
};

static gboolean
iterate_until (Lab * lab, gboolean * flag, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!*flag && g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (200);
  }
  return *flag;
}

static gboolean
lab_open (Lab * lab, const gchar * old_id, guint64 position)
{
  guint status = 0;
  gchar *params, *pos;
  AhPeerFrame *frame;

  lab->peer = ah_peer_new ();
  if (!ah_peer_connect (lab->peer, lab->port, LAB_PATH, NULL, &status)) {
    lab_problem (lab, "connect: HTTP %u", status);
    return FALSE;
  }
  params = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},\"media\":[" OFFER "]"
      "%s%s%s}", old_id ? ",\"continuedSessions\":[{\"id\":\"" : "",
      old_id ? old_id : "", old_id ? "\",\"serverseq\":1,\"clientseq\":1}]" :
      "");
  pos = ah_duration_format_samples (position, 8000);
  ah_peer_send (lab->peer, "open", pos, params);
  g_free (params);
  g_free (pos);
  frame = ah_peer_expect (lab->peer, "opened", LAB_WAIT);
  if (!frame) {
    lab_problem (lab, "no opened");
    return FALSE;
  }
  ah_peer_frame_free (frame);
  if (lab->mode == LAB_EXTERNAL && !old_id
      && !iterate_until (lab, &lab->started, LAB_WAIT)) {
    lab_problem (lab, "the call's pipeline did not start");
    return FALSE;
  }
  return TRUE;
}

/* Before the clock moves on: the element has read everything sent so far
 * and output every frame. */
static gboolean
lab_sync (Lab * lab)
{
  SrcOut *out = lab->r->out;
  gint64 end;

  if (lab->need_ping) {
    gchar *pos = ah_duration_format_samples (lab->pos, 8000);
    AhPeerFrame *frame;
    ah_peer_send (lab->peer, "ping", pos, "{}");
    g_free (pos);
    frame = ah_peer_expect (lab->peer, "pong", LAB_WAIT);
    if (!frame) {
      lab_problem (lab, "no pong");
      return FALSE;
    }
    ah_peer_frame_free (frame);
    lab->need_ping = FALSE;
  }
  /* every sample sent is output, or (not the default) accounted as
   * dropped by the element */
  end = g_get_monotonic_time () + LAB_WAIT * 1000;
  while (!src_out_wait (out, lab->r->sent, 20)) {
    if (src_out_audio (out) + lost_samples (lab->src) >= lab->r->sent)
      break;
    if (g_get_monotonic_time () > end) {
      lab_problem (lab, "at %" GST_TIME_FORMAT ": %" G_GUINT64_FORMAT
          " samples sent, %" G_GUINT64_FORMAT " out after %u s",
          GST_TIME_ARGS (lab->now), lab->r->sent, src_out_audio (out),
          LAB_WAIT / 1000);
      return FALSE;
    }
    if (lab->mode == LAB_EXTERNAL)
      while (g_main_context_iteration (NULL, FALSE));
  }
  if (lab->h) {
    GstEvent *ev;
    while ((ev = gst_harness_try_pull_event (lab->h)))
      gst_event_unref (ev);
  }
  if (lab->mode == LAB_EXTERNAL) {
    while (g_main_context_iteration (NULL, FALSE));
    if (lab->ended) {
      lab_problem (lab, "the call ended early");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
lab_drop (Lab * lab)
{
  gint64 end = g_get_monotonic_time () + LAB_WAIT * 1000;

  if (!lab_sync (lab))
    return FALSE;
  ah_peer_drop (lab->peer);
  lab->drops++;
  while (lab_stat_u64 (lab->src, "sessions-lost", NULL) < lab->drops) {
    if (g_get_monotonic_time () > end) {
      lab_problem (lab, "the element did not see the drop");
      return FALSE;
    }
    g_usleep (500);
  }
  return TRUE;
}

static gboolean
lab_steps (Lab * lab, GArray * steps)
{
  guint8 *frame = g_malloc (LAB_FRAME);
  gchar *old_id = NULL;
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < steps->len && ok; i++) {
    Step *s = &g_array_index (steps, Step, i);

    if (s->t > lab->now) {
      if (lab->r->out && !(ok = lab_sync (lab)))
        break;
      gst_test_clock_set_time (lab->clock, s->t);
      lab->now = s->t;
    }
    switch (s->type) {
      case STEP_OPEN:
        ok = lab_open (lab, s->continued ? old_id : NULL, s->pos);
        break;
      case STEP_FRAME:{
        guint64 k;
        for (k = 0; k < s->samples; k++)
          frame[k] = lab_pattern (lab->r->sent + k);
        ah_peer_send_binary (lab->peer, frame, s->samples);
        lab->r->sent += s->samples;
        lab->r->frames++;
        break;
      }
      case STEP_TEXT:{
        gchar *pos = ah_duration_format_samples (s->pos, 8000);
        ah_peer_send (lab->peer, s->msg, pos, s->params);
        g_free (pos);
        lab->need_ping = TRUE;
        break;
      }
      case STEP_DROP:
        g_free (old_id);
        old_id = g_strdup (ah_peer_session_id (lab->peer));
        ok = lab_drop (lab);
        ah_peer_free (lab->peer);
        lab->peer = NULL;
        break;
    }
    lab->pos = s->pos;
  }
  if (ok)
    ok = lab_sync (lab);
  g_free (old_id);
  g_free (frame);
  return ok;
}

static void
lab_collect_stats (Lab * lab)
{
  LabResult *r = lab->r;
  GstStructure *stats;

  g_object_get (lab->src, "stats", &stats, NULL);
  g_object_get (lab->src, "latency", &r->latency, NULL);
  r->have_new_stats = gst_structure_get_uint (stats, "reanchors", &r->reanchors)
      && gst_structure_get_double (stats, "skew-ppm", &r->skew_ppm)
      && gst_structure_get_uint64 (stats, "late-dropped-duration",
      &r->late_dropped_ns);
  gst_structure_get_uint64 (stats, "late-duration", &r->late_ns);
  gst_structure_get_uint64 (stats, "gap-duration", &r->gap_ns);
  gst_structure_get_uint64 (stats, "position-mismatches",
      &r->position_mismatches);
  gst_structure_get_uint64 (stats, "loop-pushed-buffers", &r->loop_pushed);
  gst_structure_free (stats);
}

static void
lab_close (Lab * lab)
{
  gchar *pos;
  AhPeerFrame *frame;

  if (!lab->peer)
    return;
  pos = ah_duration_format_samples (lab->pos, 8000);
  ah_peer_send (lab->peer, "close", pos, "{\"reason\":\"end\"}");
  g_free (pos);
  frame = ah_peer_expect (lab->peer, "closed", LAB_WAIT);
  if (frame)
    ah_peer_frame_free (frame);
  else
    lab_problem (lab, "no closed");
  ah_peer_free (lab->peer);
  lab->peer = NULL;
}

static void
count_messages (Lab * lab)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop (lab->bus))) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s) {
      if (gst_structure_has_name (s, "genesys-late"))
        lab->r->late_messages++;
      else if (gst_structure_has_name (s, "genesys-gap"))
        lab->r->gap_messages++;
    }
    gst_message_unref (msg);
  }
}

void
lab_run (const LabSender * snd, LabMode mode, GstClockTime start,
    const gchar * props, LabResult * r)
{
  Lab lab = { 0, };
  Plan plan = { 0, };
  gint64 t0 = g_get_monotonic_time ();

  memset (r, 0, sizeof (*r));
  r->problems = g_string_new (NULL);
  r->expected_gaps = g_array_new (FALSE, TRUE, sizeof (LabExpectedGap));
  lab.snd = snd;
  lab.mode = mode;
  lab.r = r;

  plan.snd = snd;
  plan.start = start;
  /* the harness runs from 0; the serve's pipeline starts at @start */
  plan.base = mode == LAB_EXTERNAL ? start : 0;
  plan.r = r;
  plan.steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (plan.steps, step_clear);
  plan_build (&plan);

  if (mode == LAB_STANDALONE) {
    lab.src = gst_element_factory_make ("genesyssrc", NULL);
    g_assert_nonnull (lab.src);
    g_object_set (lab.src, "port", 0, "address", "127.0.0.1",
        "session-timeout", G_GUINT64_CONSTANT (60000000000), NULL);
    check_set_props (lab.src, props);
    lab.bus = gst_bus_new ();
    gst_element_set_bus (lab.src, lab.bus);
    lab.h = gst_harness_new_with_element (lab.src, NULL, "src");
    gst_harness_set_drop_buffers (lab.h, TRUE);
    gst_harness_play (lab.h);
    lab.clock = gst_harness_get_testclock (lab.h);
    g_object_get (lab.src, "current-port", &lab.port, NULL);
    r->out = src_out_new (lab.src, GST_CLOCK (lab.clock));
  } else {
    GstGenesysServeConfig config = { 0 };
    GError *error = NULL;
    gchar *launch = g_strdup_printf ("genesyssrc name=src session-timeout="
        "60000000000 %s ! fakesink sync=false async=false", props ? props : "");

    /* The serve's pipelines take the default system clock: make it a test
     * clock. (call_started comes after the pipeline is PLAYING, too late
     * for gst_pipeline_use_clock().) */
    lab.clock = GST_TEST_CLOCK (gst_test_clock_new_with_start_time (start));
    gst_system_clock_set_default (GST_CLOCK (lab.clock));
    config.launch = launch;
    config.address = "127.0.0.1";
    config.path = LAB_PATH;
    config.threads = 2;
    lab.serve = gst_genesys_serve_new (&config, &lab_callbacks, &lab, &error);
    g_assert_no_error (error);
    lab.port = gst_genesys_serve_get_port (lab.serve);
    g_free (launch);
  }
  lab.now = gst_clock_get_time (GST_CLOCK (lab.clock));

  if (!lab_steps (&lab, plan.steps)) {
    r->aborted = TRUE;
  } else {
    lab_collect_stats (&lab);
  }
  if (r->out) {
    g_mutex_lock (&r->out->lock);
    r->out_samples = r->out->audio;
    g_mutex_unlock (&r->out->lock);
  }
  lab_close (&lab);

  if (mode == LAB_STANDALONE) {
    count_messages (&lab);
    /* the probe goes before the element stops pushing */
    if (r->out) {
      gst_pad_remove_probe (r->out->pad, r->out->probe);
      r->out->probe = 0;
    }
    gst_harness_teardown (lab.h);
    gst_element_set_bus (lab.src, NULL);
    gst_object_unref (lab.bus);
    gst_object_unref (lab.src);
  } else {
    if (lab.started && !iterate_until (&lab, &lab.ended, LAB_WAIT))
      lab_problem (&lab, "the call did not end after close");
    gst_genesys_serve_free (lab.serve);
    gst_system_clock_set_default (NULL);
    if (r->out) {
      gst_pad_remove_probe (r->out->pad, r->out->probe);
      r->out->probe = 0;
    }
    g_clear_object (&lab.src);
    g_clear_object (&lab.pipeline);
    while (g_main_context_iteration (NULL, FALSE));
  }
  gst_object_unref (lab.clock);
  g_array_unref (plan.steps);
  r->seconds = (g_get_monotonic_time () - t0) / 1e6;
}

void
lab_result_clear (LabResult * r)
{
  src_out_free (r->out);
  r->out = NULL;
  if (r->expected_gaps)
    g_array_unref (r->expected_gaps);
  r->expected_gaps = NULL;
  if (r->problems)
    g_string_free (r->problems, TRUE);
  r->problems = NULL;
}

static void
check_problem (LabResult * r, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static void check_problem (LabResult * r, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_string_append (r->problems, "\n    ");
  g_string_append_vprintf (r->problems, format, args);
  va_end (args);
}

gboolean
lab_check (const LabSender * snd, LabResult * r)
{
  SrcOut *out = r->out;
  guint i, n_gaps = 0;

  if (!out) {
    check_problem (r, "no output recorded");
    return FALSE;
  }
  if (out->n_problems)
    g_string_append (r->problems, out->problems->str);
  if (out->n_problems > MAX_PROBLEMS)
    check_problem (r, "... %u more output problems", out->n_problems -
        MAX_PROBLEMS);
  if (r->aborted)
    return FALSE;

  /* every sample sent, in order, byte for byte */
  if (r->out_samples != r->sent)
    check_problem (r, "%" G_GUINT64_FORMAT " audio samples out, %"
        G_GUINT64_FORMAT " sent (%+" G_GINT64_FORMAT ")", r->out_samples,
        r->sent, (gint64) r->out_samples - (gint64) r->sent);
  if (out->bad_byte != G_MAXUINT64)
    check_problem (r, "the audio differs from what was sent from sample %"
        G_GUINT64_FORMAT " on", out->bad_byte);

  /* the gaps, in order, and no others */
  for (i = 0; i < out->gaps->len; i++) {
    LabGap *g = &g_array_index (out->gaps, LabGap, i);
    LabExpectedGap *e;
    if (g->leading) {
      check_problem (r, "a gap before the first audio: %" G_GUINT64_FORMAT
          " samples, %" GST_TIME_FORMAT, g->samples,
          GST_TIME_ARGS (g->duration));
      continue;
    }
    if (n_gaps >= r->expected_gaps->len) {
      check_problem (r, "unexpected gap at %" GST_TIME_FORMAT " (OFFSET %"
          G_GUINT64_FORMAT "): %" G_GUINT64_FORMAT " samples, %.3f ms",
          GST_TIME_ARGS (g->pts), g->offset, g->samples, g->duration / 1e6);
      n_gaps++;
      continue;
    }
    e = &g_array_index (r->expected_gaps, LabExpectedGap, n_gaps++);
    if (e->exact && g->samples != e->samples)
      check_problem (r, "%s: gap at %" GST_TIME_FORMAT " of %" G_GUINT64_FORMAT
          " samples (%.3f ms), expected exactly %" G_GUINT64_FORMAT, e->what,
          GST_TIME_ARGS (g->pts), g->samples, g->duration / 1e6, e->samples);
    if (!e->exact && ABS (GST_CLOCK_DIFF (e->duration, g->duration)) >
        (GstClockTimeDiff) e->tolerance)
      check_problem (r, "%s: gap at %" GST_TIME_FORMAT " of %.6f ms, its wall "
          "time %.6f ms +- %.3f ms (%+.6f ms)", e->what, GST_TIME_ARGS (g->pts),
          g->duration / 1e6, e->duration / 1e6, e->tolerance / 1e6,
          GST_CLOCK_DIFF (e->duration, g->duration) / 1e6);
    if (!e->exact && GST_CLOCK_TIME_IS_VALID (e->resumed_at)
        && ABS (GST_CLOCK_DIFF (e->resumed_at, g->pts + g->duration)) > 125000)
      check_problem (r, "%s: the gap ends at %" GST_TIME_FORMAT ", the "
          "resumed arrived at %" GST_TIME_FORMAT " (%+.6f ms)", e->what,
          GST_TIME_ARGS (g->pts + g->duration), GST_TIME_ARGS (e->resumed_at),
          GST_CLOCK_DIFF (e->resumed_at, g->pts + g->duration) / 1e6);
  }
  for (; n_gaps < r->expected_gaps->len; n_gaps++) {
    LabExpectedGap *e = &g_array_index (r->expected_gaps, LabExpectedGap,
        n_gaps);
    check_problem (r, "%s: no gap (expected %" G_GUINT64_FORMAT " samples, "
        "%.3f ms)", e->what, e->samples, e->duration / 1e6);
  }

  if (out->max_step_ratio > 1.0)
    check_problem (r, "slope step %.4f ppm at %" GST_TIME_FORMAT " (DURATION "
        "%" G_GUINT64_FORMAT " ns, slope %.9f after %.9f): %.5f x the bound "
        "of 1 ms per second of audio", fabs (out->worst_slope -
            out->worst_prev_slope) * 1e6, GST_TIME_ARGS (out->worst_pts),
        out->worst_duration, out->worst_slope, out->worst_prev_slope,
        out->max_step_ratio);
  if (snd->check_latency && out->late_buffers)
    check_problem (r, "%u buffers left later than PTS + %" G_GUINT64_FORMAT
        " ms (the latest PTS + %.1f ms)", out->late_buffers,
        out->latency / GST_MSECOND, out->max_late / 1e6);
  if (snd->check_latency && r->late_ns)
    check_problem (r, "late-duration %.1f ms", r->late_ns / 1e6);
  if (!r->have_new_stats)
    check_problem (r, "stats lack reanchors, skew-ppm or "
        "late-dropped-duration");
  else if (r->reanchors != r->expected_reanchors)
    check_problem (r, "%u reanchors, expected %u", r->reanchors,
        r->expected_reanchors);
  if (r->late_dropped_ns)
    check_problem (r, "late-dropped-duration %.1f ms with default settings",
        r->late_dropped_ns / 1e6);
  if (r->position_mismatches)
    check_problem (r, "%" G_GUINT64_FORMAT " position mismatches (the "
        "sender model's positions are off)", r->position_mismatches);
  return r->problems->len == 0;
}

gchar *
lab_summary (const LabSender * snd, LabMode mode, GstClockTime start,
    const LabResult * r)
{
  SrcOut *out = r->out;
  guint64 gap_samples = 0;
  GstClockTime gap_ns = 0;
  guint i, n = 0;

  if (out) {
    for (i = 0; i < out->gaps->len; i++) {
      LabGap *g = &g_array_index (out->gaps, LabGap, i);
      gap_samples += g->samples;
      gap_ns += g->duration;
      n++;
    }
  }
  return g_strdup_printf ("%-34s %-10s clock %4" G_GUINT64_FORMAT " s: sent %"
      G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT ", gaps %u (%" G_GUINT64_FORMAT
      " samples, %.3f ms; expected %u, %" G_GUINT64_FORMAT
      " reported), reanchors %u, skew %+.1f ppm, latest buffer PTS + %.1f ms"
      " (late %.1f ms, %u late buffers), largest slope step %.1f ppm (%.2f of"
      " the bound), DISCONT %u, %.2f s", snd->name,
      mode == LAB_STANDALONE ? "standalone" : "external", start / GST_SECOND,
      r->sent, r->out_samples, n, gap_samples, gap_ns / 1e6,
      r->expected_gaps->len, r->reported, r->reanchors, r->skew_ppm,
      out && out->max_late != G_MININT64 ? out->max_late / 1e6 : 0.0,
      r->late_ns / 1e6, out ? out->late_buffers : 0,
      out ? out->max_step * 1e6 : 0.0, out ? out->max_step_ratio : 0.0,
      out ? out->discont : 0, r->seconds);
}
