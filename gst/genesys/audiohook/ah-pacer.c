/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How the pacer keeps its state, all in integer nanoseconds:
 *
 * Token bucket. The bucket is kept as the time @full_at at which it will
 * hold @burst tokens again (a "theoretical arrival time", as in the generic
 * cell rate algorithm). One token takes @token_ns to refill; @token_ns is
 * 1e9 / rate rounded up, once, in ah_pacer_new(), so the rate is never
 * exceeded and no rounding error builds up over time. At time t the bucket
 * holds burst - (full_at - t) / token_ns tokens (burst when full_at <= t),
 * so it holds at least one token once t >= full_at - (burst - 1) * token_ns.
 * Sending a message at t takes a token: full_at = max (full_at, t) +
 * token_ns.
 *
 * Playout. The client plays what it got in real time. Since it last became
 * idle it started to play at @play_start and has been sent @play_bytes: it
 * plays until play_end = play_start + duration (play_bytes), the duration
 * rounded up to the ns and computed from the byte count, so that it does not
 * drift however many messages are sent. A message sent at t when play_end
 * <= t (the client is idle) restarts playout at t.
 *
 * Hold. ah_pacer_hold() keeps @hold_until and sets @full_at to until +
 * burst * token_ns: the bucket is empty at @until and refills from there,
 * so the first message after a hold leaves one token interval after it.
 *
 * Start. With a start margin, a push that finds the queue empty and the
 * client idle starts a playback at @start_first; @start_gcd is the gcd of
 * the frame and every push since (0: no playback is starting). Audio that
 * comes in real time from @start_first on completes frame j at the latest
 * one piece (g = @start_gcd) before its end, i.e. frame - g after the
 * frame's start in stream time, so a first message at start_first + frame
 * - g + margin leaves every later frame at least @margin ahead of its
 * playout. No message goes out before that unless a drain is pending; the
 * first message sent ends the start.
 *
 * Queue. A GQueue of the GBytes pushed, the first one read from @head_offset
 * on. A message that one pushed GBytes covers is a slice of it (no copy);
 * otherwise the message is assembled into a new buffer.
 */

#include "ah-pacer.h"

#include <string.h>

#define NS_PER_SECOND G_GUINT64_CONSTANT (1000000000)

struct _AhPacer
{
  /* configuration, normalised */
  gsize frame_bytes;
  gsize max_bytes;
  gsize align;
  guint64 bytes_per_second;
  guint64 token_ns;
  guint burst;
  guint64 max_lead;
  guint64 linger;
  guint64 start_margin;

  /* queue */
  GQueue chunks;                /* of GBytes */
  gsize head_offset;            /* bytes of the first chunk already sent */
  gsize queued;
  gsize drain_bytes;            /* queued bytes that end an utterance */
  guint64 last_push;
  guint64 start_first;
  gsize start_gcd;              /* 0: not starting */

  /* token bucket */
  guint64 full_at;

  /* playout model */
  guint64 play_start;
  guint64 play_bytes;

  guint64 hold_until;

  guint64 messages;
  guint64 bytes;
  guint holds;
  guint64 flushed;
};

static guint64
sat_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

static guint64
sat_sub (guint64 a, guint64 b)
{
  return a > b ? a - b : 0;
}

static guint64
sat_mul (guint64 a, guint64 b)
{
  return b != 0 && a > G_MAXUINT64 / b ? G_MAXUINT64 : a * b;
}

/* ns that @bytes of audio play for, rounded up. bytes_per_second is at
 * most G_MAXUINT64 / 1e9 (checked in ah_pacer_new()), so the remainder
 * term cannot overflow. */
static guint64
duration (const AhPacer * pacer, guint64 bytes)
{
  guint64 bps = pacer->bytes_per_second;
  guint64 whole = sat_mul (bytes / bps, NS_PER_SECOND);

  return sat_add (whole, ((bytes % bps) * NS_PER_SECOND + bps - 1) / bps);
}

static guint64
play_end (const AhPacer * pacer)
{
  return sat_add (pacer->play_start, duration (pacer, pacer->play_bytes));
}

static void
restart_playout (AhPacer * pacer, guint64 now)
{
  pacer->play_start = now;
  pacer->play_bytes = 0;
}

