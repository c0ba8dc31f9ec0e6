/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* genesyssrc mode=client against an in-process WebSocket server (a plain
 * SoupServer on 127.0.0.1 port 0 with a thread of its own) that pushes
 * audio and text, drops connections without a close frame, stalls and
 * refuses upgrades on request. Timestamps are checked under GstHarness
 * with its GstTestClock: the test sets the clock before each frame it
 * sends, so arrival times are exact. */

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include "checkutil.h"

#define WAIT 5000
#define FAST_RETRY "retry-backoff-factor=10000000 retry-backoff-max=50000000"
#define PONG \
  "{\"topicName\":\"channel.metadata\",\"eventBody\":{\"message\":\"pong\"}}"

/* ---- the WebSocket server peer ---- */

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  SoupServer *soup;
  GSocketService *service;
  GTlsCertificate *certificate; /* wss:// with it, NULL: ws:// */
  GMutex lock;
  GCond cond;
  gboolean ready;
  guint port;
  guint status;                 /* answer upgrades with it, 0: upgrade */
  guint requests;
  GPtrArray *conns;             /* SoupWebsocketConnection */
  GPtrArray *headers;           /* GHashTable per connection */
  GAsyncQueue *texts;           /* text frames received, gchar * */
} Peer;

static void
collect_header (const char *name, const char *value, gpointer data)
{
  g_hash_table_replace (data, g_ascii_strdown (name, -1), g_strdup (value));
}

static void
peer_request_cb (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Peer *self = data;

  g_mutex_lock (&self->lock);
  self->requests++;
  if (self->status)
    soup_server_message_set_status (msg, self->status, NULL);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
peer_message_cb (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer data)
{
  Peer *self = data;
  gsize size;
  const gchar *bytes = g_bytes_get_data (message, &size);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    g_async_queue_push (self->texts, g_strndup (bytes, size));
}

static void
peer_websocket_cb (SoupServer * soup, SoupServerMessage * msg,
    const char *path, SoupWebsocketConnection * ws, gpointer data)
{
  Peer *self = data;
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
      collect_header, h);
  g_signal_connect (ws, "message", G_CALLBACK (peer_message_cb), self);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->conns, g_object_ref (ws));
  g_ptr_array_add (self->headers, h);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Connections are accepted here and handed to the SoupServer (its own
 * listener leaks a socket address per call in libsoup 3.2). */
static gboolean
peer_incoming_cb (GSocketService * service, GSocketConnection * connection,
    GObject * source, gpointer data)
{
  Peer *self = data;
  GSocketAddress *local, *remote;
  GError *error = NULL;
  GIOStream *stream = G_IO_STREAM (connection);

  local = g_socket_connection_get_local_address (connection, NULL);
  remote = g_socket_connection_get_remote_address (connection, NULL);
  if (self->certificate) {
    stream = g_tls_server_connection_new (stream, self->certificate, &error);
    g_assert_no_error (error);
  } else {
    g_object_ref (stream);
  }
  if (!soup_server_accept_iostream (self->soup, stream, local, remote, &error)) {
    g_test_message ("test server: accept failed: %s", error->message);
    g_error_free (error);
  }
  g_object_unref (stream);
  g_clear_object (&local);
  g_clear_object (&remote);
  return TRUE;
}

