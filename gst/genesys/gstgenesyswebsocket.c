/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "gstgenesysdebug.h"
#include "gstgenesyspoller.h"
#include "gstgenesysguard.h"
#include "gstgenesyswebsocket.h"

GST_GENESYS_DEBUG_CATEGORY ("genesyswebsocket",
    "Genesys WebSocket framing on the loop's poller");
#define GST_CAT_DEFAULT ensure_debug_category ()

/* What may wait unwritten for a peer that does not read, at most, beyond
 * which the connection is given up (the guard under a server's connection
 * closes such a peer with 1008 long before). */
#define MAX_QUEUED (64 * 1024 * 1024)
#define READ_CHUNK (16 * 1024)

struct _GstGenesysWs
{
  GstGenesysLoop *loop;
  GstGenesysPoller *poller;
  GIOStream *stream;
  GPollableInputStream *in;
  GPollableOutputStream *out;
  GSocket *socket;
  AhWsRole role;
  gboolean plain;               /* no TLS under the stream: see ws_read() */
  AhWsDecoder *decoder;
  GstGenesysPollerWatch *watch;
  GIOCondition events;
  GstGenesysPollerTimer *again; /* read on, or end, next round */
  GstGenesysPollerTimer *close_timer;   /* the peer's close is due */

  GByteArray *queued;           /* frames not written yet, from queued_off */
  gsize queued_off;

  GstGenesysWsState state;
  gboolean close_sent;
  gboolean close_received;
  gboolean broken;              /* a write failed: end next round */
  gboolean failed;              /* the peer broke the protocol: likewise */
  gushort close_code;
  gchar *close_reason;

  GstGenesysWsCallbacks callbacks;
  gpointer user_data;
  guint dispatching;            /* depth of our own callbacks on the stack */
  gboolean doomed;              /* freed meanwhile: free when they return */
};

static void ws_finish (GstGenesysWs * ws);

/* ws_again() runs in the poller's next round (once started). */
static void
ws_schedule (GstGenesysWs * ws)
{
  if (ws->again)
    gst_genesys_poller_timer_set (ws->again, 0);
}

static void
ws_set_events (GstGenesysWs * ws, GIOCondition events)
{
  if (!ws->watch || ws->events == events)
    return;
  ws->events = events;
  gst_genesys_poller_watch_set_events (ws->watch, events);
}

/* Writes what is queued, as far as the socket takes it. */
static void
ws_flush (GstGenesysWs * ws)
{
  GError *error = NULL;

  while (ws->queued_off < ws->queued->len) {
    gssize n = g_pollable_output_stream_write_nonblocking (ws->out,
        ws->queued->data + ws->queued_off, ws->queued->len - ws->queued_off,
        NULL, &error);

    if (n > 0) {
      ws->queued_off += n;
      continue;
    }
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error (&error);
      ws_set_events (ws, G_IO_IN | G_IO_OUT);
      return;
    }
    GST_DEBUG ("write failed: %s", error ? error->message : "nothing written");
    g_clear_error (&error);
    /* ended from the poller's next round, not from inside a send */
    ws->broken = TRUE;
    ws_schedule (ws);
    return;
  }
  g_byte_array_set_size (ws->queued, 0);
  ws->queued_off = 0;
  ws_set_events (ws, G_IO_IN);
}

static void
ws_queue_frame (GstGenesysWs * ws, AhWsOpcode op, const guint8 * data,
    gsize size)
{
  if (ws->queued->len - ws->queued_off > MAX_QUEUED) {
    GST_WARNING ("the peer reads nothing: %u bytes wait unwritten, ending "
        "the connection", ws->queued->len - (guint) ws->queued_off);
    ws->broken = TRUE;
    ws_schedule (ws);
    return;
  }
  ah_ws_encode (ws->role, op, data, size, ws->queued);
  ws_flush (ws);
}

