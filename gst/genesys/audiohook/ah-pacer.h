/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Paces audio a server sends back to an Audio Connector client (bot audio).
 * Pure: the caller passes the time (@now, monotonic ns) and sends what
 * ah_pacer_pop() returns; nothing here reads a clock or does I/O.
 *
 * Audio pushed in pieces of any size is coalesced into messages of
 * @frame_bytes (whole sample frames, never above @max_bytes). A message
 * goes out when all of these hold:
 *   - a token is in the bucket (refilled at @rate per second, at most
 *     @burst held; one token per message), so the client's binary message
 *     rate limit is never exceeded;
 *   - the client would then hold at most @max_lead of audio not yet played:
 *     the client is taken to play what it received in real time, starting
 *     when audio reaches it while it is idle;
 *   - no hold is in force (the client's 429 error with retryAfter);
 *   - the frame is full, or the queued audio is a partial frame that got no
 *     more audio for @linger, or ah_pacer_drain() marked the end of the
 *     utterance;
 *   - with @start_margin: a playback has started. The first message after
 *     the client went idle waits, from the first audio pushed for it, one
 *     frame less the largest piece that divides the frame and every push
 *     so far (their gcd), plus @start_margin; not when ah_pacer_drain()
 *     marked the end of the utterance. Audio that comes in real time in
 *     pieces that do not line up with frames (a file in 256 ms buffers,
 *     sent in 200 ms frames) then stays at least @start_margin ahead of the
 *     client's playout: without the wait a frame that a late piece
 *     completes can reach the client after it played all it had. Pieces of
 *     whole frames wait only @start_margin.
 *
 * Not thread-safe. */

#ifndef __AH_PACER_H__
#define __AH_PACER_H__

#include <glib.h>

G_BEGIN_DECLS typedef struct
{
  gsize frame_bytes;            /* a full message; rounded down to @align, capped at @max_bytes */
  gsize max_bytes;              /* never more per message (64000) */
  gsize align;                  /* bytes per sample frame (all channels) */
  guint64 bytes_per_second;     /* playout rate of the audio */
  gdouble rate;                 /* messages per second, > 0 (a token every
                                 * 1e9 / rate ns, rounded up) */
  guint burst;                  /* bucket depth, >= 1; the bucket starts full */
  guint64 max_lead;             /* ns of audio sent but not yet played, at most;
                                 * a message longer than this goes out when
                                 * the client has played everything */
  guint64 linger;               /* ns a partial frame waits for more audio */
  guint64 start_margin;         /* ns of lead a playback starts with beyond
                                 * what its pieces need (0: no wait) */
} AhPacerConfig;

typedef struct _AhPacer AhPacer;

AhPacer *ah_pacer_new (const AhPacerConfig * config, guint64 now);
void ah_pacer_free (AhPacer * pacer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AhPacer, ah_pacer_free);

/* Queues @data (any size; a trailing partial sample frame waits for the
 * rest); takes a reference, and messages may be slices of it. */
void ah_pacer_push (AhPacer * pacer, GBytes * data, guint64 now);
/* End of an utterance: the queued partial frame goes out as soon as the
 * bucket, the lead and any hold allow, without waiting for @linger. Applies
 * to what is queued now: audio pushed later is the next utterance, and a
 * partial frame of it waits for @linger (or the next drain) again. */
void ah_pacer_drain (AhPacer * pacer, guint64 now);
/* Barge-in: drops every queued byte not yet sent and returns how many
 * (added to the flushed counter). The client is taken to drop what it held
 * too: the playout model restarts empty (lead 0). Tokens and any hold are
 * kept; a pending drain is cleared. */
gsize ah_pacer_flush (AhPacer * pacer, guint64 now);
/* The client asked us to stop until @until (429 retryAfter): nothing goes
 * out before it, and the bucket holds no token at @until (at @now if
 * @until is earlier) and refills from there, so that sending resumes at the
 * sustained rate: the first message one token interval after @until.
 * A later hold never shortens an earlier one. Counted. */
void ah_pacer_hold (AhPacer * pacer, guint64 until, guint64 now);
/* A new connection: the client holds nothing (playout model restarts
 * empty, lead 0); tokens, any hold and the queue are kept. What is queued
 * starts a playback now, as if pushed now in one piece. */
void ah_pacer_reset_playout (AhPacer * pacer, guint64 now);
/* Changes @linger (e.g. to outlast the interval at which audio comes). */
void ah_pacer_set_linger (AhPacer * pacer, guint64 linger);

/* The next message to send now (a new reference), or NULL. Call until it
 * returns NULL. */
GBytes *ah_pacer_pop (AhPacer * pacer, guint64 now);
/* When ah_pacer_pop() next returns a message if nothing else is called
 * on the pacer meanwhile (no push, drain, flush, hold or reset): always a
 * time > @now, or G_MAXUINT64 when nothing goes out without more audio or
 * a drain (no whole sample frame is queued, or a partial frame is queued
 * and @linger is G_MAXUINT64). Call it after ah_pacer_pop() returned NULL:
 * then ah_pacer_pop() returns NULL before that time and a message at it.
 * Called while a message could go out, it returns @now + 1. */
guint64 ah_pacer_next_wakeup (AhPacer * pacer, guint64 now);

/* Bytes queued, not yet sent. */
gsize ah_pacer_get_queued (const AhPacer * pacer);
/* ns of audio sent that the client has not played yet at @now. */
guint64 ah_pacer_get_lead (const AhPacer * pacer, guint64 now);
/* Counters: messages sent, bytes sent, holds (429s) obeyed, bytes flushed. */
guint64 ah_pacer_get_messages (const AhPacer * pacer);
guint64 ah_pacer_get_bytes (const AhPacer * pacer);
guint ah_pacer_get_holds (const AhPacer * pacer);
guint64 ah_pacer_get_flushed (const AhPacer * pacer);

G_END_DECLS
#endif /* __AH_PACER_H__ */