static gpointer
peer_thread (gpointer data)
{
  Peer *self = data;
  GInetAddress *inet;
  GSocketAddress *addr, *bound = NULL;
  guint i;

  g_main_context_push_thread_default (self->context);
  self->soup = g_object_new (SOUP_TYPE_SERVER, NULL);
  soup_server_add_handler (self->soup, NULL, peer_request_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL,
      peer_websocket_cb, self, NULL);
  inet = g_inet_address_new_from_string ("127.0.0.1");
  addr = g_inet_socket_address_new (inet, 0);
  self->service = g_socket_service_new ();
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER
          (self->service), addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
          NULL, &bound, NULL));
  g_signal_connect (self->service, "incoming", G_CALLBACK (peer_incoming_cb),
      self);
  g_socket_service_start (self->service);

  g_mutex_lock (&self->lock);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (inet);

  g_main_loop_run (self->loop);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_object (&self->service);
  for (i = 0; i < self->conns->len; i++) {
    SoupWebsocketConnection *ws = g_ptr_array_index (self->conns, i);
    g_signal_handlers_disconnect_by_data (ws, self);
    if (soup_websocket_connection_get_state (ws) != SOUP_WEBSOCKET_STATE_CLOSED)
      g_io_stream_close (soup_websocket_connection_get_io_stream (ws), NULL,
          NULL);
  }
  g_ptr_array_set_size (self->conns, 0);
  soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static Peer *
peer_new_tls (GTlsCertificate * certificate)
{
  Peer *self = g_new0 (Peer, 1);

  self->certificate = certificate;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->conns = g_ptr_array_new_with_free_func (g_object_unref);
  self->headers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_hash_table_unref);
  self->texts = g_async_queue_new_full (g_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("wspeer", peer_thread, self);
  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

static Peer *
peer_new (void)
{
  return peer_new_tls (NULL);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
peer_free (Peer * self)
{
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->headers);
  g_async_queue_unref (self->texts);
  g_clear_object (&self->certificate);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static gchar *
peer_uri (Peer * self)
{
  return g_strdup_printf ("%s://127.0.0.1:%u/stream",
      self->certificate ? "wss" : "ws", self->port);
}

/* Waits until @n connections were upgraded. */
static void
peer_wait_connections (Peer * self, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->lock);
  while (self->conns->len < n)
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      g_error ("no connection %u within %u ms", n, WAIT);
  g_mutex_unlock (&self->lock);
}

static guint
peer_requests (Peer * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->requests;
  g_mutex_unlock (&self->lock);
  return n;
}

/* A request header of connection @conn (from 1), lower-case name. */
static gchar *
peer_header (Peer * self, guint conn, const gchar * name)
{
  gchar *value;

  g_mutex_lock (&self->lock);
  g_assert_cmpuint (conn, <=, self->headers->len);
  value = g_strdup (g_hash_table_lookup (g_ptr_array_index (self->headers,
              conn - 1), name));
  g_mutex_unlock (&self->lock);
  return value;
}

typedef struct
{
  Peer *peer;
  gboolean binary;
  GBytes *data;
  gboolean drop;
  gboolean done;
} PeerCmd;

static gboolean
peer_cmd_cb (gpointer data)
{
  PeerCmd *cmd = data;
  Peer *self = cmd->peer;
  SoupWebsocketConnection *ws;

  g_mutex_lock (&self->lock);
  ws = self->conns->len ?
      g_object_ref (g_ptr_array_index (self->conns, self->conns->len - 1)) :
      NULL;
  g_mutex_unlock (&self->lock);
  if (ws && soup_websocket_connection_get_state (ws) ==
      SOUP_WEBSOCKET_STATE_OPEN) {
    if (cmd->drop) {
      /* no close frame: the TCP connection just goes */
      g_io_stream_close (soup_websocket_connection_get_io_stream (ws), NULL,
          NULL);
    } else if (cmd->binary) {
      soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_BINARY,
          cmd->data);
    } else {
      soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_TEXT,
          cmd->data);
    }
  }
  g_clear_object (&ws);
  g_mutex_lock (&self->lock);
  cmd->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

