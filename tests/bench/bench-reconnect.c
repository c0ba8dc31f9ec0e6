/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How long audio stops when the connection of a genesyssink drops: a
 * genesyssink streams live audio to a genesyssrc through a small TCP proxy
 * in this process, which drops every connection at once (both sockets shut
 * down, no WebSocket close frame: the elements see 1006) N times, about
 * 300 ms apart, each time once audio flows again. Real sockets on loopback,
 * real pipeline clocks. Three runs: retry-backoff-factor=0 (the reconnect
 * itself), the element's default backoff, and the default
 * retry-backoff-factor with retry-backoff-max pinned to it (every drop
 * waits as a first attempt does). Prints median, p90 and max of each.
 *
 *   bench-reconnect [N] [FRAME_MS]
 *
 * N: drops per run (default 100). FRAME_MS: genesyssink's frame-duration
 * in milliseconds (default: the element's default).
 *
 * What is timed: from the moment the proxy shuts the sockets down to the
 * first audio buffer genesyssrc pushes out of its src pad after the
 * continued session opened (pad probe; genesys-session-opened from a sync
 * bus handler marks the new session). That is where a receiving
 * application sees audio again, so it counts everything in between:
 * noticing the drop, the backoff delay, TCP connect, the WebSocket
 * upgrade, open/opened, and the wait for the next frame, which the sink
 * only sends once its last sample is due (frames are a frame-duration
 * apart). The time to the receiver's genesys-session-opened and the
 * backoff delay the sink chose (genesys-reconnecting) are printed too, to
 * tell those apart. The fakesink does not sync: a buffer is pushed as soon
 * as it arrives instead of when its PTS plus the receiver's latency is
 * due, a constant that has nothing to do with the reconnect.
 *
 * The sink's backoff only resets after a session stayed open for 10 s:
 * with drops every 300 ms the default run climbs to retry-backoff-max (10 s
 * ceilings after 7 drops), as it would on a flapping link. It takes about
 * N * 5 s. A reconnect that reaches genesyssrc before genesyssrc noticed
 * the drop is refused with HTTP 503 and retried: refused-busy in the
 * receiver's stats, one more reconnect in the sender's.
 */

#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gio/gio.h>
#include <gst/gst.h>

#define DEFAULT_DROPS 100
/* drops are this far apart, plus or minus SPACING_JITTER, so they do not
 * fall on the same point of the sink's frame cycle every time */
#define SPACING (300 * G_TIME_SPAN_MILLISECOND)
#define SPACING_JITTER (50 * G_TIME_SPAN_MILLISECOND)
/* the receiver's session-timeout: no drop may take longer */
#define WAIT_LIMIT (30 * G_TIME_SPAN_SECOND)

/* ---- the fault-injecting proxy (its own thread and main context) ---- */

typedef struct _Proxy Proxy;
typedef struct _Link Link;

typedef struct
{
  Link *link;
  GInputStream *in;
  GOutputStream *out;
  guint8 buf[16384];
} Pump;

/* One accepted connection and its upstream twin. */
struct _Link
{
  Proxy *proxy;
  GSocketConnection *down;      /* accepted, from genesyssink */
  GSocketConnection *up;        /* ours, to genesyssrc */
  GCancellable *cancellable;
  Pump pump[2];                 /* toward genesyssrc, and back */
  guint pending;                /* async operation chains in flight */
  gboolean dead;
};

struct _Proxy
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocketService *service;
  GSocketClient *client;
  GSocketAddress *upstream;
  GList *links;                 /* Link, alive */
  guint n_links;                /* Link, not yet freed */
  gboolean stopping;

  GMutex lock;
  GCond cond;
  guint port;
  guint64 connections;
};

static void
set_nodelay (GSocketConnection * conn)
{
  g_socket_set_option (g_socket_connection_get_socket (conn), IPPROTO_TCP,
      TCP_NODELAY, 1, NULL);
}

