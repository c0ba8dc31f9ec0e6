/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Hour-long runs under GstTestClock. First the original report, in server
 * mode: a one-hour call whose connection
 * drops without a close frame every 45 s of clock time. Each time the
 * client reconnects with continuedSessions at its old position and reports
 * the outage as discarded. Real sockets, GstTestClock time: every frame
 * arrives exactly when its last sample is due.
 *
 * The output must cover exactly 3600 s x 8000 samples (audio plus gaps),
 * each gap must equal its outage, one DISCONT buffer per drop, no buffer
 * later than its PTS + latency, and no loss claimed that did not happen. */

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include "ahpeer.h"
#include "ah-duration.h"
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define FRAME 1600              /* 200 ms at 8 kHz */
#define CALL (3600 * 8000)
#define DROP_EVERY (45 * 8000)
/* Drop i (from 0) is reported as 1.3 s + (i mod 5) x 0.4 s discarded.
 * 79 drops: 79 x 1.3 s, plus 15 rounds of five adding 0 + 0.4 + ... + 1.6 s
 * = 4 s each, plus 0 + 0.4 + 0.8 + 1.2 s for drops 75 to 78: 102.7 s + 60 s
 * + 2.4 s = 165.1 s, exactly 1320800 samples. */
#define OUTAGE(i) (8000 * 13 / 10 + ((i) % 5) * 3200)
#define DROPS 79
#define GAP_SAMPLES (DROPS * OUTAGE (0) + (15 * 10 + 0 + 1 + 2 + 3) * 3200)
#define WAIT 5000
#define OFFER "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"

static void
open_session (AhPeer * peer, guint port, const gchar * old_id, guint64 position)
{
  guint status;
  gchar *params, *pos;
  AhPeerFrame *frame;

  g_assert_true (ah_peer_connect (peer, port, PATH, NULL, &status));
  params = g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\","
      "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\","
      "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"},\"media\":[" OFFER "]"
      "%s%s%s}", old_id ? ",\"continuedSessions\":[{\"id\":\"" : "",
      old_id ? old_id : "", old_id ? "\",\"serverseq\":1,\"clientseq\":1}]" :
      "");
  pos = ah_duration_format_samples (position, 8000);
  ah_peer_send (peer, "open", pos, params);
  frame = ah_peer_expect (peer, "opened", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  g_free (params);
  g_free (pos);
}

/* Pulls what the element output for one frame: maybe a gap first. */
static void
pull_output (GstHarness * h, GstClockTime * end, guint64 * gap_samples,
    guint * discont, GstClockTime now, GstClockTime latency)
{
  GstBuffer *buf;
  GstEvent *ev;

  buf = gst_harness_pull (h);
  g_assert_nonnull (buf);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime ts, d;
      gst_event_parse_gap (ev, &ts, &d);
      g_assert_cmpuint (ts, ==, *end);
      *end = ts + d;
      *gap_samples += gst_util_uint64_scale_int (d, 8000, GST_SECOND);
    }
    gst_event_unref (ev);
  }
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, *end);
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    (*discont)++;
  /* it leaves (now) no later than its PTS + latency */
  g_assert_cmpuint (now, <=, GST_BUFFER_PTS (buf) + latency);
  *end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  gst_buffer_unref (buf);
}