/* Runs on the peer thread and waits for it. */
static void
peer_run (Peer * self, gboolean binary, gboolean drop, const void *data,
    gsize size)
{
  PeerCmd cmd = { self, binary, NULL, drop, FALSE };

  if (data)
    cmd.data = g_bytes_new (data, size);
  g_main_context_invoke (self->context, peer_cmd_cb, &cmd);
  g_mutex_lock (&self->lock);
  while (!cmd.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (cmd.data)
    g_bytes_unref (cmd.data);
}

static void
peer_send_text (Peer * self, const gchar * text)
{
  peer_run (self, FALSE, FALSE, text, strlen (text));
}

/* @samples bytes of @value (one PCMU sample each) */
static void
peer_send_audio (Peer * self, guint samples, guint8 value)
{
  guint8 *data = g_malloc (samples);

  memset (data, value, samples);
  peer_run (self, TRUE, FALSE, data, samples);
  g_free (data);
}

static void
peer_drop (Peer * self)
{
  peer_run (self, FALSE, TRUE, NULL, 0);
}

static gboolean
stall_cb (gpointer data)
{
  g_usleep (GPOINTER_TO_UINT (data) * 1000);
  return G_SOURCE_REMOVE;
}

/* Blocks the peer thread for @ms (no pongs, nothing); returns at once. */
static void
peer_stall (Peer * self, guint ms)
{
  g_main_context_invoke (self->context, stall_cb, GUINT_TO_POINTER (ms));
}

/* ---- the element ---- */

typedef struct
{
  Peer *peer;
  GstElement *src;
  GstHarness *h;
  GstBus *bus;
  GstTestClock *clock;
  const gchar *extra_headers;   /* set before fixture_start() */
} Fixture;

static void
fixture_start (Fixture * f, const gchar * props)
{
  gchar *uri;

  if (f->peer == NULL)
    f->peer = peer_new ();
  uri = peer_uri (f->peer);
  f->src = gst_element_factory_make ("genesyssrc", NULL);
  g_assert_nonnull (f->src);
  g_object_set (f->src, "uri", uri, NULL);
  gst_util_set_object_arg (G_OBJECT (f->src), "mode", "client");
  g_free (uri);
  check_set_props (f->src, props);
  if (f->extra_headers)
    gst_util_set_object_arg (G_OBJECT (f->src), "extra-headers",
        f->extra_headers);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->src, f->bus);
  f->h = gst_harness_new_with_element (f->src, NULL, "src");
  f->clock = gst_harness_get_testclock (f->h);
  gst_harness_play (f->h);
}

static void
fixture_stop (Fixture * f)
{
  gst_object_unref (f->clock);
  gst_harness_teardown (f->h);
  gst_element_set_bus (f->src, NULL);
  gst_object_unref (f->src);
  gst_object_unref (f->bus);
  peer_free (f->peer);
}

static void
check_buffer (GstBuffer * buf, GstClockTime pts, guint64 offset,
    guint64 samples, guint8 value, gboolean discont)
{
  GstMapInfo map;
  gsize i;

  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, pts);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==,
      gst_util_uint64_scale_int (samples, GST_SECOND, 8000));
  g_assert_cmpuint (GST_BUFFER_OFFSET (buf), ==, offset);
  g_assert_cmpuint (GST_BUFFER_OFFSET_END (buf), ==, offset + samples);
  g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT), ==,
      discont);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_assert_cmpuint (map.size, ==, samples);
  for (i = 0; i < map.size; i++)
    g_assert_cmpuint (map.data[i], ==, value);
  gst_buffer_unmap (buf, &map);
}

/* Sets the clock to @at, sends a 20 ms frame and pulls its buffer. */
static void
frame_at (Fixture * f, GstClockTime at, guint8 value, GstClockTime pts,
    guint64 offset, gboolean discont)
{
  GstBuffer *buf;

  gst_test_clock_set_time (f->clock, at);
  peer_send_audio (f->peer, 160, value);
  buf = gst_harness_pull (f->h);
  g_assert_nonnull (buf);
  check_buffer (buf, pts, offset, 160, value, discont);
  gst_buffer_unref (buf);
}

/* ---- tests ---- */

