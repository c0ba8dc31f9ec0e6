/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include "ah-frames.h"
#include "ah-wsframe.h"

#define CONTROL_MAX 125
/* A data frame's buffer is allocated for at most this much of its payload
 * before the bytes arrive, then grows with them (doubling). */
#define AHEAD (64 * 1024)

/* An incremental UTF-8 check: the continuation bytes still due, and the
 * range allowed for the next one. */
typedef struct
{
  guint8 need;
  guint8 lo;
  guint8 hi;
} Utf8;

/* The lead bytes, from..to, with the continuation bytes each wants and the
 * range of the first: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static const struct
{
  guint8 from, to;
  Utf8 next;
} leads[] = {
  {0xc2, 0xdf, {1, 0x80, 0xbf}},
  {0xe0, 0xe0, {2, 0xa0, 0xbf}},
  {0xe1, 0xec, {2, 0x80, 0xbf}},
  {0xed, 0xed, {2, 0x80, 0x9f}},
  {0xee, 0xef, {2, 0x80, 0xbf}},
  {0xf0, 0xf0, {3, 0x90, 0xbf}},
  {0xf1, 0xf3, {3, 0x80, 0xbf}},
  {0xf4, 0xf4, {3, 0x80, 0x8f}},
};

struct _AhWsDecoder
{
  AhWsRole role;
  gsize max;
  gboolean dead;

  guint8 header[14];
  guint header_len;

  /* the frame whose payload is coming */
  gboolean in_payload;
  guint8 opcode;
  gboolean fin;
  gboolean masked;
  guint8 key[4];
  guint64 length;
  guint64 offset;

  /* the data message being gathered: TEXT or BINARY, 0 when none is */
  guint8 msg_op;
  guint64 announced;            /* the lengths of its frame headers, summed */
  guint8 *msg;
  gsize msg_len;
  gsize msg_alloc;
  Utf8 utf8;

  /* the control frame being read */
  guint8 ctl[CONTROL_MAX];
  gsize ctl_len;
};

static gboolean
utf8_feed (Utf8 * u, const guint8 * p, gsize n)
{
  gsize i;
  guint k;

  for (i = 0; i < n; i++) {
    guint8 b = p[i];

    if (u->need > 0) {
      if (b < u->lo || b > u->hi)
        return FALSE;
      u->need--;
      u->lo = 0x80;
      u->hi = 0xbf;
    } else if (b >= 0x80) {
      for (k = 0; k < G_N_ELEMENTS (leads); k++) {
        if (b >= leads[k].from && b <= leads[k].to)
          break;
      }
      if (k == G_N_ELEMENTS (leads))
        return FALSE;
      *u = leads[k].next;
    }
  }
  return TRUE;
}

/* Copies @n bytes, unmasking them with @key (none: a plain copy) from
 * payload offset @offset on. */
static void
unmask (guint8 * dst, const guint8 * src, gsize n, const guint8 * key,
    guint64 offset)
{
  guint8 k[8];
  guint64 word, mask;
  gsize i;

  if (key == NULL) {
    memcpy (dst, src, n);
    return;
  }
  /* eight bytes at a time: the key turned to this offset, twice over */
  for (i = 0; i < 8; i++)
    k[i] = key[(offset + i) & 3];
  memcpy (&mask, k, 8);
#if defined(__GNUC__) || defined(__clang__)
  {
    /* sixteen at a time where the compiler has vectors (SSE2, NEON) */
    typedef guint64 Vec __attribute__((vector_size (16)));
    Vec vmask = { mask, mask }, v;

    for (i = 0; i + 16 <= n; i += 16) {
      memcpy (&v, src + i, 16);
      v ^= vmask;
      memcpy (dst + i, &v, 16);
    }
  }
#else
  i = 0;
#endif
  for (; i + 8 <= n; i += 8) {
    memcpy (&word, src + i, 8);
    word ^= mask;
    memcpy (dst + i, &word, 8);
  }
  for (; i < n; i++)
    dst[i] = src[i] ^ k[i & 7];
}

AhWsDecoder *
ah_ws_decoder_new (AhWsRole role, gsize max_message_size)
{
  AhWsDecoder *d = g_new0 (AhWsDecoder, 1);

  d->role = role;
  /* leaves room for a NUL and for doubling an allocation */
  d->max = MIN (max_message_size, G_MAXSIZE / 4);
  return d;
}

static void
drop_message (AhWsDecoder * d)
{
  g_clear_pointer (&d->msg, g_free);
  d->msg_len = d->msg_alloc = 0;
  d->msg_op = 0;
  d->announced = 0;
}

void
ah_ws_decoder_free (AhWsDecoder * d)
{
  if (d != NULL)
    g_free (d->msg);
  g_free (d);
}

void
ah_ws_event_clear (AhWsEvent * ev)
{
  g_clear_pointer (&ev->payload, g_bytes_unref);
  g_clear_pointer (&ev->reason, g_free);
  memset (ev, 0, sizeof (*ev));
}

