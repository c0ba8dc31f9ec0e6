/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-genesyssrc
 * @title: genesyssrc
 *
 * Receives call audio from Genesys Cloud over the AudioHook protocol
 * (AudioHook Monitor, Transcription Connector, Audio Connector). Genesys
 * dials in: the element listens on #GstGenesysSrc:address,
 * #GstGenesysSrc:port and #GstGenesysSrc:path, checks the request's API
 * key and HTTP message signature before the WebSocket upgrade, answers the
 * protocol on a thread of its own (so pings are answered whatever
 * downstream does) and outputs the audio timestamped from its sample
 * position.
 *
 * Output is `audio/x-mulaw` (PCMU) or `audio/x-raw,format=S16LE` (L16) at
 * 8000 Hz, mono or stereo. Stereo is always external (the customer) on
 * channel 0 and internal (agent or bot) on channel 1, whatever order the
 * session negotiated. L16 is taken as little-endian, as the Genesys
 * reference implementation reads it; this is not confirmed against a
 * production org, so PCMU is preferred when both are offered.
 *
 * Spans without audio (discarded by the client, paused, between sessions)
 * are GAP events of exactly their length (or silence with
 * #GstGenesysSrc:gap-mode), and the next buffer is flagged DISCONT.
 *
 * Timestamps follow the sender's clock: its rate against the pipeline
 * clock is recovered from the earliest arrivals (network delays only ever
 * make audio late), and PTS are steered smoothly onto them, so a sender
 * that drifts (within a few percent), jitters or paces its frames with
 * timers that run late causes no gap and loses nothing. A pause whose
 * position the client froze (`resumed` with `discarded` PT0S) is a gap of
 * the time it lasted on the pipeline clock. Audio that arrives later than
 * its PTS + #GstGenesysSrc:latency (a stall, a burst after a reconnect) is
 * output all the same, in order, and counted (`genesys-late`, `late-duration`
 * in #GstGenesysSrc:stats); #GstGenesysSrc:drop-on-latency trades it for a
 * gap instead.
 *
 * Several genesyssrc elements in one process may listen on the same address,
 * port and path; each session goes to an idle element, and a session that
 * finds none is refused with HTTP 503.
 *
 * With #GstGenesysSrc:mode `client` the element connects out instead, to
 * #GstGenesysSrc:uri: a WebSocket that pushes audio but speaks no AudioHook
 * (a bot or conversation socket). Binary frames are audio of
 * #GstGenesysSrc:caps; text frames are posted on the bus as `genesys-text`
 * messages, and a Genesys notifications style `{"message":"ping"}` is
 * answered with `{"topicName":"channel.metadata","eventBody":{"message":
 * "pong"}}`. Timestamps come from the sample count, anchored once; a
 * dropped connection is reconnected with backoff and jitter (like
 * genesyssink), and the outage, measured on the pipeline clock from the
 * arrival of the last audio before the drop to the first audio after the
 * reconnect, is output as a gap. HTTP 401/403/404 at the upgrade and
 * refused certificates are errors, never retried; a close with code 1000
 * ends the stream (EOS).
 *
 * With #GstGenesysSrc:mode `external` the element does not listen: the
 * application accepts the sessions and hands each to an element with
 * gst_genesys_src_take_session() (`gst-genesys-serve` runs one pipeline per
 * call this way). Everything else behaves as in server mode; the listening
 * and authentication properties are not used.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 genesyssrc port=9000 api-key=K client-secret=S ! mulawdec ! wavenc ! filesink location=call.wav
 * ]|
 * |[
 * gst-launch-1.0 genesyssrc mode=client uri=wss://bot.example/audio extra-headers="h, Authorization=\"Bearer T\"" ! mulawdec ! autoaudiosink
 * ]|
 *
 * ## Bus messages
 * docs/bus-messages.md lists every message with its fields. Element
 * messages named `genesys-session-opened`, `genesys-paused`,
 * `genesys-resumed`, `genesys-discarded`, `genesys-gap`, `genesys-late`
 * (`timestamp`, `duration`, `lateness`, `dropped`: audio starts leaving
 * later than PTS + latency; once per run of late audio),
 * `genesys-client-error`, `genesys-message`, `genesys-auth-failed`,
 * `genesys-session-lost` and `genesys-session-closed` describe each
 * session event; `genesys-session-opened` carries the open's
 * `customConfig` and `inputVariables` (Architect's input variables) as
 * GstStructures in `custom-config` and `input-variables` (a string stays a
 * string, an integer is a gint64, an object a nested structure), and the
 * customConfig's JSON text in `custom-config-json`. In client mode:
 * `genesys-text` (`text`),
 * `genesys-disconnected` (`code`, `reason`, `clean`, `cause`),
 * `genesys-reconnecting` (`attempt`, `delay`, `cause`) and, when audio
 * flows again, `genesys-reconnected` (`attempts`, `gap`: the outage in
 * nanoseconds), then `genesys-gap` for the gap itself.
 *
 * ## Voice bots
 * With #GstGenesysSrc:session-name a genesyssink of the same name sends
 * audio back on the session (Audio Connector bot audio; see genesyssink).
 * A `dtmf` from the client is posted as `genesys-dtmf` (`digit`,
 * `position` in nanoseconds) and sent downstream, in stream order, as a
 * custom downstream event named `GstGenesysDTMF` with `digit`, `position`
 * and `running-time` (the running time of its position on the output
 * timeline). In client mode without a uri the element outputs what the
 * server sends back on the genesyssink's session and posts
 * `genesys-barge-in` (`flushed`, nanoseconds) when the server's barge_in
 * event drops what was not played yet.
 *
 * ## Transcripts
 * genesystranscript elements with the same #GstGenesysSrc:session-name
 * send transcript events on the session; its `closed` then waits (at most
 * 5 s) until each of them saw the end of the stream. With
 * #GstGenesysSrc:keep-listening, where the stream goes on, the end of a
 * session goes downstream, after its audio, as a custom downstream event
 * named `GstGenesysSessionEnd` with `session-id` and `position`
 * (nanoseconds).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/audio/audio.h>

#include "gstgenesyssrcpriv.h"
#include "gstgenesysstringprops.h"
#include "gstgenesysdownstream.h"
#include "gstgenesyscaps.h"
#include "gstgenesysjson.h"
#include "gstgenesyscredentials.h"
#include "gstgenesysstack.h"
#include "audiohook/ah-duration.h"

#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_PORT 9000
#define DEFAULT_PATH "/api/v1/audiohook/ws"
#define DEFAULT_MEDIA_PREFERENCE GST_GENESYS_MEDIA_PREFERENCE_STEREO
#define DEFAULT_GAP_MODE GST_GENESYS_GAP_MODE_GAP_EVENT
#define DEFAULT_LATENCY (300 * GST_MSECOND)
/* Genesys's frame period: a frame's first sample is this old on arrival */
#define CLIENT_FRAME_PERIOD (200 * GST_MSECOND)
/* On stop, how long the client gets to answer the disconnect with close */
#define STOP_CLOSE_TIMEOUT (1 * GST_SECOND)
#define DEFAULT_KEEP_LISTENING FALSE
#define DEFAULT_SESSION_TIMEOUT (30 * GST_SECOND)
#define DEFAULT_IDLE_TIMEOUT (60 * GST_SECOND)
#define DEFAULT_MAX_MESSAGE_SIZE 65536
#define DEFAULT_START_PAUSED FALSE
#define DEFAULT_DROP_ON_LATENCY FALSE
#define DEFAULT_PUSH_MODE GST_GENESYS_PUSH_MODE_AUTO
#define DEFAULT_MODE GST_GENESYS_MODE_SERVER
#define DEFAULT_CAPS "audio/x-mulaw, rate = (int) 8000, channels = (int) 1"

enum
{
  PROP_ADDRESS = GST_GENESYS_CLIENT_PROP_LAST,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_PATH,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_API_KEY,
  PROP_CLIENT_SECRET,
  PROP_CREDENTIALS_FILE,
  PROP_AUTHORITY,
  PROP_MEDIA_PREFERENCE,
  PROP_GAP_MODE,
  PROP_LATENCY,
  PROP_KEEP_LISTENING,
  PROP_SESSION_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_MESSAGE_SIZE,
  PROP_START_PAUSED,
  PROP_SUPPORTED_LANGUAGES,
  PROP_DROP_ON_LATENCY,
  PROP_STATS,
  PROP_MODE,
  PROP_CAPS,
  PROP_SESSION_NAME,
  PROP_PUSH_MODE,
  PROP_START_POSITION,
};

enum
{
  SIGNAL_PAUSE,
  SIGNAL_RESUME,
  SIGNAL_DISCONNECT,
  SIGNAL_SEND_EVENT,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

#define gst_genesys_src_parent_class parent_class

G_DEFINE_TYPE_WITH_CODE (GstGenesysSrc, gst_genesys_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_genesys_client_props_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (genesyssrc, "genesyssrc",
    GST_RANK_NONE, GST_TYPE_GENESYS_SRC,
    gst_genesys_src_ensure_debug_category ());

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_GENESYS_AUDIO_CAPS));

static gboolean
gst_genesys_src_start (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);
  GstGenesysMode mode;
  GstGenesysPushMode push_mode;
  gboolean paired, drop;
  GstClockTime latency;

  GST_OBJECT_LOCK (self);
  mode = self->mode;
  paired = self->client_props.uri == NULL && self->session_name
      && *self->session_name;
  latency = self->latency;
  drop = self->drop_on_latency;
  push_mode = self->push_mode;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  self->loop_mode = push_mode != GST_GENESYS_PUSH_MODE_THREAD
      && mode != GST_GENESYS_MODE_CLIENT;
  self->loop_auto = push_mode == GST_GENESYS_PUSH_MODE_AUTO;
  g_atomic_int_set (&self->downstream_stale, TRUE);
  self->downstream_safe = FALSE;
  self->loop_active = FALSE;
  self->pushing = FALSE;
  self->returned_buffer = FALSE;
  self->loop_waiting = FALSE;
  self->loop_ret = GST_FLOW_OK;
  g_mutex_unlock (&self->lock);
  if (mode != GST_GENESYS_MODE_CLIENT && latency < CLIENT_FRAME_PERIOD)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("latency %" GST_TIME_FORMAT " is shorter than the client's frame "
            "period (%" GST_TIME_FORMAT "): %s", GST_TIME_ARGS (latency),
            GST_TIME_ARGS (CLIENT_FRAME_PERIOD), drop ?
            "with drop-on-latency, most audio will be dropped" :
            "most audio will leave late"), (NULL));
  if (mode == GST_GENESYS_MODE_CLIENT)
    return paired ? src_paired_start (self) : src_client_start (self);
  if (mode == GST_GENESYS_MODE_EXTERNAL)
    return src_external_start (self);
  return src_server_start (self);
}