static void
test_audio (void)
{
  Fixture f = { 0 };
  GstEvent *ev;
  GstCaps *caps, *expected;

  fixture_start (&f, NULL);
  peer_wait_connections (f.peer, 1);
  /* each frame arrives when its last sample is due */
  frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);
  frame_at (&f, 40 * GST_MSECOND, 2, 20 * GST_MSECOND, 160, FALSE);
  frame_at (&f, 60 * GST_MSECOND, 3, 40 * GST_MSECOND, 320, FALSE);

  ev = check_pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  expected = gst_caps_from_string ("audio/x-mulaw, rate=(int)8000, "
      "channels=(int)1");
  g_assert_true (gst_caps_is_equal (caps, expected));
  gst_caps_unref (expected);
  gst_event_unref (ev);

  g_assert_cmpuint (check_stat_u64 (f.src, "frames"), ==, 3);
  g_assert_cmpuint (check_stat_u64 (f.src, "bytes"), ==, 480);
  g_assert_cmpuint (check_stat_u64 (f.src, "connections"), ==, 1);
  fixture_stop (&f);
}

static void
test_audio_l16_stereo (void)
{
  Fixture f = { 0 };
  GstEvent *ev;
  GstCaps *caps;
  GstBuffer *buf;
  GstStructure *s;
  gint channels = 0;
  guint8 data[641];

  fixture_start (&f, "caps=audio/x-raw,format=S16LE,rate=8000,channels=2,"
      "layout=interleaved");
  peer_wait_connections (f.peer, 1);
  gst_test_clock_set_time (f.clock, 20 * GST_MSECOND);
  memset (data, 7, sizeof (data));
  /* 160 sample frames of 4 bytes, and a stray byte that is dropped */
  peer_run (f.peer, TRUE, FALSE, data, sizeof (data));
  buf = gst_harness_pull (f.h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 0);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==, 20 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_OFFSET_END (buf), ==, 160);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, 640);
  gst_buffer_unref (buf);
  ev = check_pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  s = gst_caps_get_structure (caps, 0);
  g_assert_true (gst_structure_has_name (s, "audio/x-raw"));
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "S16LE");
  g_assert_true (gst_structure_get_int (s, "channels", &channels));
  g_assert_cmpint (channels, ==, 2);
  gst_event_unref (ev);
  fixture_stop (&f);
}

static void
test_bad_caps (void)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (src, "uri", "ws://127.0.0.1:9/x", NULL);
  gst_util_set_object_arg (G_OBJECT (src), "mode", "client");
  gst_util_set_object_arg (G_OBJECT (src), "caps",
      "audio/x-raw,format=S16BE,rate=8000,channels=1");
  gst_element_set_bus (src, bus);
  g_assert_cmpint (gst_element_set_state (src, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, NULL);
  g_assert_nonnull (strstr (err->message, "not supported"));
  g_test_message ("%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
}

static void
test_text_and_ping (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  gchar *text, *auth;
  JsonParser *parser;
  JsonObject *root, *body;

  f.extra_headers = "h, Authorization=(string)\"Bearer T0k3n\"";
  fixture_start (&f, NULL);
  peer_wait_connections (f.peer, 1);

  auth = peer_header (f.peer, 1, "authorization");
  g_assert_cmpstr (auth, ==, "Bearer T0k3n");
  g_free (auth);

  peer_send_text (f.peer, "{\"topicName\":\"channel.metadata\","
      "\"eventBody\":{\"message\":\"WebSocket Heartbeat\"}}");
  s = check_expect_element (f.bus, "genesys-text", WAIT);
  g_assert_nonnull (strstr (gst_structure_get_string (s, "text"),
          "WebSocket Heartbeat"));
  gst_structure_free (s);
  /* not JSON, and JSON whose message is not a string: just text */
  peer_send_text (f.peer, "hello");
  s = check_expect_element (f.bus, "genesys-text", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "text"), ==, "hello");
  gst_structure_free (s);
  peer_send_text (f.peer, "{\"message\":[1]}");
  gst_structure_free (check_expect_element (f.bus, "genesys-text", WAIT));

  peer_send_text (f.peer, "{\"message\":\"ping\"}");
  s = check_expect_element (f.bus, "genesys-text", WAIT);
  g_assert_cmpstr (gst_structure_get_string (s, "text"), ==,
      "{\"message\":\"ping\"}");
  gst_structure_free (s);
  text = g_async_queue_timeout_pop (f.peer->texts, WAIT * 1000);
  g_assert_nonnull (text);
  g_assert_cmpstr (text, ==, PONG);
  parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "topicName"), ==,
      "channel.metadata");
  body = json_object_get_object_member (root, "eventBody");
  g_assert_cmpstr (json_object_get_string_member (body, "message"), ==, "pong");
  g_object_unref (parser);
  g_free (text);
  /* only the ping was answered */
  g_assert_null (g_async_queue_timeout_pop (f.peer->texts, 200 * 1000));
  g_assert_cmpuint (check_stat_u64 (f.src, "pings"), ==, 1);
  fixture_stop (&f);
}

