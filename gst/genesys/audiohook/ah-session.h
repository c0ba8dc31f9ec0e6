/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The AudioHook session state machines, server role and client role,
 * without I/O. The caller feeds what arrived on the socket and what the
 * application wants; the session queues actions (messages to send, audio to
 * deliver at a position, gaps, state changes, deadlines) that the caller
 * drains with ah_session_pop_action(). Time is whatever monotonic
 * nanosecond count the caller passes as @now; the session never reads a
 * clock. Positions are in samples at the negotiated rate.
 *
 * Not thread-safe: drive one session from one thread. */

#ifndef __AH_SESSION_H__
#define __AH_SESSION_H__

#include "ah-message.h"

/* The @code of an AH_ACTION_PROTOCOL_ERROR that is a timeout (no open, an
 * idle client, no pong, no closed), as the protocol's error 408. */
#define AH_CODE_TIMEOUT 408

G_BEGIN_DECLS typedef enum
{
  AH_STATE_PREPARING,           /* server: waiting for open; client: not opened yet */
  AH_STATE_OPENING,             /* client: open sent, waiting for opened */
  AH_STATE_ACTIVE,
  AH_STATE_PAUSED,
  AH_STATE_CLOSING,             /* client: close sent, waiting for closed; server: close held */
  AH_STATE_CLOSED,
  AH_STATE_ERROR,               /* server: disconnect(error) sent; only close and ping answered */
  AH_STATE_DISCONNECTING,       /* server: disconnect sent, waiting for close */
} AhState;

const gchar *ah_state_name (AhState state);

typedef enum
{
  AH_ACTION_SEND_TEXT,          /* send @text as a text frame */
  AH_ACTION_SEND_BINARY,        /* send @data as a binary frame */
  AH_ACTION_OPENED,             /* session open: @message (server: open, client: opened), @media */
  AH_ACTION_AUDIO,              /* @data holds @samples samples starting at @position */
  AH_ACTION_GAP,                /* no audio for @samples samples starting at @position, @cause */
  AH_ACTION_PAUSED,             /* stream paused at @position */
  AH_ACTION_RESUMED,            /* stream resumed at @position */
  AH_ACTION_PING,               /* server: @message is the client's ping; client: @rtt measured */
  AH_ACTION_MESSAGE,            /* @message for the application (update, error, dtmf, playback_*,
                                 * event, disconnect, reconnect, unknown types) */
  AH_ACTION_PROTOCOL_ERROR,     /* the peer broke the protocol: @code, @text; already answered */
  AH_ACTION_POSITION_MISMATCH,  /* diagnostic: client position @position vs ours @samples */
  AH_ACTION_CLOSED,             /* session over: @text = close reason, @code */
  AH_ACTION_HANGUP,             /* close the WebSocket now */
  AH_ACTION_DEADLINE,           /* call ah_session_timeout() at @deadline (G_MAXUINT64: none) */
} AhActionType;

typedef enum
{
  AH_GAP_DISCARDED,             /* the client reported a discarded span */
  AH_GAP_PAUSED,                /* span covered by a pause (from resumed) */
} AhGapCause;

typedef struct
{
  AhActionType type;
  gchar *text;
  GBytes *data;
  AhMessage *message;
  AhMedia media;                /* OPENED: n_channels 0 means no media */
  gboolean probe;               /* OPENED: connection probe, no audio follows */
  guint64 position;
  guint64 samples;
  AhGapCause cause;
  gint code;
  guint64 rtt;
  guint64 deadline;
} AhAction;

void ah_action_free (AhAction * action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AhAction, ah_action_free);

typedef struct _AhSession AhSession;

/* Chooses one of @n_offers offers; returns its index or -1 for none, or
 * AH_MEDIA_SELECT_LATER: the open is answered later, with
 * ah_session_answer_open(). */
typedef gint (*AhMediaSelectFunc) (const AhMedia * offers, guint n_offers,
    gpointer user_data);

/* A server selector's answer: not now (the application gets ready first).
 * Until ah_session_answer_open() the session stays PREPARING: pings are
 * answered, close is answered with closed (the answer is then not sent),
 * audio and a second open are protocol errors as before any open. */
#define AH_MEDIA_SELECT_LATER (-2)

typedef enum
{
  AH_MEDIA_PREFER_STEREO,       /* stereo if offered, else external mono, else first usable */
  AH_MEDIA_PREFER_EXTERNAL,     /* external mono, else stereo, else first usable */
  AH_MEDIA_PREFER_INTERNAL,     /* internal mono, else stereo, else first usable */
  AH_MEDIA_PREFER_FIRST,        /* first usable offer */
} AhMediaPreference;

/* The default selection, also usable from custom selectors. Only offers
 * whose format is in @formats (a bitmask of 1 << AhFormat; 0 = any) count. */
gint ah_media_select (const AhMedia * offers, guint n_offers,
    AhMediaPreference preference, guint formats);

/* @session_id is the Audiohook-Session-Id the connection carries. */
AhSession *ah_session_new (AhRole role, const gchar * session_id);
void ah_session_free (AhSession * session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AhSession, ah_session_free);

/* ---- configuration (before the first feed) ---- */
/* Server: organization id from the upgrade headers; open must match. */
void ah_session_set_organization_id (AhSession * session, const gchar * org);
void ah_session_set_media_selector (AhSession * session,
    AhMediaSelectFunc func, gpointer user_data);
void ah_session_set_media_preference (AhSession * session,
    AhMediaPreference preference, guint formats);
