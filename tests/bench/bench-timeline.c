/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc against senders that are not clocks, over real sockets on
 * loopback, in real time. A raw AudioHook client (AhPeer) writes 200 ms
 * frames of mono PCMU paced by a sender model (on time; a clock off by
 * -1 %, -5000 ppm, +5000 ppm, +1 %; jitter; a stall then a burst;
 * setInterval-like timers; a frozen-position pause; all of these at once)
 * into
 *
 *   genesyssrc address=127.0.0.1 port=0 [drop-on-latency=true] !
 *       fakesink sync=false
 *
 * once in default settings and once with drop-on-latency=true; the two
 * runs of a model go at the same time (two pipelines, two clients), with
 * the same seeded random delays.
 *
 *   GST_PLUGIN_PATH=build/gst/genesys \
 *       build/tests/bench/bench-timeline [SECONDS]
 *
 * SECONDS (default 20) is the audio per model; the whole bench takes
 * about 12 x SECONDS.
 *
 * A pad probe on genesyssrc's src pad counts the audio samples out
 * (non-GAP buffers) and the gaps (GAP events, and runs of GAP-flagged
 * silence buffers before the first audio), and measures, per audio buffer,
 * its lateness: the pipeline clock's running time when it leaves the pad
 * minus its PTS. Every frame carries its index in its first 4 bytes
 * (little-endian, the rest 0x55); the client notes on the monotonic clock
 * when it hands each frame to its socket, so the probe times each frame
 * from the wire to the pad. A frame that drop-on-latency clipped cannot be
 * identified and is not timed. The element's `stats` give the late audio,
 * the late audio dropped, the re-anchors and the recovered rate. */

#include <string.h>
#include <gst/gst.h>
#include "ahpeer.h"
#include "ah-duration.h"

#define RATE 8000
#define FRAME 1600              /* samples (and bytes): 200 ms of mono PCMU */
#define FILL 0x55
#define PATH "/api/v1/audiohook/ws"
#define SEED 20260101
#define REPLY_TIMEOUT_MS 5000
#define DRAIN_TIMEOUT (5 * GST_SECOND)
#define OPEN_PARAMS \
  "{\"organizationId\":\"" AH_PEER_ORG "\"," \
  "\"conversationId\":\"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60\"," \
  "\"participant\":{\"id\":\"0f1e2d3c-4b5a-4697-8877-665544332211\"," \
  "\"ani\":\"\",\"aniName\":\"\",\"dnis\":\"\"}," \
  "\"media\":[{\"type\":\"audio\",\"format\":\"PCMU\"," \
  "\"channels\":[\"external\"],\"rate\":8000}],\"language\":\"en-US\"}"

/* ---- sender models ---- */

typedef struct
{
  const gchar *name;
  gint ppm;                     /* the sender's clock against ours: > 0 slow */
  guint jitter_ms;              /* each frame 0..this late, order kept */
  guint timer_us;               /* setInterval: each interval 0..this longer */
  guint stall_at;               /* per mille of the run: nothing is written */
  guint stall_ms;               /* ... for this long, then a burst */
  guint pause_at;               /* per mille of the positions: paused, and */
  guint pause_ms;               /* ... resumed this much later, position
                                 * frozen (discarded PT0S) */
} Model;

static const Model models[] = {
  {"on time"},
  {"clock -1 % (fast)",.ppm = -10000},
  {"clock -5000 ppm (fast)",.ppm = -5000},
  {"clock +5000 ppm (slow)",.ppm = 5000},
  {"clock +1 % (slow)",.ppm = 10000},
  {"jitter 0-300 ms",.jitter_ms = 300},
  {"2 s stall, then a burst",.stall_at = 400,.stall_ms = 2000},
  {"setInterval (+0-2 ms)",.timer_us = 2000},
  {"3 s frozen pause",.pause_at = 400,.pause_ms = 3000},
  {"all combined",.ppm = 5000,.jitter_ms = 150,.timer_us = 2000,
      .stall_at = 300,.stall_ms = 2000,.pause_at = 600,.pause_ms = 3000},
};

/* ---- one run: a pipeline, a client, what came out ---- */

typedef struct
{
  const Model *model;
  gboolean drop;                /* drop-on-latency=true */
  guint n_frames;
  guint32 seed;

  GstElement *pipeline, *src;
  guint port;
  gboolean failed;              /* the client could not open its session */

  GMutex lock;
  /* the client */
  gint64 *written_us;           /* per frame index, monotonic; 0: not yet */
  guint64 sent;                 /* samples */
  /* the src pad */
  guint64 out;                  /* audio samples (non-GAP buffers) */
  guint gaps;
  GstClockTime gap_time;
  gboolean in_silence;          /* the last buffer was GAP-flagged */
  gboolean have_audio;
  GstClockTimeDiff max_late;    /* running time at the pad - PTS */
  GArray *wire_us;              /* gint64: written to the pad, per frame */

  /* the element's stats, at the end */
  GstClockTime late, late_dropped;
  guint reanchors;
  gdouble skew_ppm;
  guint64 stats_gaps;
} Run;

