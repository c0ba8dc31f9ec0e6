/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How genesyssrc's output timeline holds up against a sender whose clock
 * runs fast and a connection that drops every 2 s. A genesyssink streams
 * live PCMU through a TCP proxy in this process, which closes every
 * connection 2 s after accepting it (no WebSocket close frame: the
 * elements see 1006), into a genesyssrc. Real sockets on loopback, real
 * time. The sender pipeline runs on its own GstSystemClock calibrated to
 * run 200 ppm fast against the receiver's clock.
 *
 *   bench-timeline [SECONDS] [OUTDIR]   (default 120 s, current directory)
 *
 * Two runs, drift-correction=true and drift-correction=false. A pad probe
 * on genesyssrc's src pad measures, for each buffer, its lateness: the
 * receiver's running time when the buffer leaves the element minus its
 * PTS; and it sums the GAP events. Prints one block per run, writes
 * bench-timeline-drift-{on,off}.csv (time_s, lateness_ms, drop) and, when
 * gnuplot is installed, bench-timeline-drift-{on,off}.png.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include <gst/gst.h>

#define RATE 8000
#define SKEW_PPM 200
#define DROP_EVERY (2 * G_TIME_SPAN_SECOND)
#define LATENCY (300 * GST_MSECOND)

/* ---- one run's measurements ---- */

typedef struct
{
  GstClockTime t;               /* receiver running time */
  GstClockTimeDiff lateness;
} Point;

typedef struct
{
  GMutex lock;
  GstClock *clock;              /* the receiver's */
  GstClockTime base_time;       /* the receiver pipeline's */
  gboolean playing;

  GArray *points;               /* Point, per buffer */
  GArray *drops;                /* GstClockTime, receiver running time */
  GArray *outages;              /* GstClockTime, drop to first new audio */
  GstClockTime first_pts, last_end;
  guint64 audio_samples;
  GstClockTime gap_total;
  guint gap_events;
  GstClockTime pending_drop;    /* NONE: no outage open */
  gboolean reopened;            /* a session opened since pending_drop */
} Run;

static GstClockTime
run_now (Run * run)
{
  GstClockTime now = gst_clock_get_time (run->clock);
  return now > run->base_time ? now - run->base_time : 0;
}

/* ---- the dropping proxy: POSIX sockets, a thread per connection ---- */

typedef struct
{
  Run *run;
  int listen_fd;
  guint16 port;
  guint16 target;
  gint stop;
  guint drops;
  GThread *accept_thread;
  GMutex lock;
  GList *threads;
} Proxy;

typedef struct
{
  Proxy *proxy;
  int down, up;
  gint64 deadline;              /* monotonic us: drop here */
} Link;

static gboolean
forward (int from, int to)
{
  guint8 buf[16384];
  ssize_t n = recv (from, buf, sizeof (buf), 0);
  ssize_t off = 0;

  if (n <= 0)
    return FALSE;
  while (off < n) {
    ssize_t w = send (to, buf + off, n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return FALSE;
    off += w;
  }
  return TRUE;
}

static gpointer
link_thread (gpointer data)
{
  Link *link = data;
  Proxy *proxy = link->proxy;
  struct pollfd fds[2];
  gboolean dropped = FALSE;

  fds[0].fd = link->down;
  fds[1].fd = link->up;
  fds[0].events = fds[1].events = POLLIN;
  while (!g_atomic_int_get (&proxy->stop)) {
    gint64 now = g_get_monotonic_time ();
    int timeout, r;

    if (now >= link->deadline) {
      dropped = TRUE;
      break;
    }
    timeout = MIN ((link->deadline - now + 999) / 1000, 100);
    r = poll (fds, 2, timeout);
    if (r < 0 && errno != EINTR)
      break;
    if (r <= 0)
      continue;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        && !forward (link->down, link->up))
      break;
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        && !forward (link->up, link->down))
      break;
  }
  if (dropped) {
    Run *run = proxy->run;
    g_mutex_lock (&run->lock);
    if (run->playing) {
      GstClockTime t = run_now (run);
      g_array_append_val (run->drops, t);
      if (!GST_CLOCK_TIME_IS_VALID (run->pending_drop))
        run->pending_drop = t;
    }
    g_mutex_unlock (&run->lock);
    g_atomic_int_inc ((gint *) & proxy->drops);
  }
  /* both sides at once, no close frame */
  shutdown (link->down, SHUT_RDWR);
  shutdown (link->up, SHUT_RDWR);
  close (link->down);
  close (link->up);
  g_free (link);
  return NULL;
}