static void
fail (AhWsDecoder * d, AhWsEvent * ev, gushort code, const gchar * format, ...)
G_GNUC_PRINTF (4, 5);

     static void
         fail (AhWsDecoder * d, AhWsEvent * ev, gushort code,
    const gchar * format, ...)
{
  va_list args;

  d->dead = TRUE;
  drop_message (d);
  ev->type = AH_WS_EVENT_ERROR;
  ev->code = code;
  va_start (args, format);
  ev->reason = g_strdup_vprintf (format, args);
  va_end (args);
}

/* What the first two bytes of a header break, or NULL (all are 1002). */
static const gchar *
check_start (const AhWsDecoder * d)
{
  guint8 op = d->header[0] & 0x0f;
  gboolean fin = (d->header[0] & 0x80) != 0;
  gboolean masked = (d->header[1] & 0x80) != 0;

  if (d->header[0] & 0x70)
    return "a reserved bit is set, and no extension was agreed";
  if ((op > 0x2 && op < 0x8) || op > 0xA)
    return "a reserved opcode";
  if (op >= 0x8 && !fin)
    return "a fragmented control frame";
  if (op >= 0x8 && (d->header[1] & 0x7f) > CONTROL_MAX)
    return "a control frame of more than 125 bytes";
  if (d->role == AH_WS_ROLE_SERVER && !masked)
    return "a client frame without a mask";
  if (d->role == AH_WS_ROLE_CLIENT && masked)
    return "a masked server frame";
  if (op == AH_WS_OP_CONTINUATION && d->msg_op == 0)
    return "a continuation frame with no message begun";
  if (op != AH_WS_OP_CONTINUATION && op < 0x8 && d->msg_op != 0)
    return "a new message before the fragmented one ended";
  return NULL;
}

/* Room in the message buffer for @n more bytes and a NUL after them,
 * doubling, but never past the end the current frame announces. */
static void
reserve (AhWsDecoder * d, gsize n)
{
  gsize need = d->msg_len + n + 1;
  gsize end = d->msg_len + (gsize) (d->length - d->offset) + 1;

  if (need <= d->msg_alloc)
    return;
  d->msg_alloc = MIN (MAX (need, d->msg_alloc * 2), end);
  d->msg = g_realloc (d->msg, d->msg_alloc);
}

