/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* AudioHook session state machines without I/O, see ah-session.h.
 *
 * Server role (we receive the call audio):
 *   PREPARING --open--> ACTIVE <--paused/resumed--> PAUSED
 *   any --close--> CLOSED (closed answered, linger, HANGUP)
 *   PREPARING..PAUSED --disconnect()--> DISCONNECTING --close--> CLOSED
 *   protocol violation --> ERROR (disconnect "error" sent once; only close
 *   and ping are answered from then on)
 *   The timeline T counts samples: audio, discarded spans and the gaps
 *   reported by resumed. Pause state is also tracked while DISCONNECTING.
 *
 * Client role (we send the call audio):
 *   PREPARING --open()--> OPENING --opened--> ACTIVE <--> PAUSED
 *   --close()--> CLOSING --closed--> CLOSED (HANGUP)
 *   The position counts samples sent, discarded, and dropped while paused.
 *   A pause has two independent reasons (server asked, application asked);
 *   the stream resumes when neither is left. */

#include "ah-session.h"
#include "ah-duration.h"

#include <stdarg.h>

#define DEFAULT_RATE 8000
#define DEFAULT_OPEN_TIMEOUT (5 * AH_NSECOND)
#define DEFAULT_CLOSE_TIMEOUT (10 * AH_NSECOND)
#define DEFAULT_FIRST_PING (1 * AH_NSECOND)
#define DEFAULT_PING_INTERVAL (5 * AH_NSECOND)
#define DEFAULT_LINGER (30 * AH_NSECOND)
/* Server: a session that receives nothing at all (not even a ping; the
 * reference client pings every 5 s, paused or not) for this long is ended. */
#define DEFAULT_IDLE_TIMEOUT (60 * AH_NSECOND)
/* Server: after a timeout's disconnect, the client gets this long to close
 * before the connection is dropped (a client that says nothing will not). */
#define TIMEOUT_GRACE (2 * AH_NSECOND)
/* Server: how far reported spans (discarded, resumed) may take the
 * position beyond the audio the session's age allows: a sender's clock 5 %
 * fast, plus an outage before a continuation was opened. */
#define SPAN_RATE_TOLERANCE 20  /* 1/20 = 5 % */
#define SPAN_ALLOWANCE (600 * AH_NSECOND)
/* Server: an open position beyond this (two days of audio) is no call. */
#define MAX_OPEN_POSITION (48 * 3600 * AH_NSECOND)
#define NO_DEADLINE G_MAXUINT64

/* Error codes used in PROTOCOL_ERROR actions and client error messages. */
#define CODE_BAD_REQUEST 400
#define CODE_UNAUTHORIZED 401
#define CODE_TIMEOUT AH_CODE_TIMEOUT
#define CODE_CONFLICT 409
#define CODE_TOO_LARGE 413
#define CODE_UNSUPPORTED_MEDIA 415
#define CODE_INTERNAL 500

struct _AhSession
{
  AhRole role;
  gchar *id;
  AhState state;
  GQueue actions;
  guint64 now;

  /* configuration */
  gchar *organization_id;
  AhMediaSelectFunc select_func;
  gpointer select_data;
  AhMediaPreference preference;
  guint formats;
  gboolean start_paused;
  guint64 discard_to;           /* ns */
  gchar **languages;
  gsize max_message_size;
  gboolean accept_audio;
  guint64 open_timeout;
  guint64 close_timeout;
  guint64 first_ping;
  guint64 ping_interval;
  guint64 linger;
  guint64 idle_timeout;
  guint64 start_position;

  /* both roles */
  gint64 seq;                   /* last seq sent */
  gint64 peer_seq;              /* last seq accepted from the peer */
  AhMessage *open;
  gboolean opened;
  gboolean have_media;
  AhMedia media;
  guint rate;
  gboolean probe;
  guint64 position;             /* server: T; client: position */
  guint64 audio_out;            /* samples we sent as binary frames */
  guint64 audio_in;             /* client: samples the server sent */
  guint64 reported_deadline;

  /* server */
  gboolean stream_paused;
  gboolean disconnect_sent;
  gboolean went_silent;         /* ended by the idle timeout */
  gboolean close_received;
  guint64 close_hold;           /* closed waits up to this for release */
  guint64 linger_deadline;
  gboolean have_start;          /* the first entry point ran: @start_time */
  guint64 start_time;
  guint64 last_received;        /* when the last message came */
  guint64 idle_deadline;        /* armed by ah_session_start() */
  guint64 open_samples;         /* position of the open */
  gboolean answer_pending;      /* the selector said AH_MEDIA_SELECT_LATER */

  /* client */
  guint64 open_deadline;
  guint64 ping_deadline;
  guint64 close_deadline;
  gboolean ping_pending;
  gboolean initial_ping;        /* the next good pong answers the first ping */
  gint64 ping_seq;
  guint64 ping_sent;
  gboolean have_rtt;
  guint64 rtt;
  gboolean server_pause;
  gboolean client_pause;
  guint64 pause_start;
  gboolean discard_to_pending;
  guint64 discard_to_samples;
  guint64 discard_to_dropped;
  guint64 discard_pending;
  gchar *close_reason;
  gint close_code;
};

/* ------------------------------------------------------------------ */
/* small helpers */

static guint64
sat_add (guint64 a, guint64 b)
{
  return (a > G_MAXUINT64 - b) ? G_MAXUINT64 : a + b;
}

const gchar *
ah_state_name (AhState state)
{
  switch (state) {
    case AH_STATE_PREPARING:
      return "preparing";
    case AH_STATE_OPENING:
      return "opening";
    case AH_STATE_ACTIVE:
      return "active";
    case AH_STATE_PAUSED:
      return "paused";
    case AH_STATE_CLOSING:
      return "closing";
    case AH_STATE_CLOSED:
      return "closed";
    case AH_STATE_ERROR:
      return "error";
    case AH_STATE_DISCONNECTING:
      return "disconnecting";
  }
  return "invalid";
}

void
ah_action_free (AhAction * action)
{
  if (action == NULL)
    return;
  g_free (action->text);
  if (action->data)
    g_bytes_unref (action->data);
  if (action->message)
    ah_message_unref (action->message);
  g_free (action);
}

static AhAction *
push_action (AhSession * session, AhActionType type)
{
  AhAction *action = g_new0 (AhAction, 1);

  action->type = type;
  g_queue_push_tail (&session->actions, action);
  return action;
}

static void
push_protocol_error (AhSession * session, gint code, gchar * text)
{
  AhAction *action = push_action (session, AH_ACTION_PROTOCOL_ERROR);

  action->code = code;
  action->text = text;
  g_debug ("session %s: protocol error %d: %s", session->id, code, text);
}

/* The session is open (@msg: server, the open; client, the opened). */
static void
push_opened (AhSession * session, AhMessage * msg)
{
  AhAction *action = push_action (session, AH_ACTION_OPENED);

  action->message = ah_message_ref (msg);
  if (session->have_media)
    action->media = session->media;
  action->probe = session->probe;
  action->position = session->position;
}

static void
push_message_action (AhSession * session, AhMessage * msg)
{
  AhAction *action = push_action (session, AH_ACTION_MESSAGE);

  action->message = ah_message_ref (msg);
}

static guint64
position_ns (const AhSession * session)
{
  return ah_samples_to_ns (session->position, session->rate);
}

/* Queues @msg as a text frame with our envelope: id, the next seq, and
 * clientseq (server) or serverseq and position (client). @msg itself is
 * not modified. Returns the seq used. */
