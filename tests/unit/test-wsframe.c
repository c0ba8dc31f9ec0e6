/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* WebSocket framing. Each case of the table is a stream of frames and the
 * events it must give, fed whole, one byte at a time and split at random
 * points; then the encoder, decoded by the other role. */

#include <string.h>
#include "ah-wsframe.h"

#define FIN 0x80
#define RSV1 0x40
#define RSV2 0x20
#define RSV3 0x10
#define MIB (1024 * 1024)

/* Bytes given as @data (@size of them, strlen when 0), or, when @fill is
 * set, that many letters a-z over and over; made with a NUL after them. */
typedef struct
{
  const gchar *data;
  gsize size;
  gsize fill;
} Bytes;

/* A frame on the wire. Each has .p.data, .p.fill or .announce set; the
 * first that has none ends the list. */
typedef struct
{
  guint8 b0;                    /* FIN, RSV1-3, opcode */
  Bytes p;
  guint64 announce;             /* this length in the header, no payload */
  guint ext;                    /* the length field: 0 the shortest, 2 or 8 */
  gboolean wrong_mask;          /* masked as this role's own frames would be */
} Frame;

typedef struct
{
  AhWsEventType type;
  Bytes p;                      /* TEXT/BINARY/PING/PONG: payload; CLOSE: reason */
  gushort code;                 /* CLOSE, ERROR */
} Expect;

typedef struct
{
  const gchar *name;
  AhWsRole role;                /* the decoder's */
  gsize max;                    /* 0: 1 MiB */
  Frame f[6];
  Expect e[6];
} Case;

