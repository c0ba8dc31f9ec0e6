/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The hop of a relayed session: an instance that took a client's session
 * (the client leg, served by its own server-role AhSession) carries it on
 * to the instance that owns the call, as an AudioHook client. This is the
 * hop leg's bookkeeping, without I/O: its envelopes (id, seq numbered 1,
 * 2, ... per hop session, serverseq = the owner's last seq), the client
 * leg's stream turned back into client messages (audio, paused, resumed,
 * discarded, the client's other messages, close), its own pings, and what
 * the owner's messages mean for the client leg.
 *
 * What was sent and not yet confirmed is kept: the owner answers a ping
 * after everything sent before it, so its pong confirms that much. When
 * the hop connection drops, the next hop session opens at the position
 * of the last confirmed ping (continuedSessions naming the previous hop
 * session) and sends what was kept again; the owner's timeline drops
 * what it already had, so the call keeps one exact timeline. */

#ifndef __AH_RELAY_H__
#define __AH_RELAY_H__

#include "ah-message.h"

G_BEGIN_DECLS typedef struct _AhRelay AhRelay;

/* What a hop item is to be sent as. */
typedef struct
{
  gchar *text;                  /* a text frame, or NULL */
  GBytes *data;                 /* a binary frame, or NULL */
} AhRelayFrame;

void ah_relay_frame_clear (AhRelayFrame * frame);

/* A relay for the client's @open (received on the client leg) whose hop
 * connections start with session id @first_id. At most @max_kept samples
 * of unconfirmed audio are kept (0: no bound); beyond it the oldest go. */
AhRelay *ah_relay_new (const AhMessage * open, const gchar * first_id,
    guint64 max_kept);
void ah_relay_free (AhRelay * relay);

/* The open of the next hop session @id (NULL: the first one's). The first
 * carries the client's continuedSessions and position; a later one names
 * the previous hop session and opens at the confirmed position. Resets
 * the hop's seq numbering. */
gchar *ah_relay_open (AhRelay * relay, const gchar * id);
const gchar *ah_relay_get_id (const AhRelay * relay);
/* Hop sessions opened so far. */
guint ah_relay_get_hops (const AhRelay * relay);

/* ---- the client leg's stream, in order; each is kept until confirmed
 * and returned (transfer full) for sending now when @live ---- */
void ah_relay_audio (AhRelay * relay, GBytes * data, guint64 samples,
    gboolean live, AhRelayFrame * out);
void ah_relay_paused (AhRelay * relay, gboolean live, AhRelayFrame * out);
/* A span of the client leg: discarded (@paused FALSE) or the pause that
 * a resumed ends (@paused TRUE, @samples may be 0). */
void ah_relay_span (AhRelay * relay, gboolean paused, guint64 start,
    guint64 samples, gboolean live, AhRelayFrame * out);
/* Any other client message (update, error, dtmf, playback_*, unknown). */
void ah_relay_message (AhRelay * relay, const AhMessage * msg,
    gboolean live, AhRelayFrame * out);
void ah_relay_close (AhRelay * relay, const gchar * reason, gboolean live,
    AhRelayFrame * out);
/* The hop's own ping (not kept). @rtt: the previous round trip, ns; 0:
 * none. */
gchar *ah_relay_ping (AhRelay * relay, guint64 rtt);

/* After the hop's opened: what was kept, renumbered for this hop session,
 * in order (AhRelayFrame*, free with ah_relay_frame_clear + g_free). */
GPtrArray *ah_relay_replay (AhRelay * relay);

/* Position of the client leg's stream (samples). */
guint64 ah_relay_get_position (const AhRelay * relay);
/* The confirmed position, and the samples kept beyond it. */
guint64 ah_relay_get_confirmed (const AhRelay * relay);
guint64 ah_relay_get_kept (const AhRelay * relay);

typedef enum
{
  AH_RELAY_OPENED,              /* opened: @msg */
  AH_RELAY_PONG,                /* a pong of the hop's ping: nothing to forward */
  AH_RELAY_CLOSED,              /* closed: the hop session is over */
  AH_RELAY_FORWARD,             /* @msg goes to the client leg (pause, resume,
                                 * disconnect, reconnect, event) */
  AH_RELAY_IGNORE,              /* nothing to do (updated, unknown types) */
  AH_RELAY_INVALID,             /* not a valid message of this hop session:
                                 * @error */
} AhRelayVerdict;

/* A text frame from the owner on the current hop session. */
AhRelayVerdict ah_relay_receive (AhRelay * relay, const gchar * text,
    gssize len, AhMessage ** msg, GError ** error);

/* The index among the client's offers of the media @opened chose; -1
 * when none (or not one of the offers). */
gint ah_relay_chosen_offer (const AhRelay * relay, const AhMessage * opened);

G_END_DECLS
#endif /* __AH_RELAY_H__ */