/* ---- the src pad ---- */

/* The running time on the element's clock, as the element reads it. */
static GstClockTime
running_time (GstElement * element)
{
  GstClock *clock;
  GstClockTime now, base;

  GST_OBJECT_LOCK (element);
  clock = GST_ELEMENT_CLOCK (element) ?
      gst_object_ref (GST_ELEMENT_CLOCK (element)) : NULL;
  base = GST_ELEMENT_CAST (element)->base_time;
  GST_OBJECT_UNLOCK (element);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

/* Under the lock. */
static void
record_gap (Run * run, GstClockTime duration)
{
  run->gaps++;
  if (GST_CLOCK_TIME_IS_VALID (duration))
    run->gap_time += duration;
}

/* Silence flagged GAP (before the first audio, or gap-mode=silence) goes
 * out a second at a time: a run of GAP buffers is one gap. Under the
 * lock. */
static void
record_silence (Run * run, GstBuffer * buf)
{
  if (!run->in_silence || GST_BUFFER_IS_DISCONT (buf))
    run->gaps++;
  run->in_silence = TRUE;
  run->gap_time += GST_BUFFER_DURATION (buf);
}

/* The frame index a buffer carries; FALSE for anything but a whole frame
 * (drop-on-latency cut its front). */
static gboolean
frame_index (GstBuffer * buf, guint32 * index)
{
  guint8 head[5];

  if (gst_buffer_get_size (buf) != FRAME
      || gst_buffer_extract (buf, 0, head, sizeof (head)) != sizeof (head)
      || head[4] != FILL)
    return FALSE;
  *index = GST_READ_UINT32_LE (head);
  return TRUE;
}

/* Under the lock. */
static void
record_audio (Run * run, GstBuffer * buf, GstClockTime now, gint64 mono_us)
{
  guint32 index;

  run->in_silence = FALSE;
  run->out += gst_buffer_get_size (buf);        /* mono PCMU: a byte a sample */
  if (GST_CLOCK_TIME_IS_VALID (now) && GST_BUFFER_PTS_IS_VALID (buf)) {
    GstClockTimeDiff late = GST_CLOCK_DIFF (GST_BUFFER_PTS (buf), now);
    run->max_late = run->have_audio ? MAX (run->max_late, late) : late;
    run->have_audio = TRUE;
  }
  if (frame_index (buf, &index) && index < run->n_frames
      && run->written_us[index]) {
    gint64 wire = mono_us - run->written_us[index];
    g_array_append_val (run->wire_us, wire);
  }
}

static GstPadProbeReturn
src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *run = data;
  gint64 mono_us = g_get_monotonic_time ();
  GstClockTime now = running_time (run->src);

  g_mutex_lock (&run->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
      record_silence (run, buf);
    else
      record_audio (run, buf, now, mono_us);
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstClockTime pts, duration;
    if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
      gst_event_parse_gap (event, &pts, &duration);
      record_gap (run, duration);
    }
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

/* ---- the run ---- */

static void
run_init (Run * run, const Model * model, gboolean drop, guint seconds,
    guint32 seed)
{
  memset (run, 0, sizeof (*run));
  run->model = model;
  run->drop = drop;
  run->n_frames = seconds * RATE / FRAME;
  run->seed = seed;
  g_mutex_init (&run->lock);
  run->written_us = g_new0 (gint64, run->n_frames);
  run->wire_us = g_array_new (FALSE, FALSE, sizeof (gint64));
}

/* The pipeline, playing and listening. */
static void
run_start (Run * run)
{
  gchar *desc = g_strdup_printf ("genesyssrc name=src address=127.0.0.1 "
      "port=0 %s ! fakesink sync=false",
      run->drop ? "drop-on-latency=true" : "");
  GError *error = NULL;
  GstPad *pad;

  run->pipeline = gst_parse_launch (desc, &error);
  if (!run->pipeline)
    g_error ("%s: %s", desc, error->message);
  g_free (desc);
  run->src = gst_bin_get_by_name (GST_BIN (run->pipeline), "src");
  pad = gst_element_get_static_pad (run->src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, src_probe, run, NULL);
  gst_object_unref (pad);
  if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    g_error ("genesyssrc did not start (is it on GST_PLUGIN_PATH?)");
  /* listening since READY -> PAUSED (no waiting for PLAYING: the sink
   * completes it with the first buffer) */
  g_object_get (run->src, "current-port", &run->port, NULL);
}

/* Waits for the EOS that follows the session's close, reporting errors on
 * the way (not warnings: the element warns that it runs without an API
 * key). */
static void
run_drain (Run * run)
{
  GstBus *bus = gst_element_get_bus (run->pipeline);
  GstMessage *msg;

  while ((msg = gst_bus_timed_pop_filtered (bus, DRAIN_TIMEOUT,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR))) {
    gboolean eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    if (!eos) {
      GError *error = NULL;
      gchar *debug = NULL;
      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("%s, %s: error: %s (%s)\n", run->model->name,
          run->drop ? "drop" : "default", error->message, debug ? debug : "");
      g_clear_error (&error);
      g_free (debug);
    }
    gst_message_unref (msg);
    if (eos)
      break;
  }
  if (!msg)
    g_printerr ("%s, %s: no EOS within %" GST_TIME_FORMAT " of the close\n",
        run->model->name, run->drop ? "drop" : "default",
        GST_TIME_ARGS (DRAIN_TIMEOUT));
  gst_object_unref (bus);
}

static void
run_read_stats (Run * run)
{
  GstStructure *stats = NULL;
  guint64 late = 0, late_dropped = 0;

  g_object_get (run->src, "stats", &stats, NULL);
  if (!stats)
    return;
  gst_structure_get_uint64 (stats, "late-duration", &late);
  gst_structure_get_uint64 (stats, "late-dropped-duration", &late_dropped);
  gst_structure_get_uint (stats, "reanchors", &run->reanchors);
  gst_structure_get_double (stats, "skew-ppm", &run->skew_ppm);
  run->late = late;
  run->late_dropped = late_dropped;
  gst_structure_get_uint64 (stats, "gaps", &run->stats_gaps);
  gst_structure_free (stats);
}

/* What the pad saw against what was sent and what the element counted: a
 * note under the row when they differ. */
static void
run_check (Run * run)
{
  const gchar *setting = run->drop ? "drop" : "default";
  guint64 dropped = gst_util_uint64_scale_round (run->late_dropped, RATE,
      GST_SECOND);

  if (run->out + dropped != run->sent)
    g_print ("#   %s, %s: %" G_GUINT64_FORMAT " samples sent, %"
        G_GUINT64_FORMAT " out, %" G_GUINT64_FORMAT " dropped late\n",
        run->model->name, setting, run->sent, run->out, dropped);
  if (run->gaps != run->stats_gaps)
    g_print ("#   %s, %s: %u gaps at the pad, %" G_GUINT64_FORMAT
        " in stats\n", run->model->name, setting, run->gaps, run->stats_gaps);
}

static void
run_clear (Run * run)
{
  if (run->pipeline) {
    gst_element_set_state (run->pipeline, GST_STATE_NULL);
    gst_object_unref (run->src);
    gst_object_unref (run->pipeline);
  }
  g_free (run->written_us);
  g_array_free (run->wire_us, TRUE);
  g_mutex_clear (&run->lock);
}

/* ---- when the client writes what ---- */

typedef struct
{
  const Model *model;
  GRand *rand;
  gint64 start;                 /* monotonic us of sender time 0 */
  gint64 stall_from, stall_to;  /* monotonic us; equal: no stall */
  guint64 pause_pos;            /* G_MAXUINT64: no pause */
  gint64 extra_us;              /* sender time not in positions (paused) */
  gint64 timer_us;              /* what the setInterval timer lost so far */
  gint64 last;                  /* the latest write so far: order is kept */
} Schedule;

/* Monotonic us at @sender_us on the sender's clock. */
static gint64
schedule_clock (const Schedule * s, gint64 sender_us)
{
  return s->start + sender_us + sender_us * s->model->ppm / 1000000;
}

/* Sender time at position @pos (us). */
static gint64
schedule_sender_time (const Schedule * s, guint64 pos)
{
  return (gint64) (pos * G_USEC_PER_SEC / RATE) + s->extra_us + s->timer_us;
}

static gint64
schedule_in_order (Schedule * s, gint64 at)
{
  s->last = MAX (s->last, at);
  return s->last;
}

static void
schedule_init (Schedule * s, const Model * model, guint n_frames,
    guint32 seed, gint64 start)
{
  gint64 length = (gint64) n_frames * FRAME * G_USEC_PER_SEC / RATE;

  memset (s, 0, sizeof (*s));
  s->model = model;
  s->rand = g_rand_new_with_seed (seed);
  s->start = s->last = start;
  s->stall_from = s->stall_to = G_MAXINT64;
  if (model->stall_ms) {
    s->stall_from = schedule_clock (s, length * model->stall_at / 1000);
    s->stall_to = s->stall_from + model->stall_ms * 1000;
  }
  s->pause_pos = G_MAXUINT64;
  if (model->pause_ms)
    s->pause_pos = (guint64) model->pause_at * n_frames / 1000 * FRAME;
}

static void
schedule_clear (Schedule * s)
{
  g_rand_free (s->rand);
}

/* When the frame that starts at @pos is written: when its last sample is
 * due on the sender's clock, plus its jitter, or when a stall ends. */
static gint64
schedule_frame (Schedule * s, guint64 pos)
{
  const Model *m = s->model;
  gint64 due, at;

  if (m->timer_us)
    s->timer_us += g_rand_int_range (s->rand, 0, m->timer_us + 1);
  due = schedule_clock (s, schedule_sender_time (s, pos + FRAME));
  at = due;
  if (m->jitter_ms)
    at += g_rand_int_range (s->rand, 0, m->jitter_ms * 1000 + 1);
  if (due >= s->stall_from && due < s->stall_to)
    at = MAX (at, s->stall_to);
  return schedule_in_order (s, at);
}

/* When `paused` is written: at @pos on the sender's clock. */
static gint64
schedule_paused (Schedule * s, guint64 pos)
{
  return schedule_in_order (s, schedule_clock (s, schedule_sender_time (s,
              pos)));
}

/* When `resumed` is written: pause_ms later, the position frozen. */
static gint64
schedule_resumed (Schedule * s, guint64 pos)
{
  s->extra_us += s->model->pause_ms * 1000;
  s->pause_pos = G_MAXUINT64;
  return schedule_in_order (s, schedule_clock (s, schedule_sender_time (s,
              pos)));
}

/* ---- the client ---- */

static void
sleep_until (gint64 t_us)
{
  gint64 now;

  while ((now = g_get_monotonic_time ()) < t_us)
    g_usleep (t_us - now);
}

static void
send_message (AhPeer * peer, const gchar * type, guint64 pos,
    const gchar * params)
{
  gchar *position = ah_duration_format_samples (pos, RATE);

  ah_peer_send (peer, type, position, params);
  g_free (position);
}

/* Connects and opens the session; NULL when it failed. */
static AhPeer *
client_open (Run * run)
{
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *frame;
  guint status = 0;

  if (!ah_peer_connect (peer, run->port, PATH, NULL, &status)) {
    g_printerr ("%s: upgrade refused (HTTP %u)\n", run->model->name, status);
    ah_peer_free (peer);
    return NULL;
  }
  send_message (peer, "open", 0, OPEN_PARAMS);
  frame = ah_peer_expect (peer, "opened", REPLY_TIMEOUT_MS);
  if (!frame) {
    g_printerr ("%s: no opened\n", run->model->name);
    ah_peer_free (peer);
    return NULL;
  }
  ah_peer_frame_free (frame);
  return peer;
}

/* A pause whose position stands still: `paused`, then `resumed` with
 * discarded PT0S and the audio going on at the same position. */
static void
client_pause (AhPeer * peer, Schedule * s, guint64 pos)
{
  gchar *start = ah_duration_format_samples (pos, RATE);
  gchar *params = g_strdup_printf ("{\"start\":\"%s\","
      "\"discarded\":\"PT0S\"}", start);

  sleep_until (schedule_paused (s, pos));
  send_message (peer, "paused", pos, "{}");
  sleep_until (schedule_resumed (s, pos));
  send_message (peer, "resumed", pos, params);
  g_free (params);
  g_free (start);
}

/* Frame @index, its index in its first 4 bytes, noting when it goes. */
static void
client_write_frame (Run * run, AhPeer * peer, guint32 index)
{
  guint8 data[FRAME];

  memset (data, FILL, sizeof (data));
  GST_WRITE_UINT32_LE (data, index);
  g_mutex_lock (&run->lock);
  run->written_us[index] = g_get_monotonic_time ();
  run->sent += FRAME;
  g_mutex_unlock (&run->lock);
  ah_peer_send_binary (peer, data, sizeof (data));
}

static void
client_close (AhPeer * peer, guint64 pos)
{
  AhPeerFrame *frame;

  send_message (peer, "close", pos, "{\"reason\":\"end\"}");
  frame = ah_peer_expect (peer, "closed", REPLY_TIMEOUT_MS);
  if (frame)
    ah_peer_frame_free (frame);
  else
    g_printerr ("no closed\n");
  ah_peer_close (peer);
  ah_peer_wait_closed (peer, REPLY_TIMEOUT_MS);
}

/* The sender thread: the whole session. */
static gpointer
client_thread (gpointer data)
{
  Run *run = data;
  AhPeer *peer = client_open (run);
  Schedule s;
  guint64 pos = 0;
  guint32 i;

  if (!peer) {
    run->failed = TRUE;
    return NULL;
  }
  schedule_init (&s, run->model, run->n_frames, run->seed,
      g_get_monotonic_time ());
  for (i = 0; i < run->n_frames; i++, pos += FRAME) {
    if (pos >= s.pause_pos)
      client_pause (peer, &s, pos);
    sleep_until (schedule_frame (&s, pos));
    client_write_frame (run, peer, i);
  }
  client_close (peer, pos);
  schedule_clear (&s);
  ah_peer_free (peer);
  return NULL;
}

/* ---- the table ---- */

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank, in ms; sorts @us. */
static gdouble
percentile_ms (GArray * us, guint p)
{
  guint rank;

  if (us->len == 0)
    return 0;
  g_array_sort (us, cmp_i64);
  rank = (us->len * p + 99) / 100;
  return g_array_index (us, gint64, MAX (rank, 1) - 1) / 1000.0;
}

static void
print_header (int argc, char **argv, guint seconds)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *date = g_date_time_format (now, "%Y-%m-%d %H:%M:%S UTC");
  gchar *command = g_strjoinv (" ", argv);

  g_print ("# %s  (%s)\n", command, date);
  g_print ("# %u s of 200 ms mono PCMU frames per model, loopback, real "
      "time, latency 300 ms; samples at 8 kHz, times in ms; late: audio that "
      "left after PTS + latency (dropped: of it, cut into a gap); max late: "
      "running time at the src pad - PTS; w2p: written to the socket -> src "
      "pad; skew: recovered rate (> 0: slow)\n", seconds);
  g_print ("%-24s %-7s %7s %7s %4s %8s %5s %8s %8s %8s %7s %7s %8s\n",
      "sender", "setting", "sent", "out", "gaps", "gap ms", "reanc",
      "late", "dropped", "max late", "w2p p50", "w2p p99", "skew ppm");
  g_free (command);
  g_free (date);
  g_date_time_unref (now);
}