/* A drop without a close frame: reconnect, and a GAP of exactly the time
 * from the last audio before the drop to the first audio after it, on the
 * pipeline clock. */
static void
test_drop_gap (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  GstEvent *ev;
  GstClockTime ts, duration;
  guint64 gap;
  gboolean clean = TRUE;

  fixture_start (&f, FAST_RETRY);
  peer_wait_connections (f.peer, 1);
  frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);
  frame_at (&f, 40 * GST_MSECOND, 2, 20 * GST_MSECOND, 160, FALSE);

  peer_drop (f.peer);
  s = check_expect_element (f.bus, "genesys-disconnected", WAIT);
  g_assert_true (gst_structure_get_boolean (s, "clean", &clean));
  g_assert_false (clean);
  g_assert_cmpuint (g_value_get_uint (gst_structure_get_value (s, "code")),
      ==, 1006);
  gst_structure_free (s);
  gst_structure_free (check_expect_element (f.bus, "genesys-reconnecting",
          WAIT));
  peer_wait_connections (f.peer, 2);

  /* the first frame after the reconnect ends at 560 ms: it starts 500 ms
   * after the last sample before the drop */
  gst_test_clock_set_time (f.clock, 560 * GST_MSECOND);
  peer_send_audio (f.peer, 160, 3);
  s = check_expect_element (f.bus, "genesys-reconnected", WAIT);
  g_assert_true (gst_structure_get_uint64 (s, "gap", &gap));
  g_assert_cmpuint (gap, ==, 500 * GST_MSECOND);
  gst_structure_free (s);

  ev = check_pull_event_of_type (f.h, GST_EVENT_GAP);
  gst_event_parse_gap (ev, &ts, &duration);
  g_assert_cmpuint (ts, ==, 40 * GST_MSECOND);
  g_assert_cmpuint (duration, ==, gap);
  gst_event_unref (ev);
  s = check_expect_element (f.bus, "genesys-gap", WAIT);
  gst_structure_free (s);
  {
    GstBuffer *buf = gst_harness_pull (f.h);
    check_buffer (buf, 540 * GST_MSECOND, 4320, 160, 3, TRUE);
    gst_buffer_unref (buf);
  }
  frame_at (&f, 580 * GST_MSECOND, 4, 560 * GST_MSECOND, 4480, FALSE);

  g_assert_cmpuint (check_stat_u64 (f.src, "reconnects"), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.src, "connections"), ==, 2);
  g_assert_cmpuint (check_stat_u64 (f.src, "gap-duration"), ==,
      500 * GST_MSECOND);
  fixture_stop (&f);
}