static gboolean
stop_disconnect (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_disconnect (session, "completed", "server stopped",
      NULL, now);
}

static gboolean
gst_genesys_src_stop (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);
  GstGenesysConn *current;
  GList *conns, *l;
  Item *item;

  src_client_stop (self);
  if (self->server)
    gst_genesys_server_remove_listener (self->server, &self->listener);

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  current = self->conn;
  self->conn = NULL;
  conns = self->conns;
  self->conns = NULL;
  g_mutex_unlock (&self->lock);

  /* the session ends with its close transaction: disconnect, the client's
   * close answered with closed (bounded) */
  if (current && g_list_find (conns, current)) {
    gst_genesys_conn_end_begin (current, stop_disconnect, NULL,
        STOP_CLOSE_TIMEOUT);
    if (!gst_genesys_conn_end_wait (current))
      GST_INFO_OBJECT (self, "the client did not close within %"
          GST_TIME_FORMAT " of the disconnect",
          GST_TIME_ARGS (STOP_CLOSE_TIMEOUT));
  }
  for (l = conns; l; l = l->next) {
    GstGenesysConn *conn = l->data;
    gst_genesys_conn_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    gst_genesys_conn_detach (conn);
    gst_genesys_conn_unref (conn);
  }
  g_list_free (conns);
  src_leave_channel (self);

  if (self->server) {
    gst_genesys_server_release (self->server);
    self->server = NULL;
    GST_OBJECT_LOCK (self);
    self->current_port = 0;
    GST_OBJECT_UNLOCK (self);
    g_object_notify (G_OBJECT (self), "current-port");
  }
  if (self->listener.verifier) {
    ah_verifier_free (self->listener.verifier);
    self->listener.verifier = NULL;
  }
  g_clear_pointer (&self->listener.path, g_free);

  g_mutex_lock (&self->lock);
  /* a loop thread still pushing (into a flushing pad) owns the output */
  self->loop_active = FALSE;
  while (self->pushing) {
    self->loop_waiting = TRUE;
    g_cond_wait (&self->cond, &self->lock);
  }
  self->loop_waiting = FALSE;
  self->loop_mode = FALSE;
  while ((item = g_queue_pop_head (&self->items)))
    src_item_free (item);
  self->queued_samples = 0;
  g_mutex_unlock (&self->lock);
  g_queue_clear_full (&self->out, (GDestroyNotify) gst_mini_object_unref);
  memset (&self->silence, 0, sizeof (self->silence));
  return TRUE;
}

/* A RECONFIGURE (downstream relinked or renegotiating): the streaming
 * thread takes the output back, so basesrc renegotiates, and with
 * push-mode=auto walks downstream again before the loop threads push. */
static gboolean
gst_genesys_src_event (GstBaseSrc * bsrc, GstEvent * event)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    g_atomic_int_set (&self->downstream_stale, TRUE);
    g_mutex_lock (&self->lock);
    if (self->loop_active) {
      GST_DEBUG_OBJECT (self, "reconfigure: back to the streaming thread");
      self->loop_active = FALSE;
      g_cond_broadcast (&self->cond);
    }
    g_mutex_unlock (&self->lock);
  }
  return GST_BASE_SRC_CLASS (parent_class)->event (bsrc, event);
}

static gboolean
gst_genesys_src_unlock (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  /* the loop threads stop pushing; a buffer through basesrc again first */
  self->loop_active = FALSE;
  self->returned_buffer = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_genesys_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->loop_ret = GST_FLOW_OK;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_genesys_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GstClockTime latency;
    GST_OBJECT_LOCK (self);
    latency = self->latency;
    GST_OBJECT_UNLOCK (self);
    gst_query_set_latency (query, TRUE, latency, latency + MAX_QUEUED_TIME);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

static gboolean
negotiate_media (GstGenesysSrc * self, const AhMedia * media)
{
  GstCaps *caps;
  gboolean ok;

  if (media->format == AH_FORMAT_PCMU) {
    caps = gst_caps_new_simple ("audio/x-mulaw", "rate", G_TYPE_INT,
        (gint) media->rate, "channels", G_TYPE_INT, (gint) media->n_channels,
        NULL);
    if (media->n_channels == 2)
      gst_caps_set_simple (caps, "channel-mask", GST_TYPE_BITMASK,
          (guint64) 0x3, NULL);
  } else {
    GstAudioInfo info;
    GstAudioChannelPosition pos[2] = {
      GST_AUDIO_CHANNEL_POSITION_FRONT_LEFT,
      GST_AUDIO_CHANNEL_POSITION_FRONT_RIGHT
    };
    if (media->n_channels == 1)
      pos[0] = GST_AUDIO_CHANNEL_POSITION_MONO;
    gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16LE, media->rate,
        media->n_channels, pos);
    caps = gst_audio_info_to_caps (&info);
  }
  GST_INFO_OBJECT (self, "negotiating %" GST_PTR_FORMAT, caps);
  ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  gst_caps_unref (caps);
  return ok;
}

