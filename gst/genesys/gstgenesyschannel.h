/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One AudioHook session shared by name between a genesyssrc and a
 * genesyssink of the same process (the way interaudiosrc/sink share a
 * channel), for voice bots (Audio Connector):
 *
 * - server side: the src accepted the session; the sink sends bot audio
 *   back on it. The channel paces that audio (AhPacer) on the session's
 *   loop thread, obeys the client's 429 errors, sends barge_in events and
 *   a deferred disconnect.
 * - client side: the sink opened the session toward a bot server; what the
 *   bot sends back (audio, barge_in) is relayed to the src.
 *
 * Each element joins with a callback that receives the channel's events on
 * whatever thread they happen (the loop thread mostly); it must not block
 * nor call back into the channel. */

#ifndef __GST_GENESYS_CHANNEL_H__
#define __GST_GENESYS_CHANNEL_H__

#include <gst/gst.h>
#include "gstgenesysconn.h"

G_BEGIN_DECLS typedef struct _GstGenesysChannel GstGenesysChannel;

typedef enum
{
  GST_GENESYS_CHANNEL_SRC,
  GST_GENESYS_CHANNEL_SINK,
} GstGenesysChannelSide;

typedef enum
{
  GST_GENESYS_CHANNEL_EVENT_PEER,       /* the other element joined (@joined) or left */
  GST_GENESYS_CHANNEL_EVENT_OPENED,     /* a session is open: @media */
  GST_GENESYS_CHANNEL_EVENT_ENDED,      /* the session is over: @samples of bot audio dropped */
  GST_GENESYS_CHANNEL_EVENT_AUDIO,      /* client side: audio the bot sent, @data */
  GST_GENESYS_CHANNEL_EVENT_MESSAGE,    /* a message of the far side: @message */
  GST_GENESYS_CHANNEL_EVENT_BARGE_IN,   /* queued audio dropped: @samples */
  GST_GENESYS_CHANNEL_EVENT_RATE_LIMITED,       /* the client's 429: @delay ns */
  GST_GENESYS_CHANNEL_EVENT_DISCONNECT, /* server side: the deferred disconnect went out */
} GstGenesysChannelEventType;

typedef struct
{
  GstGenesysChannelEventType type;
  gboolean joined;
  const AhMedia *media;
  GBytes *data;
  AhMessage *message;
  guint64 samples;
  guint64 delay;
} GstGenesysChannelEvent;

typedef void (*GstGenesysChannelFunc) (GstGenesysChannel * channel,
    const GstGenesysChannelEvent * event, gpointer user_data);

/* How bot audio is paced (server side); set by the sink before the
 * session opens. */
typedef struct
{
  GstClockTime frame_duration;
  gdouble rate;                 /* messages per second */
  guint burst;
  GstClockTime max_lead;
} GstGenesysPacing;

/* Joins the channel @name on @side; @func may be NULL (no events wanted).
 * NULL with @error when that side is taken by another element. */
GstGenesysChannel *gst_genesys_channel_join (const gchar * name,
    GstGenesysChannelSide side, GstGenesysChannelFunc func,
    gpointer user_data, GError ** error);
/* Leaves; once it returns the callback is not running and never runs. */
void gst_genesys_channel_leave (GstGenesysChannel * channel,
    GstGenesysChannelSide side);
gboolean gst_genesys_channel_has_peer (GstGenesysChannel * channel,
    GstGenesysChannelSide side);
/* Wakes and refuses the blocking calls of @side while @flushing. */
void gst_genesys_channel_set_flushing (GstGenesysChannel * channel,
    GstGenesysChannelSide side, gboolean flushing);

/* ---- server side, from the src (loop thread) ---- */
void gst_genesys_channel_session_opened (GstGenesysChannel * channel,
    GstGenesysConn * conn, const AhMedia * media);
/* playback_*, error (429 holds the audio) and other client messages. */
void gst_genesys_channel_session_message (GstGenesysChannel * channel,
    GstGenesysConn * conn, AhMessage * message);
void gst_genesys_channel_session_ended (GstGenesysChannel * channel,
    GstGenesysConn * conn);
/* The src's stream ended: no session follows (until it starts again). */
void gst_genesys_channel_end (GstGenesysChannel * channel);

/* ---- server side, from the sink ---- */
void gst_genesys_channel_set_pacing (GstGenesysChannel * channel,
    const GstGenesysPacing * pacing);
/* Blocks until a session is open (TRUE, @media filled), flushing, or the
 * src's stream ended (FALSE; @over set). */