void ah_session_set_start_paused (AhSession * session, gboolean start_paused);
/* Server: discardTo for opened, in ns (0: none). */
void ah_session_set_discard_to (AhSession * session, guint64 discard_to);
/* Server: languages listed in opened when open asks for them. */
void ah_session_set_supported_languages (AhSession * session,
    const gchar * const *languages);
void ah_session_set_max_message_size (AhSession * session, gsize max);
/* Client: whether the server may send audio (Audio Connector). Default FALSE
 * (AudioHook Monitor: binary from the server is error 415). */
void ah_session_set_accept_audio (AhSession * session, gboolean accept);
/* Client timers in ns. Defaults: open 5 s, close 10 s, first ping 1 s,
 * ping interval 5 s. Server: @linger after closed/disconnect, 30 s. */
void ah_session_set_timeouts (AhSession * session, guint64 open_timeout,
    guint64 close_timeout, guint64 ping_interval, guint64 linger);
/* Server: a session that receives nothing (not even a ping) for
 * @idle_timeout ns is ended with disconnect (error); 0: never. Default
 * 60 s. A server session without open within the open timeout (5 s) is
 * ended the same way; either drops the connection 2 s after. */
void ah_session_set_idle_timeout (AhSession * session, guint64 idle_timeout);
/* Where a client's position starts (continued timelines), in samples. */
void ah_session_set_start_position (AhSession * session, guint64 samples);

/* ---- input from the socket ---- */
void ah_session_feed_text (AhSession * session, const gchar * text,
    gssize len, guint64 now);
void ah_session_feed_binary (AhSession * session, GBytes * data, guint64 now);
void ah_session_timeout (AhSession * session, guint64 now);
/* Server: the connection is up (starts the open and idle timeouts, which
 * otherwise start at the first message). */
void ah_session_start (AhSession * session, guint64 now);

/* ---- commands from the application ---- */
/* Server: answers an open whose selector said AH_MEDIA_SELECT_LATER, with
 * offer @index of that open (-1: no media). FALSE when the session waits
 * for no answer (none deferred, or it closed or failed meanwhile). */
gboolean ah_session_answer_open (AhSession * session, gint index, guint64 now);
/* Client: sends open with the parameters of @open (type AH_MSG_OPEN). */
gboolean ah_session_open (AhSession * session, const AhMessage * open,
    guint64 now);
/* Both roles: audio to send (client: the call; server: bot audio). Audio
 * while paused or before discardTo is dropped and accounted. Returns the
 * number of samples queued for sending. */
guint64 ah_session_send_audio (AhSession * session, GBytes * data, guint64 now);
/* Client: audio that could not be sent (e.g. while disconnected): reported
 * with one discarded message when the session next sends. */
void ah_session_discard (AhSession * session, guint64 samples);
/* Server: asks the client to pause / resume. Client: pauses or resumes on
 * its own (sends paused / resumed). */
gboolean ah_session_pause (AhSession * session, guint64 now);
gboolean ah_session_resume (AhSession * session, guint64 now);
/* Client: close with @reason ("end", "error", "disconnect", "reconnect"). */
gboolean ah_session_close (AhSession * session, const gchar * reason,
    guint64 now);
/* Server: disconnect with @reason ("completed", "unauthorized", "error").
 * @output_variables (string values) may be NULL. */
gboolean ah_session_disconnect (AhSession * session, const gchar * reason,
    const gchar * info, JsonObject * output_variables, guint64 now);
/* Server: asks the client to reconnect. */
gboolean ah_session_reconnect (AhSession * session, const gchar * info,
    guint64 now);
/* Server: an event with @entities ({type, data} objects). Also while
 * CLOSING (a held close): final results go out before closed. */
gboolean ah_session_send_event (AhSession * session, JsonArray * entities,
    guint64 now);
/* Server: with @hold > 0 (ns), a close is not answered at once: the
 * session reports CLOSED (the action) and enters CLOSING, where events may
 * still be sent and pings are answered; closed goes out at
 * ah_session_release_close() or @hold after the close, whichever comes
 * first (the reference client gives up 10 s after its close). 0 (the
 * default): closed answers close at once. */
void ah_session_set_close_hold (AhSession * session, guint64 hold);
/* Server: sends the closed a held close waits for. FALSE when none waits. */
gboolean ah_session_release_close (AhSession * session, guint64 now);
/* Client: sends any client message not covered above (dtmf, error,
 * playback_started/completed, update). Envelope fields are filled in. */
gboolean ah_session_send_message (AhSession * session, AhMessage * msg,
    guint64 now);

/* ---- output ---- */
AhAction *ah_session_pop_action (AhSession * session);

/* ---- state ---- */
AhState ah_session_get_state (const AhSession * session);
AhRole ah_session_get_role (const AhSession * session);
const gchar *ah_session_get_id (const AhSession * session);
/* Chosen media; NULL before opened or when none was chosen. */
const AhMedia *ah_session_get_media (const AhSession * session);
/* Current position in samples: audio + discarded + paused spans. */
guint64 ah_session_get_position (const AhSession * session);
gint64 ah_session_get_seq (const AhSession * session);  /* last seq we sent */
gint64 ah_session_get_peer_seq (const AhSession * session);     /* last seq received */
guint64 ah_session_get_deadline (const AhSession * session);
gboolean ah_session_is_probe (const AhSession * session);
/* The open message (server: received, client: sent), or NULL. */
AhMessage *ah_session_get_open (const AhSession * session);
/* Server: an open waits for ah_session_answer_open(). */
gboolean ah_session_is_answer_pending (const AhSession * session);

G_END_DECLS
#endif /* __AH_SESSION_H__ */