static void
link_free (Link * link)
{
  Proxy *proxy = link->proxy;

  if (link->up) {
    g_io_stream_close (G_IO_STREAM (link->up), NULL, NULL);
    g_object_unref (link->up);
  }
  g_io_stream_close (G_IO_STREAM (link->down), NULL, NULL);
  g_object_unref (link->down);
  g_object_unref (link->cancellable);
  g_free (link);
  proxy->n_links--;
  if (proxy->stopping && proxy->n_links == 0)
    g_main_loop_quit (proxy->loop);
}

static void
link_op_done (Link * link)
{
  if (--link->pending == 0 && link->dead)
    link_free (link);
}

/* Shuts both sockets down at once, without a word to either side. */
static void
link_kill (Link * link)
{
  if (link->dead)
    return;
  link->dead = TRUE;
  link->proxy->links = g_list_remove (link->proxy->links, link);
  g_socket_shutdown (g_socket_connection_get_socket (link->down), TRUE, TRUE,
      NULL);
  if (link->up)
    g_socket_shutdown (g_socket_connection_get_socket (link->up), TRUE, TRUE,
        NULL);
  g_cancellable_cancel (link->cancellable);
  if (link->pending == 0)
    link_free (link);
}

static void pump_read (Pump * pump);

static void
write_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  Pump *pump = data;
  Link *link = pump->link;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL,
          NULL) || link->dead) {
    link_kill (link);
    link_op_done (link);
    return;
  }
  pump_read (pump);
}

static void
read_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  Pump *pump = data;
  Link *link = pump->link;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  if (n <= 0 || link->dead) {
    link_kill (link);
    link_op_done (link);
    return;
  }
  g_output_stream_write_all_async (pump->out, pump->buf, n,
      G_PRIORITY_DEFAULT, link->cancellable, write_cb, pump);
}

static void
pump_read (Pump * pump)
{
  g_input_stream_read_async (pump->in, pump->buf, sizeof (pump->buf),
      G_PRIORITY_DEFAULT, pump->link->cancellable, read_cb, pump);
}

static void
upstream_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  Link *link = data;
  guint i;

  link->up = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res,
      NULL);
  if (link->up == NULL || link->dead) {
    link_kill (link);
    link_op_done (link);
    return;
  }
  set_nodelay (link->up);
  link->pump[0].in = g_io_stream_get_input_stream (G_IO_STREAM (link->down));
  link->pump[0].out = g_io_stream_get_output_stream (G_IO_STREAM (link->up));
  link->pump[1].in = g_io_stream_get_input_stream (G_IO_STREAM (link->up));
  link->pump[1].out = g_io_stream_get_output_stream (G_IO_STREAM (link->down));
  for (i = 0; i < 2; i++) {
    link->pump[i].link = link;
    link->pending++;
    pump_read (&link->pump[i]);
  }
  link_op_done (link);
}

static gboolean
incoming_cb (GSocketService * service, GSocketConnection * connection,
    GObject * source_object, gpointer data)
{
  Proxy *proxy = data;
  Link *link = g_new0 (Link, 1);

  link->proxy = proxy;
  link->down = g_object_ref (connection);
  link->cancellable = g_cancellable_new ();
  set_nodelay (link->down);
  proxy->links = g_list_prepend (proxy->links, link);
  proxy->n_links++;
  g_mutex_lock (&proxy->lock);
  proxy->connections++;
  g_mutex_unlock (&proxy->lock);
  link->pending = 1;
  g_socket_client_connect_async (proxy->client,
      G_SOCKET_CONNECTABLE (proxy->upstream), link->cancellable, upstream_cb,
      link);
  return TRUE;
}