static int
connect_target (guint16 port)
{
  struct sockaddr_in sa = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  sa.sin_family = AF_INET;
  sa.sin_port = htons (port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof (sa)) < 0) {
    close (fd);
    return -1;
  }
  return fd;
}

static gpointer
accept_thread (gpointer data)
{
  Proxy *proxy = data;
  struct pollfd pfd = { proxy->listen_fd, POLLIN, 0 };

  while (!g_atomic_int_get (&proxy->stop)) {
    Link *link;
    int fd;

    if (poll (&pfd, 1, 100) <= 0)
      continue;
    fd = accept (proxy->listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    link = g_new0 (Link, 1);
    link->proxy = proxy;
    link->down = fd;
    link->up = connect_target (proxy->target);
    if (link->up < 0) {
      close (fd);
      g_free (link);
      continue;
    }
    link->deadline = g_get_monotonic_time () + DROP_EVERY;
    g_mutex_lock (&proxy->lock);
    proxy->threads = g_list_prepend (proxy->threads,
        g_thread_new ("link", link_thread, link));
    g_mutex_unlock (&proxy->lock);
  }
  return NULL;
}

static Proxy *
proxy_new (Run * run, guint16 target)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  struct sockaddr_in sa = { 0 };
  socklen_t len = sizeof (sa);

  proxy->run = run;
  proxy->target = target;
  g_mutex_init (&proxy->lock);
  proxy->listen_fd = socket (AF_INET, SOCK_STREAM, 0);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (proxy->listen_fd, (struct sockaddr *) &sa, sizeof (sa)) < 0
      || listen (proxy->listen_fd, 16) < 0
      || getsockname (proxy->listen_fd, (struct sockaddr *) &sa, &len) < 0)
    g_error ("proxy: %s", g_strerror (errno));
  proxy->port = ntohs (sa.sin_port);
  proxy->accept_thread = g_thread_new ("accept", accept_thread, proxy);
  return proxy;
}

static void
proxy_free (Proxy * proxy)
{
  GList *l;

  g_atomic_int_set (&proxy->stop, 1);
  g_thread_join (proxy->accept_thread);
  for (l = proxy->threads; l; l = l->next)
    g_thread_join (l->data);
  g_list_free (proxy->threads);
  close (proxy->listen_fd);
  g_mutex_clear (&proxy->lock);
  g_free (proxy);
}

/* ---- the probe on genesyssrc's src pad ---- */

static GstPadProbeReturn
probe_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *run = user_data;

  g_mutex_lock (&run->lock);
  if (!run->playing) {
    g_mutex_unlock (&run->lock);
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime now = run_now (run);
    GstClockTime pts = GST_BUFFER_PTS (buf);
    Point p;

    p.t = now;
    p.lateness = GST_CLOCK_DIFF (pts, now);
    g_array_append_val (run->points, p);
    if (!GST_CLOCK_TIME_IS_VALID (run->first_pts))
      run->first_pts = pts;
    run->last_end = pts + GST_BUFFER_DURATION (buf);
    run->audio_samples += GST_BUFFER_OFFSET_END (buf) - GST_BUFFER_OFFSET (buf);
    /* the first audio after the continued session opened */
    if (GST_CLOCK_TIME_IS_VALID (run->pending_drop) && run->reopened) {
      GstClockTime outage = now - run->pending_drop;
      g_array_append_val (run->outages, outage);
      run->pending_drop = GST_CLOCK_TIME_NONE;
      run->reopened = FALSE;
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
      GstClockTime ts, dur;
      gst_event_parse_gap (event, &ts, &dur);
      if (GST_CLOCK_TIME_IS_VALID (dur)) {
        run->gap_total += dur;
        run->gap_events++;
        if (!GST_CLOCK_TIME_IS_VALID (run->first_pts))
          run->first_pts = ts;
        run->last_end = ts + dur;
      }
    }
  }
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

/* ---- results ---- */

static int
cmp_diff (const void *a, const void *b)
{
  GstClockTimeDiff x = *(const GstClockTimeDiff *) a;
  GstClockTimeDiff y = *(const GstClockTimeDiff *) b;
  return x < y ? -1 : x > y;
}

static guint64
to_samples (GstClockTime t)
{
  return gst_util_uint64_scale_int_round (t, RATE, GST_SECOND);
}