/* Caps come from the session's media, not from the template: nothing to
 * negotiate before a session opens. */
static gboolean
gst_genesys_src_negotiate (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  if (!self->have_media)
    return TRUE;
  return negotiate_media (self, &self->media);
}

/* What is ready to go out: the pending silence, then the queued buffers
 * (paired: not before they are due). TRUE when it set *ret: GST_FLOW_OK
 * with a buffer in *outbuf, or GST_FLOW_FLUSHING. */
static gboolean
ready_buffer (GstGenesysSrc * self, GstBuffer ** outbuf, GstFlowReturn * ret)
{
  GstBuffer *buf;

  if (self->silence.samples) {
    if (self->paired && !src_wait_due (self, self->silence.pts)) {
      *ret = GST_FLOW_FLUSHING;
      return TRUE;
    }
    self->output_started = TRUE;
    *outbuf = src_next_silence (self);
    *ret = GST_FLOW_OK;
    return TRUE;
  }
  if (self->paired) {
    src_handle_barge_in (self);
    if ((buf = g_queue_peek_head (&self->out))
        && !src_wait_due (self, GST_BUFFER_PTS (buf))) {
      *ret = GST_FLOW_FLUSHING;
      return TRUE;
    }
    src_handle_barge_in (self);
  }
  if ((buf = g_queue_pop_head (&self->out))) {
    /* Silence standing in for a gap starts a discontinuity of its own;
     * the audio after it is flagged too. */
    if (self->need_discont && !GST_BUFFER_FLAG_IS_SET (buf,
            GST_BUFFER_FLAG_GAP)) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      self->need_discont = FALSE;
    }
    self->output_started = TRUE;
    *outbuf = buf;
    *ret = GST_FLOW_OK;
    return TRUE;
  }
  return FALSE;
}

/* Waits for the next item from the loop threads, or for the end. A
 * barge-in gives GST_FLOW_OK and no item: what is ready goes first.
 * loop pushing: not while a loop thread pushes, and with @claim taking
 * the output (@pushing) with the item; a failed loop push is returned. */
static GstFlowReturn
wait_item (GstGenesysSrc * self, gboolean keep_listening, gboolean claim,
    Item ** out)
{
  Item *item;

  *out = NULL;
  g_mutex_lock (&self->lock);
  while (self->pushing || !(item = g_queue_pop_head (&self->items))) {
    GstFlowReturn loop_ret = self->loop_ret;
    if (loop_ret != GST_FLOW_OK || (claim && self->flushing)) {
      g_mutex_unlock (&self->lock);
      return loop_ret != GST_FLOW_OK ? loop_ret : GST_FLOW_FLUSHING;
    }
    if (self->barge_in && !self->pushing) {
      self->pushing = claim;
      g_mutex_unlock (&self->lock);
      return GST_FLOW_OK;
    }
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_FLUSHING;
    }
    if (self->client_failed) {
      g_mutex_unlock (&self->lock);
      return GST_FLOW_ERROR;
    }
    if (self->ended && !self->pushing) {
      g_mutex_unlock (&self->lock);
      if (self->channel && !self->paired)
        gst_genesys_channel_end (self->channel);
      return GST_FLOW_EOS;
    }
    /* a loop thread that stops pushing wakes us */
    self->loop_waiting = self->pushing;
    if (self->lost_deadline) {
      if (!g_cond_wait_until (&self->cond, &self->lock,
              self->lost_deadline) && self->lost_deadline
          && g_get_monotonic_time () >= self->lost_deadline) {
        self->lost_deadline = 0;
        if (!keep_listening) {
          GST_INFO_OBJECT (self, "no continuation within session-timeout");
          self->ended = TRUE;
        }
      }
    } else {
      g_cond_wait (&self->cond, &self->lock);
    }
    self->loop_waiting = FALSE;
  }
  if (item->type == ITEM_AUDIO)
    self->queued_samples -= item->samples;
  self->pushing = claim;
  g_mutex_unlock (&self->lock);
  *out = item;
  return GST_FLOW_OK;
}

static GstFlowReturn
handle_opened (GstGenesysSrc * self, Item * item)
{
  /* A session that restarts its positions is placed where its audio
   * arrives: the time in between becomes a gap. */
  if (!item->continued)
    gst_genesys_timeline_new_session (&self->timeline);
  if (ah_media_is_usable (&item->media)) {
    if (!self->have_media || !ah_media_equal (&self->media, &item->media)) {
      AhMedia out = item->media;
      self->media = item->media;
      self->swap = item->media.n_channels == 2
          && item->media.channels[0] == AH_CHANNEL_INTERNAL;
      if (!negotiate_media (self, &out)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("downstream refused the session's media"));
        return GST_FLOW_NOT_NEGOTIATED;
      }
      self->have_media = TRUE;
    }
  }
  return GST_FLOW_OK;
}

static void
handle_gap (GstGenesysSrc * self, Item * item)
{
  if (self->have_media) {
    GstGenesysSpan span;
    if (gst_genesys_timeline_gap (&self->timeline, item->position,
            item->samples, item->arrival, &span))
      src_output_gap (self, &span);
  }
}

static GstFlowReturn
handle_preroll (GstGenesysSrc * self, Item * item)
{
  /* The bot may stay silent for a while: a GAP now lets the sinks
   * downstream preroll, so the pipeline reaches PLAYING and the
   * caller's audio flows. */
  if (!self->have_media && ah_media_is_usable (&item->media)) {
    AhMedia out = item->media;
    self->media = item->media;
    self->swap = FALSE;
    if (!negotiate_media (self, &out)) {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
          ("downstream refused the session's media"));
      return GST_FLOW_NOT_NEGOTIATED;
    }
    self->have_media = TRUE;
    if (!self->output_started) {
      GstClockTime now = src_current_running_time (self);
      if (GST_CLOCK_TIME_IS_VALID (now))
        gst_pad_push_event (GST_BASE_SRC_PAD (self),
            gst_event_new_gap (now, 0));
    }
  }
  return GST_FLOW_OK;
}

static void
handle_end (GstGenesysSrc * self, Item * item, gboolean keep_listening)
{
  GstGenesysSpan span;

  /* The session's timeline runs to its position at close: what was
   * sent into a connection that died before the continuation, and
   * never reported, is a gap. */
  if (self->have_media && item->position != G_MAXUINT64
      && gst_genesys_timeline_gap (&self->timeline, item->position, 0,
          GST_CLOCK_TIME_NONE, &span))
    src_output_gap (self, &span);
  /* continued: an EOS the application sent, after what was queued */
  if (!keep_listening || self->paired || item->continued) {
    g_mutex_lock (&self->lock);
    self->ended = TRUE;
    g_mutex_unlock (&self->lock);
  } else if (self->output_started && item->session_id) {
    /* the stream goes on: transcribers learn the session ended here */
    gst_pad_push_event (GST_BASE_SRC_PAD (self),
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            gst_structure_new ("GstGenesysSessionEnd",
                "session-id", G_TYPE_STRING, item->session_id,
                "position", G_TYPE_UINT64, item->position == G_MAXUINT64 ?
                GST_CLOCK_TIME_NONE :
                gst_genesys_samples_to_time (item->position), NULL)));
  }
}