/* The same outage as silence with gap-mode=silence. */
static void
test_drop_silence (void)
{
  Fixture f = { 0 };
  GstBuffer *buf;

  fixture_start (&f, FAST_RETRY " gap-mode=silence");
  peer_wait_connections (f.peer, 1);
  frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);
  peer_drop (f.peer);
  gst_structure_free (check_expect_element (f.bus, "genesys-reconnecting",
          WAIT));
  peer_wait_connections (f.peer, 2);

  /* from 20 ms to 320 ms: 2400 samples of PCMU silence */
  gst_test_clock_set_time (f.clock, 340 * GST_MSECOND);
  peer_send_audio (f.peer, 160, 5);
  buf = gst_harness_pull (f.h);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP));
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
  check_buffer (buf, 20 * GST_MSECOND, 160, 2400, 0xff, TRUE);
  gst_buffer_unref (buf);
  buf = gst_harness_pull (f.h);
  check_buffer (buf, 320 * GST_MSECOND, 2560, 160, 5, TRUE);
  gst_buffer_unref (buf);
  fixture_stop (&f);
}

/* An upgrade refused with @status: an element error with @code, never
 * retried. */
static void
check_refused (guint status, gint code, const gchar * text)
{
  Fixture f = { 0 };
  GstMessage *msg;
  GError *err = NULL;

  f.peer = peer_new ();
  f.peer->status = status;
  fixture_start (&f, FAST_RETRY);
  msg = gst_bus_timed_pop_filtered (f.bus, WAIT * GST_MSECOND,
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, NULL);
  g_test_message ("%s", err->message);
  g_assert_true (g_error_matches (err, GST_RESOURCE_ERROR, code));
  g_assert_nonnull (strstr (err->message, text));
  g_error_free (err);
  gst_message_unref (msg);
  /* never retried */
  g_usleep (300 * 1000);
  g_assert_cmpuint (peer_requests (f.peer), ==, 1);
  g_assert_cmpuint (check_stat_u64 (f.src, "reconnects"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (f.src, "connection-attempts"), ==, 1);
  fixture_stop (&f);
}

static void
test_unauthorized (void)
{
  check_refused (SOUP_STATUS_UNAUTHORIZED, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "401");
}

static void
test_forbidden (void)
{
  check_refused (SOUP_STATUS_FORBIDDEN, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "403");
}

static void
test_not_found (void)
{
  check_refused (SOUP_STATUS_NOT_FOUND, GST_RESOURCE_ERROR_OPEN_READ, "404");
}

/* The server stops answering WebSocket pings: the watchdog takes the
 * connection for dead and the element reconnects. */
static void
test_watchdog (void)
{
  Fixture f = { 0 };
  GstStructure *s;
  gint64 start, elapsed;

  fixture_start (&f, FAST_RETRY " keepalive-interval=1000000000"
      " keepalive-timeout=1000000000");
  peer_wait_connections (f.peer, 1);
  frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);

  start = g_get_monotonic_time ();
  peer_stall (f.peer, 4000);
  s = check_expect_element (f.bus, "genesys-disconnected", WAIT);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("watchdog fired after %" G_GINT64_FORMAT " ms: %s",
      elapsed / 1000, gst_structure_get_string (s, "cause"));
  g_assert_nonnull (strstr (gst_structure_get_string (s, "cause"), "pong"));
  g_assert_cmpint (elapsed, <, 3500 * 1000);
  gst_structure_free (s);
  gst_structure_free (check_expect_element (f.bus, "genesys-reconnecting",
          WAIT));
  peer_wait_connections (f.peer, 2);
  g_assert_cmpuint (check_stat_u64 (f.src, "keepalive-timeouts"), ==, 1);

  /* audio again: placed where it arrives, after a gap */
  gst_test_clock_set_time (f.clock, 5 * GST_SECOND);
  peer_send_audio (f.peer, 160, 2);
  s = check_expect_element (f.bus, "genesys-reconnected", WAIT);
  gst_structure_free (s);
  {
    GstBuffer *buf = gst_harness_pull (f.h);
    check_buffer (buf, 5 * GST_SECOND - 20 * GST_MSECOND, 39840, 160, 2, TRUE);
    gst_buffer_unref (buf);
  }
  fixture_stop (&f);
}