static void
test_hour_of_drops (void)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstHarness *h;
  GstTestClock *clock;
  AhPeer *peer;
  guint port, drops = 0, discont = 0;
  guint64 pos = 0, gap_samples = 0, outage_samples = 0;
  guint64 next_drop = DROP_EVERY, n;
  GstClockTime end = 0, latency = 200 * GST_MSECOND;
  guint8 frame[FRAME];
  gchar *old_id;

  memset (frame, 0x55, sizeof (frame));
  g_object_set (src, "port", 0, "address", "127.0.0.1", "session-timeout",
      G_GUINT64_CONSTANT (60000000000), NULL);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);
  clock = gst_harness_get_testclock (h);
  g_object_get (src, "current-port", &port, NULL);

  peer = ah_peer_new ();
  open_session (peer, port, NULL, 0);
  while (pos < CALL) {
    if (pos >= next_drop) {
      /* drop without a close frame; 1.3 s to 2.9 s pass before the audio of
       * the continued session flows, and that span is reported discarded */
      guint64 outage = OUTAGE (drops);
      gchar *start, *span, *params;

      old_id = g_strdup (ah_peer_session_id (peer));
      ah_peer_drop (peer);
      while (check_stat_u64 (src, "sessions-lost") < drops + 1)
        g_usleep (500);
      ah_peer_free (peer);
      drops++;

      peer = ah_peer_new ();
      open_session (peer, port, old_id, pos);
      start = ah_duration_format_samples (pos, 8000);
      span = ah_duration_format_samples (outage, 8000);
      params = g_strdup_printf ("{\"start\":\"%s\",\"discarded\":\"%s\"}",
          start, span);
      ah_peer_send (peer, "discarded", start, params);
      pos += outage;
      outage_samples += outage;
      g_free (start);
      g_free (span);
      g_free (params);
      g_free (old_id);
      next_drop += DROP_EVERY;
    }
    /* the frame's last sample is due now; the call ends at one hour */
    n = MIN (FRAME, CALL - pos);
    gst_test_clock_set_time (clock, gst_util_uint64_scale_int (pos + n,
            GST_SECOND, 8000));
    ah_peer_send_binary (peer, frame, n);
    pull_output (h, &end, &gap_samples, &discont,
        gst_util_uint64_scale_int (pos + n, GST_SECOND, 8000), latency);
    pos += n;
  }

  g_test_message ("%u drops, %" G_GUINT64_FORMAT " samples of gaps for %"
      G_GUINT64_FORMAT " samples of outage, %u DISCONT buffers", drops,
      gap_samples, outage_samples, discont);
  /* 80 connections: a drop every 45 s within the hour */
  g_assert_cmpuint (drops, ==, DROPS);
  /* the whole hour, to the sample: audio plus gaps */
  g_assert_cmpuint (pos, ==, CALL);
  g_assert_cmpuint (end, ==, 3600 * GST_SECOND);
  /* every gap is its outage, nothing more: 165.1 s of the hour */
  g_assert_cmpuint (outage_samples, ==, GAP_SAMPLES);
  g_assert_cmpuint (gap_samples, ==, GAP_SAMPLES);
  /* the first buffer, then one per drop */
  g_assert_cmpuint (discont, ==, drops + 1);
  g_assert_cmpuint (check_stat_u64 (src, "sessions-continued"), ==, drops);
  /* the stats tell the same */
  g_assert_cmpuint (check_stat_u64 (src, "gap-duration"), ==,
      gst_util_uint64_scale_int (outage_samples, GST_SECOND, 8000));
  g_assert_cmpuint (check_stat_u64 (src, "late-duration"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (src, "dropped-duration"), ==, 0);
  {
    /* continuations keep their positions: nothing re-placed */
    GstStructure *stats;
    guint reanchors = G_MAXUINT;
    g_object_get (src, "stats", &stats, NULL);
    g_assert_true (gst_structure_get_uint (stats, "reanchors", &reanchors));
    g_assert_cmpuint (reanchors, ==, 0);
    gst_structure_free (stats);
  }

  ah_peer_free (peer);
  gst_object_unref (clock);
  gst_harness_teardown (h);
  gst_object_unref (src);
}

/* After an outage the client reconnects, continues its count and flushes
 * the 2 s it buffered meanwhile in one go. By default every sample is
 * output, in order, with its own timestamps, and what left later than PTS +
 * latency is counted as late; with drop-on-latency that part is a gap of
 * exactly its length instead. Either way the next live frame is on time. */