/* One item from the loop threads, on the streaming thread. Frees @item. */
static GstFlowReturn
handle_item (GstGenesysSrc * self, Item * item, gboolean keep_listening)
{
  GstFlowReturn ret = GST_FLOW_OK;

  switch (item->type) {
    case ITEM_OPENED:
      ret = handle_opened (self, item);
      break;
    case ITEM_AUDIO:
      if (self->have_media)
        src_output_audio (self, item);
      break;
    case ITEM_GAP:
      handle_gap (self, item);
      break;
    case ITEM_DTMF:
      src_push_dtmf (self, item);
      break;
    case ITEM_RESUME:
      gst_genesys_timeline_resumed (&self->timeline, item->position,
          item->arrival);
      break;
    case ITEM_PREROLL:
      ret = handle_preroll (self, item);
      break;
    case ITEM_END:
      handle_end (self, item, keep_listening);
      break;
  }
  src_item_free (item);
  return ret;
}

/* ---- loop pushing (push-mode loop, auto) ---- */

/* Takes the output (timeline, queued buffers, silence) and the right to
 * push on the src pad, once the thread that holds them is done; FALSE
 * when flushing: a loop thread's push may be held by a sink waiting in
 * its preroll while the pipeline pauses, which goes on only once create()
 * returned. Under lock. */
static gboolean
claim_output_locked (GstGenesysSrc * self)
{
  while (self->pushing && !self->flushing) {
    self->loop_waiting = TRUE;
    g_cond_wait (&self->cond, &self->lock);
  }
  self->loop_waiting = FALSE;
  if (self->flushing)
    return FALSE;
  self->pushing = TRUE;
  return TRUE;
}

static void
release_output_locked (GstGenesysSrc * self)
{
  self->pushing = FALSE;
  if (self->loop_waiting)
    g_cond_broadcast (&self->cond);
}

/* Pushes what is ready, by the thread that owns the output. Not under
 * lock. */
static GstFlowReturn
push_ready (GstGenesysSrc * self, guint64 * pushed)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while (ready_buffer (self, &buf, &ret) && ret == GST_FLOW_OK) {
    ret = gst_pad_push (GST_BASE_SRC_PAD (self), buf);
    (*pushed)++;
    if (ret != GST_FLOW_OK)
      break;
  }
  return ret;
}

/* The items a loop thread may handle, from the head of the queue, turned
 * into output and pushed by the owner of the output. A failed push ends
 * the loop delivery: the streaming thread returns the same flow. Under
 * lock, released around each item. */
static GstFlowReturn
deliver_locked (GstGenesysSrc * self, gboolean on_loop)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint64 pushed = 0;
  Item *item;

  while (self->loop_active && !self->flushing
      && (item = g_queue_peek_head (&self->items))
      && src_item_loop_deliverable (item)) {
    g_queue_pop_head (&self->items);
    if (item->type == ITEM_AUDIO)
      self->queued_samples -= item->samples;
    g_mutex_unlock (&self->lock);
    handle_item (self, item, FALSE);
    ret = push_ready (self, &pushed);
    g_mutex_lock (&self->lock);
    if (ret != GST_FLOW_OK) {
      /* after unlock() the flushing is theirs, not an error of ours */
      if (self->loop_active) {
        GST_DEBUG_OBJECT (self, "push failed (%s): back to the streaming "
            "thread", gst_flow_get_name (ret));
        self->loop_active = FALSE;
        self->loop_ret = ret;
        g_cond_broadcast (&self->cond);
      }
      break;
    }
  }
  if (on_loop)
    self->stats.loop_pushed_buffers += pushed;
  return ret;
}

/* A loop thread queued audio, a gap, a resume or a DTMF: it pushes them
 * itself unless another thread owns the output, which then pushes them. */
void
src_loop_deliver (GstGenesysSrc * self)
{
  g_mutex_lock (&self->lock);
  if (self->loop_active && !self->pushing && !self->flushing) {
    self->pushing = TRUE;
    deliver_locked (self, TRUE);
    release_output_locked (self);
  }
  g_mutex_unlock (&self->lock);
}

/* Streaming thread, push-mode=auto: whether the loop threads may push,
 * walking downstream again when it changed. Not under lock. */
static gboolean
downstream_safe (GstGenesysSrc * self)
{
  gchar *blocker = NULL;
  gboolean safe;

  if (!self->loop_auto)
    return TRUE;
  if (!g_atomic_int_compare_and_exchange (&self->downstream_stale, TRUE, FALSE))
    return self->downstream_safe;
  safe = gst_genesys_downstream_never_blocks (GST_BASE_SRC_PAD (self),
      &blocker);
  if (safe)
    GST_INFO_OBJECT (self, "push-mode auto: the loop threads push, nothing "
        "downstream blocks");
  else
    GST_INFO_OBJECT (self, "push-mode auto: the streaming thread pushes, "
        "%s", blocker);
  g_free (blocker);
  self->downstream_safe = safe;
  return safe;
}

/* Streaming thread, loop pushing: waits for a loop thread still pushing
 * (FALSE when flushing: nothing to touch), then turns loop delivery on
 * when basesrc pushed the buffer create() returned last (stream-start,
 * caps and segment are out) and downstream allows it. *@active: keeping
 * the output to push it in loop_create(); otherwise released, and the
 * loop threads queue. */
