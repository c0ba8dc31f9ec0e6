/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The frame follower: each case is a byte stream of client frames, fed
 * whole and then one byte at a time, with the largest message it must see
 * and the pings. */

#include <string.h>
#include "ah-frames.h"

/* A masked client frame header for @payload bytes, then @payload bytes. */
static void
frame (GByteArray * out, gboolean fin, guint8 opcode, guint64 payload)
{
  guint8 h[14];
  guint n = 0, i;

  h[n++] = (fin ? 0x80 : 0) | opcode;
  if (payload < 126) {
    h[n++] = 0x80 | payload;
  } else if (payload <= 0xffff) {
    h[n++] = 0x80 | 126;
    h[n++] = payload >> 8;
    h[n++] = payload & 0xff;
  } else {
    h[n++] = 0x80 | 127;
    for (i = 0; i < 8; i++)
      h[n++] = (payload >> (56 - 8 * i)) & 0xff;
  }
  for (i = 0; i < 4; i++)
    h[n++] = 0x5a;
  g_byte_array_append (out, h, n);
  for (i = 0; i < payload; i++)
    g_byte_array_append (out, (const guint8 *) "x", 1);
}

typedef struct
{
  const gchar *name;
  guint64 largest;
  guint64 pings;
  guint64 message_at_end;
} Expect;

static void
check (GByteArray * bytes, const Expect * e)
{
  AhFrames whole, bytewise;
  guint64 m = 0;
  guint i;

  ah_frames_init (&whole);
  ah_frames_feed (&whole, bytes->data, bytes->len);
  ah_frames_init (&bytewise);
  for (i = 0; i < bytes->len; i++)
    m = ah_frames_feed (&bytewise, bytes->data + i, 1);
  if (whole.largest != e->largest || bytewise.largest != e->largest
      || whole.pings != e->pings || bytewise.pings != e->pings
      || m != e->message_at_end || whole.broken)
    g_error ("%s: largest %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
        " (expected %" G_GUINT64_FORMAT "), pings %" G_GUINT64_FORMAT
        " (expected %" G_GUINT64_FORMAT "), message at end %"
        G_GUINT64_FORMAT " (expected %" G_GUINT64_FORMAT ")%s", e->name,
        whole.largest, bytewise.largest, e->largest, whole.pings, e->pings,
        m, e->message_at_end, whole.broken ? ", broken" : "");
  g_byte_array_unref (bytes);
}

static void
test_table (void)
{
  GByteArray *b;
  static const Expect one = { "one text frame", 100, 0, 0 };
  static const Expect frag = { "a message in 3 fragments", 3 * 70000, 0, 0 };
  static const Expect open = { "a message that never ends", 4 * 65536, 0,
    4 * 65536
  };
  static const Expect ctl = { "pings inside a fragmented message", 300, 2, 0 };
  static const Expect two = { "two messages: the larger counts", 200000, 0, 0 };
  static const Expect empty = { "empty frames", 0, 1, 0 };

  b = g_byte_array_new ();
  frame (b, TRUE, 0x1, 100);
  check (b, &one);

  b = g_byte_array_new ();
  frame (b, FALSE, 0x2, 70000);
  frame (b, FALSE, 0x0, 70000);
  frame (b, TRUE, 0x0, 70000);
  check (b, &frag);

  b = g_byte_array_new ();
  frame (b, FALSE, 0x1, 65536);
  frame (b, FALSE, 0x0, 65536);
  frame (b, FALSE, 0x0, 65536);
  frame (b, FALSE, 0x0, 65536);
  check (b, &open);

  b = g_byte_array_new ();
  frame (b, FALSE, 0x1, 100);
  frame (b, TRUE, 0x9, 10);
  frame (b, FALSE, 0x0, 100);
  frame (b, TRUE, 0xA, 0);
  frame (b, TRUE, 0x9, 125);
  frame (b, TRUE, 0x0, 100);
  check (b, &ctl);

  b = g_byte_array_new ();
  frame (b, TRUE, 0x2, 200000);
  frame (b, TRUE, 0x1, 5);
  check (b, &two);

  b = g_byte_array_new ();
  frame (b, TRUE, 0x1, 0);
  frame (b, TRUE, 0x9, 0);
  frame (b, TRUE, 0x2, 0);
  check (b, &empty);
}

/* The size is known from a frame's header, before its payload. */
static void
test_early (void)
{
  GByteArray *b = g_byte_array_new ();
  AhFrames f;

  frame (b, FALSE, 0x1, 1000000);
  ah_frames_init (&f);
  g_assert_cmpuint (ah_frames_feed (&f, b->data, 14), ==, 1000000);
  g_assert_cmpuint (f.largest, ==, 1000000);
  g_byte_array_unref (b);
}

static void
test_pong_bytes (void)
{
  GByteArray *b = g_byte_array_new ();
  AhFrames f;

  frame (b, TRUE, 0x9, 4);
  frame (b, TRUE, 0x9, 125);
  ah_frames_init (&f);
  ah_frames_feed (&f, b->data, b->len);
  g_assert_cmpuint (f.pings, ==, 2);
  g_assert_cmpuint (f.pong_bytes, ==, 2 + 4 + 2 + 125);
  g_byte_array_unref (b);
}

/* Not framing at all (a reserved opcode): it stops following. */
static void
test_broken (void)
{
  AhFrames f;
  const guint8 junk[] = { 0x83, 0x80, 1, 2, 3, 4, 0x81, 0x85 };

  ah_frames_init (&f);
  ah_frames_feed (&f, junk, sizeof (junk));
  g_assert_true (f.broken);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/frames/table", test_table);
  g_test_add_func ("/frames/early", test_early);
  g_test_add_func ("/frames/pong-bytes", test_pong_bytes);
  g_test_add_func ("/frames/broken", test_broken);
  return g_test_run ();
}