static gboolean
close_normal_cb (gpointer data)
{
  soup_websocket_connection_close (data, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
  return G_SOURCE_REMOVE;
}

static const gchar *tls_dir;

static void
check_tls (const gchar * props, gboolean with_ca, gboolean works)
{
  Fixture f = { 0 };
  gchar *cert, *key, *all;
  GError *error = NULL;

  if (!(tls_dir = check_tls_dir ())) {
    g_test_skip ("openssl could not make a certificate");
    return;
  }
  cert = g_build_filename (tls_dir, "cert.pem", NULL);
  key = g_build_filename (tls_dir, "key.pem", NULL);
  f.peer = peer_new_tls (g_tls_certificate_new_from_files (cert, key, &error));
  g_assert_no_error (error);
  all = with_ca ? g_strconcat (props, " tls-ca-file=", cert, NULL) :
      g_strdup (props);
  fixture_start (&f, all);
  g_free (all);
  if (works) {
    peer_wait_connections (f.peer, 1);
    frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);
  } else {
    GstMessage *msg = gst_bus_timed_pop_filtered (f.bus, WAIT * GST_MSECOND,
        GST_MESSAGE_ERROR);
    GError *err;
    g_assert_nonnull (msg);
    gst_message_parse_error (msg, &err, NULL);
    g_test_message ("error: %s", err->message);
    g_assert_nonnull (strstr (err->message, "TLS"));
    g_error_free (err);
    gst_message_unref (msg);
    /* never retried */
    g_usleep (300 * 1000);
    g_assert_cmpuint (check_stat_u64 (f.src, "connection-attempts"), ==, 1);
    g_assert_cmpuint (check_stat_u64 (f.src, "reconnects"), ==, 0);
  }
  g_free (cert);
  g_free (key);
  fixture_stop (&f);
}

static void
test_tls_refused (void)
{
  check_tls (FAST_RETRY, FALSE, FALSE);
}

static void
test_tls_ca_file (void)
{
  check_tls (FAST_RETRY, TRUE, TRUE);
}

static void
test_tls_no_validation (void)
{
  check_tls (FAST_RETRY " tls-validation=false", FALSE, TRUE);
}

/* A close frame with 1000 ends the stream. */
static void
test_normal_close_eos (void)
{
  Fixture f = { 0 };
  GstEvent *ev;

  fixture_start (&f, FAST_RETRY);
  peer_wait_connections (f.peer, 1);
  frame_at (&f, 20 * GST_MSECOND, 1, 0, 0, TRUE);
  {
    SoupWebsocketConnection *ws;
    g_mutex_lock (&f.peer->lock);
    ws = g_object_ref (g_ptr_array_index (f.peer->conns, 0));
    g_mutex_unlock (&f.peer->lock);
    /* soup_websocket_connection_close is thread-unsafe: do it there */
    g_main_context_invoke_full (f.peer->context, G_PRIORITY_DEFAULT,
        close_normal_cb, ws, g_object_unref);
  }
  ev = check_pull_event_of_type (f.h, GST_EVENT_EOS);
  g_assert_nonnull (ev);
  gst_event_unref (ev);
  g_assert_cmpuint (check_stat_u64 (f.src, "reconnects"), ==, 0);
  fixture_stop (&f);
}

/* The original report in client mode: a one-hour call whose WebSocket
 * drops without a close frame every 45 s of clock time, with 1.3 s to
 * 2.9 s before audio flows again. With no positions on the wire each gap is
 * measured on the pipeline clock; here frames arrive exactly when their
 * last sample is due, so each gap equals its outage exactly (in general,
 * within one frame). */