static gboolean
loop_create_begin (GstGenesysSrc * self, gboolean * active)
{
  gboolean safe = downstream_safe (self);

  g_mutex_lock (&self->lock);
  if (!claim_output_locked (self)) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  if (self->returned_buffer && self->loop_ret == GST_FLOW_OK && !self->flushing
      && safe)
    self->loop_active = TRUE;
  self->returned_buffer = FALSE;
  *active = self->loop_active;
  if (!*active)
    release_output_locked (self);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* loop_create() hands the output back to create(): a RECONFIGURE turned
 * loop delivery off */
#define FLOW_BACK_TO_CREATE GST_FLOW_CUSTOM_SUCCESS

/* Hands @ret (and the buffer in *@outbuf) to basesrc, which pushes it
 * outside its live lock: the loop threads queue until create() is called
 * again. Owning the output. */
static GstFlowReturn
loop_hand_back (GstGenesysSrc * self, GstFlowReturn ret)
{
  g_mutex_lock (&self->lock);
  self->loop_active = FALSE;
  self->returned_buffer = ret == GST_FLOW_OK;
  release_output_locked (self);
  g_mutex_unlock (&self->lock);
  return ret;
}

/* Streaming thread, loop delivery on, owning the output: handles what
 * the loop threads leave (a session's media, its end) and what they
 * queued meanwhile. It never pushes from within create(), which basesrc
 * calls under its live lock: a sink that waits in its preroll while the
 * pipeline pauses would hold the state change forever. Output goes back
 * through basesrc (*@outbuf); returns also the end, a flush, an error or
 * FLOW_BACK_TO_CREATE. */
static GstFlowReturn
loop_create (GstGenesysSrc * self, gboolean keep_listening, GstBuffer ** outbuf)
{
  GstFlowReturn ret;
  Item *item;

  while (TRUE) {
    if (ready_buffer (self, outbuf, &ret))
      return loop_hand_back (self, ret);
    g_mutex_lock (&self->lock);
    if (!self->loop_active || self->flushing) {
      gboolean flushing = self->flushing;
      release_output_locked (self);
      g_mutex_unlock (&self->lock);
      return flushing ? GST_FLOW_FLUSHING : FLOW_BACK_TO_CREATE;
    }
    /* what a loop thread queued while the output was ours */
    item = g_queue_peek_head (&self->items);
    if (item && src_item_loop_deliverable (item)) {
      g_queue_pop_head (&self->items);
      if (item->type == ITEM_AUDIO)
        self->queued_samples -= item->samples;
      g_mutex_unlock (&self->lock);
      handle_item (self, item, FALSE);
      continue;
    }
    /* the loop threads push meanwhile; an item they leave claims it */
    release_output_locked (self);
    g_mutex_unlock (&self->lock);
    /* This thread now sleeps until a session starts or ends: the stack
     * its pushes touched (a filesink's flush reserves over 100 KiB) goes
     * back to the kernel instead of staying resident for every idle
     * call. */
    gst_genesys_stack_trim ();
    ret = wait_item (self, keep_listening, TRUE, &item);
    if (ret != GST_FLOW_OK)
      return ret;
    if (item)
      ret = handle_item (self, item, keep_listening);
    if (ret != GST_FLOW_OK)
      return loop_hand_back (self, ret);
  }
}

static GstFlowReturn
gst_genesys_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (psrc);
  GstFlowReturn ret;
  Item *item;
  gboolean keep_listening, active = FALSE;

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);

  if (self->loop_mode) {
    if (!loop_create_begin (self, &active))
      return GST_FLOW_FLUSHING;
    if (active) {
      ret = loop_create (self, keep_listening, outbuf);
      if (ret != FLOW_BACK_TO_CREATE)
        return ret;
    }
  }
  while (TRUE) {
    if (ready_buffer (self, outbuf, &ret)) {
      if (ret == GST_FLOW_OK && self->loop_mode) {
        g_mutex_lock (&self->lock);
        self->returned_buffer = TRUE;
        g_mutex_unlock (&self->lock);
      }
      return ret;
    }
    ret = wait_item (self, keep_listening, FALSE, &item);
    if (ret != GST_FLOW_OK)
      return ret;
    /* after a barge-in, what is ready first */
    if (item == NULL)
      continue;
    ret = handle_item (self, item, keep_listening);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

/* ---- GstURIHandler: ws:// and wss:// are client mode ---- */

/* A URI through the GstURIHandler selects client mode. */
static void
select_client_mode (GstElement * element)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (element);

  GST_OBJECT_LOCK (self);
  self->mode = GST_GENESYS_MODE_CLIENT;
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "mode");
}

/* ---- action signals ---- */

static GstGenesysConn *
get_conn (GstGenesysSrc * self)
{
  GstGenesysConn *conn;

  g_mutex_lock (&self->lock);
  conn = self->conn ? gst_genesys_conn_ref (self->conn) : NULL;
  g_mutex_unlock (&self->lock);
  return conn;
}

static gboolean
cmd_pause (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_pause (session, now);
}

static gboolean
cmd_resume (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_resume (session, now);
}

typedef struct
{
  gchar *reason;
  gchar *info;
} DisconnectArgs;

static gboolean
cmd_disconnect (AhSession * session, gpointer data, guint64 now)
{
  DisconnectArgs *args = data;

  return ah_session_disconnect (session, args->reason, args->info, NULL, now);
}

static void
disconnect_args_free (gpointer data)
{
  DisconnectArgs *args = data;

  g_free (args->reason);
  g_free (args->info);
  g_free (args);
}

static gboolean
cmd_send_event (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_send_event (session, data, now);
}

static gboolean
run_command (GstGenesysSrc * self, GstGenesysConnCommand command,
    gpointer data, GDestroyNotify notify)
{
  GstGenesysConn *conn = get_conn (self);

  if (!conn) {
    GST_WARNING_OBJECT (self, "no session");
    if (notify)
      notify (data);
    return FALSE;
  }
  gst_genesys_conn_command (conn, command, data, notify);
  gst_genesys_conn_unref (conn);
  return TRUE;
}

static gboolean
gst_genesys_src_pause (GstGenesysSrc * self)
{
  return run_command (self, cmd_pause, NULL, NULL);
}

static gboolean
gst_genesys_src_resume (GstGenesysSrc * self)
{
  return run_command (self, cmd_resume, NULL, NULL);
}

static gboolean
gst_genesys_src_disconnect (GstGenesysSrc * self, const gchar * reason,
    const gchar * info)
{
  DisconnectArgs *args = g_new0 (DisconnectArgs, 1);

  args->reason = g_strdup (reason ? reason : "completed");
  args->info = g_strdup (info);
  return run_command (self, cmd_disconnect, args, disconnect_args_free);
}

static gboolean
gst_genesys_src_send_event_json (GstGenesysSrc * self, const gchar * json)
{
  JsonNode *node;
  JsonArray *array;
  GError *error = NULL;

  node = json_from_string (json, &error);
  if (!node || !JSON_NODE_HOLDS_ARRAY (node)) {
    GST_WARNING_OBJECT (self, "send-event needs a JSON array of entities: %s",
        error ? error->message : "not an array");
    g_clear_error (&error);
    if (node)
      json_node_unref (node);
    return FALSE;
  }
  array = json_array_ref (json_node_get_array (node));
  json_node_unref (node);
  return run_command (self, cmd_send_event, array,
      (GDestroyNotify) json_array_unref);
}

/* ---- properties ---- */

static gboolean
merge_client_stat (GQuark field, const GValue * value, gpointer data)
{
  GstStructure *s = data;

  if (!gst_structure_id_has_field (s, field) || field == g_quark_from_string
      ("pings"))
    gst_structure_id_set_value (s, field, value);
  return TRUE;
}

static GstStructure *
build_stats (GstGenesysSrc * self)
{
  GstStructure *s;
  guint i;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("application/x-genesys-stats",
      "sessions", G_TYPE_UINT64, self->stats.sessions,
      "probes", G_TYPE_UINT64, self->stats.probes,
      "sessions-lost", G_TYPE_UINT64, self->stats.sessions_lost,
      "sessions-continued", G_TYPE_UINT64, self->stats.sessions_continued,
      "frames", G_TYPE_UINT64, self->stats.frames,
      "bytes", G_TYPE_UINT64, self->stats.bytes,
      "samples", G_TYPE_UINT64, self->stats.samples,
      "gaps", G_TYPE_UINT64, self->stats.gaps,
      "gap-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (self->stats.gap_samples),
      "dropped-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (self->stats.dropped_samples),
      "pings", G_TYPE_UINT64, self->stats.pings,
      "last-rtt", G_TYPE_UINT64, self->stats.last_rtt,
      "protocol-errors", G_TYPE_UINT64, self->stats.protocol_errors,
      "client-errors", G_TYPE_UINT64, self->stats.client_errors,
      "position-mismatches", G_TYPE_UINT64, self->stats.position_mismatches,
      "refused-busy", G_TYPE_UINT64, self->stats.refused_busy,
      "bad-requests", G_TYPE_UINT64, self->stats.bad_requests,
      "not-found", G_TYPE_UINT64, self->stats.not_found,
      "late-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (self->stats.late_samples),
      "late-dropped-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (self->stats.late_dropped_samples),
      "reanchors", G_TYPE_UINT, self->stats.reanchors,
      "skew-ppm", G_TYPE_DOUBLE, self->stats.skew_ppb / 1000.0,
      "lateness", G_TYPE_INT64, self->stats.lateness,
      "dtmf", G_TYPE_UINT64, self->stats.dtmf,
      "barge-ins", G_TYPE_UINT64, self->stats.barge_ins,
      "barge-in-duration", G_TYPE_UINT64,
      gst_genesys_samples_to_time (self->stats.barge_in_samples),
      "loop-pushed-buffers", G_TYPE_UINT64, self->stats.loop_pushed_buffers,
      NULL);
  for (i = 0; i < AH_SIGNATURE_ERROR_N_CODES; i++) {
    gchar *name = g_strdup_printf ("auth-failures-%s",
        ah_signature_error_nick (i));
    gst_structure_set (s, name, G_TYPE_UINT64, self->stats.auth_failures[i],
        NULL);
    g_free (name);
  }
  /* client mode: the connection counters (connections, reconnects,
   * keepalive-timeouts, close codes, notification pings answered) */
  if (self->client || self->client_stats) {
    GstStructure *cs = self->client ?
        gst_genesys_raw_client_get_stats (self->client) :
        gst_structure_copy (self->client_stats);
    gst_structure_foreach (cs, merge_client_stat, s);
    gst_structure_free (cs);
  }
  g_mutex_unlock (&self->lock);
  return s;
}

