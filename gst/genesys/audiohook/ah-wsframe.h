/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* WebSocket framing (RFC 6455 sections 5 and 7.4), sans I/O: a decoder fed
 * the bytes a connection reads, one whole message or control frame out at a
 * time, and an encoder of whole frames. Pure.
 *
 * libwslay 1.1.1 (Debian 12) was weighed and not taken: it refuses close
 * codes 1012-1014 and takes a 1-byte close payload as "no code"; its API
 * pulls bytes through a callback and copies a payload three times (into its
 * read buffer, a chunk per frame, a flattened message that it frees after
 * its callback); it queues pongs and close replies itself and tells no
 * reason for an error; Debian ships no pkg-config file for it. */

#ifndef __AH_WSFRAME_H__
#define __AH_WSFRAME_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * AhWsRole:
 * @AH_WS_ROLE_SERVER: this end accepted the connection: it reads masked
 *   frames and sends unmasked ones
 * @AH_WS_ROLE_CLIENT: this end dialed: it reads unmasked frames and sends
 *   masked ones
 */
typedef enum
{
  AH_WS_ROLE_SERVER,
  AH_WS_ROLE_CLIENT
} AhWsRole;

/**
 * AhWsOpcode:
 *
 * The frame opcodes of RFC 6455 section 5.2; the others are reserved.
 */
typedef enum
{
  AH_WS_OP_CONTINUATION = 0x0,
  AH_WS_OP_TEXT = 0x1,
  AH_WS_OP_BINARY = 0x2,
  AH_WS_OP_CLOSE = 0x8,
  AH_WS_OP_PING = 0x9,
  AH_WS_OP_PONG = 0xA
} AhWsOpcode;

/**
 * AhWsEventType:
 * @AH_WS_EVENT_NONE: nothing complete yet: feed more bytes
 * @AH_WS_EVENT_TEXT: a whole text message (fragments joined, UTF-8 checked)
 * @AH_WS_EVENT_BINARY: a whole binary message (fragments joined)
 * @AH_WS_EVENT_PING: payload: what the pong must echo
 * @AH_WS_EVENT_PONG: a pong, with its payload
 * @AH_WS_EVENT_CLOSE: the peer's close frame: code (1005 when it had none),
 *   reason
 * @AH_WS_EVENT_ERROR: a protocol violation: close with ->code; the decoder
 *   is dead from now on
 */
typedef enum
{
  AH_WS_EVENT_NONE,
  AH_WS_EVENT_TEXT,
  AH_WS_EVENT_BINARY,
  AH_WS_EVENT_PING,
  AH_WS_EVENT_PONG,
  AH_WS_EVENT_CLOSE,
  AH_WS_EVENT_ERROR
} AhWsEventType;

/**
 * AhWsEvent:
 * @type: what happened
 * @payload: TEXT/BINARY/PING/PONG: the payload, owned by the event. A TEXT
 *   payload's data is followed by a NUL byte that its size does not count.
 * @code: CLOSE: the peer's code (1005 when it sent none); ERROR: 1002
 *   (protocol error), 1007 (invalid UTF-8) or 1009 (message too big)
 * @reason: CLOSE: the peer's reason (UTF-8, "" when none); ERROR: what was
 *   wrong, in plain words; owned by the event
 *
 * Release with ah_ws_event_clear().
 */
typedef struct
{
  AhWsEventType type;
  GBytes *payload;
  gushort code;
  gchar *reason;
} AhWsEvent;

typedef struct _AhWsDecoder AhWsDecoder;

/**
 * ah_ws_decoder_new:
 * @role: which end of the connection this is
 * @max_message_size: the largest data message accepted, in bytes, summed
 *   over its fragments; a larger one is an ERROR (1009) as soon as a frame
 *   header announces it, before its payload is kept
 *
 * Returns: (transfer full): a decoder; free with ah_ws_decoder_free()
 */
AhWsDecoder *ah_ws_decoder_new (AhWsRole role, gsize max_message_size);

/**
 * ah_ws_decoder_free:
 * @d: (nullable): a decoder
 */
void ah_ws_decoder_free (AhWsDecoder * d);

/**
 * ah_ws_decoder_feed:
 * @d: a decoder
 * @data: bytes read from the connection
 * @size: how many
 * @ev: (out caller-allocates): set to at most one event (NONE when none
 *   completed); what it held before is overwritten, not freed
 *
 * Consumes bytes of @data (at most @size) and returns how many; when @size
 * is not 0, at least one. Call again with the rest until all is consumed
 * and @ev is NONE. Bytes may be split anywhere between calls. After ERROR
 * it consumes everything and returns NONE (the call that returns ERROR
 * consumes all of @data too). A CLOSE does not stop it: what follows is
 * decoded as well.
 *
 * Returns: the bytes consumed
 */
gsize ah_ws_decoder_feed (AhWsDecoder * d, const guint8 * data, gsize size,
    AhWsEvent * ev);

/**
 * ah_ws_event_clear:
 * @ev: an event
 *
 * Frees what @ev owns and sets it to NONE.
 */
void ah_ws_event_clear (AhWsEvent * ev);

/**
 * ah_ws_encode:
 * @role: which end sends
 * @op: the frame's opcode (a control frame carries at most 125 bytes)
 * @payload: (nullable): its payload
 * @size: the payload's size
 * @out: where the frame is appended
 *
 * Appends one whole frame (FIN) of @op carrying @payload to @out; the
 * client role masks it with a random key (g_random: the mask is not a
 * security property here).
 */
void ah_ws_encode (AhWsRole role, AhWsOpcode op, const guint8 * payload,
    gsize size, GByteArray * out);

/**
 * ah_ws_encode_close:
 * @role: which end sends
 * @code: the close code; 0 means no code (an empty payload, no reason)
 * @reason: (nullable): UTF-8, cut to fit the 125-byte control payload on a
 *   character boundary
 * @out: where the frame is appended
 *
 * Appends a close frame to @out.
 */
void ah_ws_encode_close (AhWsRole role, gushort code, const gchar * reason,
    GByteArray * out);

G_END_DECLS
#endif /* __AH_WSFRAME_H__ */