AhPacer *
ah_pacer_new (const AhPacerConfig * config, guint64 now)
{
  AhPacer *pacer;
  gdouble token_ns;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->align >= 1, NULL);
  g_return_val_if_fail (config->max_bytes >= config->align, NULL);
  g_return_val_if_fail (config->bytes_per_second >= 1, NULL);
  g_return_val_if_fail (config->bytes_per_second <= G_MAXUINT64 /
      NS_PER_SECOND, NULL);
  /* also false for NaN */
  g_return_val_if_fail (config->rate > 0 && config->rate <= G_MAXDOUBLE, NULL);
  g_return_val_if_fail (config->burst >= 1, NULL);

  pacer = g_new0 (AhPacer, 1);
  pacer->align = config->align;
  pacer->max_bytes = config->max_bytes - config->max_bytes % config->align;
  pacer->frame_bytes = MIN (config->frame_bytes, pacer->max_bytes);
  pacer->frame_bytes -= pacer->frame_bytes % config->align;
  if (pacer->frame_bytes == 0)
    pacer->frame_bytes = config->align;
  pacer->bytes_per_second = config->bytes_per_second;
  pacer->burst = config->burst;
  pacer->max_lead = config->max_lead;
  pacer->linger = config->linger;
  pacer->start_margin = config->start_margin;

  /* Rounded up: the rate is at most the one configured. */
  token_ns = (gdouble) NS_PER_SECOND / config->rate;
  if (token_ns >= (gdouble) (G_MAXUINT64 / 2)) {
    pacer->token_ns = G_MAXUINT64 / 2;
  } else {
    pacer->token_ns = (guint64) token_ns;
    if ((gdouble) pacer->token_ns < token_ns)
      pacer->token_ns++;
    pacer->token_ns = MAX (pacer->token_ns, 1);
  }

  g_queue_init (&pacer->chunks);
  pacer->last_push = now;
  pacer->full_at = now;         /* the bucket starts full */
  restart_playout (pacer, now);
  return pacer;
}

static void
clear_queue (AhPacer * pacer)
{
  g_queue_clear_full (&pacer->chunks, (GDestroyNotify) g_bytes_unref);
  pacer->head_offset = 0;
  pacer->queued = 0;
  pacer->drain_bytes = 0;
  pacer->start_gcd = 0;
}