static gint64
send_message (AhSession * session, const AhMessage * msg)
{
  AhMessage env;
  AhAction *action;

  env = *msg;
  env.id = session->id;
  env.seq = ++session->seq;
  if (session->role == AH_ROLE_SERVER) {
    env.clientseq = session->peer_seq;
    env.serverseq = 0;
    env.position = 0;
  } else {
    env.clientseq = 0;
    env.serverseq = session->peer_seq;
    env.position = position_ns (session);
  }

  action = push_action (session, AH_ACTION_SEND_TEXT);
  action->text = ah_message_to_json (&env, session->role);
  return env.seq;
}

/* Sends a message that has no parameters. */
static gint64
send_simple (AhSession * session, AhMessageType type)
{
  AhMessage *msg = ah_message_new (type);
  gint64 seq = send_message (session, msg);

  ah_message_unref (msg);
  return seq;
}

static guint64
earliest_deadline (const AhSession * session)
{
  guint64 d = session->linger_deadline;

  d = MIN (d, session->open_deadline);
  d = MIN (d, session->idle_deadline);
  d = MIN (d, session->ping_deadline);
  d = MIN (d, session->close_deadline);
  return d;
}

/* Called at the end of every entry point. */
static void
update_deadline (AhSession * session)
{
  guint64 d = earliest_deadline (session);

  if (d != session->reported_deadline) {
    AhAction *action = push_action (session, AH_ACTION_DEADLINE);

    action->deadline = d;
    session->reported_deadline = d;
  }
}

/* ------------------------------------------------------------------ */
/* media selection */

static gboolean
offer_counts (const AhMedia * m, guint formats)
{
  if (!ah_media_is_usable (m))
    return FALSE;
  return formats == 0 || (formats & (1u << m->format)) != 0;
}

static gint
find_offer (const AhMedia * offers, guint n_offers, guint formats,
    guint n_channels, AhChannel channel)
{
  guint i;

  for (i = 0; i < n_offers; i++) {
    const AhMedia *m = &offers[i];

    if (!offer_counts (m, formats))
      continue;
    if (n_channels != 0 && m->n_channels != n_channels)
      continue;
    if (channel != AH_CHANNEL_UNKNOWN && m->channels[0] != channel)
      continue;
    return (gint) i;
  }
  return -1;
}

gint
ah_media_select (const AhMedia * offers, guint n_offers,
    AhMediaPreference preference, guint formats)
{
  gint idx = -1;

  if (offers == NULL || n_offers == 0)
    return -1;

  switch (preference) {
    case AH_MEDIA_PREFER_STEREO:
      idx = find_offer (offers, n_offers, formats, 2, AH_CHANNEL_UNKNOWN);
      if (idx < 0)
        idx = find_offer (offers, n_offers, formats, 1, AH_CHANNEL_EXTERNAL);
      break;
    case AH_MEDIA_PREFER_EXTERNAL:
      idx = find_offer (offers, n_offers, formats, 1, AH_CHANNEL_EXTERNAL);
      if (idx < 0)
        idx = find_offer (offers, n_offers, formats, 2, AH_CHANNEL_UNKNOWN);
      break;
    case AH_MEDIA_PREFER_INTERNAL:
      idx = find_offer (offers, n_offers, formats, 1, AH_CHANNEL_INTERNAL);
      if (idx < 0)
        idx = find_offer (offers, n_offers, formats, 2, AH_CHANNEL_UNKNOWN);
      break;
    case AH_MEDIA_PREFER_FIRST:
      break;
  }
  if (idx < 0)
    idx = find_offer (offers, n_offers, formats, 0, AH_CHANNEL_UNKNOWN);
  return idx;
}

/* ------------------------------------------------------------------ */
/* construction and configuration */

AhSession *
ah_session_new (AhRole role, const gchar * session_id)
{
  AhSession *session;

  g_return_val_if_fail (session_id != NULL, NULL);
  g_return_val_if_fail (role == AH_ROLE_CLIENT || role == AH_ROLE_SERVER, NULL);

  session = g_new0 (AhSession, 1);
  session->role = role;
  session->id = g_strdup (session_id);
  session->state = AH_STATE_PREPARING;
  g_queue_init (&session->actions);
  session->preference = AH_MEDIA_PREFER_STEREO;
  session->open_timeout = DEFAULT_OPEN_TIMEOUT;
  session->close_timeout = DEFAULT_CLOSE_TIMEOUT;
  session->first_ping = DEFAULT_FIRST_PING;
  session->ping_interval = DEFAULT_PING_INTERVAL;
  session->linger = DEFAULT_LINGER;
  session->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  session->rate = DEFAULT_RATE;
  session->reported_deadline = NO_DEADLINE;
  session->linger_deadline = NO_DEADLINE;
  session->open_deadline = NO_DEADLINE;
  session->idle_deadline = NO_DEADLINE;
  session->ping_deadline = NO_DEADLINE;
  session->close_deadline = NO_DEADLINE;
  return session;
}

void
ah_session_free (AhSession * session)
{
  if (session == NULL)
    return;
  g_queue_clear_full (&session->actions, (GDestroyNotify) ah_action_free);
  g_free (session->id);
  g_free (session->organization_id);
  g_strfreev (session->languages);
  if (session->open)
    ah_message_unref (session->open);
  g_free (session->close_reason);
  g_free (session);
}

void
ah_session_set_organization_id (AhSession * session, const gchar * org)
{
  g_return_if_fail (session != NULL);
  g_free (session->organization_id);
  session->organization_id = (org && *org) ? g_strdup (org) : NULL;
}

void
ah_session_set_media_selector (AhSession * session, AhMediaSelectFunc func,
    gpointer user_data)
{
  g_return_if_fail (session != NULL);
  session->select_func = func;
  session->select_data = user_data;
}

void
ah_session_set_media_preference (AhSession * session,
    AhMediaPreference preference, guint formats)
{
  g_return_if_fail (session != NULL);
  session->preference = preference;
  session->formats = formats;
}

void
ah_session_set_start_paused (AhSession * session, gboolean start_paused)
{
  g_return_if_fail (session != NULL);
  session->start_paused = start_paused;
}

void
ah_session_set_discard_to (AhSession * session, guint64 discard_to)
{
  g_return_if_fail (session != NULL);
  session->discard_to = discard_to;
}

void
ah_session_set_supported_languages (AhSession * session,
    const gchar * const *languages)
{
  g_return_if_fail (session != NULL);
  g_strfreev (session->languages);
  session->languages = g_strdupv ((gchar **) languages);
}

void
ah_session_set_max_message_size (AhSession * session, gsize max)
{
  g_return_if_fail (session != NULL);
  session->max_message_size = max;
}

void
ah_session_set_accept_audio (AhSession * session, gboolean accept)
{
  g_return_if_fail (session != NULL);
  session->accept_audio = accept;
}

void
ah_session_set_timeouts (AhSession * session, guint64 open_timeout,
    guint64 close_timeout, guint64 ping_interval, guint64 linger)
{
  g_return_if_fail (session != NULL);
  /* 0 keeps the current value; G_MAXUINT64 disables a timer */
  if (open_timeout)
    session->open_timeout = open_timeout;
  if (close_timeout)
    session->close_timeout = close_timeout;
  if (ping_interval)
    session->ping_interval = ping_interval;
  if (linger)
    session->linger = linger;
}

void
ah_session_set_idle_timeout (AhSession * session, guint64 idle_timeout)
{
  g_return_if_fail (session != NULL);
  session->idle_timeout = idle_timeout;
}

