/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <glib/gstdio.h>
#include "checkutil.h"

void
check_set_props (GstElement * e, const gchar * props)
{
  gchar **kv, **p;

  kv = g_strsplit (props ? props : "", " ", -1);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
}

GstHarness *
check_src_start (const gchar * props, GstBus ** bus, guint * port)
{
  GstElement *src = gst_element_factory_make ("genesyssrc", NULL);
  GstHarness *h;

  g_assert_nonnull (src);
  g_object_set (src, "port", 0, "address", "127.0.0.1", NULL);
  check_set_props (src, props);
  *bus = gst_bus_new ();
  gst_element_set_bus (src, *bus);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_object_unref (src);
  gst_harness_play (h);
  g_object_get (src, "current-port", port, NULL);
  g_assert_cmpuint (*port, >, 0);
  return h;
}

void
check_src_stop (GstHarness * h, GstBus * bus)
{
  GstElement *src = gst_object_ref (h->element);

  gst_harness_teardown (h);
  gst_element_set_bus (src, NULL);
  gst_object_unref (src);
  gst_object_unref (bus);
}

GstStructure *
check_wait_element (GstBus * bus, const gchar * name, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (TRUE) {
    gint64 left = end - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      return NULL;
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (!msg)
      return NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err;
      gchar *dbg;
      gst_message_parse_error (msg, &err, &dbg);
      g_error ("error while waiting for %s: %s (%s)", name, err->message, dbg);
    }
    if (gst_structure_has_name (gst_message_get_structure (msg), name)) {
      GstStructure *s = gst_structure_copy (gst_message_get_structure (msg));
      gst_message_unref (msg);
      return s;
    }
    gst_message_unref (msg);
  }
}

GstStructure *
check_expect_element (GstBus * bus, const gchar * name, guint timeout_ms)
{
  GstStructure *s = check_wait_element (bus, name, timeout_ms);

  if (!s)
    g_error ("no %s message within %u ms", name, timeout_ms);
  return s;
}

guint64
check_stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *stats;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &stats, NULL);
  if (!gst_structure_get_uint64 (stats, field, &v)) {
    gchar *str = gst_structure_to_string (stats);
    g_error ("no %s in %s", field, str);
  }
  gst_structure_free (stats);
  return v;
}

static gpointer
stop_thread (gpointer data)
{
  gst_element_set_state (GST_ELEMENT (data), GST_STATE_NULL);
  return NULL;
}

GThread *
check_stop_in_thread (GstElement * e)
{
  return g_thread_new ("stop", stop_thread, e);
}

GstEvent *
check_pull_event_of_type (GstHarness * h, GstEventType type)
{
  while (TRUE) {
    GstEvent *ev = gst_harness_pull_event (h);
    if (!ev)
      return NULL;
    if (GST_EVENT_TYPE (ev) == type)
      return ev;
    gst_event_unref (ev);
  }
}

static gchar *tls_dir;
static gboolean tls_made;

const gchar *
check_tls_dir (void)
{
  gchar *cmd;
  gint status = -1;

  if (tls_dir)
    return tls_made ? tls_dir : NULL;
  tls_dir = g_dir_make_tmp ("genesys-check-tls-XXXXXX", NULL);
  g_assert_nonnull (tls_dir);
  cmd = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes "
      "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1", tls_dir, tls_dir);
  tls_made = g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL);
  g_free (cmd);
  return tls_made ? tls_dir : NULL;
}

void
check_tls_dir_remove (void)
{
  gchar *cert, *key;

  if (!tls_dir)
    return;
  cert = g_build_filename (tls_dir, "cert.pem", NULL);
  key = g_build_filename (tls_dir, "key.pem", NULL);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (tls_dir);
  g_free (cert);
  g_free (key);
  g_clear_pointer (&tls_dir, g_free);
  tls_made = FALSE;
}

#define WS_HEAD_WAIT_MS 5000

/* Reads what arrives within @timeout_ms into ws->unread; FALSE when nothing
 * came by then or the connection ended. */
static gboolean
ws_read_more (CheckWs * ws, guint timeout_ms)
{
  guint8 buf[4096];
  GError *error = NULL;
  gssize n;

  if (ws->ended)
    return FALSE;
  if (!g_socket_condition_timed_wait (ws->socket, G_IO_IN,
          (gint64) timeout_ms * 1000, NULL, &error)) {
    g_error_free (error);
    return FALSE;
  }
  n = g_socket_receive (ws->socket, (gchar *) buf, sizeof (buf), NULL, &error);
  if (n <= 0) {
    /* end of stream, or a reset */
    g_clear_error (&error);
    ws->ended = TRUE;
    return FALSE;
  }
  g_byte_array_append (ws->unread, buf, n);
  return TRUE;
}