static void
ws_send_close (GstGenesysWs * ws, gushort code, const gchar * reason)
{
  if (ws->close_sent)
    return;
  ws->close_sent = TRUE;
  ah_ws_encode_close (ws->role, code, reason, ws->queued);
  ws_flush (ws);
}

void
gst_genesys_ws_send (GstGenesysWs * ws, AhWsOpcode op, const guint8 * data,
    gsize size)
{
  g_return_if_fail (op == AH_WS_OP_TEXT || op == AH_WS_OP_BINARY);

  if (ws->state != GST_GENESYS_WS_OPEN)
    return;
  ws_queue_frame (ws, op, data, size);
}

void
gst_genesys_ws_close (GstGenesysWs * ws, gushort code, const gchar * reason)
{
  if (ws->state != GST_GENESYS_WS_OPEN)
    return;
  ws->state = GST_GENESYS_WS_CLOSING;
  ws_send_close (ws, code, reason);
  gst_genesys_poller_timer_set (ws->close_timer, g_get_monotonic_time () +
      GST_GENESYS_WS_CLOSE_TIMEOUT_MS * 1000);
}

/* The connection is failed (RFC 6455 7.1.7): nothing more of the peer's is
 * read, its answer to our close included, so waiting for that answer would
 * only wait for the timeout (and read on for a peer that floods us). The
 * next round ends the connection, our close written first if the socket
 * takes it. */
void
gst_genesys_ws_fail (GstGenesysWs * ws, gushort code, const gchar * reason)
{
  if (ws->state == GST_GENESYS_WS_OPEN)
    gst_genesys_ws_close (ws, code, reason);
  if (ws->state == GST_GENESYS_WS_CLOSED)
    return;
  ws->failed = TRUE;
  ws_schedule (ws);
}

static void
ws_handle_close (GstGenesysWs * ws, AhWsEvent * ev)
{
  ws->close_received = TRUE;
  ws->close_code = ev->code;
  g_free (ws->close_reason);
  ws->close_reason = g_strdup (ev->reason ? ev->reason : "");
  GST_DEBUG ("the peer closed with %u (%s)", ev->code, ws->close_reason);
  /* answered with its own code (none when it gave none) */
  ws->state = GST_GENESYS_WS_CLOSING;
  ws_send_close (ws, ev->code == 1005 ? 0 : ev->code, NULL);
  ws_finish (ws);
}

/* One event of the decoder. */
static void
ws_handle (GstGenesysWs * ws, AhWsEvent * ev)
{
  switch (ev->type) {
    case AH_WS_EVENT_TEXT:
    case AH_WS_EVENT_BINARY:
      if (ws->close_received || !ws->callbacks.message)
        break;
      ws->callbacks.message (ws, ev->type == AH_WS_EVENT_BINARY, ev->payload,
          ws->user_data);
      break;
    case AH_WS_EVENT_PING:
      if (!ws->close_sent) {
        gsize size;
        const guint8 *data = g_bytes_get_data (ev->payload, &size);
        ws_queue_frame (ws, AH_WS_OP_PONG, data, size);
      }
      break;
    case AH_WS_EVENT_PONG:
      break;
    case AH_WS_EVENT_CLOSE:
      ws_handle_close (ws, ev);
      break;
    case AH_WS_EVENT_ERROR:
      GST_INFO ("the peer broke the WebSocket protocol (%s): closing with %u",
          ev->reason, ev->code);
      gst_genesys_ws_fail (ws, ev->code, NULL);
      break;
    case AH_WS_EVENT_NONE:
      break;
  }
}

/* Decodes @size bytes; stops early once the connection ended. */
static void
ws_feed (GstGenesysWs * ws, const guint8 * data, gsize size)
{
  gsize off = 0;

  while (ws->state != GST_GENESYS_WS_CLOSED && !ws->doomed && !ws->failed) {
    AhWsEvent ev = { AH_WS_EVENT_NONE, };
    gsize used = ah_ws_decoder_feed (ws->decoder, data + off, size - off,
        &ev);

    off += used;
    if (ev.type == AH_WS_EVENT_NONE) {
      if (used == 0)
        break;
      continue;
    }
    ws_handle (ws, &ev);
    ah_ws_event_clear (&ev);
  }
}