void
ah_session_set_start_position (AhSession * session, guint64 samples)
{
  g_return_if_fail (session != NULL);
  session->start_position = samples;
  if (session->state == AH_STATE_PREPARING)
    session->position = samples;
}

/* ------------------------------------------------------------------ */
/* server role */

/* The peer broke the protocol: report it, and unless a disconnect was
 * already sent (or the session is closed), send disconnect(error) and enter
 * ERROR. */
/* *INDENT-OFF* */
static void server_violation (AhSession * session, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
server_violation (AhSession * session, gint code, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (!session->disconnect_sent && session->state != AH_STATE_CLOSED
      && session->state != AH_STATE_CLOSING) {
    AhMessage *msg = ah_message_new (AH_MSG_DISCONNECT);

    msg->reason = g_strdup ("error");
    msg->info = g_strdup_printf ("Client Error: %s", text);
    push_protocol_error (session, code, text);
    send_message (session, msg);
    ah_message_unref (msg);
    session->disconnect_sent = TRUE;
    session->state = AH_STATE_ERROR;
    if (session->linger_deadline == NO_DEADLINE)
      session->linger_deadline = sat_add (session->now, session->linger);
  } else {
    push_protocol_error (session, code, text);
  }
}

/* Every server entry point: the first one fixes the session's start (its
 * age bounds reported spans); a message from the client (@received) is
 * noted for the idle timeout. Closed and failed sessions have no idle
 * deadline (their linger runs). */
static void
server_touch (AhSession * session, gboolean received)
{
  if (!session->have_start) {
    session->have_start = TRUE;
    session->start_time = session->now;
  }
  if (received)
    session->last_received = session->now;
  if (session->state == AH_STATE_CLOSED || session->state == AH_STATE_ERROR)
    session->idle_deadline = NO_DEADLINE;
}

/* No open, or nothing at all, for too long: disconnect (error) and drop the
 * connection soon after, whether or not the client closes. */
static void
server_timed_out (AhSession * session, const gchar * what)
{
  gchar *text = g_strdup (what);

  session->idle_deadline = NO_DEADLINE;
  session->open_deadline = NO_DEADLINE;
  if (session->state == AH_STATE_CLOSED || session->state == AH_STATE_ERROR) {
    g_free (text);
    return;
  }
  if (!session->disconnect_sent) {
    AhMessage *msg = ah_message_new (AH_MSG_DISCONNECT);

    msg->reason = g_strdup ("error");
    msg->info = g_strdup_printf ("Timeout: %s", what);
    send_message (session, msg);
    ah_message_unref (msg);
    session->disconnect_sent = TRUE;
  }
  push_protocol_error (session, CODE_TIMEOUT, text);
  session->state = AH_STATE_ERROR;
  session->linger_deadline = MIN (session->linger_deadline,
      sat_add (session->now, TIMEOUT_GRACE));
}

/* The idle deadline came: re-armed from the last message, or the end. */
static void
server_idle_check (AhSession * session)
{
  guint64 due = sat_add (session->last_received, session->idle_timeout);

  if (due > session->now) {
    session->idle_deadline = due;
  } else {
    session->went_silent = TRUE;
    server_timed_out (session, "nothing received within the idle timeout");
  }
}

/* Whether a reported span of @samples is plausible: the position it leads
 * to stays within what the session's age allows (see SPAN_ALLOWANCE). A
 * span beyond that is a protocol violation (its gap is not emitted). */
static gboolean
server_span_plausible (AhSession * session, guint64 samples, const gchar * what)
{
  guint64 age = session->now - MIN (session->now, session->start_time);
  guint64 allowed_ns = sat_add (sat_add (age, age / SPAN_RATE_TOLERANCE),
      SPAN_ALLOWANCE);
  guint64 allowed = ah_ns_to_samples (allowed_ns, session->rate);
  guint64 after = sat_add (session->position, samples);

  if (after <= sat_add (session->open_samples, allowed))
    return TRUE;
  server_violation (session, CODE_BAD_REQUEST,
      "%s of %" G_GUINT64_FORMAT " s would put the position %" G_GUINT64_FORMAT
      " s past the open, but the session is %" G_GUINT64_FORMAT " s old",
      what, samples / session->rate, (after - session->open_samples) /
      session->rate, age / AH_NSECOND);
  return FALSE;
}

/* The stream is flowing: audio is expected and positions are comparable. */
static gboolean
server_stream_active (const AhSession * session)
{
  if (!session->opened || session->stream_paused)
    return FALSE;
  return session->state == AH_STATE_ACTIVE
      || session->state == AH_STATE_DISCONNECTING;
}

/* An open session that has not seen close and has not failed. */
static gboolean
server_is_open (const AhSession * session)
{
  if (!session->opened)
    return FALSE;
  return session->state == AH_STATE_ACTIVE
      || session->state == AH_STATE_PAUSED
      || session->state == AH_STATE_DISCONNECTING;
}

static void
server_check_position (AhSession * session, const AhMessage * msg)
{
  guint64 pos, diff;

  if (!server_stream_active (session))
    return;

  pos = ah_ns_to_samples (msg->position, session->rate);
  diff = pos > session->position ? pos - session->position :
      session->position - pos;
  if (diff > session->rate / 5) {
    AhAction *action = push_action (session, AH_ACTION_POSITION_MISMATCH);

    action->position = pos;
    action->samples = session->position;
  }
}

static void
server_gap (AhSession * session, guint64 samples, AhGapCause cause)
{
  AhAction *action;

  if (samples == 0)
    return;
  action = push_action (session, AH_ACTION_GAP);
  action->position = session->position;
  action->samples = samples;
  action->cause = cause;
  session->position = sat_add (session->position, samples);
}

static gboolean
strings_equal_nocase (const gchar * a, const gchar * b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_ascii_strcasecmp (a, b) == 0;
}

/* The offers of the open. */
static const AhMedia *
open_offers (const AhSession * session, guint * n_offers)
{
  const AhMessage *msg = session->open;

  *n_offers = msg->media ? msg->media->len : 0;
  return *n_offers ? &g_array_index (msg->media, AhMedia, 0) : NULL;
}

/* Answers the open with offer @idx (-1: none): opened, and the session is
 * open. */
static void
server_answer_open (AhSession * session, gint idx)
{
  AhMessage *msg = session->open;
  const AhMedia *offers;
  guint n_offers;
  AhMessage *reply;

  session->answer_pending = FALSE;
  offers = open_offers (session, &n_offers);
  if (idx >= 0 && (guint) idx < n_offers && ah_media_is_usable (&offers[idx])) {
    session->have_media = TRUE;
    session->media = offers[idx];
    session->rate = session->media.rate;
  }

  reply = ah_message_new (AH_MSG_OPENED);
  if (reply->media == NULL)
    reply->media = g_array_new (FALSE, TRUE, sizeof (AhMedia));
  if (session->have_media)
    g_array_append_val (reply->media, session->media);
  reply->start_paused = session->start_paused;
  if (session->discard_to > 0 && session->discard_to > msg->position) {
    reply->has_discard_to = TRUE;
    reply->discard_to = session->discard_to;
  }
  /* asked: an array, empty when no language is known (Genesys's own
   * compliance checks want the member) */
  if (msg->supported_languages) {
    gchar **l;

    if (reply->languages == NULL)
      reply->languages = g_ptr_array_new_with_free_func (g_free);
    for (l = session->languages; l && *l; l++)
      g_ptr_array_add (reply->languages, g_strdup (*l));
  }
  send_message (session, reply);
  ah_message_unref (reply);

  session->opened = TRUE;
  session->stream_paused = FALSE;
  session->state = AH_STATE_ACTIVE;
  session->position = ah_ns_to_samples (msg->position, session->rate);
  session->open_samples = session->position;
  push_opened (session, msg);
}

static void
server_on_open (AhSession * session, AhMessage * msg)
{
  const AhMedia *offers;
  guint n_offers;
  gint idx;
  AhMessage *reply;

  if (session->opened || session->answer_pending) {
    server_violation (session, CODE_BAD_REQUEST, "duplicate open message");
    return;
  }
  if (session->state != AH_STATE_PREPARING) {
    /* disconnected before the open arrived, or closed: do not answer */
    g_debug ("session %s: ignoring open in state %s", session->id,
        ah_state_name (session->state));
    return;
  }

  session->open = ah_message_ref (msg);
  session->probe = ah_message_is_probe (msg);
  session->open_deadline = NO_DEADLINE;

  if (msg->position > MAX_OPEN_POSITION) {
    server_violation (session, CODE_BAD_REQUEST, "open at position %"
        G_GUINT64_FORMAT " s: more than %u hours of audio before it",
        msg->position / AH_NSECOND,
        (guint) (MAX_OPEN_POSITION / AH_NSECOND / 3600));
    return;
  }

  if (session->organization_id != NULL &&
      !strings_equal_nocase (msg->organization_id, session->organization_id)) {
    reply = ah_message_new (AH_MSG_DISCONNECT);
    reply->reason = g_strdup ("unauthorized");
    reply->info = g_strdup ("organizationId does not match the "
        "Audiohook-Organization-Id of the connection");
    push_protocol_error (session, CODE_UNAUTHORIZED,
        g_strdup_printf ("organizationId %s does not match %s",
            msg->organization_id ? msg->organization_id : "(none)",
            session->organization_id));
    send_message (session, reply);
    ah_message_unref (reply);
    session->disconnect_sent = TRUE;
    session->state = AH_STATE_DISCONNECTING;
    session->linger_deadline = sat_add (session->now, session->linger);
    return;
  }

  offers = open_offers (session, &n_offers);
  if (session->select_func)
    idx = session->select_func (offers, n_offers, session->select_data);
  else
    idx = ah_media_select (offers, n_offers, session->preference,
        session->formats);
  if (idx == AH_MEDIA_SELECT_LATER)
    session->answer_pending = TRUE;
  else
    server_answer_open (session, idx);
}

static void
server_on_close (AhSession * session, AhMessage * msg)
{
  AhAction *action;

  if (session->close_received) {
    g_debug ("session %s: ignoring duplicate close", session->id);
    return;
  }
  server_check_position (session, msg);
  session->close_received = TRUE;
  if (session->close_hold == 0)
    send_simple (session, AH_MSG_CLOSED);
  action = push_action (session, AH_ACTION_CLOSED);
  action->text = g_strdup (msg->reason);
  action->code = 0;
  action->position = session->position;
  session->idle_deadline = NO_DEADLINE;
  if (session->close_hold > 0) {
    /* events may still go out; closed waits for release or the hold */
    session->state = AH_STATE_CLOSING;
    session->close_deadline = sat_add (session->now, session->close_hold);
    return;
  }
  session->state = AH_STATE_CLOSED;
  session->linger_deadline = sat_add (session->now, session->linger);
}

/* Server: closed goes out after a held close. */
static void
server_send_closed (AhSession * session)
{
  session->close_deadline = NO_DEADLINE;
  send_simple (session, AH_MSG_CLOSED);
  session->state = AH_STATE_CLOSED;
  session->linger_deadline = sat_add (session->now, session->linger);
}

static void
server_on_ping (AhSession * session, AhMessage * msg)
{
  AhAction *action;

  /* the pong goes out before anything else this message causes */
  send_simple (session, AH_MSG_PONG);
  server_check_position (session, msg);
  action = push_action (session, AH_ACTION_PING);
  action->message = ah_message_ref (msg);
  action->rtt = msg->has_rtt ? msg->rtt : 0;
  action->position = session->position;
}

static void
server_on_paused (AhSession * session, AhMessage * msg)
{
  AhAction *action;

  if (!server_stream_active (session)) {
    g_debug ("session %s: ignoring paused in state %s%s", session->id,
        ah_state_name (session->state),
        session->stream_paused ? " (already paused)" : "");
    return;
  }
  server_check_position (session, msg);
  session->stream_paused = TRUE;
  if (session->state == AH_STATE_ACTIVE)
    session->state = AH_STATE_PAUSED;
  action = push_action (session, AH_ACTION_PAUSED);
  action->position = session->position;
}

static void
server_on_resumed (AhSession * session, AhMessage * msg)
{
  AhAction *action;

  if (!server_is_open (session) || !session->stream_paused) {
    g_debug ("session %s: ignoring resumed in state %s", session->id,
        ah_state_name (session->state));
    return;
  }
  if (!server_span_plausible (session, ah_ns_to_samples (msg->discarded,
              session->rate), "resumed after a pause"))
    return;
  server_gap (session, ah_ns_to_samples (msg->discarded, session->rate),
      AH_GAP_PAUSED);
  session->stream_paused = FALSE;
  if (session->state == AH_STATE_PAUSED)
    session->state = AH_STATE_ACTIVE;
  server_check_position (session, msg);
  action = push_action (session, AH_ACTION_RESUMED);
  action->position = session->position;
}

static void
server_on_discarded (AhSession * session, AhMessage * msg)
{
  if (!server_is_open (session)) {
    g_debug ("session %s: ignoring discarded in state %s", session->id,
        ah_state_name (session->state));
    return;
  }
  if (!server_span_plausible (session, ah_ns_to_samples (msg->discarded,
              session->rate), "discarded"))
    return;
  server_gap (session, ah_ns_to_samples (msg->discarded, session->rate),
      AH_GAP_DISCARDED);
  server_check_position (session, msg);
}

static void
server_dispatch (AhSession * session, AhMessage * msg)
{
  switch (msg->type) {
    case AH_MSG_OPEN:
      server_on_open (session, msg);
      break;
    case AH_MSG_CLOSE:
      server_on_close (session, msg);
      break;
    case AH_MSG_PING:
      server_on_ping (session, msg);
      break;
    case AH_MSG_PAUSED:
      server_on_paused (session, msg);
      break;
    case AH_MSG_RESUMED:
      server_on_resumed (session, msg);
      break;
    case AH_MSG_DISCARDED:
      server_on_discarded (session, msg);
      break;
    case AH_MSG_UPDATE:
      if (!server_is_open (session)) {
        g_debug ("session %s: ignoring update in state %s", session->id,
            ah_state_name (session->state));
        break;
      }
      server_check_position (session, msg);
      push_message_action (session, msg);
      break;
    default:
      /* error, dtmf, playback_*, unknown types and types of the wrong role */
      server_check_position (session, msg);
      push_message_action (session, msg);
      break;
  }
}

static void
server_feed_text (AhSession * session, const gchar * text, gssize len)
{
  GError *error = NULL;
  AhMessage *msg;

  msg = ah_message_parse (text, len, AH_ROLE_CLIENT,
      session->max_message_size, &error);
  if (msg == NULL) {
    gint code = g_error_matches (error, AH_MESSAGE_ERROR,
        AH_MESSAGE_ERROR_TOO_LARGE) ? CODE_TOO_LARGE : CODE_BAD_REQUEST;

    server_violation (session, code, "invalid message: %s",
        error ? error->message : "unknown error");
    g_clear_error (&error);
    return;
  }

  if (session->state == AH_STATE_CLOSED) {
    /* closed was the last word: no pong, no second closed */
    g_debug ("session %s: ignoring '%s' after closed", session->id,
        msg->type_name ? msg->type_name : "?");
    ah_message_unref (msg);
    return;
  }
  if (session->state == AH_STATE_ERROR &&
      (msg->type == AH_MSG_CLOSE || msg->type == AH_MSG_PING)) {
    /* after an error disconnect, close and ping are always answered */
    session->peer_seq = msg->seq;
    server_dispatch (session, msg);
    ah_message_unref (msg);
    return;
  }

  if (msg->seq != session->peer_seq + 1) {
    server_violation (session, CODE_BAD_REQUEST,
        "%s message has seq %" G_GINT64_FORMAT ", expected %"
        G_GINT64_FORMAT, msg->type_name ? msg->type_name : "?", msg->seq,
        session->peer_seq + 1);
  } else if (!strings_equal_nocase (msg->id, session->id)) {
    server_violation (session, CODE_BAD_REQUEST,
        "%s message has id %s, but the session id is %s",
        msg->type_name ? msg->type_name : "?", msg->id ? msg->id : "(none)",
        session->id);
  } else if (msg->serverseq > session->seq) {
    server_violation (session, CODE_BAD_REQUEST,
        "%s message has serverseq %" G_GINT64_FORMAT
        ", but the last seq sent is %" G_GINT64_FORMAT,
        msg->type_name ? msg->type_name : "?", msg->serverseq, session->seq);
  } else {
    session->peer_seq = msg->seq;
    if (session->state == AH_STATE_ERROR)
      g_debug ("session %s: ignoring '%s' after error", session->id,
          msg->type_name ? msg->type_name : "?");
    else
      server_dispatch (session, msg);
  }
  ah_message_unref (msg);
}

static void
server_feed_binary (AhSession * session, GBytes * data)
{
  gsize len = g_bytes_get_size (data);
  guint frame_size;
  guint64 samples;

  if (len == 0)
    return;

  switch (session->state) {
    case AH_STATE_ERROR:
      /* in flight before the client saw our disconnect */
      return;
    case AH_STATE_CLOSED:
    case AH_STATE_CLOSING:
      server_violation (session, CODE_BAD_REQUEST,
          "binary message of %" G_GSIZE_FORMAT " bytes after close", len);
      return;
    default:
      break;
  }

  if (!session->opened) {
    server_violation (session, CODE_BAD_REQUEST,
        "binary message of %" G_GSIZE_FORMAT " bytes before open", len);
    return;
  }
  if (session->stream_paused) {
    server_violation (session, CODE_BAD_REQUEST,
        "binary message of %" G_GSIZE_FORMAT " bytes while paused", len);
    return;
  }
  if (!session->have_media) {
    server_violation (session, CODE_BAD_REQUEST,
        "binary message of %" G_GSIZE_FORMAT " bytes, but no media was "
        "negotiated", len);
    return;
  }
  frame_size = ah_media_frame_size (&session->media);
  if (frame_size == 0 || len % frame_size != 0) {
    server_violation (session, CODE_BAD_REQUEST,
        "binary message of %" G_GSIZE_FORMAT " bytes is not a whole "
        "number of %u-byte sample frames", len, frame_size);
    return;
  }

  samples = len / frame_size;
  if (!session->probe) {
    AhAction *action = push_action (session, AH_ACTION_AUDIO);

    action->data = g_bytes_ref (data);
    action->position = session->position;
    action->samples = samples;
  }
  session->position = sat_add (session->position, samples);
}

/* The linger after a close, or after our disconnect, is over: the
 * connection goes. A client that went silent and did not close either is
 * not over: its connection died somewhere (half-open behind a proxy), and
 * the client continues the session on a new one once it notices. So that
 * session ends as a lost connection does, in AH_STATE_ERROR and without
 * AH_ACTION_CLOSED, and whoever serves it waits for the continuation. */
static void
server_linger_expired (AhSession * session)
{
  if (!session->close_received && !session->went_silent) {
    AhAction *action = push_action (session, AH_ACTION_CLOSED);

    action->text = g_strdup ("timeout");
    action->code = CODE_TIMEOUT;
    action->position = session->position;
  }
  push_action (session, AH_ACTION_HANGUP);
  if (session->close_received || !session->went_silent)
    session->state = AH_STATE_CLOSED;
}

/* ------------------------------------------------------------------ */
/* client role */

static gboolean
client_can_send (const AhSession * session)
{
  return session->state == AH_STATE_OPENING
      || session->state == AH_STATE_ACTIVE || session->state == AH_STATE_PAUSED;
}

static void
client_send_error (AhSession * session, gint code, const gchar * text)
{
  AhMessage *msg = ah_message_new (AH_MSG_ERROR);

  msg->code = code;
  msg->message = g_strdup (text);
  send_message (session, msg);
  ah_message_unref (msg);
}

static void
client_start_close (AhSession * session, const gchar * reason, gint code)
{
  AhMessage *msg = ah_message_new (AH_MSG_CLOSE);

  msg->reason = g_strdup (reason);
  send_message (session, msg);
  ah_message_unref (msg);

  g_free (session->close_reason);
  session->close_reason = g_strdup (reason);
  session->close_code = code;
  session->state = AH_STATE_CLOSING;
  session->open_deadline = NO_DEADLINE;
  session->ping_deadline = NO_DEADLINE;
  session->close_deadline = sat_add (session->now, session->close_timeout);
}

/* Fatal: error message, then close(error). Takes @text. */
static void
client_fail (AhSession * session, gint code, gchar * text)
{
  push_protocol_error (session, code, text);
  if (client_can_send (session)) {
    client_send_error (session, code, text);
    client_start_close (session, "error", code);
  }
}

/* Not fatal: error message only. Takes @text. */
static void
client_complain (AhSession * session, gint code, gchar * text)
{
  push_protocol_error (session, code, text);
  if (client_can_send (session) || session->state == AH_STATE_CLOSING)
    client_send_error (session, code, text);
}

static void
client_send_ping (AhSession * session)
{
  AhMessage *msg = ah_message_new (AH_MSG_PING);

  if (session->have_rtt) {
    msg->has_rtt = TRUE;
    msg->rtt = session->rtt;
  }
  session->ping_seq = send_message (session, msg);
  ah_message_unref (msg);
  session->ping_pending = TRUE;
  session->ping_sent = session->now;
}

static void
client_ping_tick (AhSession * session)
{
  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return;
  if (session->ping_pending) {
    client_fail (session, CODE_TIMEOUT, g_strdup ("Timeout waiting for pong"));
    return;
  }
  client_send_ping (session);
  session->ping_deadline = sat_add (session->now, session->ping_interval);
}

static void
client_send_span (AhSession * session, AhMessageType type, guint64 start,
    guint64 span)
{
  AhMessage *msg = ah_message_new (type);

  msg->start = ah_samples_to_ns (start, session->rate);
  msg->discarded = ah_samples_to_ns (span, session->rate);
  send_message (session, msg);
  ah_message_unref (msg);
}

/* Sends paused; enters PAUSED unless already there (then it re-confirms). */
static void
client_enter_pause (AhSession * session)
{
  AhAction *action;

  send_simple (session, AH_MSG_PAUSED);
  if (session->state != AH_STATE_ACTIVE)
    return;
  session->state = AH_STATE_PAUSED;
  session->pause_start = session->position;
  action = push_action (session, AH_ACTION_PAUSED);
  action->position = session->position;
}

static void
client_leave_pause (AhSession * session)
{
  AhAction *action;

  /* position already covers what was dropped while paused */
  client_send_span (session, AH_MSG_RESUMED, session->pause_start,
      session->position - session->pause_start);
  session->state = AH_STATE_ACTIVE;
  action = push_action (session, AH_ACTION_RESUMED);
  action->position = session->position;
}

static void
client_on_opened (AhSession * session, AhMessage * msg)
{
  guint n = msg->media ? msg->media->len : 0;

  session->open_deadline = NO_DEADLINE;

  if (n > 1) {
    client_fail (session, CODE_BAD_REQUEST,
        g_strdup ("More than one media selected"));
    return;
  }
  if (n == 1) {
    const AhMedia *chosen = &g_array_index (msg->media, AhMedia, 0);
    GArray *offers = session->open->media;
    gboolean found = FALSE;
    guint i;

    for (i = 0; offers && i < offers->len && !found; i++)
      found = ah_media_equal (chosen, &g_array_index (offers, AhMedia, i));
    if (!found || !ah_media_is_usable (chosen)) {
      client_fail (session, CODE_BAD_REQUEST,
          g_strdup ("Selected media not one of the offered"));
      return;
    }
    session->have_media = TRUE;
    session->media = *chosen;
    session->rate = chosen->rate;
  }

  session->opened = TRUE;
  session->state = AH_STATE_ACTIVE;
  session->probe = ah_message_is_probe (session->open);
  push_opened (session, msg);

  session->initial_ping = TRUE;
  if (session->ping_interval != NO_DEADLINE)
    session->ping_deadline = sat_add (session->now,
        MIN (session->first_ping, session->ping_interval));

  if (msg->has_discard_to) {
    guint64 d = ah_ns_to_samples (msg->discard_to, session->rate);

    if (d > session->position) {
      session->discard_to_pending = TRUE;
      session->discard_to_samples = d;
      session->discard_to_dropped = 0;
    }
  }
  if (msg->start_paused) {
    session->server_pause = TRUE;
    client_enter_pause (session);
  }
}

static void
client_on_pong (AhSession * session, AhMessage * msg)
{
  AhAction *action;

  if (!session->ping_pending) {
    client_complain (session, CODE_CONFLICT,
        g_strdup ("Unexpected 'pong' (no outstanding 'ping')"));
    return;
  }
  if (msg->clientseq != session->ping_seq) {
    client_complain (session, CODE_BAD_REQUEST,
        g_strdup_printf ("The 'pong' clientseq %" G_GINT64_FORMAT
            " does not match the 'ping' seq %" G_GINT64_FORMAT,
            msg->clientseq, session->ping_seq));
    return;
  }
  session->ping_pending = FALSE;
  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return;                     /* straggler while closing */

  session->rtt = session->now > session->ping_sent ?
      session->now - session->ping_sent : 0;
  session->have_rtt = TRUE;
  action = push_action (session, AH_ACTION_PING);
  action->message = ah_message_ref (msg);
  action->rtt = session->rtt;
  action->position = session->position;

  if (session->initial_ping) {
    /* give the server an rtt right away */
    session->initial_ping = FALSE;
    client_send_ping (session);
  }
}

static void
client_on_pause (AhSession * session, AhMessage * msg)
{
  session->server_pause = TRUE;
  client_enter_pause (session);
}

static void
client_on_resume (AhSession * session, AhMessage * msg)
{
  if (session->state == AH_STATE_ACTIVE) {
    /* not paused: re-confirm with an empty span */
    client_send_span (session, AH_MSG_RESUMED, session->position, 0);
    return;
  }
  session->server_pause = FALSE;
  if (session->client_pause)
    send_simple (session, AH_MSG_PAUSED);
  else
    client_leave_pause (session);
}

static gchar *
unexpected_text (const AhSession * session, const AhMessage * msg)
{
  return g_strdup_printf ("Unexpected '%s' message in state %s",
      msg->type_name ? msg->type_name : ah_message_type_name (msg->type),
      ah_state_name (session->state));
}

static void
client_dispatch (AhSession * session, AhMessage * msg)
{
  gboolean is_open = session->state == AH_STATE_ACTIVE
      || session->state == AH_STATE_PAUSED;
  AhAction *action;

  switch (msg->type) {
    case AH_MSG_OPENED:
      if (session->state == AH_STATE_OPENING)
        client_on_opened (session, msg);
      else
        client_fail (session, CODE_CONFLICT, unexpected_text (session, msg));
      break;
    case AH_MSG_CLOSED:
      if (session->state == AH_STATE_CLOSING) {
        session->close_deadline = NO_DEADLINE;
        session->state = AH_STATE_CLOSED;
        action = push_action (session, AH_ACTION_CLOSED);
        action->text = g_strdup (session->close_reason);
        action->code = session->close_code;
        action->position = session->position;
        push_action (session, AH_ACTION_HANGUP);
      } else {
        client_fail (session, CODE_CONFLICT, unexpected_text (session, msg));
      }
      break;
    case AH_MSG_PONG:
      client_on_pong (session, msg);
      break;
    case AH_MSG_PAUSE:
      if (is_open)
        client_on_pause (session, msg);
      else if (session->state != AH_STATE_CLOSING)
        client_fail (session, CODE_CONFLICT, unexpected_text (session, msg));
      break;
    case AH_MSG_RESUME:
      if (is_open)
        client_on_resume (session, msg);
      else if (session->state != AH_STATE_CLOSING)
        client_fail (session, CODE_CONFLICT, unexpected_text (session, msg));
      break;
    case AH_MSG_DISCONNECT:
      push_message_action (session, msg);
      if (client_can_send (session))
        client_start_close (session, "disconnect", 0);
      break;
    default:
      /* reconnect, event, updated, unknown */
      push_message_action (session, msg);
      break;
  }
}

static void
client_feed_text (AhSession * session, const gchar * text, gssize len)
{
  GError *error = NULL;
  AhMessage *msg;

  if (session->state == AH_STATE_CLOSED)
    return;

  msg = ah_message_parse (text, len, AH_ROLE_SERVER,
      session->max_message_size, &error);
  if (msg == NULL) {
    gint code = g_error_matches (error, AH_MESSAGE_ERROR,
        AH_MESSAGE_ERROR_TOO_LARGE) ? CODE_TOO_LARGE : CODE_BAD_REQUEST;

    client_fail (session, code, g_strdup_printf ("Invalid message: %s",
            error ? error->message : "unknown error"));
    g_clear_error (&error);
    return;
  }

  if (msg->seq != session->peer_seq + 1) {
    client_fail (session, CODE_INTERNAL,
        g_strdup_printf ("Protocol error: current serverseq=%"
            G_GINT64_FORMAT " and incoming message has seq=%"
            G_GINT64_FORMAT, session->peer_seq, msg->seq));
  } else if (!strings_equal_nocase (msg->id, session->id)) {
    client_fail (session, CODE_INTERNAL,
        g_strdup_printf ("Protocol error: message id %s is not the "
            "session id", msg->id ? msg->id : "(none)"));
  } else if (session->state == AH_STATE_PREPARING) {
    /* nothing was sent yet, so nothing can be answered */
    push_protocol_error (session, CODE_CONFLICT,
        unexpected_text (session, msg));
  } else {
    session->peer_seq = msg->seq;
    client_dispatch (session, msg);
  }
  ah_message_unref (msg);
}

static void
client_feed_binary (AhSession * session, GBytes * data)
{
  gsize len = g_bytes_get_size (data);
  guint frame_size;
  AhAction *action;

  if (len == 0 || session->state == AH_STATE_CLOSED)
    return;

  if (!session->accept_audio) {
    client_complain (session, CODE_UNSUPPORTED_MEDIA,
        g_strdup ("Unexpected binary message"));
    return;
  }
  if (!session->opened || !session->have_media) {
    client_complain (session, CODE_CONFLICT,
        g_strdup_printf ("Unexpected binary message in state %s%s",
            ah_state_name (session->state),
            session->opened ? " without media" : ""));
    return;
  }
  frame_size = ah_media_frame_size (&session->media);
  if (frame_size == 0 || len % frame_size != 0) {
    client_complain (session, CODE_BAD_REQUEST,
        g_strdup_printf ("Binary message of %" G_GSIZE_FORMAT " bytes is "
            "not a whole number of %u-byte sample frames", len, frame_size));
    return;
  }
  action = push_action (session, AH_ACTION_AUDIO);
  action->data = g_bytes_ref (data);
  action->position = session->audio_in;
  action->samples = len / frame_size;
  session->audio_in = sat_add (session->audio_in, action->samples);
}

static void
client_close_timeout (AhSession * session)
{
  AhAction *action;

  client_send_error (session, CODE_TIMEOUT, "Timeout waiting for closed");
  session->state = AH_STATE_CLOSED;
  action = push_action (session, AH_ACTION_CLOSED);
  action->text = g_strdup (session->close_reason);
  action->code = CODE_TIMEOUT;
  action->position = session->position;
  push_action (session, AH_ACTION_HANGUP);
}

/* Client audio in ACTIVE: pending discard report, discardTo trimming, then
 * the rest goes out. Returns samples sent. */
static guint64
client_send_audio (AhSession * session, GBytes * data, guint64 samples,
    guint frame_size)
{
  guint64 skip = 0;
  guint64 rest;
  AhAction *action;

  if (session->discard_pending > 0) {
    guint64 start = session->position;
    guint64 span = session->discard_pending;

    session->discard_pending = 0;
    session->position = sat_add (session->position, span);
    client_send_span (session, AH_MSG_DISCARDED, start, span);
  }

  if (session->discard_to_pending) {
    guint64 start = session->position;
    guint64 have = sat_add (start, session->discard_to_dropped);
    guint64 need;

    if (session->discard_to_samples <= start) {
      session->discard_to_pending = FALSE;
    } else {
      need = have >= session->discard_to_samples ? 0 :
          session->discard_to_samples - have;
      if (samples < need) {
        session->discard_to_dropped += samples;
        return 0;
      }
      skip = need;
      session->discard_to_pending = FALSE;
      session->position = sat_add (start, session->discard_to_dropped + skip);
      client_send_span (session, AH_MSG_DISCARDED, start,
          session->discard_to_dropped + skip);
      session->discard_to_dropped = 0;
    }
  }

  rest = samples - skip;
  if (rest == 0)
    return 0;

  action = push_action (session, AH_ACTION_SEND_BINARY);
  if (skip == 0)
    action->data = g_bytes_ref (data);
  else
    action->data = g_bytes_new_from_bytes (data, skip * frame_size,
        rest * frame_size);
  action->position = session->position;
  action->samples = rest;
  session->position = sat_add (session->position, rest);
  session->audio_out = sat_add (session->audio_out, rest);
  return rest;
}

/* ------------------------------------------------------------------ */
/* input */

void
ah_session_feed_text (AhSession * session, const gchar * text, gssize len,
    guint64 now)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (text != NULL || len == 0);

  session->now = now;
  if (text == NULL)
    text = "";
  if (session->role == AH_ROLE_SERVER) {
    server_touch (session, TRUE);
    server_feed_text (session, text, len);
    server_touch (session, FALSE);
  } else {
    client_feed_text (session, text, len);
  }
  update_deadline (session);
}

