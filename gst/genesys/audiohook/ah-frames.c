/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "ah-frames.h"

void
ah_frames_init (AhFrames * frames)
{
  memset (frames, 0, sizeof (*frames));
}

guint
ah_frames_header_size (const guint8 * h)
{
  guint len7 = h[1] & 0x7f;

  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

guint64
ah_frames_payload_size (const guint8 * h)
{
  guint len7 = h[1] & 0x7f;
  guint64 n = 0;
  guint i;

  if (len7 < 126)
    return len7;
  if (len7 == 126)
    return ((guint64) h[2] << 8) | h[3];
  for (i = 0; i < 8; i++)
    n = (n << 8) | h[2 + i];
  return n;
}

static void
header_done (AhFrames * f)
{
  guint8 opcode = f->header[0] & 0x0f;

  f->fin = (f->header[0] & 0x80) != 0;
  f->payload_left = ah_frames_payload_size (f->header);
  f->opcode = opcode;
  if (opcode == 0x1 || opcode == 0x2) {
    /* a new data message */
    f->message = f->payload_left;
  } else if (opcode == 0x0) {
    f->message += MIN (f->payload_left, G_MAXUINT64 - f->message);
  } else if (opcode == 0x9) {
    f->pings++;
    /* a server frame: 2 header bytes (control payloads are <= 125) */
    f->pong_bytes += 2 + MIN (f->payload_left, 125);
  } else if (opcode < 0x8) {
    f->broken = TRUE;           /* a reserved data opcode */
  }
  f->largest = MAX (f->largest, f->message);
  f->header_len = 0;
}

guint64
ah_frames_feed (AhFrames * f, const guint8 * data, gsize len)
{
  while (len > 0 && !f->broken) {
    if (f->payload_left > 0) {
      guint64 n = MIN (f->payload_left, len);
      f->payload_left -= n;
      data += n;
      len -= n;
    } else {
      f->header[f->header_len++] = *data++;
      len--;
      if (f->header_len >= 2
          && f->header_len == ah_frames_header_size (f->header))
        header_done (f);
    }
    /* a final frame's payload done: its message ends */
    if (f->payload_left == 0 && f->header_len == 0 && f->fin && f->opcode < 0x8)
      f->message = 0;
  }
  return f->message;
}