static void
run_backlog_burst (gboolean drop)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstHarness *h;
  GstTestClock *clock;
  AhPeer *peer;
  guint port, discont = 0, i;
  guint64 pos = 0, gap_samples = 0, audio_samples = 0, late_ns;
  GstClockTime end = 0, now, latency = 300 * GST_MSECOND;
  guint8 frame[FRAME];
  gchar *old_id;

  memset (frame, 0x55, sizeof (frame));
  g_object_set (src, "port", 0, "address", "127.0.0.1", "drop-on-latency",
      drop, NULL);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);
  clock = gst_harness_get_testclock (h);
  g_object_get (src, "current-port", &port, NULL);

  peer = ah_peer_new ();
  open_session (peer, port, NULL, 0);
  for (i = 0; i < 5; i++) {
    now = gst_util_uint64_scale_int (pos + FRAME, GST_SECOND, 8000);
    gst_test_clock_set_time (clock, now);
    ah_peer_send_binary (peer, frame, FRAME);
    pull_output (h, &end, &gap_samples, &discont, now, latency);
    pos += FRAME;
  }
  old_id = g_strdup (ah_peer_session_id (peer));
  ah_peer_drop (peer);
  while (check_stat_u64 (src, "sessions-lost") < 1)
    g_usleep (500);
  ah_peer_free (peer);

  now = gst_util_uint64_scale_int (pos + 2 * 8000, GST_SECOND, 8000);
  gst_test_clock_set_time (clock, now);
  peer = ah_peer_new ();
  open_session (peer, port, old_id, pos);
  for (i = 0; i < 10; i++)
    ah_peer_send_binary (peer, frame, FRAME);
  /* the backlog: audio (and with drop-on-latency, gaps) tile the output */
  while (end < gst_util_uint64_scale_int (pos + 10 * FRAME, GST_SECOND, 8000)) {
    GstBuffer *buf = gst_harness_pull (h);
    GstEvent *ev;
    g_assert_nonnull (buf);
    while ((ev = gst_harness_try_pull_event (h))) {
      if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
        GstClockTime ts, d;
        gst_event_parse_gap (ev, &ts, &d);
        g_assert_cmpuint (ts, ==, end);
        end = ts + d;
        gap_samples += gst_util_uint64_scale_int (d, 8000, GST_SECOND);
      }
      gst_event_unref (ev);
    }
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, end);
    if (drop)
      g_assert_cmpuint (now, <=, GST_BUFFER_PTS (buf) + latency);
    audio_samples += gst_buffer_get_size (buf);
    end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  pos += 10 * FRAME;
  /* the next live frame is on time at once */
  now = gst_util_uint64_scale_int (pos + FRAME, GST_SECOND, 8000);
  gst_test_clock_set_time (clock, now);
  ah_peer_send_binary (peer, frame, FRAME);
  pull_output (h, &end, &gap_samples, &discont, now, latency);
  pos += FRAME;

  late_ns = check_stat_u64 (src, "late-duration");
  g_test_message ("backlog of 2 s, drop-on-latency=%d: %" G_GUINT64_FORMAT
      " ms late, %" G_GUINT64_FORMAT " samples of the backlog output, %"
      G_GUINT64_FORMAT " samples of gaps", drop, late_ns / GST_MSECOND,
      audio_samples, gap_samples);
  /* all but the last 300 ms of the backlog left after PTS + latency */
  g_assert_cmpuint (late_ns, ==, 1700 * GST_MSECOND);
  if (drop) {
    g_assert_cmpuint (check_stat_u64 (src, "late-dropped-duration"), ==,
        late_ns);
    /* the 1.7 s that were late, to the sample */
    g_assert_cmpuint (gap_samples, ==, 1700 * 8);
    g_assert_cmpuint (gap_samples * 125000, ==, late_ns);
    g_assert_cmpuint (audio_samples, ==, 10 * FRAME - gap_samples);
  } else {
    /* nothing the client sent is lost */
    g_assert_cmpuint (check_stat_u64 (src, "late-dropped-duration"), ==, 0);
    g_assert_cmpuint (gap_samples, ==, 0);
    g_assert_cmpuint (audio_samples, ==, 10 * FRAME);
  }
  g_assert_cmpuint (end, ==, gst_util_uint64_scale_int (pos, GST_SECOND, 8000));

  g_free (old_id);
  ah_peer_free (peer);
  gst_object_unref (clock);
  gst_harness_teardown (h);
  gst_object_unref (src);
}

static void
test_backlog_burst (void)
{
  run_backlog_burst (FALSE);
}

static void
test_backlog_burst_dropped (void)
{
  run_backlog_burst (TRUE);
}

typedef struct
{
  GstClock *clock;
  GstClockTimeDiff worst;       /* latest a buffer left after its PTS */
} LeaveProbe;

static GstPadProbeReturn
leave_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  LeaveProbe *lp = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTimeDiff d = GST_CLOCK_DIFF (GST_BUFFER_PTS (buf),
      gst_clock_get_time (lp->clock));

  if (d > lp->worst)
    lp->worst = d;
  return GST_PAD_PROBE_OK;
}

/* A sender whose clock runs @ppm off the pipeline clock for an hour, each
 * frame arriving when its last sample is due on the sender's clock: every
 * sample is output without a gap, the PTS follow the sender's clock (the
 * output ends where the sender's clock says) in steps of at most 1 ms per
 * second of audio, and no buffer leaves later than PTS + latency. */