static gpointer
proxy_thread (gpointer data)
{
  Proxy *proxy = data;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound = NULL;
  GError *error = NULL;

  g_main_context_push_thread_default (proxy->context);
  proxy->client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (proxy->client, FALSE);
  proxy->service = g_socket_service_new ();
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (incoming_cb),
      proxy);
  /* with this context as the thread default: the service accepts here */
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service),
          address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
          &error))
    g_error ("proxy: cannot listen: %s", error->message);
  g_socket_service_start (proxy->service);

  g_mutex_lock (&proxy->lock);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_cond_broadcast (&proxy->cond);
  g_mutex_unlock (&proxy->lock);

  g_main_loop_run (proxy->loop);

  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_clear_object (&proxy->service);
  g_clear_object (&proxy->client);
  /* let the cancelled accept report back */
  while (g_main_context_iteration (proxy->context, FALSE));
  g_main_context_pop_thread_default (proxy->context);

  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (loopback);
  return NULL;
}

static Proxy *
proxy_new (guint upstream_port)
{
  Proxy *proxy = g_new0 (Proxy, 1);

  g_mutex_init (&proxy->lock);
  g_cond_init (&proxy->cond);
  proxy->upstream = g_inet_socket_address_new_from_string ("127.0.0.1",
      upstream_port);
  proxy->context = g_main_context_new ();
  proxy->loop = g_main_loop_new (proxy->context, FALSE);
  proxy->thread = g_thread_new ("proxy", proxy_thread, proxy);
  g_mutex_lock (&proxy->lock);
  while (proxy->port == 0)
    g_cond_wait (&proxy->cond, &proxy->lock);
  g_mutex_unlock (&proxy->lock);
  return proxy;
}

typedef struct
{
  Proxy *proxy;
  gboolean done;
  gint64 time;
  guint links;
} DropData;

static gboolean
drop_cb (gpointer data)
{
  DropData *dd = data;
  Proxy *proxy = dd->proxy;
  guint links = g_list_length (proxy->links);
  gint64 now = g_get_monotonic_time ();

  while (proxy->links)
    link_kill (proxy->links->data);
  g_mutex_lock (&proxy->lock);
  dd->time = now;
  dd->links = links;
  dd->done = TRUE;
  g_cond_broadcast (&proxy->cond);
  g_mutex_unlock (&proxy->lock);
  return G_SOURCE_REMOVE;
}

/* Drops every connection at once; returns when it was done and how many
 * connections there were. */
static gint64
proxy_drop (Proxy * proxy, guint * links)
{
  DropData dd = { proxy, FALSE, 0, 0 };

  g_main_context_invoke (proxy->context, drop_cb, &dd);
  g_mutex_lock (&proxy->lock);
  while (!dd.done)
    g_cond_wait (&proxy->cond, &proxy->lock);
  g_mutex_unlock (&proxy->lock);
  *links = dd.links;
  return dd.time;
}

static gboolean
stop_cb (gpointer data)
{
  Proxy *proxy = data;

  proxy->stopping = TRUE;
  while (proxy->links)
    link_kill (proxy->links->data);
  if (proxy->n_links == 0)
    g_main_loop_quit (proxy->loop);
  return G_SOURCE_REMOVE;
}

static void
proxy_free (Proxy * proxy)
{
  g_main_context_invoke (proxy->context, stop_cb, proxy);
  g_thread_join (proxy->thread);
  g_main_loop_unref (proxy->loop);
  g_main_context_unref (proxy->context);
  g_object_unref (proxy->upstream);
  g_mutex_clear (&proxy->lock);
  g_cond_clear (&proxy->cond);
  g_free (proxy);
}

/* ---- what the elements report ---- */

typedef enum
{
  PHASE_IDLE,
  PHASE_WAIT_OPEN,              /* for genesys-session-opened */
  PHASE_WAIT_AUDIO,             /* for the first buffer after it */
  PHASE_DONE,
} Phase;

typedef struct
{
  GMutex lock;
  GCond cond;
  Phase phase;
  gint64 opened_at, audio_at;
  guint64 delay;                /* backoff since the drop (ns) */
  guint64 receiver_discarded;   /* genesys-discarded at genesyssrc */
  gboolean sender_eos;
  gchar *error;
} Watch;