static gsize
gcd (gsize a, gsize b)
{
  while (b) {
    gsize t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* A playback starts at @now with @size bytes, or gets @size more. */
static void
start_piece (AhPacer * pacer, gsize size, guint64 now, gboolean first)
{
  if (pacer->start_margin == 0)
    return;
  if (first) {
    pacer->start_first = now;
    pacer->start_gcd = pacer->frame_bytes;
  }
  if (pacer->start_gcd)
    pacer->start_gcd = gcd (pacer->start_gcd, size);
}

void
ah_pacer_free (AhPacer * pacer)
{
  if (pacer == NULL)
    return;
  clear_queue (pacer);
  g_free (pacer);
}

void
ah_pacer_push (AhPacer * pacer, GBytes * data, guint64 now)
{
  gsize size;

  g_return_if_fail (pacer != NULL);
  g_return_if_fail (data != NULL);

  size = g_bytes_get_size (data);
  if (size == 0)
    return;
  start_piece (pacer, size, now, pacer->queued == 0 && play_end (pacer) <= now);
  g_queue_push_tail (&pacer->chunks, g_bytes_ref (data));
  pacer->queued += size;
  pacer->last_push = now;
}

void
ah_pacer_drain (AhPacer * pacer, guint64 now)
{
  g_return_if_fail (pacer != NULL);

  /* Whole sample frames only: a trailing partial sample is never sent. */
  pacer->drain_bytes = pacer->queued - pacer->queued % pacer->align;
}

gsize
ah_pacer_flush (AhPacer * pacer, guint64 now)
{
  gsize dropped;

  g_return_val_if_fail (pacer != NULL, 0);

  dropped = pacer->queued;
  clear_queue (pacer);
  pacer->flushed += dropped;
  restart_playout (pacer, now);
  return dropped;
}

void
ah_pacer_hold (AhPacer * pacer, guint64 until, guint64 now)
{
  guint64 empty_at;

  g_return_if_fail (pacer != NULL);

  /* A hold that ends in the past still empties the bucket now: the client
   * just said that we sent too much. */
  until = MAX (until, now);
  pacer->hold_until = MAX (pacer->hold_until, until);
  /* No token at @until; they refill from there on. */
  empty_at = sat_add (until, sat_mul (pacer->burst, pacer->token_ns));
  pacer->full_at = MAX (pacer->full_at, empty_at);
  pacer->holds++;
}

void
ah_pacer_reset_playout (AhPacer * pacer, guint64 now)
{
  g_return_if_fail (pacer != NULL);

  restart_playout (pacer, now);
  pacer->start_gcd = 0;
  if (pacer->queued > 0)
    start_piece (pacer, pacer->queued, now, TRUE);
}

/* The size of the next message and the earliest time it can go out, which
 * does not depend on the time asked at: G_MAXUINT64 when nothing goes out
 * without more input.
 *
 * Full frames go out as they are, even when they span the end of an
 * utterance and the start of the next (the audio is contiguous). A partial
 * frame goes out after a drain (only the part queued at the drain: what
 * was pushed after it is the next utterance and waits for its own frame or
 * linger), or when @linger passed since the last push. */
static guint64
next_message (const AhPacer * pacer, gsize * size)
{
  guint64 ready_at, token_at, lead_at, d;
  gsize whole = pacer->queued - pacer->queued % pacer->align;

  if (pacer->queued >= pacer->frame_bytes) {
    *size = pacer->frame_bytes;
    ready_at = 0;
  } else if (pacer->drain_bytes > 0) {
    *size = pacer->drain_bytes;
    ready_at = 0;
  } else if (whole > 0) {
    *size = whole;
    ready_at = sat_add (pacer->last_push, pacer->linger);
  } else {
    *size = 0;
    return G_MAXUINT64;
  }
  if (ready_at == G_MAXUINT64)
    return G_MAXUINT64;
  /* a playback starts with a lead, unless its utterance already ended */
  if (pacer->start_gcd && pacer->drain_bytes == 0)
    ready_at = MAX (ready_at, sat_add (pacer->start_first,
            sat_add (duration (pacer, pacer->frame_bytes - pacer->start_gcd),
                pacer->start_margin)));

  /* a token */
  token_at = sat_sub (pacer->full_at,
      sat_mul (pacer->burst - 1, pacer->token_ns));

  /* lead (t) + d <= max_lead, lead (t) = max (0, play_end - t): so
   * t >= play_end + d - max_lead. A message longer than max_lead could never
   * go out so: it goes out when the client is idle (t >= play_end), and the
   * lead is then d, above max_lead, until it played down. */
  d = duration (pacer, *size);
  if (d <= pacer->max_lead)
    lead_at = sat_sub (sat_add (play_end (pacer), d), pacer->max_lead);
  else
    lead_at = play_end (pacer);

  return MAX (MAX (ready_at, pacer->hold_until), MAX (token_at, lead_at));
}

/* Consumes @n bytes of the first chunk, which holds at least that many. */
static void
advance (AhPacer * pacer, gsize n)
{
  GBytes *head = g_queue_peek_head (&pacer->chunks);

  pacer->head_offset += n;
  if (pacer->head_offset == g_bytes_get_size (head)) {
    g_bytes_unref (g_queue_pop_head (&pacer->chunks));
    pacer->head_offset = 0;
  }
}

static GBytes *
take (AhPacer * pacer, gsize size)
{
  GBytes *head = g_queue_peek_head (&pacer->chunks);
  gsize head_size = g_bytes_get_size (head);
  GBytes *out;
  guint8 *buf;
  gsize got = 0;

  if (head_size - pacer->head_offset >= size) {
    if (pacer->head_offset == 0 && size == head_size)
      out = g_bytes_ref (head);
    else
      out = g_bytes_new_from_bytes (head, pacer->head_offset, size);
    advance (pacer, size);
    return out;
  }

  buf = g_malloc (size);
  while (got < size) {
    const guint8 *data;
    gsize n;

    head = g_queue_peek_head (&pacer->chunks);
    data = g_bytes_get_data (head, &head_size);
    n = MIN (head_size - pacer->head_offset, size - got);
    memcpy (buf + got, data + pacer->head_offset, n);
    got += n;
    advance (pacer, n);
  }
  return g_bytes_new_take (buf, size);
}

void
ah_pacer_set_linger (AhPacer * pacer, guint64 linger)
{
  g_return_if_fail (pacer != NULL);
  pacer->linger = linger;
}

GBytes *
ah_pacer_pop (AhPacer * pacer, guint64 now)
{
  gsize size;
  guint64 at, end;

  g_return_val_if_fail (pacer != NULL, NULL);

  at = next_message (pacer, &size);
  if (at == G_MAXUINT64 || at > now)
    return NULL;

  /* the token */
  pacer->full_at = sat_add (MAX (pacer->full_at, now), pacer->token_ns);

  /* the playout */
  end = play_end (pacer);
  if (end <= now)
    restart_playout (pacer, now);
  pacer->play_bytes += size;

  pacer->queued -= size;
  pacer->drain_bytes -= MIN (pacer->drain_bytes, size);
  pacer->start_gcd = 0;
  pacer->messages++;
  pacer->bytes += size;
  return take (pacer, size);
}

guint64
ah_pacer_next_wakeup (AhPacer * pacer, guint64 now)
{
  gsize size;
  guint64 at;

  g_return_val_if_fail (pacer != NULL, G_MAXUINT64);

  at = next_message (pacer, &size);
  if (at == G_MAXUINT64)
    return G_MAXUINT64;
  /* > now, even when a message could go out now (ah_pacer_pop() was not
   * called until it returned NULL): a caller that sleeps until the time
   * returned never spins. */
  return MAX (at, sat_add (now, 1));
}

gsize
ah_pacer_get_queued (const AhPacer * pacer)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return pacer->queued;
}

guint64
ah_pacer_get_lead (const AhPacer * pacer, guint64 now)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return sat_sub (play_end (pacer), now);
}

guint64
ah_pacer_get_messages (const AhPacer * pacer)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return pacer->messages;
}

guint64
ah_pacer_get_bytes (const AhPacer * pacer)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return pacer->bytes;
}

guint
ah_pacer_get_holds (const AhPacer * pacer)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return pacer->holds;
}

guint64
ah_pacer_get_flushed (const AhPacer * pacer)
{
  g_return_val_if_fail (pacer != NULL, 0);

  return pacer->flushed;
}