void
ah_session_feed_binary (AhSession * session, GBytes * data, guint64 now)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (data != NULL);

  session->now = now;
  if (session->role == AH_ROLE_SERVER) {
    server_touch (session, TRUE);
    server_feed_binary (session, data);
    server_touch (session, FALSE);
  } else {
    client_feed_binary (session, data);
  }
  update_deadline (session);
}

void
ah_session_start (AhSession * session, guint64 now)
{
  g_return_if_fail (session != NULL);

  session->now = now;
  if (session->role == AH_ROLE_SERVER) {
    server_touch (session, TRUE);
    if (session->state == AH_STATE_PREPARING)
      session->open_deadline = sat_add (now, session->open_timeout);
    if (session->idle_timeout > 0)
      session->idle_deadline = sat_add (now, session->idle_timeout);
    server_touch (session, FALSE);
  }
  update_deadline (session);
}

void
ah_session_timeout (AhSession * session, guint64 now)
{
  g_return_if_fail (session != NULL);

  session->now = now;
  if (session->role == AH_ROLE_SERVER)
    server_touch (session, FALSE);
  for (;;) {
    guint64 d = earliest_deadline (session);

    if (d == NO_DEADLINE || d > now)
      break;
    if (d == session->linger_deadline) {
      session->linger_deadline = NO_DEADLINE;
      server_linger_expired (session);
    } else if (d == session->open_deadline && session->role == AH_ROLE_SERVER) {
      session->open_deadline = NO_DEADLINE;
      server_timed_out (session, "no open message within the open timeout");
    } else if (d == session->idle_deadline) {
      session->idle_deadline = NO_DEADLINE;
      server_idle_check (session);
    } else if (d == session->open_deadline) {
      session->open_deadline = NO_DEADLINE;
      client_fail (session, CODE_TIMEOUT,
          g_strdup ("Timeout waiting for opened"));
    } else if (d == session->close_deadline && session->role == AH_ROLE_SERVER) {
      g_debug ("session %s: closed after the close hold", session->id);
      server_send_closed (session);
    } else if (d == session->close_deadline) {
      session->close_deadline = NO_DEADLINE;
      client_close_timeout (session);
    } else {
      session->ping_deadline = NO_DEADLINE;
      client_ping_tick (session);
    }
  }
  if (session->role == AH_ROLE_SERVER)
    server_touch (session, FALSE);
  update_deadline (session);
}