static void
test_hour_of_drops (void)
{
  Fixture f = { 0 };
  const guint64 frame = 1600, call = 3600 * 8000, every = 45 * 8000;
  guint64 t = 0, next_drop = every, outages = 0, gaps = 0, audio = 0;
  GstClockTime end = 0;
  guint drops = 0, discont = 0, connections = 1;

  fixture_start (&f, FAST_RETRY);
  peer_wait_connections (f.peer, 1);
  while (t < call) {
    GstBuffer *buf;
    GstEvent *ev;
    guint64 n;

    if (t >= next_drop) {
      guint64 outage = 8000 * 13 / 10 + (drops % 5) * 3200;
      peer_drop (f.peer);
      gst_structure_free (check_expect_element (f.bus, "genesys-disconnected",
              WAIT));
      peer_wait_connections (f.peer, ++connections);
      t += outage;
      outages += outage;
      drops++;
      next_drop += every;
    }
    n = MIN (frame, call - t);
    gst_test_clock_set_time (f.clock, gst_util_uint64_scale_int (t + n,
            GST_SECOND, 8000));
    peer_send_audio (f.peer, n, 0x33);
    buf = gst_harness_pull (f.h);
    g_assert_nonnull (buf);
    while ((ev = gst_harness_try_pull_event (f.h))) {
      if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
        GstClockTime ts, d;
        gst_event_parse_gap (ev, &ts, &d);
        g_assert_cmpuint (ts, ==, end);
        end = ts + d;
        gaps += gst_util_uint64_scale_int (d, 8000, GST_SECOND);
      }
      gst_event_unref (ev);
    }
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, end);
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      discont++;
    end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    audio += gst_buffer_get_size (buf);
    gst_buffer_unref (buf);
    t += n;
  }

  g_test_message ("%u drops, %" G_GUINT64_FORMAT " samples of gaps for %"
      G_GUINT64_FORMAT " of outage, %u DISCONT", drops, gaps, outages, discont);
  g_assert_cmpuint (drops, ==, 79);
  /* the hour to the sample: audio plus gaps */
  g_assert_cmpuint (audio + gaps, ==, call);
  g_assert_cmpuint (end, ==, 3600 * GST_SECOND);
  g_assert_cmpuint (gaps, ==, outages);
  g_assert_cmpuint (discont, ==, drops + 1);
  g_assert_cmpuint (check_stat_u64 (f.src, "late-duration"), ==, 0);
  g_assert_cmpuint (check_stat_u64 (f.src, "reconnects"), ==, drops);
  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/genesyssrc-client/audio", test_audio);
  g_test_add_func ("/genesyssrc-client/audio-l16-stereo",
      test_audio_l16_stereo);
  g_test_add_func ("/genesyssrc-client/bad-caps", test_bad_caps);
  g_test_add_func ("/genesyssrc-client/text-ping-headers", test_text_and_ping);
  g_test_add_func ("/genesyssrc-client/drop-gap", test_drop_gap);
  g_test_add_func ("/genesyssrc-client/hour-of-drops", test_hour_of_drops);
  g_test_add_func ("/genesyssrc-client/drop-silence", test_drop_silence);
  g_test_add_func ("/genesyssrc-client/unauthorized", test_unauthorized);
  g_test_add_func ("/genesyssrc-client/forbidden", test_forbidden);
  g_test_add_func ("/genesyssrc-client/not-found", test_not_found);
  g_test_add_func ("/genesyssrc-client/watchdog", test_watchdog);
  g_test_add_func ("/genesyssrc-client/normal-close-eos",
      test_normal_close_eos);
  g_test_add_func ("/genesyssrc-client/tls-refused", test_tls_refused);
  g_test_add_func ("/genesyssrc-client/tls-ca-file", test_tls_ca_file);
  g_test_add_func ("/genesyssrc-client/tls-no-validation",
      test_tls_no_validation);
  ret = g_test_run ();
  check_tls_dir_remove ();
  return ret;
}