/* The plain string properties. */
static const GstGenesysStringProp string_props[] = {
  /**
   * GstGenesysSrc:address:
   *
   * The local IP address to listen on.
   */
  {PROP_ADDRESS, "address", "Address",
        "Local IP address to listen on",
      DEFAULT_ADDRESS, G_STRUCT_OFFSET (GstGenesysSrc, address)},
  /**
   * GstGenesysSrc:path:
   *
   * The request path the AudioHook integration is configured with (for
   * Audio Connector, the path of its Base Connection URI). It matches as a
   * prefix on a segment boundary: the rest of the request target (after
   * `/` or `?`, the Connector ID Genesys appends) is the session's
   * connector id, in `genesys-session-opened`. Requests for other paths
   * get HTTP 404, counted in #GstGenesysSrc:stats (`not-found`) and said
   * as a warning at most every 10 s. Elements sharing a port and path must
   * have the same credentials; the longest matching path wins.
   */
  {PROP_PATH, "path", "Path",
        "Request path of the AudioHook endpoint (a prefix: the rest is the "
        "connector id)",
      DEFAULT_PATH, G_STRUCT_OFFSET (GstGenesysSrc, path)},
  /**
   * GstGenesysSrc:tls-certificate-file:
   *
   * PEM certificate chain for wss://. Genesys Cloud only connects to
   * certificates from a public CA whose name matches the host.
   */
  {PROP_TLS_CERTIFICATE_FILE, "tls-certificate-file", "TLS certificate file",
        "PEM certificate (chain) for wss:// (with tls-key-file)",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, tls_certificate_file)},
  /**
   * GstGenesysSrc:tls-key-file:
   *
   * PEM private key of #GstGenesysSrc:tls-certificate-file.
   */
  {PROP_TLS_KEY_FILE, "tls-key-file", "TLS key file",
        "PEM private key for wss://",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, tls_key_file)},
  /**
   * GstGenesysSrc:api-key:
   *
   * The API key of the integration (the X-API-KEY header).
   */
  {PROP_API_KEY, "api-key", "API key",
        "API key clients must present in X-API-KEY",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, api_key)},
  /**
   * GstGenesysSrc:client-secret:
   *
   * The integration's client secret, base64 as Genesys shows it. Empty:
   * requests with #GstGenesysSrc:api-key need no signature.
   */
  {PROP_CLIENT_SECRET, "client-secret", "Client secret",
        "Base64 client secret that signs requests (empty = unsigned allowed)",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, client_secret)},
  /**
   * GstGenesysSrc:credentials-file:
   *
   * A JSON file with an object mapping API keys to client secrets, for
   * several integrations; an empty secret allows unsigned requests.
   */
  {PROP_CREDENTIALS_FILE, "credentials-file", "Credentials file",
        "JSON object mapping API keys to base64 client secrets",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, credentials_file)},
  /**
   * GstGenesysSrc:authority:
   *
   * The host[:port] Genesys connects to, used in the signature instead of
   * the received Host header (behind proxies and tunnels that rewrite it).
   */
  {PROP_AUTHORITY, "authority", "Authority",
        "Public host[:port] used for @authority in signatures (behind proxies)",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, authority)},
  /**
   * GstGenesysSrc:session-name:
   *
   * Shares the session with the genesyssink of the same session-name in
   * this process (a voice bot). In server mode the genesyssink sends its
   * audio back to the client on the session this element accepted (bot
   * audio), and learns of the client's playback, DTMF and rate limits. In
   * client mode without #GstGenesysSrc:uri the element outputs the audio
   * the server sends back on the session that genesyssink opened, played
   * in real time from its arrival (silence between utterances is a gap); a
   * `barge_in` event from the server drops what was not played yet and
   * posts `genesys-barge-in` with the duration dropped.
   */
  {PROP_SESSION_NAME, "session-name", "Session name",
        "Share the session with the genesyssink of this name (voice bots)",
      NULL, G_STRUCT_OFFSET (GstGenesysSrc, session_name)},
  {0, NULL}
};