gboolean gst_genesys_channel_wait_open (GstGenesysChannel * channel,
    AhMedia * media, gboolean * over);
/* Queues bot audio (whole sample frames). Blocks while more than the
 * pacing's max-lead of audio waits to be sent. FALSE when flushing or no
 * session is open (the audio is dropped; @dropped says so). */
gboolean gst_genesys_channel_send (GstGenesysChannel * channel,
    GBytes * data, gboolean * dropped);
/* The end of an utterance: a partial frame goes out without waiting. */
void gst_genesys_channel_drain (GstGenesysChannel * channel);
/* Blocks until the queued audio is sent, the session ends or flushing. */
gboolean gst_genesys_channel_wait_sent (GstGenesysChannel * channel);
/* Drops the queued audio and sends the barge_in event. Returns the
 * samples dropped. */
guint64 gst_genesys_channel_barge_in (GstGenesysChannel * channel);
/* Sends disconnect once the queued audio has been sent and played out.
 * Takes @output_variables. FALSE when no session is open. */
gboolean gst_genesys_channel_disconnect (GstGenesysChannel * channel,
    const gchar * reason, const gchar * info, JsonObject * output_variables);
/* application/x-genesys-pacing: messages, bytes, rate-limited, flushed,
 * queued and lead (ns). */
GstStructure *gst_genesys_channel_get_pacing_stats (GstGenesysChannel *
    channel);

/* ---- transcribers (genesystranscript): any number per channel ---- */

/* A session's closed waits at most this long for the transcribers. */
#define GST_GENESYS_CHANNEL_CLOSE_HOLD (5 * GST_SECOND)

/* Joins the channel @name as a transcriber: from then on a session's
 * close holds its closed until every transcriber said it is done (or for
 * GST_GENESYS_CHANNEL_CLOSE_HOLD). */
GstGenesysChannel *gst_genesys_channel_join_transcriber (const gchar * name);
void gst_genesys_channel_leave_transcriber (GstGenesysChannel * channel);
/* The transcriber's results are all sent: its stream ended (@session_id
 * NULL), or the session @session_id ended in a stream that goes on (counts
 * only while that session's closed is held). */
void gst_genesys_channel_transcriber_done (GstGenesysChannel * channel,
    const gchar * session_id);

/* The src, for each span it outputs (audio, or a @gap): running time
 * [@pts, @pts + @duration) stands for session positions [@position,
 * @position + @samples). A gap that would put the position back (a pause
 * the client's position did not count) is left out. */
void gst_genesys_channel_add_span (GstGenesysChannel * channel,
    GstClockTime pts, GstClockTime duration, guint64 position,
    guint64 samples, gboolean gap);
/* The session position (samples) of @running_time; FALSE when no span
 * covers it or any before it. */
gboolean gst_genesys_channel_lookup_position (GstGenesysChannel * channel,
    GstClockTime running_time, guint64 * position);
/* The language of the session (open, then update); NULL when none. */
gchar *gst_genesys_channel_dup_language (GstGenesysChannel * channel);
/* The channelId of the src's output channel @index (the src outputs the
 * external channel first whatever the negotiated order). */
guint gst_genesys_channel_channel_id (GstGenesysChannel * channel, guint index);

/* Called on the loop thread once @entities went out (@sent) or could not. */
typedef void (*GstGenesysChannelSentFunc) (gboolean sent, gpointer user_data);
/* Sends an event on the open session, or on the one whose closed is held.
 * FALSE (and @func not called, @notify called) when there is none. */
gboolean gst_genesys_channel_send_event (GstGenesysChannel * channel,
    JsonArray * entities, GstGenesysChannelSentFunc func, gpointer user_data,
    GDestroyNotify notify);

/* ---- from the src (loop thread) ---- */
/* @conn received close: with transcribers its closed is held until they
 * are done. Before gst_genesys_channel_session_ended(). */
void gst_genesys_channel_session_closing (GstGenesysChannel * channel,
    GstGenesysConn * conn);
/* @conn's connection is gone: nothing of it waits any more. */
void gst_genesys_channel_session_gone (GstGenesysChannel * channel,
    GstGenesysConn * conn);

/* ---- client side, from the sink: relays to the src ---- */
void gst_genesys_channel_relay (GstGenesysChannel * channel,
    const GstGenesysChannelEvent * event);

G_END_DECLS
#endif /* __GST_GENESYS_CHANNEL_H__ */