static const Case cases[] = {
  /* whole messages */
  {.name = "text",.f = {{FIN | 0x1,.p = {"hello"}}},
      .e = {{AH_WS_EVENT_TEXT, {"hello"}}}},
  {.name = "binary with NUL bytes",.f = {{FIN | 0x2,.p = {"\0\1\0", 3}}},
      .e = {{AH_WS_EVENT_BINARY, {"\0\1\0", 3}}}},
  {.name = "empty text",.f = {{FIN | 0x1,.p = {""}}},
      .e = {{AH_WS_EVENT_TEXT, {""}}}},
  {.name = "empty binary",.f = {{FIN | 0x2,.p = {""}}},
      .e = {{AH_WS_EVENT_BINARY, {""}}}},
  {.name = "16-bit length",.f = {{FIN | 0x1,.p = {.fill = 300}}},
      .e = {{AH_WS_EVENT_TEXT, {.fill = 300}}}},
  {.name = "64-bit length",.f = {{FIN | 0x2,.p = {.fill = 70000}}},
      .e = {{AH_WS_EVENT_BINARY, {.fill = 70000}}}},
  {.name = "a length longer than it needs (tolerated)",
        .f = {{FIN | 0x1,.p = {"hi"},.ext = 2}, {FIN | 0x2,.p = {"yo"},.ext =
                8}},
      .e = {{AH_WS_EVENT_TEXT, {"hi"}}, {AH_WS_EVENT_BINARY, {"yo"}}}},
  {.name = "two messages",.f = {{FIN | 0x2,.p = {"ab"}}, {FIN | 0x1,.p =
                {"c"}}},
      .e = {{AH_WS_EVENT_BINARY, {"ab"}}, {AH_WS_EVENT_TEXT, {"c"}}}},
  {.name = "client role: unmasked frames",.role = AH_WS_ROLE_CLIENT,
        .f = {{FIN | 0x1,.p = {"hi"}}, {FIN | 0x9,.p = {"p"}}},
      .e = {{AH_WS_EVENT_TEXT, {"hi"}}, {AH_WS_EVENT_PING, {"p"}}}},
  /* fragments */
  {.name = "text in three fragments",
        .f = {{0x1,.p = {"he"}}, {0x0,.p = {"l"}}, {FIN | 0x0,.p = {"lo"}}},
      .e = {{AH_WS_EVENT_TEXT, {"hello"}}}},
  {.name = "binary in fragments, empty ones too",
        .f = {{0x2,.p = {""}}, {0x0,.p = {"ab"}}, {0x0,.p = {""}},
            {FIN | 0x0,.p = {""}}},
      .e = {{AH_WS_EVENT_BINARY, {"ab"}}}},
  {.name = "a ping and a pong between fragments",
        .f = {{0x1,.p = {"a"}}, {FIN | 0x9,.p = {"p1"}}, {0x0,.p = {"b"}},
            {FIN | 0xA,.p = {""}}, {FIN | 0x0,.p = {"c"}}},
        .e = {{AH_WS_EVENT_PING, {"p1"}}, {AH_WS_EVENT_PONG, {""}},
          {AH_WS_EVENT_TEXT, {"abc"}}}},
  {.name = "a close between fragments",
        .f = {{0x2,.p = {"a"}}, {FIN | 0x8,.p = {"\x03\xe8", 2}}},
      .e = {{AH_WS_EVENT_CLOSE, {""}, 1000}}},
  {.name = "a 2-byte character split across fragments",
        .f = {{0x1,.p = {"h\xc3"}}, {FIN | 0x0,.p = {"\xa9"}}},
      .e = {{AH_WS_EVENT_TEXT, {"h\xc3\xa9"}}}},
  {.name = "a 4-byte character over three fragments",
        .f = {{0x1,.p = {"\xf0\x9f"}}, {0x0,.p = {"\x98"}},
            {FIN | 0x0,.p = {"\x80!"}}},
      .e = {{AH_WS_EVENT_TEXT, {"\xf0\x9f\x98\x80!"}}}},
  /* control frames */
  {.name = "ping with 125 bytes",.f = {{FIN | 0x9,.p = {.fill = 125}}},
      .e = {{AH_WS_EVENT_PING, {.fill = 125}}}},
  {.name = "empty ping",.f = {{FIN | 0x9,.p = {""}}},
      .e = {{AH_WS_EVENT_PING, {""}}}},
  {.name = "pong",.f = {{FIN | 0xA,.p = {"xyz"}}},
      .e = {{AH_WS_EVENT_PONG, {"xyz"}}}},
  {.name = "control frames do not count toward the limit",.max = 4,
        .f = {{FIN | 0x9,.p = {.fill = 100}}},
      .e = {{AH_WS_EVENT_PING, {.fill = 100}}}},
  {.name = "close without payload",.f = {{FIN | 0x8,.p = {""}}},
      .e = {{AH_WS_EVENT_CLOSE, {""}, 1005}}},
  {.name = "close with a reason",.f = {{FIN | 0x8,.p = {"\x03\xe8" "bye"}}},
      .e = {{AH_WS_EVENT_CLOSE, {"bye"}, 1000}}},
  {.name = "close with a UTF-8 reason",
        .f = {{FIN | 0x8,.p = {"\x0f\xa0\xc3\xa9t\xc3\xa9"}}},
      .e = {{AH_WS_EVENT_CLOSE, {"\xc3\xa9t\xc3\xa9"}, 4000}}},
  /* the size limit */
  {.name = "a frame exactly at the limit",.max = 10,
        .f = {{FIN | 0x2,.p = {.fill = 10}}},
      .e = {{AH_WS_EVENT_BINARY, {.fill = 10}}}},
  {.name = "a frame one over the limit",.max = 10,
        .f = {{FIN | 0x2,.p = {.fill = 11}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1009}}},
  {.name = "fragments exactly at the limit",.max = 10,
        .f = {{0x1,.p = {.fill = 4}}, {0x0,.p = {"efgh"}},
            {FIN | 0x0,.p = {"ij"}}},
      .e = {{AH_WS_EVENT_TEXT, {.fill = 10}}}},
  {.name = "fragments one over the limit",.max = 10,
        .f = {{0x1,.p = {.fill = 4}}, {0x0,.p = {"efgh"}},
            {FIN | 0x0,.p = {"ijk"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1009}}},
  {.name = "the limit is per message",.max = 10,
        .f = {{FIN | 0x1,.p = {.fill = 10}}, {FIN | 0x2,.p = {.fill = 10}}},
        .e = {{AH_WS_EVENT_TEXT, {.fill = 10}},
          {AH_WS_EVENT_BINARY, {.fill = 10}}}},
  {.name = "2^62 bytes announced",
        .f = {{FIN | 0x2,.announce = G_GUINT64_CONSTANT (1) << 62}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1009}}},
  {.name = "2^62 bytes announced in a second fragment",
        .f = {{0x2,.p = {"a"}}, {0x0,.announce = G_GUINT64_CONSTANT (1) << 62}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1009}}},
  /* protocol errors */
  {.name = "a ping without FIN",.f = {{0x9,.p = {"a"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a close without FIN",.f = {{0x8,.p = {""}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a ping of 126 bytes",.f = {{FIN | 0x9,.p = {.fill = 126}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a pong of 125 bytes in a 16-bit length",
        .f = {{FIN | 0xA,.p = {.fill = 125},.ext = 2}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "server role: an unmasked frame",
        .f = {{FIN | 0x1,.p = {"a"},.wrong_mask = TRUE}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "client role: a masked frame",.role = AH_WS_ROLE_CLIENT,
        .f = {{FIN | 0x1,.p = {"a"},.wrong_mask = TRUE}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a continuation with no message begun",
        .f = {{FIN | 0x0,.p = {"a"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a continuation after a whole message",
        .f = {{FIN | 0x1,.p = {"a"}}, {FIN | 0x0,.p = {"b"}}},
      .e = {{AH_WS_EVENT_TEXT, {"a"}}, {AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a new text while one is fragmented",
        .f = {{0x1,.p = {"a"}}, {FIN | 0x1,.p = {"b"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a new binary while a ping came between",
        .f = {{0x2,.p = {"a"}}, {FIN | 0x9,.p = {""}}, {0x2,.p = {"b"}}},
      .e = {{AH_WS_EVENT_PING, {""}}, {AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a 64-bit length with its top bit set",.max = G_MAXSIZE,
        .f = {{FIN | 0x2,.announce = G_GUINT64_CONSTANT (1) << 63}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a close payload of 1 byte",.f = {{FIN | 0x8,.p = {"\x03"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1002}}},
  {.name = "a close payload of 1 byte after a whole close",
        .f = {{FIN | 0x8,.p = {"\x03\xe8"}}, {FIN | 0x8,.p = {"\x03"}}},
      .e = {{AH_WS_EVENT_CLOSE, {""}, 1000}, {AH_WS_EVENT_ERROR,.code = 1002}}},
  /* UTF-8 (and test_utf8) */
  {.name = "text: fragments end inside a character",
        .f = {{0x1,.p = {"a"}}, {FIN | 0x0,.p = {"\xe2\x82"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1007}}},
  {.name = "text: bad in a first fragment, before the message ends",
        .f = {{0x1,.p = {"\xff"}}},
      .e = {{AH_WS_EVENT_ERROR,.code = 1007}}},
  {.name = "binary is not checked",.f = {{FIN | 0x2,.p = {"\xff\xc0"}}},
      .e = {{AH_WS_EVENT_BINARY, {"\xff\xc0"}}}},
  /* after an error */
  {.name = "events before an error, none after",
        .f = {{FIN | 0x1,.p = {"a"}}, {FIN | RSV1 | 0x1,.p = {"b"}},
            {FIN | 0x1,.p = {"c"}}},
      .e = {{AH_WS_EVENT_TEXT, {"a"}}, {AH_WS_EVENT_ERROR,.code = 1002}}},
};

static guint8 *
bytes_make (const Bytes * b, gsize * size)
{
  guint8 *p;
  gsize i;

  *size =
      b->fill ? b->fill : b->size ? b->size : b->data ? strlen (b->data) : 0;
  p = g_malloc0 (*size + 1);
  for (i = 0; i < *size; i++)
    p[i] = b->fill ? (guint8) ('a' + i % 26) : (guint8) b->data[i];
  return p;
}

static gboolean
frame_present (const Frame * f)
{
  return f->p.data != NULL || f->p.fill > 0 || f->announce > 0;
}

/* @f as the peer of @role sends it. */
static void
frame_write (const Frame * f, AhWsRole role, GByteArray * out)
{
  static const guint8 key[4] = { 0x12, 0x34, 0xab, 0xcd };
  gboolean mask = (role == AH_WS_ROLE_SERVER) != f->wrong_mask;
  gsize size = 0, i;
  guint8 *p = f->announce ? NULL : bytes_make (&f->p, &size);
  guint64 len = f->announce ? f->announce : size;
  guint ext = f->ext ? f->ext : len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  guint8 h[14];
  guint n = 0;

  h[n++] = f->b0;
  h[n++] = (mask ? 0x80 : 0) | (ext == 0 ? len : ext == 2 ? 126 : 127);
  for (i = ext; i > 0; i--)
    h[n++] = (len >> (8 * (i - 1))) & 0xff;
  if (mask) {
    memcpy (h + n, key, 4);
    n += 4;
    for (i = 0; i < size; i++)
      p[i] ^= key[i % 4];
  }
  g_byte_array_append (out, h, n);
  if (size > 0)
    g_byte_array_append (out, p, size);
  g_free (p);
}

/* Feeds @data whole (@rand NULL, @bytewise FALSE), a byte at a time, or in
 * pieces of 1 to 39 bytes drawn from @rand, checking the contract, and
 * returns the events. */
static GArray *
decode (const Case * c, const guint8 * data, gsize size, gboolean bytewise,
    GRand * rand)
{
  AhWsDecoder *d = ah_ws_decoder_new (c->role, c->max ? c->max : MIB);
  GArray *events = g_array_new (FALSE, TRUE, sizeof (AhWsEvent));
  gboolean dead = FALSE;
  gsize off = 0;

  g_array_set_clear_func (events, (GDestroyNotify) ah_ws_event_clear);
  while (off < size) {
    gsize piece =
        bytewise ? 1 : rand ? (gsize) g_rand_int_range (rand, 1, 40) : size;
    gsize used = 0;

    piece = MIN (piece, size - off);
    while (used < piece) {
      AhWsEvent ev;
      gsize n = ah_ws_decoder_feed (d, data + off + used, piece - used, &ev);

      g_assert_cmpuint (n, >, 0);
      g_assert_cmpuint (n, <=, piece - used);
      used += n;
      if (ev.type == AH_WS_EVENT_NONE)
        continue;
      g_assert_false (dead);
      dead = ev.type == AH_WS_EVENT_ERROR;
      if (dead)
        g_assert_cmpuint (used, ==, piece);
      g_array_append_val (events, ev);
    }
    off += piece;
  }
  ah_ws_decoder_free (d);
  return events;
}

static void
check_events (const Case * c, const gchar * how, GArray * events)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (c->e) && c->e[i].type; i++) {
    const Expect *e = &c->e[i];
    AhWsEvent *ev;
    gsize size = 0;
    guint8 *want;

    if (i >= events->len)
      g_error ("%s (%s): %u events, expected more", c->name, how, i);
    ev = &g_array_index (events, AhWsEvent, i);
    if (ev->type != e->type || ev->code != e->code)
      g_error ("%s (%s): event %u is %d code %u (%s), expected %d code %u",
          c->name, how, i, ev->type, ev->code, ev->reason, e->type, e->code);
    if (e->type == AH_WS_EVENT_ERROR) {
      g_assert_true (ev->reason && ev->reason[0]);
      continue;
    }
    want = bytes_make (&e->p, &size);
    if (e->type == AH_WS_EVENT_CLOSE) {
      g_assert_cmpstr (ev->reason, ==, (const gchar *) want);
      g_assert_null (ev->payload);
    } else {
      g_assert_nonnull (ev->payload);
      g_assert_null (ev->reason);
      g_assert_cmpmem (g_bytes_get_data (ev->payload, NULL),
          g_bytes_get_size (ev->payload), want, size);
    }
    if (e->type == AH_WS_EVENT_TEXT)
      g_assert_cmpint (((const gchar *)
              g_bytes_get_data (ev->payload, NULL))[size], ==, 0);
    g_free (want);
  }
  if (events->len != i)
    g_error ("%s (%s): %u events, expected %u", c->name, how, events->len, i);
  g_array_unref (events);
}

/* @c fed whole, a byte at a time and in random pieces (20 seeds). */
static void
run_case (const Case * c)
{
  GByteArray *wire = g_byte_array_new ();
  GRand *rand;
  guint j, seed;

  for (j = 0; j < G_N_ELEMENTS (c->f) && frame_present (&c->f[j]); j++)
    frame_write (&c->f[j], c->role, wire);
  check_events (c, "whole", decode (c, wire->data, wire->len, FALSE, NULL));
  check_events (c, "byte by byte", decode (c, wire->data, wire->len, TRUE,
          NULL));
  for (seed = 1; seed <= 20; seed++) {
    rand = g_rand_new_with_seed (seed);
    check_events (c, "random pieces", decode (c, wire->data, wire->len,
            FALSE, rand));
    g_rand_free (rand);
  }
  g_byte_array_unref (wire);
}

static void
test_table (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    run_case (&cases[i]);
}

/* Every close code a peer may send (1012-1014 too, which servers send),
 * and those it may not, around each edge. */
static void
test_close_codes (void)
{
  static const gushort good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
    1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999
  };
  static const gushort bad[] = { 0, 1, 999, 1004, 1005, 1006, 1015, 1016,
    2000, 2999, 5000, 65535
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good) + G_N_ELEMENTS (bad); i++) {
    gboolean ok = i < G_N_ELEMENTS (good);
    gushort code = ok ? good[i] : bad[i - G_N_ELEMENTS (good)];
    gchar payload[] = { code >> 8, code & 0xff, 'o', 'k', 0 };
    gchar *name = g_strdup_printf ("close code %u", code);
    Case c = {.name = name,.f = {{FIN | 0x8,.p = {payload, 4}
            }
        },
    .e = {{ok ? AH_WS_EVENT_CLOSE : AH_WS_EVENT_ERROR, {"ok"},
            ok ? code : 1002}
        }
    };

    run_case (&c);
    g_free (name);
  }
}

/* Reserved opcodes and RSV bits, on data and control frames. */
static void
test_reserved (void)
{
  static const guint8 first[] = { FIN | 0x3, FIN | 0x4, FIN | 0x5, FIN | 0x6,
    FIN | 0x7, FIN | 0xB, FIN | 0xC, FIN | 0xD, FIN | 0xE, FIN | 0xF, 0x3,
    FIN | RSV1 | 0x1, FIN | RSV2 | 0x2, FIN | RSV3 | 0x9, RSV1 | 0x1,
    RSV3 | 0x0, FIN | RSV1 | RSV2 | RSV3 | 0x8
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (first); i++) {
    gchar *name = g_strdup_printf ("first byte 0x%02x", first[i]);
    Case c = {.name = name,.f = {{first[i],.p = {"a"}
            }
        },
    .e = {{AH_WS_EVENT_ERROR,.code = 1002}
        }
    };

    run_case (&c);
    g_free (name);
  }
}

typedef struct
{
  const gchar *bytes;
  gsize size;                   /* 0: strlen */
  gboolean valid;
} Utf8Case;

static const Utf8Case utf8_cases[] = {
  {"plain ASCII", 0, TRUE},
  {"", 0, TRUE},
  {"a\0b", 3, TRUE},
  {"\xc3\xa9t\xc3\xa9", 0, TRUE},
  {"\xe2\x82\xac \xef\xbf\xbf \xee\x80\x80", 0, TRUE},
  {"\xf0\x9f\x98\x80 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", 0, TRUE},
  {"\xed\x9f\xbf \xee\x80\x80", 0, TRUE},
  {"a\xff", 0, FALSE},
  {"\xfe", 0, FALSE},
  {"\x80", 0, FALSE},
  {"\xc0\xaf", 0, FALSE},
  {"\xc1\xbf", 0, FALSE},
  {"\xe0\x80\xaf", 0, FALSE},
  {"\xe0\x9f\xbf", 0, FALSE},
  {"\xf0\x80\x80\xaf", 0, FALSE},
  {"\xf0\x8f\xbf\xbf", 0, FALSE},
  {"\xed\xa0\x80", 0, FALSE},
  {"\xed\xbf\xbf", 0, FALSE},
  {"\xf4\x90\x80\x80", 0, FALSE},
  {"\xf5\x80\x80\x80", 0, FALSE},
  {"\xc3\x28", 0, FALSE},
  {"\xe2\x82\x28", 0, FALSE},
  {"ab\xc3", 0, FALSE},
  {"ab\xe2\x82", 0, FALSE},
  {"ab\xf0\x9f\x98", 0, FALSE},
};

/* Each string as a text message in one frame, split in two fragments at
 * every point (inside a character too), and as a close reason. */
static void
test_utf8 (void)
{
  guint i;
  gsize at;

  for (i = 0; i < G_N_ELEMENTS (utf8_cases); i++) {
    const Utf8Case *u = &utf8_cases[i];
    gsize size = u->size ? u->size : strlen (u->bytes);
    gchar *reason = g_strdup_printf ("\x0f\xa0%s", u->bytes);
    Case c = {.name = u->bytes,
      .e = {{u->valid ? AH_WS_EVENT_TEXT : AH_WS_EVENT_ERROR, {u->bytes, size},
              u->valid ? 0 : 1007}}
    };
    Case close = {.name = u->bytes,
      .f = {{FIN | 0x8,.p = {reason, size + 2}}},
      .e = {{u->valid ? AH_WS_EVENT_CLOSE : AH_WS_EVENT_ERROR, {u->bytes},
              u->valid ? 4000 : 1007}}
    };

    /* at 0: one frame; then the first @at bytes, and the rest */
    for (at = 0; at <= size; at++) {
      Frame whole = { FIN | 0x1,.p = {u->bytes, size}
      };
      Frame first = { 0x1,.p = {u->bytes, at}
      };
      Frame last = { FIN | 0x0,.p = {u->bytes + at, size - at}
      };
      Frame none = { 0 };

      c.f[0] = at == 0 ? whole : first;
      c.f[1] = at == 0 ? none : last;
      run_case (&c);
    }
    if (memchr (u->bytes, 0, size) == NULL)
      run_case (&close);
    g_free (reason);
  }
}

/* A header that announces more than memory holds, with no limit to refuse
 * it: nothing is allocated for it before its bytes come (were it, the
 * allocation would abort the test). */
static void
test_huge_without_limit (void)
{
  AhWsDecoder *d = ah_ws_decoder_new (AH_WS_ROLE_CLIENT, G_MAXSIZE);
  const guint8 header[] = { 0x82, 127, 0, 0x40, 0, 0, 0, 0, 0, 0, 'a', 'b' };
  AhWsEvent ev;

  g_assert_cmpuint (ah_ws_decoder_feed (d, header, sizeof (header), &ev), ==,
      sizeof (header));
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_NONE);
  ah_ws_decoder_free (d);
}

/* After an error, everything is consumed and nothing reported. */
static void
test_dead (void)
{
  AhWsDecoder *d = ah_ws_decoder_new (AH_WS_ROLE_SERVER, 100);
  const guint8 bad[] = { 0x81, 0x01, 'a', 0x81, 0x81, 0, 0, 0, 0, 'b' };
  AhWsEvent ev;

  g_assert_cmpuint (ah_ws_decoder_feed (d, bad, sizeof (bad), &ev), ==,
      sizeof (bad));
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_ERROR);
  g_assert_cmpuint (ev.code, ==, 1002);
  ah_ws_event_clear (&ev);
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_NONE);
  g_assert_cmpuint (ah_ws_decoder_feed (d, bad + 3, 7, &ev), ==, 7);
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_NONE);
  g_assert_cmpuint (ah_ws_decoder_feed (d, bad, 0, &ev), ==, 0);
  g_assert_cmpint (ev.type, ==, AH_WS_EVENT_NONE);
  ah_ws_decoder_free (d);
  ah_ws_decoder_free (NULL);
}

/* A server's frames, to the byte. */
static void
test_encode_server (void)
{
  GByteArray *out = g_byte_array_new ();
  guint8 big[300] = { 0 };

  ah_ws_encode (AH_WS_ROLE_SERVER, AH_WS_OP_TEXT, (const guint8 *) "hello", 5,
      out);
  g_assert_cmpmem (out->data, out->len, "\x81\x05hello", 7);
  g_byte_array_set_size (out, 0);
  ah_ws_encode (AH_WS_ROLE_SERVER, AH_WS_OP_BINARY, big, sizeof (big), out);
  g_assert_cmpuint (out->len, ==, 4 + 300);
  g_assert_cmpmem (out->data, 4, "\x82\x7e\x01\x2c", 4);
  g_byte_array_set_size (out, 0);
  ah_ws_encode (AH_WS_ROLE_SERVER, AH_WS_OP_PONG, NULL, 0, out);
  g_assert_cmpmem (out->data, out->len, "\x8a\x00", 2);
  g_byte_array_set_size (out, 0);
  ah_ws_encode_close (AH_WS_ROLE_SERVER, 0, "ignored", out);
  g_assert_cmpmem (out->data, out->len, "\x88\x00", 2);
  g_byte_array_set_size (out, 0);
  ah_ws_encode_close (AH_WS_ROLE_SERVER, 1000, NULL, out);
  g_assert_cmpmem (out->data, out->len, "\x88\x02\x03\xe8", 4);
  g_byte_array_unref (out);
}

/* @op with @size bytes, encoded by @role and decoded by the other: the
 * same payload, as event @type. */
static void
round_trip (AhWsRole role, AhWsOpcode op, AhWsEventType type, gsize size)
{
  Bytes b = {.fill = size };
  GByteArray *out = g_byte_array_new ();
  AhWsDecoder *d = ah_ws_decoder_new (!role, MIB);
  guint8 *p = bytes_make (&b, &size);
  AhWsEvent ev;

  ah_ws_encode (role, op, p, size, out);
  g_assert_cmpuint (out->data[1] & 0x80, ==,
      role == AH_WS_ROLE_CLIENT ? 0x80 : 0);
  g_assert_cmpuint (ah_ws_decoder_feed (d, out->data, out->len, &ev), ==,
      out->len);
  g_assert_cmpint (ev.type, ==, type);
  g_assert_cmpmem (g_bytes_get_data (ev.payload, NULL),
      g_bytes_get_size (ev.payload), p, size);
  ah_ws_event_clear (&ev);
  ah_ws_decoder_free (d);
  g_byte_array_unref (out);
  g_free (p);
}

static void
test_round_trip (void)
{
  static const gsize sizes[] = { 0, 1, 125, 126, 3200, 65535, 65536, 70000 };
  static const AhWsOpcode ops[] = { AH_WS_OP_TEXT, AH_WS_OP_BINARY,
    AH_WS_OP_PING, AH_WS_OP_PONG
  };
  static const AhWsEventType types[] = { AH_WS_EVENT_TEXT,
    AH_WS_EVENT_BINARY, AH_WS_EVENT_PING, AH_WS_EVENT_PONG
  };
  guint role, i, j;

  for (role = AH_WS_ROLE_SERVER; role <= AH_WS_ROLE_CLIENT; role++) {
    for (i = 0; i < G_N_ELEMENTS (ops); i++) {
      for (j = 0; j < G_N_ELEMENTS (sizes); j++) {
        if (ops[i] < AH_WS_OP_CLOSE || sizes[j] <= 125)
          round_trip (role, ops[i], types[i], sizes[j]);
      }
    }
  }
}

typedef struct
{
  const gchar *name;
  gushort code;
  const gchar *reason;
  gsize reason_fill;            /* letters before @reason */
  gsize expect_len;             /* of the reason as sent */
} CloseCase;

static const CloseCase close_cases[] = {
  {.name = "no code",.code = 0,.reason = "x",.expect_len = 0},
  {.name = "short",.code = 1000,.reason = "bye",.expect_len = 3},
  {.name = "123 bytes fit",.code = 1001,.reason = "",.reason_fill = 123,
      .expect_len = 123},
  {.name = "124 bytes: one cut",.code = 1001,.reason = "",.reason_fill = 124,
      .expect_len = 123},
  {.name = "a 2-byte character at 122: cut before it",.code = 1011,
      .reason = "\xc3\xa9",.reason_fill = 122,.expect_len = 122},
  {.name = "a 2-byte character at 121: fits",.code = 1011,
      .reason = "\xc3\xa9",.reason_fill = 121,.expect_len = 123},
  {.name = "a 3-byte character at 121: cut before it",.code = 4000,
      .reason = "\xe2\x82\xac",.reason_fill = 121,.expect_len = 121},
  {.name = "a 4-byte character at 120: cut before it",.code = 4000,
      .reason = "\xf0\x9f\x98\x80",.reason_fill = 120,.expect_len = 120},
  {.name = "a 4-byte character at 119: fits",.code = 4000,
      .reason = "\xf0\x9f\x98\x80zz",.reason_fill = 119,.expect_len = 123},
  {.name = "all 3-byte characters",.code = 3000,
        .reason = "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
      .expect_len = 123},
};

/* Close frames: the reason cut on a character boundary, decoded by the
 * other role as it was sent. */
static void
test_close (void)
{
  const CloseCase *c;
  AhWsRole role;

  for (c = close_cases; c < close_cases + G_N_ELEMENTS (close_cases); c++) {
    Bytes fill = {.fill = c->reason_fill };
    gsize size;
    guint8 *p = bytes_make (&fill, &size);
    gchar *letters = g_strndup ((const gchar *) p, size);
    gchar *reason = g_strconcat (letters, c->reason, NULL);

    g_free (letters);
    for (role = AH_WS_ROLE_SERVER; role <= AH_WS_ROLE_CLIENT; role++) {
      GByteArray *out = g_byte_array_new ();
      AhWsDecoder *d = ah_ws_decoder_new (!role, 16);
      AhWsEvent ev;

      ah_ws_encode_close (role, c->code, reason, out);
      g_assert_cmpuint (ah_ws_decoder_feed (d, out->data, out->len, &ev), ==,
          out->len);
      if (ev.type != AH_WS_EVENT_CLOSE)
        g_error ("%s: event %d (%s)", c->name, ev.type, ev.reason);
      g_assert_cmpuint (ev.code, ==, c->code ? c->code : 1005);
      g_assert_cmpuint (strlen (ev.reason), ==, c->expect_len);
      g_assert_true (strncmp (ev.reason, reason, c->expect_len) == 0);
      g_assert_cmpuint (out->len, <=, 2 + 4 + 125);
      ah_ws_event_clear (&ev);
      ah_ws_decoder_free (d);
      g_byte_array_unref (out);
    }
    g_free (reason);
    g_free (p);
  }
}

static const struct
{
  const gchar *path;
  GTestFunc func;
} tests[] = {
  {"/wsframe/table", test_table},
  {"/wsframe/close-codes", test_close_codes},
  {"/wsframe/reserved", test_reserved},
  {"/wsframe/utf8", test_utf8},
  {"/wsframe/huge-without-limit", test_huge_without_limit},
  {"/wsframe/dead", test_dead},
  {"/wsframe/encode-server", test_encode_server},
  {"/wsframe/round-trip", test_round_trip},
  {"/wsframe/close", test_close},
};

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (tests); i++)
    g_test_add_func (tests[i].path, tests[i].func);
  return g_test_run ();
}