static guint
ms_left (gint64 end)
{
  gint64 left = end - g_get_monotonic_time ();

  return left > 0 ? (guint) ((left + 999) / 1000) : 0;
}

CheckWs *
check_ws_connect (guint port, const gchar * path, const gchar * extra_headers)
{
  CheckWs *ws = g_new0 (CheckWs, 1);
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("127.0.0.1",
      port);
  GError *error = NULL;
  gint64 end = g_get_monotonic_time () + WS_HEAD_WAIT_MS * 1000;
  gchar *request, *blank = NULL;

  ws->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (ws->socket, addr, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (addr);
  ws->session_id = g_uuid_string_random ();
  ws->decoder = ah_ws_decoder_new (AH_WS_ROLE_CLIENT, 16 * 1024 * 1024);
  ws->unread = g_byte_array_new ();

  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Audiohook-Organization-Id: d7934305-0972-4844-938e-9060eef73d05\r\n"
      "Audiohook-Session-Id: %s\r\nAudiohook-Correlation-Id: %s\r\n%s\r\n",
      path, port, ws->session_id, ws->session_id,
      extra_headers ? extra_headers : "");
  check_ws_write (ws, request, strlen (request));
  g_free (request);

  while (!blank && ws_read_more (ws, ms_left (end))) {
    g_byte_array_append (ws->unread, (const guint8 *) "", 1);
    blank = strstr ((gchar *) ws->unread->data, "\r\n\r\n");
    g_byte_array_set_size (ws->unread, ws->unread->len - 1);
  }
  if (!blank)
    g_error ("no answer to the upgrade within %u ms", WS_HEAD_WAIT_MS);
  ws->head = g_strndup ((gchar *) ws->unread->data,
      blank + 4 - (gchar *) ws->unread->data);
  g_byte_array_remove_range (ws->unread, 0, strlen (ws->head));
  return ws;
}

void
check_ws_free (CheckWs * ws)
{
  g_socket_close (ws->socket, NULL);
  g_object_unref (ws->socket);
  ah_ws_decoder_free (ws->decoder);
  g_byte_array_unref (ws->unread);
  g_free (ws->head);
  g_free (ws->session_id);
  g_free (ws);
}

void
check_ws_write (CheckWs * ws, gconstpointer data, gsize size)
{
  gsize off = 0;

  while (off < size) {
    GError *error = NULL;
    gssize n = g_socket_send (ws->socket, (const gchar *) data + off,
        size - off, NULL, &error);

    g_assert_no_error (error);
    off += n;
  }
}

void
check_ws_frame (GByteArray * out, guint8 b0, gconstpointer payload, gsize size)
{
  guint start = out->len;

  ah_ws_encode (AH_WS_ROLE_CLIENT, b0 & 0x0f, payload, size, out);
  out->data[start] = b0;
}

void
check_ws_send (CheckWs * ws, guint8 b0, gconstpointer payload, gsize size)
{
  GByteArray *frame = g_byte_array_new ();

  check_ws_frame (frame, b0, payload, size);
  check_ws_write (ws, frame->data, frame->len);
  g_byte_array_unref (frame);
}

void
check_ws_send_close (CheckWs * ws, gushort code, const gchar * reason)
{
  GByteArray *frame = g_byte_array_new ();

  ah_ws_encode_close (AH_WS_ROLE_CLIENT, code, reason, frame);
  check_ws_write (ws, frame->data, frame->len);
  g_byte_array_unref (frame);
}

gboolean
check_ws_next (CheckWs * ws, AhWsEvent * ev, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  memset (ev, 0, sizeof (*ev));
  do {
    while (ws->unread->len > 0) {
      gsize used = ah_ws_decoder_feed (ws->decoder, ws->unread->data,
          ws->unread->len, ev);

      g_byte_array_remove_range (ws->unread, 0, used);
      if (ev->type != AH_WS_EVENT_NONE)
        return TRUE;
    }
  } while (ws_read_more (ws, ms_left (end)));
  return FALSE;
}

gushort
check_ws_expect_close (CheckWs * ws, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  AhWsEvent ev;

  while (check_ws_next (ws, &ev, ms_left (end))) {
    AhWsEventType type = ev.type;
    gushort code = ev.code;

    ah_ws_event_clear (&ev);
    if (type == AH_WS_EVENT_CLOSE)
      return code;
  }
  return 0;
}

gboolean
check_ws_wait_end (CheckWs * ws, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  AhWsEvent ev;

  while (check_ws_next (ws, &ev, ms_left (end)))
    ah_ws_event_clear (&ev);
  return ws->ended;
}