/* ------------------------------------------------------------------ */
/* commands */

gboolean
ah_session_open (AhSession * session, const AhMessage * open, guint64 now)
{
  AhMessage env;
  AhMessage *stored;
  AhAction *action;
  GError *error = NULL;
  gchar *json;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_CLIENT, FALSE);
  g_return_val_if_fail (open != NULL && open->type == AH_MSG_OPEN, FALSE);

  if (session->state != AH_STATE_PREPARING)
    return FALSE;

  session->now = now;
  session->position = session->start_position;

  env = *open;
  env.id = session->id;
  env.seq = session->seq + 1;
  env.serverseq = session->peer_seq;
  env.clientseq = 0;
  env.position = position_ns (session);
  json = ah_message_to_json (&env, AH_ROLE_CLIENT);

  /* keep what was really sent, as the server will see it */
  stored = ah_message_parse (json, -1, AH_ROLE_CLIENT, G_MAXSIZE, &error);
  if (stored == NULL) {
    g_critical ("%s: the open message is not valid: %s", G_STRFUNC,
        error ? error->message : "unknown error");
    g_clear_error (&error);
    g_free (json);
    return FALSE;
  }

  session->seq = env.seq;
  action = push_action (session, AH_ACTION_SEND_TEXT);
  action->text = json;
  session->open = stored;
  session->state = AH_STATE_OPENING;
  session->open_deadline = sat_add (now, session->open_timeout);
  update_deadline (session);
  return TRUE;
}