static guint64
get_u64 (const GstStructure * s, const gchar * name)
{
  guint64 v = 0;
  gst_structure_get_uint64 (s, name, &v);
  return v;
}

static void
write_csv (Run * run, const gchar * path)
{
  FILE *f = fopen (path, "w");
  guint i, d = 0;

  if (!f) {
    g_printerr ("cannot write %s\n", path);
    return;
  }
  fprintf (f, "time_s,lateness_ms,drop\n");
  for (i = 0; i < run->points->len; i++) {
    Point *p = &g_array_index (run->points, Point, i);
    while (d < run->drops->len
        && g_array_index (run->drops, GstClockTime, d) <= p->t) {
      fprintf (f, "%.6f,,1\n",
          g_array_index (run->drops, GstClockTime, d) / 1e9);
      d++;
    }
    fprintf (f, "%.6f,%.3f,0\n", p->t / 1e9, p->lateness / 1e6);
  }
  for (; d < run->drops->len; d++)
    fprintf (f, "%.6f,,1\n", g_array_index (run->drops, GstClockTime, d) / 1e9);
  fclose (f);
}

static void
plot (Run * run, const gchar * csv, const gchar * png, const gchar * title)
{
  gchar *gp = g_find_program_in_path ("gnuplot");
  GString *script;
  GError *error = NULL;
  gchar *argv[] = { gp, (gchar *) "-", NULL };
  GSubprocess *proc;
  guint i;

  if (!gp) {
    g_print ("  gnuplot not found: no plot\n");
    return;
  }
  script = g_string_new (NULL);
  g_string_append_printf (script,
      "set terminal pngcairo size 1200,500\n"
      "set output '%s'\n"
      "set datafile separator ','\n"
      "set title '%s'\n"
      "set xlabel 'receiver running time (s)'\n"
      "set ylabel 'lateness at genesyssrc src pad (ms)'\n"
      "set grid\n"
      "set offsets 0, 0, 5, 5\n" "set key top right\n", png, title);
  for (i = 0; i < run->drops->len; i++)
    g_string_append_printf (script,
        "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead "
        "lc rgb '#d62728' dt 3 lw 1\n",
        g_array_index (run->drops, GstClockTime, i) / 1e9,
        g_array_index (run->drops, GstClockTime, i) / 1e9);
  g_string_append_printf (script,
      "plot '%s' every ::1 using 1:($3 == 0 ? $2 : 1/0) with points pt 7 "
      "ps 0.4 lc rgb '#1f77b4' title 'lateness per buffer', "
      "NaN with lines lc rgb '#d62728' dt 3 title 'connection dropped'\n", csv);

  proc = g_subprocess_newv ((const gchar * const *) argv,
      G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  if (proc) {
    GBytes *in = g_string_free_to_bytes (script);
    script = NULL;
    if (!g_subprocess_communicate (proc, in, NULL, NULL, NULL, &error)
        || !g_subprocess_get_successful (proc))
      g_printerr ("gnuplot failed%s%s\n", error ? ": " : "",
          error ? error->message : "");
    else
      g_print ("  plot: %s\n", png);
    g_bytes_unref (in);
    g_object_unref (proc);
  }
  if (script)
    g_string_free (script, TRUE);
  g_clear_error (&error);
  g_free (gp);
}

/* Errors are printed, genesys-session-opened marks the end of an outage,
 * the rest is dropped. */
static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (msg->src),
        err->message);
    g_error_free (err);
  } else if (run && gst_message_has_name (msg, "genesys-session-opened")) {
    g_mutex_lock (&run->lock);
    if (GST_CLOCK_TIME_IS_VALID (run->pending_drop))
      run->reopened = TRUE;
    g_mutex_unlock (&run->lock);
  }
  return GST_BUS_DROP;
}

static void
set_sync_handler (GstElement * pipeline, Run * run)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, run, NULL);
  gst_object_unref (bus);
}