static void
watch_error (Watch * w, GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  g_mutex_lock (&w->lock);
  if (w->error == NULL)
    w->error = g_strdup_printf ("%s: %s (%s)", GST_OBJECT_NAME (msg->src),
        err->message, debug ? debug : "");
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_error_free (err);
  g_free (debug);
}

/* Sync handlers: they run in the thread that posts, so the times are
 * those of the events, and nothing piles up on the buses (the warnings
 * posted at every drop included): every message is dropped here, and so
 * unreffed. */
static GstBusSyncReply
receiver_bus_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  Watch *w = data;
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    watch_error (w, msg);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && (s = gst_message_get_structure (msg))) {
    gint64 now = g_get_monotonic_time ();

    g_mutex_lock (&w->lock);
    if (gst_structure_has_name (s, "genesys-session-opened")) {
      if (w->phase == PHASE_WAIT_OPEN) {
        w->opened_at = now;
        w->phase = PHASE_WAIT_AUDIO;
      }
    } else if (gst_structure_has_name (s, "genesys-discarded")) {
      w->receiver_discarded++;
    }
    g_mutex_unlock (&w->lock);
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static GstBusSyncReply
sender_bus_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  Watch *w = data;
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    watch_error (w, msg);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    g_mutex_lock (&w->lock);
    w->sender_eos = TRUE;
    g_cond_broadcast (&w->cond);
    g_mutex_unlock (&w->lock);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
      && (s = gst_message_get_structure (msg))
      && gst_structure_has_name (s, "genesys-reconnecting")) {
    guint64 delay = 0;

    gst_structure_get_uint64 (s, "delay", &delay);
    g_mutex_lock (&w->lock);
    w->delay += delay;
    g_mutex_unlock (&w->lock);
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static GstPadProbeReturn
audio_probe_cb (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Watch *w = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  /* silence standing in for a gap is not audio */
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&w->lock);
  if (w->phase == PHASE_WAIT_AUDIO) {
    w->audio_at = g_get_monotonic_time ();
    w->phase = PHASE_DONE;
    g_cond_broadcast (&w->cond);
  }
  g_mutex_unlock (&w->lock);
  return GST_PAD_PROBE_OK;
}

/* Waits for the first audio of a new session; FALSE on error or after
 * WAIT_LIMIT. */
static gboolean
wait_audio (Watch * w, gint64 since)
{
  gint64 deadline = since + WAIT_LIMIT;
  gboolean ok;

  g_mutex_lock (&w->lock);
  while (w->phase != PHASE_DONE && !w->error
      && g_cond_wait_until (&w->cond, &w->lock, deadline));
  ok = w->phase == PHASE_DONE;
  g_mutex_unlock (&w->lock);
  return ok;
}

/* Ends the call as an application would: EOS, so genesyssink sends what
 * is left and closes the session (reason end) before the pipelines stop.
 * Going from PLAYING straight to NULL can also hang genesyssink when the
 * state change lands while it waits for a frame's end: its unlock_stop()
 * clears its own flushing flag before the streaming thread looks at it,
 * which then waits for preroll on an already flushing base sink. */
static void
end_call (Watch * w, GstElement * sender)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;

  gst_element_send_event (sender, gst_event_new_eos ());
  g_mutex_lock (&w->lock);
  while (!w->sender_eos && !w->error
      && g_cond_wait_until (&w->cond, &w->lock, deadline));
  if (!w->sender_eos)
    g_printerr ("  the sender did not reach EOS: %s\n",
        w->error ? w->error : "timeout");
  g_mutex_unlock (&w->lock);
}

/* ---- one run ---- */

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

typedef struct
{
  gdouble median, p90, max;
} Summary;

static Summary
summarize (gint64 * us, guint n)
{
  Summary s;

  qsort (us, n, sizeof (gint64), cmp_i64);
  s.median = us[n / 2] / 1000.0;
  s.p90 = us[MIN ((n * 90) / 100, n - 1)] / 1000.0;
  s.max = us[n - 1] / 1000.0;
  return s;
}

