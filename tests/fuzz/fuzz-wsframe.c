/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The WebSocket decoder under any bytes a peer can send, in either role.
 * The input: a byte of settings (bit 0: the client role; bits 1-3: the
 * message size limit, from a small table), a byte that sets how the rest is
 * split into pieces, then the bytes of the connection. It checks:
 * - each call consumes at least one byte and at most what it is given;
 * - nothing is reported after an ERROR, whose code is 1002, 1007 or 1009;
 * - a message is at most the limit, a control payload at most 125 bytes,
 *   a text message and a close reason are UTF-8, a close code is one a
 *   peer may send (or 1005);
 * - fed whole, the same events come, to the byte;
 * - each message, encoded by the peer's role, decodes to itself. */

#include <string.h>
#include "ah-wsframe.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static const gsize limits[] = { 0, 1, 16, 125, 126, 1000, 4096, 70000 };

/* UTF-8, NUL bytes allowed (g_utf8_validate stops at them). */
static gboolean
utf8_with_nul (const gchar * s, gsize size)
{
  const gchar *end = s + size;

  while (s < end) {
    const gchar *nul = memchr (s, 0, end - s);
    const gchar *stop = nul ? nul : end;

    if (!g_utf8_validate_len (s, stop - s, NULL))
      return FALSE;
    s = nul ? nul + 1 : end;
  }
  return TRUE;
}

static void
check_event (const AhWsEvent * ev, gsize max)
{
  gsize size = ev->payload ? g_bytes_get_size (ev->payload) : 0;
  const gchar *p = ev->payload ? g_bytes_get_data (ev->payload, NULL) : NULL;

  switch (ev->type) {
    case AH_WS_EVENT_TEXT:
      g_assert (utf8_with_nul (p, size));
      g_assert (p[size] == 0);
      G_GNUC_FALLTHROUGH;
    case AH_WS_EVENT_BINARY:
      g_assert (size <= max);
      g_assert (ev->reason == NULL);
      break;
    case AH_WS_EVENT_PING:
    case AH_WS_EVENT_PONG:
      g_assert (ev->payload != NULL && size <= 125);
      g_assert (ev->reason == NULL);
      break;
    case AH_WS_EVENT_CLOSE:
      g_assert (ev->payload == NULL && ev->reason != NULL);
      g_assert (strlen (ev->reason) <= 123);
      g_assert (g_utf8_validate (ev->reason, -1, NULL));
      g_assert ((ev->code >= 1000 && ev->code <= 1003) || ev->code == 1005
          || (ev->code >= 1007 && ev->code <= 1014)
          || (ev->code >= 3000 && ev->code <= 4999));
      break;
    case AH_WS_EVENT_ERROR:
      g_assert (ev->code == 1002 || ev->code == 1007 || ev->code == 1009);
      g_assert (ev->reason != NULL && ev->reason[0] != 0);
      break;
    default:
      g_assert_not_reached ();
  }
}

/* Feeds @data in pieces (1 byte up to @spread, drawn from @seed; 0: whole),
 * checking each call; returns the events. */
static GArray *
decode (AhWsRole role, gsize max, const guint8 * data, gsize size,
    guint spread, guint32 seed)
{
  AhWsDecoder *d = ah_ws_decoder_new (role, max);
  GArray *events = g_array_new (FALSE, TRUE, sizeof (AhWsEvent));
  gboolean dead = FALSE;
  gsize off = 0;

  g_array_set_clear_func (events, (GDestroyNotify) ah_ws_event_clear);
  while (off < size) {
    gsize piece, n;
    AhWsEvent ev;

    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    piece = spread ? MIN (size - off, 1 + seed % spread) : size - off;
    while (piece > 0) {
      n = ah_ws_decoder_feed (d, data + off, piece, &ev);
      g_assert (n > 0 && n <= piece);
      off += n;
      piece -= n;
      if (ev.type == AH_WS_EVENT_NONE)
        continue;
      g_assert (!dead);
      check_event (&ev, max);
      dead = ev.type == AH_WS_EVENT_ERROR;
      g_array_append_val (events, ev);
    }
  }
  ah_ws_decoder_free (d);
  return events;
}

static void
same_events (GArray * a, GArray * b)
{
  guint i;

  g_assert (a->len == b->len);
  for (i = 0; i < a->len; i++) {
    AhWsEvent *x = &g_array_index (a, AhWsEvent, i);
    AhWsEvent *y = &g_array_index (b, AhWsEvent, i);

    g_assert (x->type == y->type && x->code == y->code);
    g_assert (g_strcmp0 (x->reason, y->reason) == 0);
    g_assert ((x->payload == NULL) == (y->payload == NULL));
    g_assert (x->payload == NULL || g_bytes_equal (x->payload, y->payload));
  }
}

/* Each message and close, encoded by the peer, decodes to itself. */
static void
round_trip (const AhWsEvent * ev, AhWsRole role, gsize max)
{
  static const AhWsOpcode ops[] = {
    [AH_WS_EVENT_TEXT] = AH_WS_OP_TEXT,
    [AH_WS_EVENT_BINARY] = AH_WS_OP_BINARY,
    [AH_WS_EVENT_PING] = AH_WS_OP_PING,
    [AH_WS_EVENT_PONG] = AH_WS_OP_PONG,
  };
  GByteArray *out = g_byte_array_new ();
  AhWsDecoder *d = ah_ws_decoder_new (role, max);
  AhWsEvent back;

  if (ev->type == AH_WS_EVENT_CLOSE) {
    ah_ws_encode_close (!role, ev->code == 1005 ? 0 : ev->code, ev->reason,
        out);
  } else {
    gsize size;
    gconstpointer p = g_bytes_get_data (ev->payload, &size);

    ah_ws_encode (!role, ops[ev->type], p, size, out);
  }
  g_assert (ah_ws_decoder_feed (d, out->data, out->len, &back) == out->len);
  g_assert (back.type == ev->type && back.code == ev->code);
  g_assert (g_strcmp0 (back.reason, ev->reason) == 0);
  g_assert (ev->payload == NULL || g_bytes_equal (back.payload, ev->payload));
  ah_ws_event_clear (&back);
  ah_ws_decoder_free (d);
  g_byte_array_unref (out);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  AhWsRole role;
  gsize max;
  GArray *pieces, *whole;
  guint i;

  if (size < 2)
    return 0;
  role = (data[0] & 1) ? AH_WS_ROLE_CLIENT : AH_WS_ROLE_SERVER;
  max = limits[(data[0] >> 1) & 7];
  pieces = decode (role, max, data + 2, size - 2, data[1] % 32 + 1,
      data[1] | 0x100);
  whole = decode (role, max, data + 2, size - 2, 0, 0);
  same_events (pieces, whole);
  for (i = 0; i < whole->len; i++) {
    AhWsEvent *ev = &g_array_index (whole, AhWsEvent, i);

    if (ev->type != AH_WS_EVENT_ERROR)
      round_trip (ev, role, max);
  }
  g_array_unref (pieces);
  g_array_unref (whole);
  return 0;
}