static void
close_done (AhWsDecoder * d, AhWsEvent * ev)
{
  Utf8 u = { 0 };
  gushort code;

  if (d->ctl_len == 0) {
    ev->type = AH_WS_EVENT_CLOSE;
    ev->code = 1005;
    ev->reason = g_strdup ("");
    return;
  }
  if (d->ctl_len == 1) {
    fail (d, ev, 1002, "a close payload of 1 byte");
    return;
  }
  code = (d->ctl[0] << 8) | d->ctl[1];
  /* 1012-1014 are not in RFC 6455 but registered since, and sent */
  if (!((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
          || (code >= 3000 && code <= 4999))) {
    fail (d, ev, 1002, "close code %u, which no peer may send", code);
    return;
  }
  if (!utf8_feed (&u, d->ctl + 2, d->ctl_len - 2) || u.need > 0) {
    fail (d, ev, 1007, "a close reason that is not UTF-8");
    return;
  }
  ev->type = AH_WS_EVENT_CLOSE;
  ev->code = code;
  ev->reason = g_strndup ((const gchar *) d->ctl + 2, d->ctl_len - 2);
}

static void
message_done (AhWsDecoder * d, AhWsEvent * ev)
{
  if (d->msg_op == AH_WS_OP_TEXT && d->utf8.need > 0) {
    fail (d, ev, 1007, "a text message that ends inside a UTF-8 character");
    return;
  }
  ev->type = d->msg_op == AH_WS_OP_TEXT ? AH_WS_EVENT_TEXT : AH_WS_EVENT_BINARY;
  d->msg[d->msg_len] = 0;
  ev->payload = g_bytes_new_take (d->msg, d->msg_len);
  d->msg = NULL;
  drop_message (d);
}

/* The current frame's payload is all in. */
static void
frame_done (AhWsDecoder * d, AhWsEvent * ev)
{
  d->in_payload = FALSE;
  switch (d->opcode) {
    case AH_WS_OP_PING:
    case AH_WS_OP_PONG:
      ev->type = d->opcode == AH_WS_OP_PING ? AH_WS_EVENT_PING :
          AH_WS_EVENT_PONG;
      ev->payload = g_bytes_new (d->ctl, d->ctl_len);
      break;
    case AH_WS_OP_CLOSE:
      close_done (d, ev);
      break;
    default:
      if (d->fin)
        message_done (d, ev);
      break;
  }
}

/* The whole header is in (its first two bytes checked). */
static void
header_done (AhWsDecoder * d, AhWsEvent * ev, guint size)
{
  guint64 len = ah_frames_payload_size (d->header);
  guint8 op = d->header[0] & 0x0f;

  d->header_len = 0;
  if (len >> 63) {
    fail (d, ev, 1002, "a 64-bit length with its top bit set");
    return;
  }
  d->opcode = op;
  d->fin = (d->header[0] & 0x80) != 0;
  d->masked = (d->header[1] & 0x80) != 0;
  if (d->masked)
    memcpy (d->key, d->header + size - 4, 4);
  d->length = len;
  d->offset = 0;
  if (op >= 0x8) {
    d->ctl_len = 0;
  } else {
    if (len > d->max || d->announced > d->max - len) {
      fail (d, ev, 1009, "a message over the %" G_GSIZE_FORMAT "-byte limit:"
          " a frame of %" G_GUINT64_FORMAT " bytes after %" G_GUINT64_FORMAT,
          d->max, len, d->announced);
      return;
    }
    if (op != AH_WS_OP_CONTINUATION) {
      d->msg_op = op;
      memset (&d->utf8, 0, sizeof (d->utf8));
    }
    d->announced += len;
    reserve (d, (gsize) MIN (len, AHEAD));
  }
  if (len == 0)
    frame_done (d, ev);
  else
    d->in_payload = TRUE;
}

static gsize
take_payload (AhWsDecoder * d, const guint8 * data, gsize size, AhWsEvent * ev)
{
  gsize n = (gsize) MIN ((guint64) size, d->length - d->offset);
  guint8 *dst;

  if (d->opcode >= 0x8) {
    dst = d->ctl + d->ctl_len;
    d->ctl_len += n;
  } else {
    reserve (d, n);
    dst = d->msg + d->msg_len;
    d->msg_len += n;
  }
  unmask (dst, data, n, d->masked ? d->key : NULL, d->offset);
  d->offset += n;
  if (d->opcode < 0x8 && d->msg_op == AH_WS_OP_TEXT
      && !utf8_feed (&d->utf8, dst, n)) {
    fail (d, ev, 1007, "a text message that is not UTF-8");
    return n;
  }
  if (d->offset == d->length)
    frame_done (d, ev);
  return n;
}

gsize
ah_ws_decoder_feed (AhWsDecoder * d, const guint8 * data, gsize size,
    AhWsEvent * ev)
{
  gsize used = 0;

  memset (ev, 0, sizeof (*ev));
  if (d->dead)
    return size;
  while (used < size && ev->type == AH_WS_EVENT_NONE) {
    const gchar *broken;

    if (d->in_payload) {
      used += take_payload (d, data + used, size - used, ev);
      continue;
    }
    d->header[d->header_len++] = data[used++];
    if (d->header_len < 2)
      continue;
    if (d->header_len == 2 && (broken = check_start (d)) != NULL) {
      fail (d, ev, 1002, "%s", broken);
      break;
    }
    if (d->header_len == ah_frames_header_size (d->header))
      header_done (d, ev, d->header_len);
  }
  if (ev->type == AH_WS_EVENT_ERROR)
    return size;
  return used;
}

void
ah_ws_encode (AhWsRole role, AhWsOpcode op, const guint8 * payload,
    gsize size, GByteArray * out)
{
  guint8 h[14];
  guint n = 0, i, start;
  gboolean mask = role == AH_WS_ROLE_CLIENT;

  g_return_if_fail (out != NULL);
  g_return_if_fail (payload != NULL || size == 0);
  g_return_if_fail (op < 0x8 || size <= CONTROL_MAX);

  h[n++] = 0x80 | op;
  if (size < 126) {
    h[n++] = size;
  } else if (size <= 0xffff) {
    h[n++] = 126;
    h[n++] = size >> 8;
    h[n++] = size & 0xff;
  } else {
    h[n++] = 127;
    for (i = 0; i < 8; i++)
      h[n++] = ((guint64) size >> (56 - 8 * i)) & 0xff;
  }
  if (mask) {
    guint32 key = g_random_int ();

    h[1] |= 0x80;
    memcpy (h + n, &key, 4);
    n += 4;
  }
  g_byte_array_append (out, h, n);
  if (size == 0)
    return;
  start = out->len;
  g_byte_array_set_size (out, start + size);
  unmask (out->data + start, payload, size, mask ? h + n - 4 : NULL, 0);
}

void
ah_ws_encode_close (AhWsRole role, gushort code, const gchar * reason,
    GByteArray * out)
{
  guint8 p[CONTROL_MAX];
  gsize n = 0, len;

  if (code != 0) {
    p[n++] = code >> 8;
    p[n++] = code & 0xff;
    len = reason ? strlen (reason) : 0;
    if (len > CONTROL_MAX - 2) {
      /* cut before the character that would not fit whole */
      len = CONTROL_MAX - 2;
      while (len > 0 && (reason[len] & 0xc0) == 0x80)
        len--;
    }
    if (len > 0)
      memcpy (p + n, reason, len);
    n += len;
  }
  ah_ws_encode (role, AH_WS_OP_CLOSE, p, n, out);
}
