/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The server's own WebSocket framing (gstgenesyswebsocket.c) on the wire:
 * a genesyssrc in server mode against a raw client (checkutil's CheckWs)
 * that writes its upgrade and its frames by hand. Each case checks what
 * the client reads and what the element says on its bus. */

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>
#include "checkutil.h"

#define PATH "/api/v1/audiohook/ws"
#define WAIT 3000
#define FIN 0x80
#define RSV1 0x40
#define AUDIO_BYTES 1600        /* 200 ms of PCMU at 8 kHz */

typedef struct
{
  GstElement *src;
  GstHarness *h;
  GstBus *bus;
  guint port;
  CheckWs *ws;
} Fixture;

static void
fixture_start (Fixture * f, const gchar * props)
{
  f->h = check_src_start (props, &f->bus, &f->port);
  f->src = f->h->element;
  f->ws = NULL;
}

static void
fixture_stop (Fixture * f)
{
  if (f->ws)
    check_ws_free (f->ws);
  check_src_stop (f->h, f->bus);
}

/* An AudioHook client message of @type (seq @seq) as JSON text. */
static gchar *
client_message (CheckWs * ws, const gchar * type, guint seq,
    const gchar * params)
{
  return g_strdup_printf ("{\"version\":\"2\",\"id\":\"%s\",\"type\":\"%s\","
      "\"seq\":%u,\"serverseq\":%u,\"position\":\"PT0S\",\"parameters\":%s}",
      ws->session_id, type, seq, seq - 1, params);
}

static gchar *
open_message (CheckWs * ws)
{
  gchar *params = g_strdup_printf ("{\"organizationId\":"
      "\"d7934305-0972-4844-938e-9060eef73d05\",\"conversationId\":\"%s\","
      "\"participant\":{\"id\":\"%s\",\"ani\":\"+15551234567\","
      "\"aniName\":\"Caller\",\"dnis\":\"+15557654321\"},\"media\":["
      "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],"
      "\"rate\":8000}],\"language\":\"en-US\"}", ws->session_id,
      ws->session_id);
  gchar *text = client_message (ws, "open", 1, params);

  g_free (params);
  return text;
}

/* The type of a server text message, or NULL. */
static gchar *
message_type (GBytes * payload)
{
  JsonParser *parser = json_parser_new ();
  gchar *type = NULL;
  gsize size;
  const gchar *text = g_bytes_get_data (payload, &size);

  if (json_parser_load_from_data (parser, text, size, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    type = g_strdup (json_object_get_string_member_with_default
        (json_node_get_object (json_parser_get_root (parser)), "type", NULL));
  g_object_unref (parser);
  return type;
}

/* Skips frames up to a text message of @type; FALSE when none came within
 * WAIT. */
static gboolean
expect_message (CheckWs * ws, const gchar * type)
{
  gint64 end = g_get_monotonic_time () + WAIT * 1000;
  AhWsEvent ev;

  while (check_ws_next (ws, &ev, MAX (0, (end - g_get_monotonic_time ())
              / 1000))) {
    gchar *got = ev.type == AH_WS_EVENT_TEXT ? message_type (ev.payload) : NULL;
    gboolean match = g_strcmp0 (got, type) == 0;

    g_free (got);
    ah_ws_event_clear (&ev);
    if (match)
      return TRUE;
  }
  return FALSE;
}

static void
send_text (CheckWs * ws, const gchar * text)
{
  check_ws_send (ws, FIN | AH_WS_OP_TEXT, text, strlen (text));
}

/* Upgrades (101 asserted) and opens the session (`opened` asserted). */
static void
open_session (Fixture * f, const gchar * extra_headers)
{
  gchar *open;

  f->ws = check_ws_connect (f->port, PATH, extra_headers);
  g_assert_true (g_str_has_prefix (f->ws->head, "HTTP/1.1 101 "));
  open = open_message (f->ws);
  send_text (f->ws, open);
  g_free (open);
  g_assert_true (expect_message (f->ws, "opened"));
}

/* 200 ms of audio whose bytes count up from @first. */
static guint8 *
audio_new (guint8 first)
{
  guint8 *audio = g_malloc (AUDIO_BYTES);
  guint i;

  for (i = 0; i < AUDIO_BYTES; i++)
    audio[i] = first + i;
  return audio;
}

/* The next buffer out of the element, within WAIT. */
static GstBuffer *
pull_within (GstHarness * h)
{
  gint64 end = g_get_monotonic_time () + WAIT * 1000;
  GstBuffer *buf;

  while (!(buf = gst_harness_try_pull (h)) && g_get_monotonic_time () < end)
    g_usleep (2000);
  if (!buf)
    g_error ("no buffer out of the element within %u ms", WAIT);
  return buf;
}

/* The element's next buffer holds @audio, whole. */
static void
assert_audio_out (Fixture * f, const guint8 * audio)
{
  GstBuffer *buf = pull_within (f->h);

  g_assert_cmpuint (gst_buffer_get_size (buf), ==, AUDIO_BYTES);
  g_assert_cmpint (gst_buffer_memcmp (buf, 0, audio, AUDIO_BYTES), ==, 0);
  gst_buffer_unref (buf);
}

static void
send_audio_and_check (Fixture * f, guint8 first)
{
  guint8 *audio = audio_new (first);

  check_ws_send (f->ws, FIN | AH_WS_OP_BINARY, audio, AUDIO_BYTES);
  assert_audio_out (f, audio);
  g_free (audio);
}

/* The element's genesys-session-lost, asserted, with the code it gives. */
static guint
expect_lost (Fixture * f)
{
  GstStructure *s = check_expect_element (f->bus, "genesys-session-lost",
      WAIT);
  guint code = 0;

  g_assert_true (gst_structure_get_uint (s, "code", &code));
  gst_structure_free (s);
  return code;
}

/* The server failed the connection with @code: its close came, the
 * client's answer ends the connection at once (the server reads nothing
 * more), and the element reports the session lost. */
static void
assert_failed_with (Fixture * f, gushort code)
{
  g_assert_cmpuint (check_ws_expect_close (f->ws, WAIT), ==, code);
  check_ws_send_close (f->ws, code, NULL);
  g_assert_true (check_ws_wait_end (f->ws, WAIT));
  g_assert_cmpuint (expect_lost (f), ==, 1006);
}

/* 1: permessage-deflate is offered and declined; the session works. */
static void
test_deflate_offered (void)
{
  Fixture f;
  gchar *lower;

  fixture_start (&f, NULL);
  open_session (&f, "Sec-WebSocket-Extensions: permessage-deflate; "
      "client_max_window_bits\r\n");
  lower = g_ascii_strdown (f.ws->head, -1);
  g_assert_null (strstr (lower, "sec-websocket-extensions"));
  g_free (lower);
  send_audio_and_check (&f, 1);
  send_audio_and_check (&f, 2);
  fixture_stop (&f);
}

/* 2: no extension offered: none answered, the session works. */
static void
test_no_extension (void)
{
  Fixture f;
  gchar *lower;

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  lower = g_ascii_strdown (f.ws->head, -1);
  g_assert_null (strstr (lower, "sec-websocket-extensions"));
  g_free (lower);
  send_audio_and_check (&f, 7);
  fixture_stop (&f);
}

/* 3: a frame with RSV1 set (compressed, as if deflate were agreed): closed
 * with 1002; the client answers the close and the server ends the
 * connection; the session is reported lost. */
static void
test_rsv1 (void)
{
  Fixture f;
  const gchar *text = "{\"compressed\":true}";

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  check_ws_send (f.ws, FIN | RSV1 | AH_WS_OP_TEXT, text, strlen (text));
  assert_failed_with (&f, 1002);
  fixture_stop (&f);
}

/* 4: the open in three fragments with a ping between the first two: the
 * pong echoes the ping at once and the joined open opens the session. */
static void
test_fragmented_with_ping (void)
{
  Fixture f;
  GByteArray *out = g_byte_array_new ();
  gchar *open;
  gsize len, a, b;
  AhWsEvent ev;
  const gchar *ping = "ping-between-fragments";

  fixture_start (&f, NULL);
  f.ws = check_ws_connect (f.port, PATH, NULL);
  g_assert_true (g_str_has_prefix (f.ws->head, "HTTP/1.1 101 "));
  open = open_message (f.ws);
  len = strlen (open);
  a = len / 3;
  b = 2 * len / 3;
  check_ws_frame (out, AH_WS_OP_TEXT, open, a);
  check_ws_frame (out, FIN | AH_WS_OP_PING, ping, strlen (ping));
  check_ws_write (f.ws, out->data, out->len);
  g_assert_true (check_ws_next (f.ws, &ev, WAIT));
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_PONG);
  g_assert_cmpmem (g_bytes_get_data (ev.payload, NULL),
      g_bytes_get_size (ev.payload), ping, strlen (ping));
  ah_ws_event_clear (&ev);

  g_byte_array_set_size (out, 0);
  check_ws_frame (out, AH_WS_OP_CONTINUATION, open + a, b - a);
  check_ws_frame (out, FIN | AH_WS_OP_CONTINUATION, open + b, len - b);
  check_ws_write (f.ws, out->data, out->len);
  g_assert_true (expect_message (f.ws, "opened"));
  send_audio_and_check (&f, 3);
  g_byte_array_unref (out);
  g_free (open);
  fixture_stop (&f);
}

/* 5: an audio frame trickled in writes of 1 to 7 bytes: it comes out
 * whole and in order. */
static void
test_trickled_audio (void)
{
  Fixture f;
  GByteArray *frame = g_byte_array_new ();
  guint8 *audio;
  guint off = 0, writes = 0;

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  g_socket_set_option (f.ws->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  audio = audio_new (42);
  check_ws_frame (frame, FIN | AH_WS_OP_BINARY, audio, AUDIO_BYTES);
  while (off < frame->len) {
    /* MIN evaluates its arguments twice: one draw */
    guint n = g_test_rand_int_range (1, 8);

    n = MIN (n, frame->len - off);

    check_ws_write (f.ws, frame->data + off, n);
    off += n;
    writes++;
    g_usleep (g_test_rand_int_range (50, 500));
  }
  g_test_message ("%u bytes in %u writes", frame->len, writes);
  assert_audio_out (&f, audio);
  /* and the next frame, in one write, right behind it */
  send_audio_and_check (&f, 99);
  g_free (audio);
  g_byte_array_unref (frame);
  fixture_stop (&f);
}

/* 6: the AudioHook close, then the client's close frame (1000, "bye"): the
 * server answers with 1000 and ends the connection; the element reports a
 * closed session, not a lost one. */
static void
test_client_close (void)
{
  Fixture f;
  GstStructure *s;
  gchar *close;

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  send_audio_and_check (&f, 5);
  close = client_message (f.ws, "close", 2, "{\"reason\":\"end\"}");
  send_text (f.ws, close);
  g_free (close);
  g_assert_true (expect_message (f.ws, "closed"));
  s = check_expect_element (f.bus, "genesys-session-closed", WAIT);
  gst_structure_free (s);

  check_ws_send_close (f.ws, 1000, "bye");
  g_assert_cmpuint (check_ws_expect_close (f.ws, WAIT), ==, 1000);
  g_assert_true (check_ws_wait_end (f.ws, WAIT));
  g_assert_cmpuint (check_stat_u64 (f.src, "sessions-lost"), ==, 0);
  fixture_stop (&f);
}

/* 7: the element stops: `disconnect` goes out; the client sends `close`
 * and then neither reads nor closes TCP: the server ends the connection
 * on its own, well within 5 s. */
static void
test_silent_after_close (void)
{
  Fixture f;
  GThread *stopper;
  gchar *close;
  gint64 start;

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  send_audio_and_check (&f, 9);
  start = g_get_monotonic_time ();
  stopper = check_stop_in_thread (f.src);
  g_assert_true (expect_message (f.ws, "disconnect"));
  close = client_message (f.ws, "close", 2, "{\"reason\":\"disconnect\"}");
  send_text (f.ws, close);
  g_free (close);
  /* from here the client reads nothing until the element stopped */
  g_thread_join (stopper);
  g_test_message ("stopped after %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  /* the connection already ended: what it holds is read at once */
  g_assert_true (check_ws_wait_end (f.ws, 100));
  fixture_stop (&f);
}

/* 8: the TCP connection reset in the middle of a frame: the session is
 * lost (1006), not closed. */
static void
test_reset_mid_frame (void)
{
  Fixture f;
  GByteArray *frame = g_byte_array_new ();
  guint8 *audio;
  struct linger lg = { 1, 0 };

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  send_audio_and_check (&f, 11);
  audio = audio_new (12);
  check_ws_frame (frame, FIN | AH_WS_OP_BINARY, audio, AUDIO_BYTES);
  check_ws_write (f.ws, frame->data, frame->len / 2);
  /* a close with linger 0 sends a reset */
  g_assert_cmpint (setsockopt (g_socket_get_fd (f.ws->socket), SOL_SOCKET,
          SO_LINGER, &lg, sizeof (lg)), ==, 0);
  check_ws_free (f.ws);
  f.ws = NULL;
  g_assert_cmpuint (expect_lost (&f), ==, 1006);
  g_assert_cmpuint (check_stat_u64 (f.src, "sessions-lost"), ==, 1);
  g_free (audio);
  g_byte_array_unref (frame);
  fixture_stop (&f);
}

/* 8: the same with an end of stream (FIN) in the middle of a header. */
static void
test_eof_mid_header (void)
{
  Fixture f;
  const guint8 half[] = { FIN | AH_WS_OP_BINARY, 0x80 | 126, 0x06 };

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  check_ws_write (f.ws, half, sizeof (half));
  g_assert_true (g_socket_shutdown (f.ws->socket, FALSE, TRUE, NULL));
  g_assert_cmpuint (expect_lost (&f), ==, 1006);
  g_assert_true (check_ws_wait_end (f.ws, WAIT));
  fixture_stop (&f);
}

/* 9: a text message that is not UTF-8: closed with 1007. */
static void
test_invalid_utf8 (void)
{
  Fixture f;
  const gchar bad[] = "{\"type\":\"ping\",\"x\":\"\xc3\x28\"}";

  fixture_start (&f, NULL);
  open_session (&f, NULL);
  check_ws_send (f.ws, FIN | AH_WS_OP_TEXT, bad, strlen (bad));
  assert_failed_with (&f, 1007);
  fixture_stop (&f);
}

/* 10: a frame header that announces 2^62 bytes: closed with 1009 at once,
 * and the next client is served. */
static void
test_huge_length (void)
{
  Fixture f;
  guint8 header[14] = { FIN | AH_WS_OP_BINARY, 0x80 | 127, 0x40 };
  gint64 start;

  fixture_start (&f, "keep-listening=true");
  open_session (&f, NULL);
  start = g_get_monotonic_time ();
  check_ws_write (f.ws, header, sizeof (header));
  assert_failed_with (&f, 1009);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  check_ws_free (f.ws);

  open_session (&f, NULL);
  send_audio_and_check (&f, 21);
  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_test_add_func ("/websocket/deflate-offered", test_deflate_offered);
  g_test_add_func ("/websocket/no-extension", test_no_extension);
  g_test_add_func ("/websocket/rsv1", test_rsv1);
  g_test_add_func ("/websocket/fragmented-with-ping",
      test_fragmented_with_ping);
  g_test_add_func ("/websocket/trickled-audio", test_trickled_audio);
  g_test_add_func ("/websocket/client-close", test_client_close);
  g_test_add_func ("/websocket/silent-after-close", test_silent_after_close);
  g_test_add_func ("/websocket/reset-mid-frame", test_reset_mid_frame);
  g_test_add_func ("/websocket/eof-mid-header", test_eof_mid_header);
  g_test_add_func ("/websocket/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/websocket/huge-length", test_huge_length);
  return g_test_run ();
}