static void
print_row (Run * run)
{
  gchar max_late[16];

  if (run->have_audio)
    g_snprintf (max_late, sizeof (max_late), "%.1f", run->max_late / 1e6);
  else
    g_strlcpy (max_late, "-", sizeof (max_late));
  g_print ("%-24s %-7s %7" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT
      " %4u %8.1f %5u %8.1f %8.1f %8s %7.1f %7.1f %+8.1f%s\n",
      run->model->name, run->drop ? "drop" : "default", run->sent, run->out,
      run->gaps, run->gap_time / 1e6, run->reanchors, run->late / 1e6,
      run->late_dropped / 1e6, max_late, percentile_ms (run->wire_us, 50),
      percentile_ms (run->wire_us, 99), run->skew_ppm,
      run->failed ? "  (no session)" : "");
}

/* ---- main ---- */

/* Both settings of @model at once. */
static void
bench_model (const Model * model, guint seconds, guint32 seed)
{
  Run runs[2];
  GThread *threads[2];
  guint k;

  for (k = 0; k < 2; k++) {
    run_init (&runs[k], model, k == 1, seconds, seed);
    run_start (&runs[k]);
  }
  for (k = 0; k < 2; k++)
    threads[k] = g_thread_new ("client", client_thread, &runs[k]);
  for (k = 0; k < 2; k++)
    g_thread_join (threads[k]);
  for (k = 0; k < 2; k++) {
    if (!runs[k].failed)
      run_drain (&runs[k]);
    run_read_stats (&runs[k]);
    print_row (&runs[k]);
    run_check (&runs[k]);
    run_clear (&runs[k]);
  }
}

int
main (int argc, char **argv)
{
  guint seconds = 20, i;

  gst_init (&argc, &argv);
  if (argc > 1)
    seconds = (guint) g_ascii_strtoull (argv[1], NULL, 10);
  if (seconds < 2) {
    g_printerr ("usage: %s [SECONDS]   (audio per model, >= 2; default 20)\n",
        argv[0]);
    return 1;
  }
  print_header (argc, argv, seconds);
  for (i = 0; i < G_N_ELEMENTS (models); i++)
    bench_model (&models[i], seconds, SEED + i);
  return 0;
}