static void
run_once (guint seconds, gboolean drift_correction, const gchar * outdir)
{
  Run run = { 0 };
  GstElement *recv, *send, *src, *sink;
  GstClock *rclock, *sclock;
  GstPad *pad;
  Proxy *proxy;
  guint port, i, n;
  gchar *desc, *csv, *png, *name, *title;
  gint64 end;
  GstStructure *rstats, *sstats;
  GstClockTimeDiff *lat;
  GstClockTime outage_total = 0;
  guint64 timeline, positions, sent, discarded, dropped;

  g_mutex_init (&run.lock);
  run.points = g_array_new (FALSE, FALSE, sizeof (Point));
  run.drops = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run.outages = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run.first_pts = run.last_end = GST_CLOCK_TIME_NONE;
  run.pending_drop = GST_CLOCK_TIME_NONE;

  desc = g_strdup_printf ("genesyssrc name=src address=127.0.0.1 port=0 "
      "latency=%" G_GUINT64_FORMAT " session-timeout=30000000000 "
      "gap-mode=gap-event drift-correction=%s ! fakesink sync=true",
      LATENCY, drift_correction ? "true" : "false");
  recv = gst_parse_launch (desc, NULL);
  g_free (desc);
  rclock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (recv), rclock);
  src = gst_bin_get_by_name (GST_BIN (recv), "src");
  pad = gst_element_get_static_pad (src, "src");
  set_sync_handler (recv, &run);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, probe_cb, &run, NULL);
  gst_object_unref (pad);
  /* live: PLAYING at once (the sink prerolls on the first buffer) */
  gst_element_set_state (recv, GST_STATE_PLAYING);
  g_object_get (src, "current-port", &port, NULL);
  g_mutex_lock (&run.lock);
  run.clock = rclock;
  run.base_time = gst_element_get_base_time (recv);
  run.playing = TRUE;
  g_mutex_unlock (&run.lock);

  proxy = proxy_new (&run, port);

  /* The sender's clock runs SKEW_PPM fast against the receiver's. */
  sclock = g_object_new (GST_TYPE_SYSTEM_CLOCK, "name", "sender-clock", NULL);
  gst_object_ref_sink (sclock);
  gst_clock_set_calibration (sclock, gst_clock_get_internal_time (sclock),
      gst_clock_get_time (rclock), 1000000 + SKEW_PPM, 1000000);
  desc = g_strdup_printf ("audiotestsrc is-live=true samplesperbuffer=160 ! "
      "audio/x-raw,rate=8000,channels=1 ! mulawenc ! genesyssink name=sink "
      "uri=ws://127.0.0.1:%u/api/v1/audiohook/ws", proxy->port);
  send = gst_parse_launch (desc, NULL);
  g_free (desc);
  gst_pipeline_use_clock (GST_PIPELINE (send), sclock);
  set_sync_handler (send, NULL);
  sink = gst_bin_get_by_name (GST_BIN (send), "sink");
  gst_element_set_state (send, GST_STATE_PLAYING);

  end = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < end)
    g_usleep (100 * 1000);

  /* Stop the sender, let the receiver output what is on its way. The
   * flush first: genesyssink can miss the wake-up when it goes from
   * PLAYING to READY while it waits for a frame's end (it then waits for
   * preroll with the sink already flushing and never returns). */
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_send_event (pad, gst_event_new_flush_start ());
  gst_object_unref (pad);
  gst_element_set_state (send, GST_STATE_NULL);
  g_object_get (sink, "stats", &sstats, NULL);
  g_usleep (G_USEC_PER_SEC);
  g_mutex_lock (&run.lock);
  run.playing = FALSE;
  g_mutex_unlock (&run.lock);
  g_object_get (src, "stats", &rstats, NULL);
  proxy_free (proxy);
  gst_element_set_state (recv, GST_STATE_NULL);

  /* Drift: genesyssrc's output timeline (first PTS to the end of the last
   * buffer or GAP event, audio and gaps) in samples against the session
   * positions the sender went through: the samples genesyssink sent plus
   * the lost samples it reported as discarded. Continued sessions keep
   * the positions counting, so without re-alignment both should be equal
   * whatever the clocks do: the receiver follows the sender's sample
   * count, not its own clock. With drift correction they differ by the
   * inserted minus the removed samples. Audio the sender lost after its
   * last report (it was stopped during an outage) is in dropped-duration
   * but not in the positions, and not on the receiver's timeline either. */
  timeline = to_samples (run.last_end - run.first_pts);
  sent = get_u64 (sstats, "samples");
  discarded = to_samples (get_u64 (sstats, "discarded-duration"));
  dropped = to_samples (get_u64 (sstats, "dropped-duration"));
  positions = sent + discarded;

  n = run.points->len;
  lat = g_new (GstClockTimeDiff, MAX (n, 1));
  for (i = 0; i < n; i++)
    lat[i] = g_array_index (run.points, Point, i).lateness;
  qsort (lat, n, sizeof (GstClockTimeDiff), cmp_diff);
  for (i = 0; i < run.outages->len; i++)
    outage_total += g_array_index (run.outages, GstClockTime, i);

  g_print ("drift-correction=%s, %u s, sender clock +%d ppm, drop every "
      "%d s\n", drift_correction ? "true" : "false", seconds, SKEW_PPM,
      (int) (DROP_EVERY / G_TIME_SPAN_SECOND));
  g_print ("  drift: output timeline %" G_GUINT64_FORMAT " samples (audio %"
      G_GUINT64_FORMAT ", GAP events %" G_GUINT64_FORMAT "), sender "
      "positions %" G_GUINT64_FORMAT " (sent %" G_GUINT64_FORMAT
      ", discarded %" G_GUINT64_FORMAT "): %+" G_GINT64_FORMAT " samples"
      " (sender dropped %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
      " never reported)\n", timeline, run.audio_samples,
      to_samples (run.gap_total), positions, sent, discarded,
      (gint64) timeline - (gint64) positions, dropped,
      dropped > discarded ? dropped - discarded : 0);
  if (n > 0)
    g_print ("  lateness over %u buffers: min %.2f ms, median %.2f ms, "
        "p99 %.2f ms, max %.2f ms\n", n, lat[0] / 1e6, lat[n / 2] / 1e6,
        lat[(n * 99) / 100] / 1e6, lat[n - 1] / 1e6);
  g_print ("  drops %u (sink reconnects %" G_GUINT64_FORMAT ", receiver "
      "sessions %" G_GUINT64_FORMAT ", continued %" G_GUINT64_FORMAT ")\n",
      run.drops->len, get_u64 (sstats, "reconnects"),
      get_u64 (rstats, "sessions"), get_u64 (rstats, "sessions-continued"));
  g_print ("  gaps: GAP events %u, %.1f ms in all; measured outages %u, "
      "%.1f ms in all (drop to first audio of the new session); "
      "genesyssrc gap-duration %.1f ms\n", run.gap_events,
      run.gap_total / 1e6, run.outages->len, outage_total / 1e6,
      get_u64 (rstats, "gap-duration") / 1e6);
  {
    guint realignments = 0;
    gint64 lateness = 0;
    gst_structure_get_uint (rstats, "realignments", &realignments);
    gst_structure_get_int64 (rstats, "lateness", &lateness);
    g_print ("  genesyssrc: realignments %u, inserted %.1f ms, removed "
        "%.1f ms, late %.1f ms, lateness estimate %.2f ms\n", realignments,
        get_u64 (rstats, "inserted-duration") / 1e6,
        get_u64 (rstats, "removed-duration") / 1e6,
        get_u64 (rstats, "late-duration") / 1e6, lateness / 1e6);
  }

  name = g_strdup_printf ("bench-timeline-drift-%s",
      drift_correction ? "on" : "off");
  csv = g_strdup_printf ("%s/%s.csv", outdir, name);
  png = g_strdup_printf ("%s/%s.png", outdir, name);
  title = g_strdup_printf ("genesyssrc lateness, sender clock +%d ppm, "
      "drop every 2 s, latency 300 ms, drift-correction=%s", SKEW_PPM,
      drift_correction ? "true" : "false");
  write_csv (&run, csv);
  g_print ("  csv: %s\n", csv);
  plot (&run, csv, png, title);
  g_free (name);
  g_free (csv);
  g_free (png);
  g_free (title);

  g_free (lat);
  gst_structure_free (rstats);
  gst_structure_free (sstats);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (recv);
  gst_object_unref (send);
  gst_object_unref (sclock);
  gst_object_unref (rclock);
  g_array_free (run.points, TRUE);
  g_array_free (run.drops, TRUE);
  g_array_free (run.outages, TRUE);
  g_mutex_clear (&run.lock);
}

int
main (int argc, char **argv)
{
  guint seconds = argc > 1 ? atoi (argv[1]) : 120;
  const gchar *outdir = argc > 2 ? argv[2] : ".";
  GstElementFactory *f;

  gst_init (&argc, &argv);
  if (!(f = gst_element_factory_find ("genesyssrc"))) {
    g_printerr ("genesyssrc not found: set GST_PLUGIN_PATH\n");
    return 1;
  }
  gst_object_unref (f);
  if (seconds == 0)
    seconds = 120;

  run_once (seconds, TRUE, outdir);
  g_print ("\n");
  run_once (seconds, FALSE, outdir);
  return 0;
}