guint64
ah_session_send_audio (AhSession * session, GBytes * data, guint64 now)
{
  guint frame_size;
  gsize len;
  guint64 samples, sent = 0;

  g_return_val_if_fail (session != NULL, 0);
  g_return_val_if_fail (data != NULL, 0);

  if (!session->have_media)
    return 0;
  frame_size = ah_media_frame_size (&session->media);
  len = g_bytes_get_size (data);
  g_return_val_if_fail (frame_size > 0 && len % frame_size == 0, 0);
  samples = len / frame_size;
  if (samples == 0)
    return 0;

  session->now = now;
  if (session->role == AH_ROLE_SERVER) {
    AhAction *action;

    if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
      return 0;
    action = push_action (session, AH_ACTION_SEND_BINARY);
    action->data = g_bytes_ref (data);
    action->position = session->audio_out;
    action->samples = samples;
    session->audio_out = sat_add (session->audio_out, samples);
    sent = samples;
  } else if (session->state == AH_STATE_PAUSED) {
    /* dropped; the span is reported by resumed */
    session->position = sat_add (session->position, samples);
  } else if (session->state == AH_STATE_ACTIVE) {
    sent = client_send_audio (session, data, samples, frame_size);
  }
  update_deadline (session);
  return sent;
}

void
ah_session_discard (AhSession * session, guint64 samples)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (session->role == AH_ROLE_CLIENT);

  if (session->state == AH_STATE_CLOSING || session->state == AH_STATE_CLOSED)
    return;
  session->discard_pending = sat_add (session->discard_pending, samples);
}

