/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The frame follower under any bytes a client can send after its upgrade:
 * fed whole and in pieces split where the input says, it must come to the
 * same state, never read past what it is given, and never keep payload. */

#include <string.h>
#include "ah-frames.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  AhFrames whole, pieces;
  guint64 largest = 0;
  gsize off = 0, step;

  if (size < 1)
    return 0;
  step = data[0] % 17 + 1;
  data++;
  size--;
  ah_frames_init (&whole);
  ah_frames_feed (&whole, data, size);
  ah_frames_init (&pieces);
  while (off < size) {
    gsize n = MIN (step, size - off);
    ah_frames_feed (&pieces, data + off, n);
    /* it only grows */
    g_assert (pieces.largest >= largest);
    largest = pieces.largest;
    off += n;
    if (pieces.broken)
      break;
  }
  g_assert (whole.broken == pieces.broken);
  if (!whole.broken) {
    g_assert (whole.largest == pieces.largest);
    g_assert (whole.pings == pieces.pings);
    g_assert (whole.pong_bytes == pieces.pong_bytes);
    g_assert (whole.message == pieces.message);
    g_assert (whole.pong_bytes <= whole.pings * 127);
  }
  return 0;
}