/* Reads until the stream has nothing more, or this connection had its share
 * of the round. */
static void
ws_read (GstGenesysWs * ws)
{
  guint8 buf[READ_CHUNK];
  gsize total = 0;

  while (ws->state != GST_GENESYS_WS_CLOSED && !ws->doomed && !ws->failed) {
    GError *error = NULL;
    gssize n;

    if (total >= GST_GENESYS_WS_READ_SHARE) {
      ws_schedule (ws);
      return;
    }
    n = g_pollable_input_stream_read_nonblocking (ws->in, buf, sizeof (buf),
        NULL, &error);
    if (n > 0) {
      total += n;
      ws_feed (ws, buf, n);
      /* A plain socket that gave less than asked has nothing more now
       * (the watch is level-triggered: anything later calls again), which
       * saves a read that would only say EAGAIN. Not under TLS, which may
       * hold decrypted bytes the socket no longer shows. */
      if (ws->plain && (gsize) n < sizeof (buf))
        return;
      continue;
    }
    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error (&error);
      return;
    }
    GST_DEBUG ("the connection ended%s%s", error ? ": " : " (end of stream)",
        error ? error->message : "");
    g_clear_error (&error);
    ws_finish (ws);
  }
}

static void
ws_real_free (GstGenesysWs * ws)
{
  ah_ws_decoder_free (ws->decoder);
  g_byte_array_unref (ws->queued);
  g_free (ws->close_reason);
  g_object_unref (ws->stream);
  g_object_unref (ws->socket);
  gst_genesys_loop_unref (ws->loop);
  g_free (ws);
}

static void
ws_enter (GstGenesysWs * ws)
{
  ws->dispatching++;
}

/* FALSE when @ws is gone. */
static gboolean
ws_leave (GstGenesysWs * ws)
{
  if (--ws->dispatching == 0 && ws->doomed) {
    ws_real_free (ws);
    return FALSE;
  }
  return TRUE;
}

static void
ws_ready (GstGenesysPollerWatch * watch, gint fd, GIOCondition ready,
    gpointer data)
{
  GstGenesysWs *ws = data;

  ws_enter (ws);
  if (ready & G_IO_OUT)
    ws_flush (ws);
  if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    ws_read (ws);
  ws_leave (ws);
}

static void
ws_again (GstGenesysPollerTimer * timer, gpointer data)
{
  GstGenesysWs *ws = data;

  ws_enter (ws);
  if (ws->broken || ws->failed)
    ws_finish (ws);
  else
    ws_read (ws);
  ws_leave (ws);
}

static void
ws_close_timeout (GstGenesysPollerTimer * timer, gpointer data)
{
  GstGenesysWs *ws = data;

  GST_DEBUG ("the peer did not answer our close within %u ms",
      GST_GENESYS_WS_CLOSE_TIMEOUT_MS);
  ws_enter (ws);
  ws_finish (ws);
  ws_leave (ws);
}

/* The connection's end: off the poller, the socket shut (no flush, no
 * close_notify that could wait on a peer that reads nothing), the stream
 * closed. */
static void
ws_shut (GstGenesysWs * ws)
{
  if (ws->watch) {
    gst_genesys_poller_watch_remove (ws->watch);
    ws->watch = NULL;
  }
  if (ws->again) {
    gst_genesys_poller_timer_set (ws->again, -1);
    gst_genesys_poller_timer_set (ws->close_timer, -1);
  }
  g_socket_shutdown (ws->socket, TRUE, TRUE, NULL);
  g_io_stream_close (ws->stream, NULL, NULL);
}