static guint64
stat_u64 (const GstStructure * stats, const gchar * field)
{
  guint64 v = 0;

  gst_structure_get_uint64 (stats, field, &v);
  return v;
}

static GstElement *
launch (const gchar * description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  if (pipeline == NULL) {
    g_printerr ("%s: %s (set GST_PLUGIN_PATH)\n", description, error->message);
    exit (1);
  }
  return pipeline;
}

/* @backoff_factor < 0: the element's default. @pin: retry-backoff-max
 * as retry-backoff-factor. */
static gboolean
run (guint n, gint64 backoff_factor, gboolean pin, gint64 frame_ms)
{
  Watch w = { 0, };
  GstElement *receiver, *sender, *src, *sink;
  GstStructure *stats;
  GstPad *pad;
  GstBus *bus;
  Proxy *proxy;
  const gchar *codes;
  guint port, i, done = 0;
  guint64 factor, max, frame_duration, continued;
  gint64 *audio = g_new0 (gint64, n), *opened = g_new0 (gint64, n);
  gint64 *delays = g_new0 (gint64, n);
  gchar *description;
  gboolean ok = TRUE;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);

  receiver = launch ("genesyssrc name=src address=127.0.0.1 port=0 "
      "keep-listening=false session-timeout=30000000000 "
      "! fakesink sync=false");
  src = gst_bin_get_by_name (GST_BIN (receiver), "src");
  bus = gst_element_get_bus (receiver);
  gst_bus_set_sync_handler (bus, receiver_bus_cb, &w, NULL);
  gst_object_unref (bus);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_probe_cb, &w, NULL);
  gst_object_unref (pad);
  gst_element_set_state (receiver, GST_STATE_PLAYING);
  g_object_get (src, "current-port", &port, NULL);

  proxy = proxy_new (port);

  description = g_strdup_printf ("audiotestsrc is-live=true "
      "samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc "
      "! genesyssink name=sink "
      "uri=ws://127.0.0.1:%u/api/v1/audiohook/ws", proxy->port);
  sender = launch (description);
  g_free (description);
  sink = gst_bin_get_by_name (GST_BIN (sender), "sink");
  if (backoff_factor >= 0)
    g_object_set (sink, "retry-backoff-factor", (guint64) backoff_factor, NULL);
  if (frame_ms > 0)
    g_object_set (sink, "frame-duration", frame_ms * GST_MSECOND, NULL);
  g_object_get (sink, "retry-backoff-factor", &factor, NULL);
  if (pin)
    g_object_set (sink, "retry-backoff-max", factor, NULL);
  g_object_get (sink, "retry-backoff-max", &max, "frame-duration",
      &frame_duration, NULL);
  bus = gst_element_get_bus (sender);
  gst_bus_set_sync_handler (bus, sender_bus_cb, &w, NULL);
  gst_object_unref (bus);

  g_print ("retry-backoff-factor %.0f ms%s, retry-backoff-max %.0f ms%s, "
      "frame-duration %.0f ms%s:\n", factor / 1e6,
      backoff_factor < 0 ? " (default)" : "", max / 1e6,
      pin ? " (pinned)" : " (default)", frame_duration / 1e6,
      frame_ms > 0 ? "" : " (default)");

  /* the first session, and its audio */
  g_mutex_lock (&w.lock);
  w.phase = PHASE_WAIT_OPEN;
  g_mutex_unlock (&w.lock);
  gst_element_set_state (sender, GST_STATE_PLAYING);
  if (!wait_audio (&w, g_get_monotonic_time ())) {
    g_printerr ("  no audio at the receiver: %s\n",
        w.error ? w.error : "timeout");
    ok = FALSE;
  }

  for (i = 0; ok && i < n; i++) {
    gint64 dropped, next;
    guint links;

    g_mutex_lock (&w.lock);
    w.phase = PHASE_WAIT_OPEN;
    w.delay = 0;
    g_mutex_unlock (&w.lock);
    dropped = proxy_drop (proxy, &links);
    if (links != 1)
      g_printerr ("  drop %u: %u connections at the proxy\n", i, links);
    if (!wait_audio (&w, dropped)) {
      g_printerr ("  drop %u: audio did not come back: %s\n", i,
          w.error ? w.error : "timeout");
      ok = FALSE;
      break;
    }
    g_mutex_lock (&w.lock);
    audio[i] = w.audio_at - dropped;
    opened[i] = w.opened_at - dropped;
    delays[i] = w.delay / 1000;
    w.phase = PHASE_IDLE;
    g_mutex_unlock (&w.lock);
    done++;

    next = dropped + SPACING + g_random_int_range (-SPACING_JITTER,
        SPACING_JITTER + 1);
    if (next > g_get_monotonic_time ())
      g_usleep (next - g_get_monotonic_time ());
  }

  if (done > 0) {
    Summary a = summarize (audio, done), o = summarize (opened, done);
    Summary d = summarize (delays, done);

    g_print ("  reconnect after a drop, %u drops: median %.1f ms, p90 %.1f "
        "ms, max %.1f ms (%" G_GUINT64_FORMAT " discarded spans)\n", done,
        a.median, a.p90, a.max, w.receiver_discarded);
    g_print ("  of which drop -> session opened at the receiver: median %.1f "
        "ms, p90 %.1f ms, max %.1f ms; backoff waited: median %.1f "
        "ms, p90 %.1f ms, max %.1f ms\n", o.median, o.p90, o.max, d.median,
        d.p90, d.max);
  }
  g_object_get (sink, "stats", &stats, NULL);
  codes = gst_structure_get_string (stats, "close-codes");
  g_print ("  genesyssink stats: reconnects %" G_GUINT64_FORMAT
      ", discarded %" G_GUINT64_FORMAT " (%.1f ms in all), "
      "connection-attempts %" G_GUINT64_FORMAT ", close codes %s\n",
      stat_u64 (stats, "reconnects"), stat_u64 (stats, "discarded"),
      stat_u64 (stats, "discarded-duration") / 1e6,
      stat_u64 (stats, "connection-attempts"), codes ? codes : "");
  gst_structure_free (stats);
  g_object_get (src, "stats", &stats, NULL);
  continued = stat_u64 (stats, "sessions-continued");
  g_print ("  genesyssrc stats: sessions %" G_GUINT64_FORMAT
      ", sessions-lost %" G_GUINT64_FORMAT ", sessions-continued %"
      G_GUINT64_FORMAT " (%s), refused-busy %" G_GUINT64_FORMAT "\n",
      stat_u64 (stats, "sessions"), stat_u64 (stats, "sessions-lost"),
      continued, continued == n ? "every drop continued" :
      "NOT every drop continued", stat_u64 (stats, "refused-busy"));
  gst_structure_free (stats);
  if (continued != n)
    ok = FALSE;

  end_call (&w, sender);
  gst_element_set_state (sender, GST_STATE_NULL);
  gst_element_set_state (receiver, GST_STATE_NULL);
  proxy_free (proxy);
  gst_object_unref (sink);
  gst_object_unref (sender);
  gst_object_unref (src);
  gst_object_unref (receiver);
  g_free (w.error);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  g_free (audio);
  g_free (opened);
  g_free (delays);
  return ok;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? atoi (argv[1]) : DEFAULT_DROPS;
  gint64 frame_ms = argc > 2 ? atoi (argv[2]) : 0;
  gboolean ok;

  gst_init (&argc, &argv);
  if (n == 0) {
    g_printerr ("usage: %s [N] [FRAME_MS]\n", argv[0]);
    return 2;
  }
  ok = run (n, 0, FALSE, frame_ms);
  ok = run (n, -1, FALSE, frame_ms) && ok;
  ok = run (n, -1, TRUE, frame_ms) && ok;
  gst_deinit ();
  return ok ? 0 : 1;
}