static void
gst_genesys_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (object);

  if (gst_genesys_client_props_set_property (GST_ELEMENT (self), prop_id,
          value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_MEDIA_PREFERENCE:
      self->media_preference = g_value_get_enum (value);
      break;
    case PROP_GAP_MODE:
      self->gap_mode = g_value_get_enum (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint64 (value);
      break;
    case PROP_KEEP_LISTENING:
      self->keep_listening = g_value_get_boolean (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint64 (value);
      break;
    case PROP_SESSION_TIMEOUT:
      self->session_timeout = g_value_get_uint64 (value);
      break;
    case PROP_START_POSITION:
      self->start_position = g_value_get_uint64 (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint (value);
      break;
    case PROP_SUPPORTED_LANGUAGES:{
      guint i, n = gst_value_array_get_size (value);
      g_strfreev (self->languages);
      self->languages = n ? g_new0 (gchar *, n + 1) : NULL;
      for (i = 0; i < n; i++)
        self->languages[i] =
            g_value_dup_string (gst_value_array_get_value (value, i));
      break;
    }
    case PROP_START_PAUSED:
      self->start_paused = g_value_get_boolean (value);
      break;
    case PROP_DROP_ON_LATENCY:
      self->drop_on_latency = g_value_get_boolean (value);
      break;
    case PROP_PUSH_MODE:
      self->push_mode = g_value_get_enum (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_CAPS:
      gst_caps_replace (&self->caps, (GstCaps *) gst_value_get_caps (value));
      break;
    default:
      if (!gst_genesys_string_props_set (self, string_props, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }
  if (gst_genesys_client_props_get_property (GST_ELEMENT (self), prop_id,
          value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_CURRENT_PORT:
      g_value_set_uint (value, self->current_port);
      break;
    case PROP_MEDIA_PREFERENCE:
      g_value_set_enum (value, self->media_preference);
      break;
    case PROP_GAP_MODE:
      g_value_set_enum (value, self->gap_mode);
      break;
    case PROP_LATENCY:
      g_value_set_uint64 (value, self->latency);
      break;
    case PROP_KEEP_LISTENING:
      g_value_set_boolean (value, self->keep_listening);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint64 (value, self->idle_timeout);
      break;
    case PROP_SESSION_TIMEOUT:
      g_value_set_uint64 (value, self->session_timeout);
      break;
    case PROP_START_POSITION:
      g_value_set_uint64 (value, self->start_position);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->max_message_size);
      break;
    case PROP_SUPPORTED_LANGUAGES:{
      gchar **l;
      for (l = self->languages; l && *l; l++) {
        GValue v = G_VALUE_INIT;
        g_value_init (&v, G_TYPE_STRING);
        g_value_set_string (&v, *l);
        gst_value_array_append_and_take_value (value, &v);
      }
      break;
    }
    case PROP_START_PAUSED:
      g_value_set_boolean (value, self->start_paused);
      break;
    case PROP_DROP_ON_LATENCY:
      g_value_set_boolean (value, self->drop_on_latency);
      break;
    case PROP_PUSH_MODE:
      g_value_set_enum (value, self->push_mode);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_CAPS:
      gst_value_set_caps (value, self->caps);
      break;
    default:
      if (!gst_genesys_string_props_get (self, string_props, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_src_finalize (GObject * object)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (object);

  gst_genesys_string_props_free (self, string_props);
  gst_genesys_client_props_clear (&self->client_props);
  g_strfreev (self->languages);
  gst_clear_caps (&self->caps);
  g_clear_pointer (&self->client_stats, gst_structure_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_genesys_src_init (GstGenesysSrc * self)
{
  gst_genesys_string_props_init (self, string_props);
  self->port = DEFAULT_PORT;
  self->media_preference = DEFAULT_MEDIA_PREFERENCE;
  self->gap_mode = DEFAULT_GAP_MODE;
  self->latency = DEFAULT_LATENCY;
  self->keep_listening = DEFAULT_KEEP_LISTENING;
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->start_paused = DEFAULT_START_PAUSED;
  self->drop_on_latency = DEFAULT_DROP_ON_LATENCY;
  self->push_mode = DEFAULT_PUSH_MODE;
  self->mode = DEFAULT_MODE;
  self->caps = gst_caps_from_string (DEFAULT_CAPS);
  gst_genesys_client_props_init (&self->client_props);
  self->last_arrival = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->items);
  g_queue_init (&self->out);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (self), FALSE);
}

/* EOS sent by the application ends the stream after the audio already
 * received (basesrc would end it at once and lose what is queued). */
static gboolean
gst_genesys_src_send_event (GstElement * element, GstEvent * event)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (element);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gboolean queued = FALSE;
    g_mutex_lock (&self->lock);
    if (self->started && !self->ended && !self->flushing) {
      Item *item = src_item_new (ITEM_END);
      item->continued = TRUE;
      src_push_item_locked (self, item);
      queued = TRUE;
    }
    g_mutex_unlock (&self->lock);
    if (queued) {
      GST_INFO_OBJECT (self, "EOS after the audio received so far");
      gst_event_unref (event);
      return TRUE;
    }
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

static void
gst_genesys_src_class_init (GstGenesysSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gst_genesys_src_ensure_debug_category ();
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_genesys_src_send_event);

  gobject_class->set_property = gst_genesys_src_set_property;
  gobject_class->get_property = gst_genesys_src_get_property;
  gobject_class->finalize = gst_genesys_src_finalize;

  gst_genesys_client_props_install (gobject_class,
      G_STRUCT_OFFSET (GstGenesysSrc, client_props), "Client mode: ",
      select_client_mode);
  gst_genesys_string_props_install (gobject_class, string_props, rw);

  /**
   * GstGenesysSrc:port:
   *
   * The TCP port to listen on; 0 picks a free one (see
   * #GstGenesysSrc:current-port).
   */
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "TCP port to listen on (0 = any free port)", 0, 65535, DEFAULT_PORT,
          rw));
  /**
   * GstGenesysSrc:current-port:
   *
   * The port actually bound while the element runs (PAUSED or PLAYING in
   * server mode); 0 otherwise.
   */
  g_object_class_install_property (gobject_class, PROP_CURRENT_PORT,
      g_param_spec_uint ("current-port", "Current port",
          "The port actually listened on (0 when not listening)", 0, 65535, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstGenesysSrc:media-preference:
   *
   * Which offered media to choose, among those downstream accepts.
   */
  g_object_class_install_property (gobject_class, PROP_MEDIA_PREFERENCE,
      g_param_spec_enum ("media-preference", "Media preference",
          "Which offered media to choose", GST_TYPE_GENESYS_MEDIA_PREFERENCE,
          DEFAULT_MEDIA_PREFERENCE, rw));
  /**
   * GstGenesysSrc:gap-mode:
   *
   * How spans without audio are output.
   */
  g_object_class_install_property (gobject_class, PROP_GAP_MODE,
      g_param_spec_enum ("gap-mode", "Gap mode",
          "How spans without audio are output", GST_TYPE_GENESYS_GAP_MODE,
          DEFAULT_GAP_MODE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGenesysSrc:latency:
   *
   * Latency reported to the pipeline: how long after its PTS a buffer may
   * leave. PTS follow the sender's clock, placed on its earliest arrivals,
   * so the latency must cover the client's frame period (200 ms for
   * Genesys: a frame's first sample is that old when the frame arrives)
   * plus the network jitter to expect. Audio that leaves later is counted
   * (`late-duration`, a `genesys-late` message), and dropped only with
   * #GstGenesysSrc:drop-on-latency.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "Latency in nanoseconds: the client's frame period plus jitter", 0,
          G_MAXUINT64, DEFAULT_LATENCY, rw));
  /**
   * GstGenesysSrc:keep-listening:
   *
   * After a session closes, wait for the next one and continue the same
   * output timeline instead of ending the stream. The output follows the
   * clock from its first audio on: the time between two sessions is a gap
   * (see #GstGenesysSrc:gap-mode); before the first audio nothing is
   * output, and a session with no audio covers no time.
   */
  g_object_class_install_property (gobject_class, PROP_KEEP_LISTENING,
      g_param_spec_boolean ("keep-listening", "Keep listening",
          "Continue with the next session instead of EOS",
          DEFAULT_KEEP_LISTENING, rw));
  /**
   * GstGenesysSrc:session-timeout:
   *
   * How long to wait for a continuation after a session vanished without
   * close before ending the stream.
   */
  g_object_class_install_property (gobject_class, PROP_SESSION_TIMEOUT,
      g_param_spec_uint64 ("session-timeout", "Session timeout",
          "Nanoseconds to wait after a session vanished before EOS", 0,
          G_MAXUINT64, DEFAULT_SESSION_TIMEOUT, rw));
  /**
   * GstGenesysSrc:idle-timeout:
   *
   * Server mode: a session from whose client nothing came (no audio, no
   * ping) for this long is over: it is sent `disconnect` (reason `error`),
   * and its connection is dropped soon after, as one that vanished (a
   * continuation may follow within #GstGenesysSrc:session-timeout). A
   * client pings every 5 s; the default leaves room for clients that ping
   * less often. 0: never.
   */
  g_object_class_install_property (gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint64 ("idle-timeout", "Idle timeout",
          "Nanoseconds without any message from the client before the "
          "session is over (server mode; 0: never)", 0, G_MAXUINT64,
          DEFAULT_IDLE_TIMEOUT, rw));
  /**
   * GstGenesysSrc:start-position:
   *
   * The call position (in samples at 8000 Hz) that the first output sample
   * stands for: audio and gaps before it are not output, and nothing
   * before it is filled. 0 (the default): the output starts at position 0,
   * and a first session whose audio starts later begins with a gap.
   * gst-genesys-serve sets it on a call that goes on from another instance
   * (`{start-position}`), whose output before it is that instance's.
   */
  g_object_class_install_property (gobject_class, PROP_START_POSITION,
      g_param_spec_uint64 ("start-position", "Start position",
          "Call position in samples (8000/s) of the first output sample; "
          "what lies before it is not output", 0, G_MAXUINT64, 0, rw));
  /**
   * GstGenesysSrc:max-message-size:
   *
   * Largest WebSocket message accepted; larger ones close the connection
   * with code 1009.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Max message size",
          "Largest WebSocket message in bytes (larger: close 1009)", 1024,
          16 * 1024 * 1024, DEFAULT_MAX_MESSAGE_SIZE, rw));
  /**
   * GstGenesysSrc:start-paused:
   *
   * Answer open with startPaused: no audio flows until the "resume" action.
   */
  g_object_class_install_property (gobject_class, PROP_START_PAUSED,
      g_param_spec_boolean ("start-paused", "Start paused",
          "Ask the client to start paused (resume with the resume action)",
          DEFAULT_START_PAUSED, rw));
  /**
   * GstGenesysSrc:supported-languages:
   *
   * Language codes (such as `en-US`) the application handles: an `open`
   * that asks (`supportedLanguages: true`) gets them in `opened`, and an
   * empty list when none is set. From gst-launch-1.0:
   * `supported-languages="<en-US,de-DE>"`.
   */
  g_object_class_install_property (gobject_class, PROP_SUPPORTED_LANGUAGES,
      gst_param_spec_array ("supported-languages", "Supported languages",
          "Language codes listed in opened when the open asks for them",
          g_param_spec_string ("language", "Language",
              "A language code such as en-US", NULL,
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS), rw));
  /**
   * GstGenesysSrc:drop-on-latency:
   *
   * Drop audio that would leave later than its PTS +
   * #GstGenesysSrc:latency (a stall, a burst after a reconnect) and output
   * a gap of exactly its length instead, so that the latency stays bounded
   * (a bot or relay hand-off, where a burst would become a latency spike).
   * Off (the default), late audio is output all the same, in order, with
   * its true timestamps, and counted (`late-duration`, `genesys-late`):
   * nothing the client sent is lost.
   */
  g_object_class_install_property (gobject_class, PROP_DROP_ON_LATENCY,
      g_param_spec_boolean ("drop-on-latency", "Drop on latency",
          "Drop audio later than PTS + latency (a gap instead) rather than "
          "output it late", DEFAULT_DROP_ON_LATENCY, rw));
  /**
   * GstGenesysSrc:push-mode:
   *
   * Which thread pushes the audio downstream (server and external modes;
   * client mode always uses the streaming thread).
   *
   * `loop`: the connection's loop thread pushes it itself, saving a wake
   * of the streaming thread per frame. The downstream must never block (no
   * `sync=true` sinks, no queue that can fill, no pausing of a playing
   * pipeline, no pad probe that waits), or every session on that loop
   * thread waits, pongs included.
   *
   * `thread`: the streaming thread pushes it; the loop thread wakes it for
   * every frame. A blocking downstream never delays a pong.
   *
   * `auto` (the default): `loop` when every element downstream is known
   * never to block, `thread` otherwise. Known: fakesink, filesink,
   * multifilesink and appsink without `sync=true` (an appsink with
   * `max-buffers` also needs `drop=true`); audioconvert, audioresample,
   * audiorate, capsfilter, identity (no `sync`, no `sleep-time`), the
   * mu-law and A-law coders, wavenc, volume, level, valve,
   * audiobuffersplit, tee and deinterleave on every branch, and bins
   * through their ghost pads; a leaky queue ends the walk. Decided when
   * streaming starts and again after every RECONFIGURE event (downstream
   * relinked or renegotiating); properties changed while playing and pad
   * probes are not seen. The decision and what blocks are in the debug
   * log (`genesyssrc:4`).
   *
   * In both loop cases the first buffer (after stream-start, caps and
   * segment) and each session's media and end are handled by the
   * streaming thread; a push that fails hands the delivery back to it.
   * `loop-pushed-buffers` in #GstGenesysSrc:stats counts the buffers the
   * loop threads pushed.
   */
  g_object_class_install_property (gobject_class, PROP_PUSH_MODE,
      g_param_spec_enum ("push-mode", "Push mode",
          "Which thread pushes the audio: thread (a wake per frame, safe for "
          "any downstream), loop (the connection's loop thread; downstream "
          "must never block), auto (loop when downstream is known never to "
          "block)", GST_TYPE_GENESYS_PUSH_MODE, DEFAULT_PUSH_MODE, rw));
  /**
   * GstGenesysSrc:stats:
   *
   * Counters of sessions, audio, gaps, pings and failures
   * (application/x-genesys-stats), kept after the element stops. For the
   * timeline: `gap-duration` (every gap output), `late-duration` (audio
   * that left later than PTS + latency), `late-dropped-duration` (of that,
   * dropped with #GstGenesysSrc:drop-on-latency), `dropped-duration` (audio
   * dropped because the streaming thread was blocked for 5 s), `reanchors`
   * (sessions and frozen pauses placed where their audio arrived),
   * `skew-ppm` (the sender's clock against the pipeline clock, recovered:
   * positive for a slow sender) and `lateness` (how late the last audio's
   * end arrived against its PTS, nanoseconds).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Session, audio, gap, ping and failure counters", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstGenesysSrc:mode:
   *
   * `server`: listen for AudioHook sessions (Genesys Cloud dials in).
   * `client`: connect out to #GstGenesysSrc:uri, a WebSocket that pushes
   * audio of #GstGenesysSrc:caps, and reconnect when it drops.
   * `external`: take sessions that the application accepted
   * (gst_genesys_src_take_session(), used by gst-genesys-serve).
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Listen for AudioHook sessions, or connect out to a WebSocket",
          GST_TYPE_GENESYS_MODE, DEFAULT_MODE, rw));
  /**
   * GstGenesysSrc:caps:
   *
   * Client mode: the format of the binary frames, audio/x-mulaw or
   * audio/x-raw,format=S16LE at 8000 Hz with 1 or 2 channels (interleaved).
   */
  g_object_class_install_property (gobject_class, PROP_CAPS,
      g_param_spec_boxed ("caps", "Caps",
          "Client mode: format of the binary frames", GST_TYPE_CAPS, rw));

  /**
   * GstGenesysSrc::pause:
   * @src: the element
   *
   * Asks the client to pause the audio (it is not billed meanwhile for
   * Audio Connector). Returns %FALSE without a session.
   */
  signals[SIGNAL_PAUSE] = g_signal_new_class_handler ("pause",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_src_pause), NULL, NULL, NULL, G_TYPE_BOOLEAN, 0);
  /**
   * GstGenesysSrc::resume:
   * @src: the element
   *
   * Asks the client to resume after a pause.
   */
  signals[SIGNAL_RESUME] = g_signal_new_class_handler ("resume",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_src_resume), NULL, NULL, NULL, G_TYPE_BOOLEAN, 0);
  /**
   * GstGenesysSrc::disconnect:
   * @src: the element
   * @reason: "completed", "unauthorized" or "error"
   * @info: a description for the client, or %NULL
   *
   * Asks the client to end the session.
   */
  signals[SIGNAL_DISCONNECT] = g_signal_new_class_handler ("disconnect",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_src_disconnect), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstGenesysSrc::send-event:
   * @src: the element
   * @entities: a JSON array of {"type", "data"} entities
   *
   * Sends an event (transcripts, agent assist, ...) to the client.
   */
  signals[SIGNAL_SEND_EVENT] = g_signal_new_class_handler ("send-event",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_src_send_event_json), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Genesys AudioHook source", "Source/Audio/Network",
      "Receives Genesys Cloud call audio over AudioHook WebSocket sessions",
      "gst-genesys developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_genesys_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_genesys_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_genesys_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_genesys_src_unlock_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_genesys_src_query);
  basesrc_class->event = GST_DEBUG_FUNCPTR (gst_genesys_src_event);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_genesys_src_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_genesys_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_GAP_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_MEDIA_PREFERENCE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_PUSH_MODE, 0);
}