static void
ws_finish (GstGenesysWs * ws)
{
  if (ws->state == GST_GENESYS_WS_CLOSED)
    return;
  /* what is queued (our close, say) gets its last chance */
  if (!ws->broken && ws->queued_off < ws->queued->len)
    ws_flush (ws);
  ws->state = GST_GENESYS_WS_CLOSED;
  if (!ws->close_received)
    ws->close_code = 1006;
  ws_shut (ws);
  if (ws->callbacks.closed && !ws->doomed)
    ws->callbacks.closed (ws, ws->user_data);
}

/* Whether @io or a stream it wraps is a TLS connection. */
static gboolean
stream_has_tls (GIOStream * io)
{
  guint depth;

  for (depth = 0; io && depth < 5; depth++) {
    if (G_IS_TLS_CONNECTION (io))
      return TRUE;
    io = gst_genesys_io_stream_base (io);
  }
  return FALSE;
}

GstGenesysWs *
gst_genesys_ws_new (GstGenesysLoop * loop, GIOStream * stream,
    GSocket * socket, AhWsRole role, gsize max_message_size)
{
  GstGenesysWs *ws;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream
          (stream)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM
      (g_io_stream_get_output_stream (stream)), NULL);
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  ws = g_new0 (GstGenesysWs, 1);
  ws->loop = gst_genesys_loop_ref (loop);
  ws->poller = gst_genesys_loop_get_poller (loop);
  ws->stream = g_object_ref (stream);
  ws->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  ws->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  ws->socket = g_object_ref (socket);
  ws->role = role;
  ws->plain = !stream_has_tls (stream);
  ws->decoder = ah_ws_decoder_new (role, max_message_size);
  ws->queued = g_byte_array_new ();
  ws->close_code = 1006;
  return ws;
}

void
gst_genesys_ws_start (GstGenesysWs * ws,
    const GstGenesysWsCallbacks * callbacks, gpointer user_data)
{
  g_return_if_fail (gst_genesys_loop_is_current (ws->loop));
  g_return_if_fail (ws->watch == NULL && ws->again == NULL);

  ws->callbacks = *callbacks;
  ws->user_data = user_data;
  ws->again = gst_genesys_poller_timer_new (ws->poller, ws_again, ws);
  ws->close_timer = gst_genesys_poller_timer_new (ws->poller,
      ws_close_timeout, ws);
  ws->events = G_IO_IN;
  ws->watch = gst_genesys_poller_watch (ws->poller,
      g_socket_get_fd (ws->socket), G_IO_IN, ws_ready, ws);
  /* bytes a layer of the stream read ahead do not wake the poller */
  ws_schedule (ws);
}

void
gst_genesys_ws_free (GstGenesysWs * ws)
{
  if (!ws)
    return;
  g_return_if_fail (gst_genesys_loop_is_current (ws->loop));

  ws->callbacks.message = NULL;
  ws->callbacks.closed = NULL;
  if (ws->state == GST_GENESYS_WS_OPEN) {
    ws_send_close (ws, 1001, NULL);
    ws->close_code = 1006;
  }
  if (ws->state != GST_GENESYS_WS_CLOSED) {
    ws->state = GST_GENESYS_WS_CLOSED;
    ws_shut (ws);
  }
  if (ws->again) {
    gst_genesys_poller_timer_free (ws->again);
    gst_genesys_poller_timer_free (ws->close_timer);
    ws->again = ws->close_timer = NULL;
  }
  if (ws->dispatching) {
    ws->doomed = TRUE;
    return;
  }
  ws_real_free (ws);
}

GstGenesysWsState
gst_genesys_ws_get_state (GstGenesysWs * ws)
{
  return ws->state;
}

gushort
gst_genesys_ws_get_close_code (GstGenesysWs * ws)
{
  return ws->close_code;
}

const gchar *
gst_genesys_ws_get_close_reason (GstGenesysWs * ws)
{
  return ws->close_reason ? ws->close_reason : "";
}