gboolean
ah_session_pause (AhSession * session, guint64 now)
{
  g_return_val_if_fail (session != NULL, FALSE);

  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return FALSE;

  session->now = now;
  if (session->role == AH_ROLE_SERVER) {
    send_simple (session, AH_MSG_PAUSE);
  } else {
    session->client_pause = TRUE;
    if (session->state == AH_STATE_ACTIVE)
      client_enter_pause (session);
  }
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_resume (AhSession * session, guint64 now)
{
  g_return_val_if_fail (session != NULL, FALSE);

  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return FALSE;

  session->now = now;
  if (session->role == AH_ROLE_SERVER) {
    send_simple (session, AH_MSG_RESUME);
  } else if (session->state == AH_STATE_PAUSED) {
    /* the application cannot lift a pause the server asked for */
    if (!session->client_pause)
      return FALSE;
    session->client_pause = FALSE;
    if (!session->server_pause)
      client_leave_pause (session);
  }
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_close (AhSession * session, const gchar * reason, guint64 now)
{
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_CLIENT, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  if (!client_can_send (session))
    return FALSE;

  session->now = now;
  client_start_close (session, reason, 0);
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_answer_open (AhSession * session, gint index, guint64 now)
{
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_SERVER, FALSE);

  if (!ah_session_is_answer_pending (session))
    return FALSE;
  session->now = now;
  server_touch (session, FALSE);
  server_answer_open (session, index);
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_disconnect (AhSession * session, const gchar * reason,
    const gchar * info, JsonObject * output_variables, guint64 now)
{
  AhMessage *msg;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_SERVER, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  if (session->state != AH_STATE_PREPARING &&
      session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return FALSE;

  session->now = now;
  msg = ah_message_new (AH_MSG_DISCONNECT);
  msg->reason = g_strdup (reason);
  msg->info = g_strdup (info);
  if (output_variables)
    msg->output_variables = json_object_ref (output_variables);
  send_message (session, msg);
  ah_message_unref (msg);

  session->disconnect_sent = TRUE;
  session->state = AH_STATE_DISCONNECTING;
  session->linger_deadline = sat_add (now, session->linger);
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_reconnect (AhSession * session, const gchar * info, guint64 now)
{
  AhMessage *msg;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_SERVER, FALSE);

  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED)
    return FALSE;

  session->now = now;
  msg = ah_message_new (AH_MSG_RECONNECT);
  msg->info = g_strdup (info);
  send_message (session, msg);
  ah_message_unref (msg);
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_send_event (AhSession * session, JsonArray * entities, guint64 now)
{
  AhMessage *msg;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_SERVER, FALSE);
  g_return_val_if_fail (entities != NULL, FALSE);

  if (session->state != AH_STATE_ACTIVE && session->state != AH_STATE_PAUSED
      && session->state != AH_STATE_DISCONNECTING
      && session->state != AH_STATE_CLOSING)
    return FALSE;

  session->now = now;
  msg = ah_message_new (AH_MSG_EVENT);
  msg->entities = json_array_ref (entities);
  send_message (session, msg);
  ah_message_unref (msg);
  update_deadline (session);
  return TRUE;
}

void
ah_session_set_close_hold (AhSession * session, guint64 hold)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (session->role == AH_ROLE_SERVER);

  session->close_hold = hold;
}

gboolean
ah_session_release_close (AhSession * session, guint64 now)
{
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (session->role == AH_ROLE_SERVER, FALSE);

  if (session->state != AH_STATE_CLOSING)
    return FALSE;
  session->now = now;
  server_send_closed (session);
  update_deadline (session);
  return TRUE;
}

gboolean
ah_session_send_message (AhSession * session, AhMessage * msg, guint64 now)
{
  gboolean ok;

  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);

  if (session->role == AH_ROLE_CLIENT) {
    g_return_val_if_fail (msg->type == AH_MSG_DTMF ||
        msg->type == AH_MSG_ERROR || msg->type == AH_MSG_UPDATE ||
        msg->type == AH_MSG_PLAYBACK_STARTED ||
        msg->type == AH_MSG_PLAYBACK_COMPLETED, FALSE);
    ok = client_can_send (session);
  } else {
    g_return_val_if_fail (msg->type == AH_MSG_UPDATED ||
        msg->type == AH_MSG_EVENT, FALSE);
    ok = session->state == AH_STATE_ACTIVE || session->state == AH_STATE_PAUSED;
  }
  if (!ok)
    return FALSE;

  session->now = now;
  send_message (session, msg);
  update_deadline (session);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* output and state */

AhAction *
ah_session_pop_action (AhSession * session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return g_queue_pop_head (&session->actions);
}

AhState
ah_session_get_state (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, AH_STATE_CLOSED);
  return session->state;
}

AhRole
ah_session_get_role (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, AH_ROLE_SERVER);
  return session->role;
}

const gchar *
ah_session_get_id (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return session->id;
}

const AhMedia *
ah_session_get_media (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return session->have_media ? &session->media : NULL;
}

guint64
ah_session_get_position (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, 0);
  return session->position;
}

gint64
ah_session_get_seq (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, 0);
  return session->seq;
}

gint64
ah_session_get_peer_seq (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, 0);
  return session->peer_seq;
}

guint64
ah_session_get_deadline (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, NO_DEADLINE);
  return earliest_deadline (session);
}

gboolean
ah_session_is_probe (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, FALSE);
  return session->probe;
}

AhMessage *
ah_session_get_open (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return session->open;
}

gboolean
ah_session_is_answer_pending (const AhSession * session)
{
  g_return_val_if_fail (session != NULL, FALSE);
  return session->answer_pending && session->state == AH_STATE_PREPARING;
}
