/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Follows the WebSocket frames a client sends (RFC 6455 framing, from the
 * first byte after the upgrade request) without keeping their payload: how
 * large the data message being received has grown across its fragments,
 * and the pings that each owe a pong. libsoup 3.2 bounds single frames
 * only and gathers a fragmented message without bound; this lets the
 * server see it coming. Pure. */

#ifndef __AH_FRAMES_H__
#define __AH_FRAMES_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 header[14];
  guint header_len;             /* bytes of the current header so far */
  guint64 payload_left;         /* of the current frame */
  guint8 opcode;                /* of the current frame */
  gboolean fin;
  guint64 message;              /* data bytes of the message being received */
  guint64 largest;              /* the largest message seen, as it grew */
  guint64 pings;                /* ping frames seen */
  guint64 pong_bytes;           /* what their pongs take on the wire */
  gboolean broken;              /* not WebSocket framing: stop following */
} AhFrames;

void ah_frames_init (AhFrames * frames);
/* Follows @len bytes. Returns the size the data message being received has
 * reached (counting a frame's whole payload as soon as its header is in). */
guint64 ah_frames_feed (AhFrames * frames, const guint8 * data, gsize len);

/* A frame header's length (2 to 14) once its first two bytes @h are in. */
guint ah_frames_header_size (const guint8 * h);
/* The payload length of the whole header @h (its 7-bit, 16-bit or 64-bit
 * field, as sent). */
guint64 ah_frames_payload_size (const guint8 * h);

G_END_DECLS
#endif /* __AH_FRAMES_H__ */