static void
run_drift (gint ppm)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstHarness *h;
  GstTestClock *clock;
  AhPeer *peer;
  GstPad *pad;
  LeaveProbe lp = { NULL, G_MININT64 };
  guint port;
  guint64 pos = 0, out = 0;
  GstClockTime end = 0, sender_end = 0, latency = 300 * GST_MSECOND;
  gdouble last_slope = 0, max_step = 0, skew = 0;
  GstStructure *stats;
  guint8 frame[FRAME];

  memset (frame, 0x55, sizeof (frame));
  g_object_set (src, "port", 0, "address", "127.0.0.1", NULL);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);
  clock = gst_harness_get_testclock (h);
  lp.clock = GST_CLOCK (clock);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, leave_probe, &lp, NULL);
  gst_object_unref (pad);
  g_object_get (src, "current-port", &port, NULL);
  peer = ah_peer_new ();
  open_session (peer, port, NULL, 0);

  while (pos < CALL) {
    /* the sender's 200 ms last (1 + ppm / 1e6) x 200 ms of ours */
    GstClockTime now = gst_util_uint64_scale (pos + FRAME,
        (guint64) 125000 * (1000000 + ppm), 1000000);
    GstBuffer *buf;
    GstEvent *ev;
    gdouble slope;

    gst_test_clock_set_time (clock, now);
    ah_peer_send_binary (peer, frame, FRAME);
    pos += FRAME;
    buf = gst_harness_pull (h);
    g_assert_nonnull (buf);
    while ((ev = gst_harness_try_pull_event (h))) {
      /* no gap: nothing is cut for drift */
      g_assert_cmpint (GST_EVENT_TYPE (ev), !=, GST_EVENT_GAP);
      gst_event_unref (ev);
    }
    if (end > 0)
      g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, end);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, out);
    slope = GST_BUFFER_DURATION (buf) / (FRAME * 125000.0);
    if (last_slope > 0)
      max_step = MAX (max_step, ABS (slope - last_slope) /
          (GST_BUFFER_DURATION (buf) / 1e9));
    last_slope = slope;
    end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    out += gst_buffer_get_size (buf);
    sender_end = now;
    gst_buffer_unref (buf);
  }

  g_object_get (src, "stats", &stats, NULL);
  gst_structure_get_double (stats, "skew-ppm", &skew);
  gst_structure_free (stats);
  g_test_message ("%+d ppm for an hour: recovered %+.1f ppm, output ends %+.1f"
      " ms from the sender's clock, largest slope step %.0f ppm per s, buffers "
      "left at most %" G_GINT64_FORMAT " ms after their PTS", ppm, skew,
      GST_CLOCK_DIFF (sender_end, end) / 1e6, max_step * 1e6,
      lp.worst / GST_MSECOND);
  /* every sample */
  g_assert_cmpuint (out, ==, CALL);
  g_assert_cmpuint (check_stat_u64 (src, "gap-duration"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (src, "late-duration"), ==, 0);
  /* the sender's clock, recovered */
  g_assert_cmpfloat (ABS (skew - ppm), <=, 1.0);
  g_assert_cmpint (ABS (GST_CLOCK_DIFF (sender_end, end)), <=, 5 * GST_MSECOND);
  /* smooth: at most 1 ms per second of audio (200 ppm per 200 ms buffer,
   * 5 ppb each for whole-nanosecond durations) */
  g_assert_cmpfloat (max_step, <=, 0.001 + 1e-7);
  /* never later than the latency */
  g_assert_cmpint (lp.worst, <=, (GstClockTimeDiff) latency);

  ah_peer_free (peer);
  gst_object_unref (clock);
  gst_harness_teardown (h);
  gst_object_unref (src);
}

static void
test_drift_slow_sender (void)
{
  run_drift (5000);
}

static void
test_drift_fast_sender (void)
{
  run_drift (-5000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/genesyssrc/hour-of-drops", test_hour_of_drops);
  g_test_add_func ("/genesyssrc/backlog-burst", test_backlog_burst);
  g_test_add_func ("/genesyssrc/backlog-burst-dropped",
      test_backlog_burst_dropped);
  g_test_add_func ("/genesyssrc/drift-slow-sender", test_drift_slow_sender);
  g_test_add_func ("/genesyssrc/drift-fast-sender", test_drift_fast_sender);
  return g_test_run ();
}
