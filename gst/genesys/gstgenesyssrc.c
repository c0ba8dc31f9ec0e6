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
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/audio/audio.h>

#include "gstgenesyssrc.h"
#include "gstgenesysenums.h"
#include "gstgenesysserver.h"
#include "gstgenesysclient.h"
#include "gstgenesyschannel.h"
#include "gstgenesystimeline.h"
#include "gstgenesysjson.h"
#include "gstgenesyscredentials.h"
#include "audiohook/ah-duration.h"

GST_DEBUG_CATEGORY_STATIC (genesyssrc_debug);
#define GST_CAT_DEFAULT genesyssrc_debug

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
#define DEFAULT_MAX_MESSAGE_SIZE 65536
#define DEFAULT_START_PAUSED FALSE
#define DEFAULT_DROP_ON_LATENCY FALSE
#define DEFAULT_MODE GST_GENESYS_MODE_SERVER
#define DEFAULT_CAPS "audio/x-mulaw, rate = (int) 8000, channels = (int) 1"
#define DEFAULT_TLS_VALIDATION TRUE
#define DEFAULT_KEEPALIVE_INTERVAL (15 * GST_SECOND)
#define DEFAULT_KEEPALIVE_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_RETRY_BACKOFF_FACTOR (100 * GST_MSECOND)
#define DEFAULT_RETRY_BACKOFF_MAX (10 * GST_SECOND)
#define DEFAULT_RETRIES -1
/* Client mode: connecting may take this long; a connection that stays
 * up this long resets the backoff. */
#define CLIENT_CONNECT_TIMEOUT (10 * GST_SECOND)
#define CLIENT_STABLE_TIME (10 * GST_SECOND)
/* Audio waiting for a blocked streaming thread beyond this is dropped and
 * output as a gap, so the protocol thread never waits. */
#define MAX_QUEUED_TIME (5 * GST_SECOND)
#define RATE 8000

enum
{
  PROP_0,
  PROP_ADDRESS,
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
  PROP_MAX_MESSAGE_SIZE,
  PROP_START_PAUSED,
  PROP_SUPPORTED_LANGUAGES,
  PROP_DROP_ON_LATENCY,
  PROP_STATS,
  PROP_MODE,
  PROP_URI,
  PROP_CAPS,
  PROP_EXTRA_HEADERS,
  PROP_TLS_CA_FILE,
  PROP_TLS_VALIDATION,
  PROP_KEEPALIVE_INTERVAL,
  PROP_KEEPALIVE_TIMEOUT,
  PROP_RETRY_BACKOFF_FACTOR,
  PROP_RETRY_BACKOFF_MAX,
  PROP_RETRIES,
  PROP_SESSION_NAME,
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

typedef enum
{
  ITEM_OPENED,
  ITEM_AUDIO,
  ITEM_GAP,
  ITEM_END,
  ITEM_DTMF,
  ITEM_RESUME,                  /* resumed: at @position, positions may have frozen */
  ITEM_PREROLL,                 /* paired: the session's media are known, no audio yet */
} ItemType;

typedef struct
{
  ItemType type;
  AhMedia media;
  gboolean continued;           /* OPENED: positions go on from the last session */
  GBytes *data;
  guint64 position;             /* END: the session's position at close, or
                                 * G_MAXUINT64 */
  guint64 samples;
  GstClockTime arrival;
  gchar *digit;                 /* DTMF */
} Item;

typedef struct
{
  guint64 sessions, probes, frames, bytes, samples, gaps, gap_samples;
  guint64 dropped_samples, pings, protocol_errors, client_errors;
  guint64 position_mismatches, sessions_lost, refused_busy;
  guint64 sessions_continued;
  guint64 dtmf, barge_ins, barge_in_samples;
  guint64 last_rtt;
  guint64 auth_failures[AH_SIGNATURE_ERROR_N_CODES];
  guint64 bad_requests;
  guint64 not_found;
  gint64 not_found_said;        /* monotonic µs of the last warning */
  guint64 late_samples, late_dropped_samples;
  guint reanchors;
  gint64 skew_ppb;
  GstClockTimeDiff lateness;
} Stats;

struct _GstGenesysSrc
{
  GstPushSrc parent;

  /* properties, object lock */
  gchar *address;
  guint port;
  guint current_port;
  gchar *path;
  gchar *tls_certificate_file;
  gchar *tls_key_file;
  gchar *api_key;
  gchar *client_secret;
  gchar *credentials_file;
  gchar *authority;
  GstGenesysMediaPreference media_preference;
  GstGenesysGapMode gap_mode;
  GstClockTime latency;
  gboolean keep_listening;
  GstClockTime session_timeout;
  guint max_message_size;
  gboolean start_paused;
  gchar **languages;            /* supported-languages, NULL: none set */
  gboolean drop_on_latency;
  GstGenesysMode mode;
  gchar *uri;
  GstCaps *caps;
  GstStructure *extra_headers;
  gchar *tls_ca_file;
  gboolean tls_validation;
  GstClockTime keepalive_interval;
  GstClockTime keepalive_timeout;
  GstClockTime retry_backoff_factor;
  GstClockTime retry_backoff_max;
  gint retries;
  gchar *session_name;

  /* session-name: the session shared with a genesyssink, fixed between
   * start and stop; paired: client mode whose audio is what the server
   * sends back on the sink's session (bot audio, played in real time) */
  GstGenesysChannel *channel;
  gboolean paired;
  GstClockTime playout_end;     /* under lock: running time */
  gboolean barge_in;            /* under lock: flush what was not played */
  guint64 barge_in_samples;     /* under lock: dropped from @items */

  /* client mode: the client, and what its loop thread shares, under lock */
  GstGenesysClient *client;
  GstStructure *client_stats;   /* snapshot kept after stop */
  AhMedia client_media;
  gboolean client_failed;
  guint64 client_position;      /* samples of the current connection */
  gboolean client_dropped;      /* a reconnect gap is pending */
  guint client_attempts;
  gboolean client_connected;    /* under lock: it got through once */
  GstClockTime last_arrival;    /* of the last audio, NONE: none yet */

  /* shared with the loop thread, under lock */
  GMutex lock;
  GCond cond;
  GstGenesysServer *server;
  GstGenesysListener listener;
  gboolean started;
  gboolean busy;
  gboolean flushing;
  gboolean ended;
  GstGenesysConn *conn;         /* the current session, or NULL */
  GList *conns;                 /* every connection we hold, with a ref */
  gint64 lost_deadline;         /* monotonic us, 0: none */
  GQueue items;
  guint64 queued_samples;
  Stats stats;

  /* streaming thread */
  GstGenesysTimeline timeline;
  AhMedia media;
  gboolean have_media;
  gboolean swap;
  gboolean need_discont;
  gboolean output_started;
  gboolean late_run;            /* the last audio was late */
  GstGenesysSpan silence;       /* a gap still to go out as silence */
  gboolean silence_discont;     /* ... whose next chunk starts it */
  GQueue out;
};

#define gst_genesys_src_parent_class parent_class
static void gst_genesys_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstGenesysSrc, gst_genesys_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_genesys_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (genesyssrc, "genesyssrc",
    GST_RANK_NONE, GST_TYPE_GENESYS_SRC,
    GST_DEBUG_CATEGORY_INIT (genesyssrc_debug, "genesyssrc", 0,
        "Genesys AudioHook source"));

#define SRC_CAPS \
  "audio/x-mulaw, rate = (int) 8000, channels = (int) [ 1, 2 ]; " \
  "audio/x-raw, format = (string) S16LE, rate = (int) 8000, " \
  "channels = (int) [ 1, 2 ], layout = (string) interleaved"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

static void
item_free (Item * item)
{
  if (item->data)
    g_bytes_unref (item->data);
  g_free (item->digit);
  g_free (item);
}

static Item *
item_new (ItemType type)
{
  Item *item = g_new0 (Item, 1);

  item->type = type;
  item->arrival = GST_CLOCK_TIME_NONE;
  if (type == ITEM_END)
    item->position = G_MAXUINT64;
  return item;
}

static GstClockTime
current_running_time (GstGenesysSrc * self)
{
  GstClock *clock;
  GstClockTime now, base;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self) ? gst_object_ref (GST_ELEMENT_CLOCK (self))
      : NULL;
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

static void
post_element_message (GstGenesysSrc * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static gchar *
media_to_string (const AhMedia * media)
{
  if (media->n_channels == 0)
    return g_strdup ("none");
  if (media->n_channels == 1)
    return g_strdup_printf ("%s/%u/%s", ah_format_name (media->format),
        media->rate, ah_channel_name (media->channels[0]));
  return g_strdup_printf ("%s/%u/%s,%s", ah_format_name (media->format),
      media->rate, ah_channel_name (media->channels[0]),
      ah_channel_name (media->channels[1]));
}

/* What downstream accepts, for choosing among the offers. */
static void
query_allowed (GstGenesysSrc * self, guint * formats_out, guint * channels_out)
{
  GstPad *pad = GST_BASE_SRC_PAD (self);
  GstCaps *templ = gst_pad_get_pad_template_caps (pad);
  GstCaps *peer = gst_pad_peer_query_caps (pad, templ);
  guint formats = 0, channels = 0;
  guint i;

  for (i = 0; i < gst_caps_get_size (peer); i++) {
    GstStructure *s = gst_caps_get_structure (peer, i);
    gint c;
    if (gst_structure_has_name (s, "audio/x-mulaw"))
      formats |= 1 << AH_FORMAT_PCMU;
    else if (gst_structure_has_name (s, "audio/x-raw"))
      formats |= 1 << AH_FORMAT_L16;
    for (c = 1; c <= 2; c++) {
      GstStructure *probe = gst_structure_copy (s);
      GstCaps *want, *one = gst_caps_new_full (probe, NULL);
      want = gst_caps_new_simple (gst_structure_get_name (s), "channels",
          G_TYPE_INT, c, NULL);
      if (gst_caps_can_intersect (one, want))
        channels |= 1 << c;
      gst_caps_unref (want);
      gst_caps_unref (one);
    }
  }
  gst_caps_unref (peer);
  gst_caps_unref (templ);

  *formats_out = formats;
  *channels_out = channels;
}

/* ---- media choice (loop thread) ---- */

static gint
select_media (const AhMedia * offers, guint n_offers, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  AhMediaPreference pref;
  guint formats, channels, i;
  GArray *ok;
  GArray *index;
  gint chosen, result = -1;

  GST_OBJECT_LOCK (self);
  pref = (AhMediaPreference) self->media_preference;
  GST_OBJECT_UNLOCK (self);
  /* What downstream accepts now (a caps query is fine from any thread). */
  query_allowed (self, &formats, &channels);

  ok = g_array_new (FALSE, FALSE, sizeof (AhMedia));
  index = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; i < n_offers; i++) {
    if (!(channels & (1 << offers[i].n_channels)))
      continue;
    g_array_append_val (ok, offers[i]);
    g_array_append_val (index, i);
  }
  /* PCMU first: L16's byte order is not confirmed. */
  chosen = ah_media_select ((AhMedia *) ok->data, ok->len, pref,
      formats & (1 << AH_FORMAT_PCMU));
  if (chosen < 0)
    chosen = ah_media_select ((AhMedia *) ok->data, ok->len, pref, formats);
  if (chosen >= 0)
    result = g_array_index (index, guint, chosen);
  g_array_free (ok, TRUE);
  g_array_free (index, TRUE);
  return result;
}

/* ---- queue to the streaming thread (under lock) ---- */

static void
push_item_locked (GstGenesysSrc * self, Item * item)
{
  if (item->type == ITEM_AUDIO) {
    GstClockTime queued = gst_util_uint64_scale_int (self->queued_samples,
        GST_SECOND, RATE);
    if (queued > MAX_QUEUED_TIME) {
      /* The streaming thread is stuck: keep the timeline, drop the audio. */
      Item *tail = g_queue_peek_tail (&self->items);
      self->stats.dropped_samples += item->samples;
      if (tail && tail->type == ITEM_GAP
          && tail->position + tail->samples == item->position) {
        tail->samples += item->samples;
        item_free (item);
        return;
      }
      g_bytes_unref (item->data);
      item->data = NULL;
      item->type = ITEM_GAP;
    } else {
      self->queued_samples += item->samples;
    }
  }
  g_queue_push_tail (&self->items, item);
  g_cond_broadcast (&self->cond);
}

/* ---- session callbacks (loop thread) ---- */

static void
set_structure (GstStructure * s, const gchar * field, GstStructure * value)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, value);
  gst_structure_take_value (s, field, &v);
}

static void
post_opened (GstGenesysSrc * self, GstGenesysConn * conn, AhAction * action)
{
  AhMessage *open = action->message;
  const gchar *connector_id = gst_genesys_conn_get_connector_id (conn);
  gchar *media = media_to_string (&action->media);
  GstStructure *s;

  s = gst_structure_new ("genesys-session-opened",
      "session-id", G_TYPE_STRING, open->id,
      "conversation-id", G_TYPE_STRING, open->conversation_id,
      "organization-id", G_TYPE_STRING, open->organization_id,
      "participant-id", G_TYPE_STRING, open->participant.id,
      "ani", G_TYPE_STRING, open->participant.ani,
      "ani-name", G_TYPE_STRING, open->participant.ani_name,
      "dnis", G_TYPE_STRING, open->participant.dnis,
      "media", G_TYPE_STRING, media,
      "language", G_TYPE_STRING, open->language,
      "probe", G_TYPE_BOOLEAN, action->probe, NULL);
  if (open->custom_config) {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);
    gchar *json;
    json_node_set_object (node, open->custom_config);
    json = json_to_string (node, FALSE);
    gst_structure_set (s, "custom-config-json", G_TYPE_STRING, json, NULL);
    set_structure (s, "custom-config",
        gst_genesys_json_to_structure ("custom-config", open->custom_config));
    g_free (json);
    json_node_unref (node);
  }
  if (connector_id)
    gst_structure_set (s, "connector-id", G_TYPE_STRING, connector_id, NULL);
  if (open->input_variables)
    set_structure (s, "input-variables",
        gst_genesys_json_to_structure ("input-variables",
            open->input_variables));
  if (open->continued_sessions && open->continued_sessions->len > 0) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, 0);
    gst_structure_set (s, "continued-session-id", G_TYPE_STRING, cs->id, NULL);
  }
  g_free (media);
  post_element_message (self, s);
}

static GstClockTime
samples_to_time (guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, RATE);
}

static void on_action (GstGenesysConn * conn, AhAction * action,
    gpointer user_data);

/* A key the caller pressed: on the bus now, and downstream in stream
 * order as a GstGenesysDTMF event. */
static void
on_dtmf (GstGenesysSrc * self, AhMessage * msg)
{
  Item *item;

  GST_INFO_OBJECT (self, "DTMF %s at %" GST_TIME_FORMAT,
      GST_STR_NULL (msg->digit), GST_TIME_ARGS (msg->position));
  post_element_message (self, gst_structure_new ("genesys-dtmf",
          "digit", G_TYPE_STRING, msg->digit,
          "position", G_TYPE_UINT64, msg->position, NULL));
  item = item_new (ITEM_DTMF);
  item->digit = g_strdup (msg->digit);
  item->position = gst_util_uint64_scale_int (msg->position, RATE, GST_SECOND);
  item->arrival = current_running_time (self);
  g_mutex_lock (&self->lock);
  self->stats.dtmf++;
  push_item_locked (self, item);
  g_mutex_unlock (&self->lock);
}

static gboolean
unref_conn_cb (gpointer data)
{
  gst_genesys_conn_unref (data);
  return G_SOURCE_REMOVE;
}

/* Takes @conn from another element of this process: for a continuation
 * of a session this element served (@continuation), or a new session when
 * it is idle. */
static gboolean
take_session (GstGenesysSrc * self, GstGenesysConn * conn,
    gboolean continuation)
{
  gboolean ok, keep_listening;
  GstGenesysConn *stale = NULL;

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  /* The client continues the session this element serves: the connection
   * that still carries it is dead to the client (half-open, or not yet
   * noticed as closed here). The continuation takes its place. */
  if (continuation && self->conn && self->started && !self->ended) {
    stale = self->conn;
    self->conn = NULL;
    self->conns = g_list_remove (self->conns, stale);
  }
  ok = self->started && !self->ended && self->conn == NULL && (continuation
      || (!self->busy && (!self->lost_deadline || keep_listening)));
  if (ok) {
    self->busy = TRUE;
    self->conn = conn;
    self->conns = g_list_prepend (self->conns, gst_genesys_conn_ref (conn));
  }
  g_mutex_unlock (&self->lock);

  if (stale) {
    GST_INFO_OBJECT (self, "a continuation supersedes the connection of "
        "session %s", ah_session_get_id (gst_genesys_conn_get_session (stale)));
    post_element_message (self, gst_structure_new ("genesys-superseded",
            "session-id", G_TYPE_STRING,
            ah_session_get_id (gst_genesys_conn_get_session (stale)), NULL));
    if (self->channel)
      gst_genesys_channel_session_ended (self->channel, stale);
    gst_genesys_conn_detach (stale);
    gst_genesys_conn_close (stale, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        "superseded by a continuation");
    gst_genesys_loop_invoke (gst_genesys_conn_get_loop (stale),
        unref_conn_cb, stale, NULL);
  }
  return ok;
}

static void
give_session (GstGenesysSrc * self, GstGenesysConn * conn, GstGenesysSrc * to)
{
  g_mutex_lock (&self->lock);
  if (self->conn == conn)
    self->conn = NULL;
  self->conns = g_list_remove (self->conns, conn);
  self->busy = FALSE;
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "session %s goes to %" GST_PTR_FORMAT,
      ah_session_get_id (gst_genesys_conn_get_session (conn)), to);
  gst_genesys_conn_retarget (conn, gst_object_ref (to), gst_object_unref);
  gst_genesys_conn_unref (conn);
}

/* Which element of this process a newly opened session belongs to: the
 * one that served a session it continues; while this element waits for
 * the continuation of its own lost session, not an unrelated one. A loop
 * thread of the server. Returns NULL when nobody can take it. */
static GstGenesysSrc *
route_session (GstGenesysSrc * self, GstGenesysConn * conn,
    const AhMessage * open, gboolean * continued)
{
  GstGenesysServer *server = self->server;
  GstGenesysSrc *taker = NULL;
  gboolean waiting, keep_listening;
  GList *listeners, *l;
  guint i;

  *continued = FALSE;
  for (i = 0; open->continued_sessions && i < open->continued_sessions->len;
      i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    GstGenesysListener *owner = gst_genesys_server_find_session (server,
        cs->id);
    GstGenesysSrc *other;

    if (!owner)
      continue;
    *continued = TRUE;
    if (owner == &self->listener) {
      gst_genesys_server_forget_session (server, cs->id);
      return self;
    }
    other = owner->user_data;
    if (take_session (other, conn, TRUE)) {
      gst_genesys_server_forget_session (server, cs->id);
      give_session (self, conn, other);
      return other;
    }
  }

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);
  g_mutex_lock (&self->lock);
  waiting = self->lost_deadline != 0;
  g_mutex_unlock (&self->lock);
  if (!waiting || keep_listening)
    return self;

  /* Waiting for a continuation: an unrelated session goes elsewhere. */
  listeners = gst_genesys_server_get_listeners (server);
  for (l = listeners; l && !taker; l = l->next) {
    GstGenesysListener *listener = l->data;
    GstGenesysSrc *other = listener->user_data;
    if (listener == &self->listener
        || g_strcmp0 (listener->path, self->listener.path) != 0)
      continue;
    if (take_session (other, conn, FALSE)) {
      give_session (self, conn, other);
      taker = other;
    }
  }
  g_list_free (listeners);
  return taker;
}

static gboolean
cmd_refuse_busy (AhSession * session, gpointer data, guint64 now)
{
  return ah_session_disconnect (session, "error",
      "this endpoint is waiting for the continuation of another session",
      NULL, now);
}

static void
on_action (GstGenesysConn * conn, AhAction * action, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  Item *item;

  switch (action->type) {
    case AH_ACTION_OPENED:{
      gboolean continued = FALSE;
      if (!action->probe) {
        GstGenesysSrc *owner = route_session (self, conn, action->message,
            &continued);
        if (owner == NULL) {
          g_mutex_lock (&self->lock);
          self->stats.refused_busy++;
          g_mutex_unlock (&self->lock);
          gst_genesys_conn_run (conn, cmd_refuse_busy, NULL);
          break;
        }
        if (owner != self) {
          on_action (conn, action, owner);
          return;
        }
      }
      post_opened (self, conn, action);
      gst_genesys_server_remember_session (self->server,
          action->message->id, &self->listener);
      g_mutex_lock (&self->lock);
      self->stats.sessions++;
      if (action->probe) {
        self->stats.probes++;
      } else {
        self->lost_deadline = 0;
        if (continued)
          self->stats.sessions_continued++;
        item = item_new (ITEM_OPENED);
        item->media = action->media;
        /* positions that go on from the old count are used as they are */
        item->continued = continued && action->message->position > 0;
        push_item_locked (self, item);
      }
      g_mutex_unlock (&self->lock);
      if (self->channel && !action->probe
          && ah_media_is_usable (&action->media))
        gst_genesys_channel_session_opened (self->channel, conn,
            &action->media);
      break;
    }
    case AH_ACTION_AUDIO:
      item = item_new (ITEM_AUDIO);
      item->data = g_bytes_ref (action->data);
      item->position = action->position;
      item->samples = action->samples;
      item->arrival = current_running_time (self);
      g_mutex_lock (&self->lock);
      self->stats.frames++;
      self->stats.bytes += g_bytes_get_size (action->data);
      self->stats.samples += action->samples;
      push_item_locked (self, item);
      g_mutex_unlock (&self->lock);
      break;
    case AH_ACTION_GAP:
      item = item_new (ITEM_GAP);
      item->position = action->position;
      item->samples = action->samples;
      item->arrival = current_running_time (self);
      g_mutex_lock (&self->lock);
      push_item_locked (self, item);
      g_mutex_unlock (&self->lock);
      if (action->cause == AH_GAP_DISCARDED)
        post_element_message (self, gst_structure_new ("genesys-discarded",
                "position", G_TYPE_UINT64, samples_to_time (action->position),
                "duration", G_TYPE_UINT64, samples_to_time (action->samples),
                NULL));
      break;
    case AH_ACTION_PAUSED:
      post_element_message (self, gst_structure_new ("genesys-paused",
              "position", G_TYPE_UINT64, samples_to_time (action->position),
              NULL));
      break;
    case AH_ACTION_RESUMED:
      item = item_new (ITEM_RESUME);
      item->position = action->position;
      item->arrival = current_running_time (self);
      g_mutex_lock (&self->lock);
      push_item_locked (self, item);
      g_mutex_unlock (&self->lock);
      post_element_message (self, gst_structure_new ("genesys-resumed",
              "position", G_TYPE_UINT64, samples_to_time (action->position),
              NULL));
      break;
    case AH_ACTION_PING:
      g_mutex_lock (&self->lock);
      self->stats.pings++;
      if (action->message && action->message->has_rtt)
        self->stats.last_rtt = action->message->rtt;
      g_mutex_unlock (&self->lock);
      break;
    case AH_ACTION_MESSAGE:{
      AhMessage *msg = action->message;
      if (msg->type == AH_MSG_ERROR) {
        g_mutex_lock (&self->lock);
        self->stats.client_errors++;
        g_mutex_unlock (&self->lock);
        GST_INFO_OBJECT (self, "client reported error %" G_GINT64_FORMAT
            ": %s", msg->code, msg->message);
        post_element_message (self, gst_structure_new ("genesys-client-error",
                "code", G_TYPE_INT64, msg->code,
                "message", G_TYPE_STRING, msg->message, NULL));
        if (msg->code == 429 && self->channel)
          gst_genesys_channel_session_message (self->channel, conn, msg);
      } else if (msg->type == AH_MSG_DTMF) {
        on_dtmf (self, msg);
      } else {
        GstStructure *s = gst_structure_new ("genesys-message",
            "type", G_TYPE_STRING, msg->type_name, NULL);
        if (self->channel)
          gst_genesys_channel_session_message (self->channel, conn, msg);
        if (msg->language)
          gst_structure_set (s, "language", G_TYPE_STRING, msg->language, NULL);
        post_element_message (self, s);
      }
      break;
    }
    case AH_ACTION_PROTOCOL_ERROR:
      g_mutex_lock (&self->lock);
      self->stats.protocol_errors++;
      g_mutex_unlock (&self->lock);
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("The AudioHook client broke the protocol."), ("%s", action->text));
      break;
    case AH_ACTION_POSITION_MISMATCH:
      g_mutex_lock (&self->lock);
      self->stats.position_mismatches++;
      g_mutex_unlock (&self->lock);
      GST_DEBUG_OBJECT (self, "client position %" G_GUINT64_FORMAT
          " samples, ours %" G_GUINT64_FORMAT, action->position,
          action->samples);
      break;
    case AH_ACTION_CLOSED:{
      AhSession *session = gst_genesys_conn_get_session (conn);
      gboolean probe = ah_session_is_probe (session);
      gboolean keep_listening;
      gboolean reconnect = g_strcmp0 (action->text, "reconnect") == 0;
      GstClockTime timeout;
      GST_OBJECT_LOCK (self);
      keep_listening = self->keep_listening;
      timeout = self->session_timeout;
      GST_OBJECT_UNLOCK (self);
      if (self->channel) {
        gst_genesys_channel_session_ended (self->channel, conn);
        /* no session follows: the bot's stream ends too, even while the
         * caller's audio still waits to leave this element */
        if (!reconnect && !keep_listening && !probe)
          gst_genesys_channel_end (self->channel);
      }
      post_element_message (self, gst_structure_new ("genesys-session-closed",
              "session-id", G_TYPE_STRING, ah_session_get_id (session),
              "reason", G_TYPE_STRING, action->text,
              "code", G_TYPE_INT, action->code,
              "probe", G_TYPE_BOOLEAN, probe,
              "duration", G_TYPE_UINT64,
              samples_to_time (ah_session_get_position (session)), NULL));
      /* Only a session closed for a reconnect has a continuation coming. */
      if (!reconnect)
        gst_genesys_server_forget_session (self->server,
            ah_session_get_id (session));
      g_mutex_lock (&self->lock);
      if (reconnect && !probe) {
        /* wait for the continuation like after a drop, without a warning */
        self->lost_deadline = g_get_monotonic_time () + timeout / GST_USECOND;
        if (self->conn == conn) {
          self->conn = NULL;
          self->busy = FALSE;
        }
        g_mutex_unlock (&self->lock);
        break;
      }
      if (!probe) {
        item = item_new (ITEM_END);
        item->position = action->position;
        push_item_locked (self, item);
      }
      /* The protocol is done: with keep-listening (or after a probe) the
       * next session may come while this socket still lingers. */
      if (self->conn == conn && (probe || keep_listening)) {
        self->conn = NULL;
        self->busy = FALSE;
      }
      g_mutex_unlock (&self->lock);
      break;
    }
    default:
      break;
  }
  ah_action_free (action);
}

static void
on_closed (GstGenesysConn * conn, gushort code, const gchar * reason,
    gboolean clean, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  gboolean probe = ah_session_is_probe (session);
  gboolean lost, owned;
  guint64 position = ah_session_get_position (session);
  GstClockTime timeout;

  GST_OBJECT_LOCK (self);
  timeout = self->session_timeout;
  GST_OBJECT_UNLOCK (self);

  /* Closed without the close/closed exchange (a probe needs none). */
  lost = !probe && ah_session_get_state (session) != AH_STATE_CLOSED;
  if (self->channel)
    gst_genesys_channel_session_ended (self->channel, conn);

  g_mutex_lock (&self->lock);
  owned = g_list_find (self->conns, conn) != NULL;
  self->conns = g_list_remove (self->conns, conn);
  if (self->conn == conn) {
    self->conn = NULL;
    /* A session that never closed leaves the element free for a
     * continuation; a closed one ended the stream (see CLOSED). */
    if (lost || probe)
      self->busy = FALSE;
  }
  if (lost) {
    self->stats.sessions_lost++;
    self->lost_deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (lost) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The AudioHook session ended without a close."),
        ("session %s: WebSocket closed with code %u at position %"
            GST_TIME_FORMAT, ah_session_get_id (session), code,
            GST_TIME_ARGS (samples_to_time (position))));
    post_element_message (self, gst_structure_new ("genesys-session-lost",
            "session-id", G_TYPE_STRING, ah_session_get_id (session),
            "code", G_TYPE_UINT, (guint) code,
            "position", G_TYPE_UINT64, samples_to_time (position), NULL));
  }
  if (owned)
    gst_genesys_loop_invoke (gst_genesys_conn_get_loop (conn), unref_conn_cb,
        conn, NULL);
}

static const GstGenesysConnCallbacks conn_callbacks = {
  on_action,
  on_closed,
};

static gboolean
listener_claim (gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = self->started && !self->busy && !self->ended;
  if (ok)
    self->busy = TRUE;
  else
    self->stats.refused_busy++;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
listener_unclaim (gpointer user_data)
{
  GstGenesysSrc *self = user_data;

  g_mutex_lock (&self->lock);
  self->busy = FALSE;
  g_mutex_unlock (&self->lock);
}

static void
listener_refused (gpointer user_data, guint status, const GError * error)
{
  GstGenesysSrc *self = user_data;
  const gchar *cause = "bad-request";

  g_mutex_lock (&self->lock);
  if (error->domain == AH_SIGNATURE_ERROR
      && error->code < AH_SIGNATURE_ERROR_N_CODES) {
    self->stats.auth_failures[error->code]++;
    cause = ah_signature_error_nick (error->code);
  } else {
    self->stats.bad_requests++;
  }
  g_mutex_unlock (&self->lock);

  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
      ("Refused an AudioHook connection (HTTP %u): %s", status,
          error->message), (NULL));
  post_element_message (self, gst_structure_new ("genesys-auth-failed",
          "status", G_TYPE_UINT, status,
          "cause", G_TYPE_STRING, cause,
          "message", G_TYPE_STRING, error->message, NULL));
}

/* A request for a path no element serves: counted, and said on the bus
 * at most every 10 s. */
static void
listener_not_found (gpointer user_data, const gchar * request_target)
{
  GstGenesysSrc *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean say;
  gchar *path;

  g_mutex_lock (&self->lock);
  self->stats.not_found++;
  say = self->stats.not_found_said == 0
      || now - self->stats.not_found_said >= 10 * G_USEC_PER_SEC;
  if (say)
    self->stats.not_found_said = now;
  g_mutex_unlock (&self->lock);
  if (!say)
    return;
  GST_OBJECT_LOCK (self);
  path = g_strdup (self->path);
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
      ("Refused a request for %s (HTTP 404): this element serves %s",
          request_target, path),
      ("check the integration's Connection URI; counted in stats "
          "not-found, said at most every 10 s"));
  g_free (path);
}

static void
listener_accepted (gpointer user_data, GstGenesysConn * conn)
{
  GstGenesysSrc *self = user_data;
  AhSession *session = gst_genesys_conn_get_session (conn);
  gboolean start_paused;

  GST_OBJECT_LOCK (self);
  start_paused = self->start_paused;
  ah_session_set_supported_languages (session,
      (const gchar * const *) self->languages);
  GST_OBJECT_UNLOCK (self);

  ah_session_set_media_selector (session, select_media, self);
  ah_session_set_start_paused (session, start_paused);

  g_mutex_lock (&self->lock);
  self->conn = conn;
  self->conns = g_list_prepend (self->conns, conn);     /* listener's ref */
  g_mutex_unlock (&self->lock);

  gst_genesys_conn_start (conn, &conn_callbacks, gst_object_ref (self),
      gst_object_unref);
}

/* ---- element ---- */

/* ---- client mode (events on the client's loop thread) ---- */

static void
post_client_error (GstGenesysSrc * self, const GError * error)
{
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->uri);
  GST_OBJECT_UNLOCK (self);
  if (g_error_matches (error, GST_GENESYS_CLIENT_ERROR,
          GST_GENESYS_CLIENT_ERROR_UNAUTHORIZED))
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED, ("%s",
            error->message), ("client mode, uri %s", uri));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message),
        ("client mode, uri %s", uri));
  g_free (uri);
}

static void
on_client_event (GstGenesysClient * client, const GstGenesysClientEvent * ev,
    gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  gboolean started, connected;

  g_mutex_lock (&self->lock);
  started = self->started;
  g_mutex_unlock (&self->lock);
  /* stopping: the connection going away is no news */
  if (!started)
    return;

  switch (ev->type) {
    case GST_GENESYS_CLIENT_EVENT_CONNECTED:
      GST_INFO_OBJECT (self, "connected");
      g_mutex_lock (&self->lock);
      self->client_connected = TRUE;
      self->client_position = 0;
      g_mutex_unlock (&self->lock);
      break;
    case GST_GENESYS_CLIENT_EVENT_DISCONNECTED:
      g_mutex_lock (&self->lock);
      self->client_dropped = TRUE;
      self->client_position = 0;
      g_mutex_unlock (&self->lock);
      post_element_message (self, gst_structure_new ("genesys-disconnected",
              "code", G_TYPE_UINT, (guint) ev->code,
              "reason", G_TYPE_STRING, ev->reason ? ev->reason : "",
              "clean", G_TYPE_BOOLEAN, ev->clean,
              "cause", G_TYPE_STRING, ev->cause, NULL));
      break;
    case GST_GENESYS_CLIENT_EVENT_RECONNECTING:
      g_mutex_lock (&self->lock);
      self->client_attempts = ev->attempt;
      connected = self->client_connected;
      g_mutex_unlock (&self->lock);
      if (connected)
        GST_ELEMENT_WARNING (self, RESOURCE, READ,
            ("The WebSocket connection was lost; reconnecting."),
            ("%s; attempt %u in %" GST_TIME_FORMAT, ev->cause, ev->attempt,
                GST_TIME_ARGS (ev->delay)));
      else
        GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
            ("Could not connect to the AudioHook server; retrying."),
            ("%s; attempt %u in %" GST_TIME_FORMAT, ev->cause, ev->attempt,
                GST_TIME_ARGS (ev->delay)));
      post_element_message (self, gst_structure_new ("genesys-reconnecting",
              "attempt", G_TYPE_UINT, ev->attempt,
              "delay", G_TYPE_UINT64, ev->delay,
              "cause", G_TYPE_STRING, ev->cause, NULL));
      break;
    case GST_GENESYS_CLIENT_EVENT_CLOSED:
      GST_INFO_OBJECT (self, "the server ended the stream (%d)", ev->code);
      g_mutex_lock (&self->lock);
      self->ended = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    case GST_GENESYS_CLIENT_EVENT_ERROR:
      post_client_error (self, ev->error);
      g_mutex_lock (&self->lock);
      self->client_failed = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
}

/* Client modes: @samples whole samples of @data at the next position of
 * the connection (or utterance). Under lock. */
static void
push_client_audio_locked (GstGenesysSrc * self, GBytes * data,
    guint64 samples, guint frame, GstClockTime arrival)
{
  gsize size = g_bytes_get_size (data);
  Item *item = item_new (ITEM_AUDIO);

  item->data = samples * frame == size ? g_bytes_ref (data) :
      g_bytes_new_from_bytes (data, 0, samples * frame);
  item->position = self->client_position;
  item->samples = samples;
  item->arrival = arrival;
  self->client_position += samples;
  self->stats.frames++;
  self->stats.bytes += size;
  self->stats.samples += samples;
  push_item_locked (self, item);
}

static void
on_client_frame (GstGenesysClient * client, gboolean text, GBytes * data,
    const gchar * text_str, gpointer user_data)
{
  GstGenesysSrc *self = user_data;
  guint frame = ah_media_frame_size (&self->client_media);
  gsize size = g_bytes_get_size (data);
  guint64 samples = size / frame;
  GstClockTime arrival, gap = GST_CLOCK_TIME_NONE;
  guint attempts = 0;
  gboolean first;
  Item *item;

  if (text) {
    GST_DEBUG_OBJECT (self, "text frame of %" G_GSIZE_FORMAT " bytes", size);
    post_element_message (self, gst_structure_new ("genesys-text",
            "text", G_TYPE_STRING, text_str, NULL));
    return;
  }
  if (samples * frame != size)
    GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes of a partial sample "
        "frame dropped", size - samples * frame);
  if (samples == 0)
    return;

  arrival = current_running_time (self);
  g_mutex_lock (&self->lock);
  if (!self->started) {
    g_mutex_unlock (&self->lock);
    return;
  }
  first = self->client_position == 0;
  if (first && self->client_dropped) {
    /* The outage: from the last sample before the drop to the first
     * sample of this frame (which arrived with its last). */
    GstClockTime start = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (arrival))
      start = arrival - MIN (arrival, samples_to_time (samples));
    gap = 0;
    if (GST_CLOCK_TIME_IS_VALID (self->last_arrival)
        && GST_CLOCK_TIME_IS_VALID (start) && start > self->last_arrival)
      gap = start - self->last_arrival;
    attempts = self->client_attempts;
    self->client_dropped = FALSE;
  }
  g_mutex_unlock (&self->lock);

  /* Before the audio goes to the streaming thread: the message comes
   * ahead of the genesys-gap it causes. */
  if (GST_CLOCK_TIME_IS_VALID (gap)) {
    GST_INFO_OBJECT (self, "audio again after %u attempt(s), gap of %"
        GST_TIME_FORMAT, attempts, GST_TIME_ARGS (gap));
    post_element_message (self, gst_structure_new ("genesys-reconnected",
            "attempts", G_TYPE_UINT, attempts,
            "gap", G_TYPE_UINT64, gap, NULL));
  }

  g_mutex_lock (&self->lock);
  if (first) {
    /* A connection's first audio: its positions restart, and it is placed
     * where it arrives, so the outage becomes a gap of its length. */
    item = item_new (ITEM_OPENED);
    item->media = self->client_media;
    push_item_locked (self, item);
    self->stats.sessions++;
  }
  self->last_arrival = arrival;
  push_client_audio_locked (self, data, samples, frame, arrival);
  g_mutex_unlock (&self->lock);
}

/* The media of @caps, for client mode. */
static gboolean
client_media_from_caps (const GstCaps * caps, AhMedia * media, GError ** error)
{
  const GstStructure *s;
  const gchar *layout;
  gint rate = 0, channels = 0;
  gchar *str;

  memset (media, 0, sizeof (*media));
  if (caps == NULL || gst_caps_get_size (caps) != 1
      || !gst_caps_is_fixed (caps))
    goto bad;
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, "audio/x-mulaw")) {
    media->format = AH_FORMAT_PCMU;
  } else if (gst_structure_has_name (s, "audio/x-raw")
      && g_strcmp0 (gst_structure_get_string (s, "format"), "S16LE") == 0
      && ((layout = gst_structure_get_string (s, "layout")) == NULL
          || strcmp (layout, "interleaved") == 0)) {
    media->format = AH_FORMAT_L16;
  } else {
    goto bad;
  }
  if (!gst_structure_get_int (s, "rate", &rate) || rate != RATE
      || !gst_structure_get_int (s, "channels", &channels)
      || channels < 1 || channels > 2)
    goto bad;
  media->rate = RATE;
  media->n_channels = channels;
  media->channels[0] = AH_CHANNEL_EXTERNAL;
  media->channels[1] = channels == 2 ? AH_CHANNEL_INTERNAL : AH_CHANNEL_UNKNOWN;
  return TRUE;

bad:
  str = caps ? gst_caps_to_string (caps) : g_strdup ("none");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "caps '%s' are not supported: client mode takes audio/x-mulaw or "
      "audio/x-raw,format=S16LE (interleaved), rate 8000, 1 or 2 channels",
      str);
  g_free (str);
  return FALSE;
}

/* Output state for a new run. */
static void
reset_output (GstGenesysSrc * self)
{
  gst_genesys_timeline_init (&self->timeline, RATE);
  GST_OBJECT_LOCK (self);
  gst_genesys_timeline_set_latency (&self->timeline, self->latency,
      self->drop_on_latency);
  GST_OBJECT_UNLOCK (self);
  self->late_run = FALSE;
  memset (&self->silence, 0, sizeof (self->silence));
  self->have_media = FALSE;
  self->need_discont = TRUE;
  self->output_started = FALSE;
}

/* ---- paired client mode: the bot audio of a genesyssink's session ---- */

/* Audio the server sent back. The client plays it in real time from its
 * arrival: audio that comes while the playout is idle starts an utterance
 * placed where it arrives (the silence before it is a gap); audio that
 * comes while earlier audio still plays follows it. */
static void
on_bot_audio (GstGenesysSrc * self, GBytes * data)
{
  guint frame = ah_media_frame_size (&self->client_media);
  gsize size = g_bytes_get_size (data);
  guint64 samples = frame ? size / frame : 0;
  GstClockTime arrival = current_running_time (self), duration;
  Item *item;

  if (samples == 0 || !GST_CLOCK_TIME_IS_VALID (arrival))
    return;
  duration = samples_to_time (samples);
  g_mutex_lock (&self->lock);
  if (!self->started) {
    g_mutex_unlock (&self->lock);
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->playout_end)
      || arrival > self->playout_end) {
    item = item_new (ITEM_OPENED);
    item->media = self->client_media;
    push_item_locked (self, item);
    self->client_position = 0;
    self->playout_end = arrival;
    self->stats.sessions++;
  }
  /* arrival: when its last sample plays */
  self->playout_end += duration;
  push_client_audio_locked (self, data, samples, frame, self->playout_end);
  g_mutex_unlock (&self->lock);
}

/* The server's barge_in: what was received but not played yet goes. */
static void
on_bot_barge_in (GstGenesysSrc * self)
{
  GList *l, *next;

  g_mutex_lock (&self->lock);
  for (l = self->items.head; l; l = next) {
    Item *item = l->data;
    next = l->next;
    if (item->type == ITEM_AUDIO) {
      self->barge_in_samples += item->samples;
      self->queued_samples -= item->samples;
      item_free (item);
      g_queue_delete_link (&self->items, l);
    }
  }
  self->barge_in = TRUE;
  self->playout_end = GST_CLOCK_TIME_NONE;
  self->stats.barge_ins++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
on_paired_event (GstGenesysChannel * channel,
    const GstGenesysChannelEvent * ev, gpointer user_data)
{
  GstGenesysSrc *self = user_data;

  switch (ev->type) {
    case GST_GENESYS_CHANNEL_EVENT_OPENED:{
      Item *item = item_new (ITEM_PREROLL);
      item->media = *ev->media;
      g_mutex_lock (&self->lock);
      self->client_media = *ev->media;
      self->playout_end = GST_CLOCK_TIME_NONE;
      if (self->started)
        push_item_locked (self, item);
      else
        item_free (item);
      g_mutex_unlock (&self->lock);
      break;
    }
    case GST_GENESYS_CHANNEL_EVENT_AUDIO:
      on_bot_audio (self, ev->data);
      break;
    case GST_GENESYS_CHANNEL_EVENT_BARGE_IN:
      on_bot_barge_in (self);
      break;
    case GST_GENESYS_CHANNEL_EVENT_ENDED:
      g_mutex_lock (&self->lock);
      if (self->started)
        push_item_locked (self, item_new (ITEM_END));
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
}

static gboolean
join_channel (GstGenesysSrc * self, GstGenesysChannelFunc func)
{
  GError *error = NULL;
  gchar *name;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->session_name);
  GST_OBJECT_UNLOCK (self);
  if (!name || !*name) {
    g_free (name);
    return TRUE;
  }
  self->channel = gst_genesys_channel_join (name, GST_GENESYS_CHANNEL_SRC,
      func, self, &error);
  g_free (name);
  if (!self->channel) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY, ("%s", error->message), (NULL));
    g_error_free (error);
    return FALSE;
  }
  return TRUE;
}

static void
leave_channel (GstGenesysSrc * self)
{
  if (self->channel) {
    gst_genesys_channel_leave (self->channel, GST_GENESYS_CHANNEL_SRC);
    self->channel = NULL;
  }
  self->paired = FALSE;
}

static gboolean
paired_start (GstGenesysSrc * self)
{
  reset_output (self);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->client_stats, gst_structure_free);
  memset (&self->client_media, 0, sizeof (self->client_media));
  self->client_failed = FALSE;
  self->client_position = 0;
  self->playout_end = GST_CLOCK_TIME_NONE;
  self->barge_in = FALSE;
  self->barge_in_samples = 0;
  self->started = TRUE;
  self->ended = FALSE;
  self->flushing = FALSE;
  memset (&self->stats, 0, sizeof (self->stats));
  g_mutex_unlock (&self->lock);
  self->paired = TRUE;
  if (!join_channel (self, on_paired_event)) {
    self->paired = FALSE;
    return FALSE;
  }
  GST_INFO_OBJECT (self, "client mode: the audio sent back on the session "
      "of the genesyssink named %s", self->session_name);
  return TRUE;
}

static gboolean
client_start (GstGenesysSrc * self)
{
  GstGenesysClientConfig config = { 0 };
  GstGenesysClient *client = NULL;
  GError *error = NULL;
  AhMedia media;
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  config.uri = g_strdup (self->uri);
  config.extra_headers = self->extra_headers ?
      gst_structure_copy (self->extra_headers) : NULL;
  config.tls_ca_file = g_strdup (self->tls_ca_file);
  config.tls_validation = self->tls_validation;
  config.keepalive_interval = self->keepalive_interval;
  config.keepalive_timeout = self->keepalive_timeout;
  config.backoff_base = self->retry_backoff_factor;
  config.backoff_max = self->retry_backoff_max;
  config.retries = self->retries;
  caps = self->caps ? gst_caps_ref (self->caps) : NULL;
  GST_OBJECT_UNLOCK (self);
  config.raw = TRUE;
  config.frame_func = on_client_frame;
  config.user_agent = g_strdup ("gst-genesys/" VERSION " (genesyssrc)");
  config.open_timeout = CLIENT_CONNECT_TIMEOUT;
  config.stable_time = CLIENT_STABLE_TIME;

  if (config.uri == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "client mode needs a ws:// or wss:// uri");
  else if (client_media_from_caps (caps, &media, &error))
    client = gst_genesys_client_new (&config, on_client_event, self, &error);
  gst_genesys_client_config_clear (&config);
  gst_clear_caps (&caps);
  if (client == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid configuration: %s", error->message), (NULL));
    g_clear_error (&error);
    return FALSE;
  }

  reset_output (self);
  g_mutex_lock (&self->lock);
  self->client = client;
  g_clear_pointer (&self->client_stats, gst_structure_free);
  self->client_media = media;
  self->client_failed = FALSE;
  self->client_position = 0;
  self->client_dropped = FALSE;
  self->client_attempts = 0;
  self->client_connected = FALSE;
  self->last_arrival = GST_CLOCK_TIME_NONE;
  self->started = TRUE;
  self->ended = FALSE;
  self->flushing = FALSE;
  memset (&self->stats, 0, sizeof (self->stats));
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "client mode: connecting to %s", config.uri);
  gst_genesys_client_start (client);
  return TRUE;
}

static void
client_stop (GstGenesysSrc * self)
{
  GstGenesysClient *client;

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  client = self->client;
  g_mutex_unlock (&self->lock);
  if (client == NULL)
    return;
  gst_genesys_client_stop (client);
  g_mutex_lock (&self->lock);
  self->client = NULL;
  g_clear_pointer (&self->client_stats, gst_structure_free);
  self->client_stats = gst_genesys_client_get_stats (client);
  g_mutex_unlock (&self->lock);
  gst_genesys_client_free (client);
}

/* Server and external modes: a run starts, taking sessions. */
static void
start_serving_locked (GstGenesysSrc * self)
{
  self->started = TRUE;
  self->busy = FALSE;
  self->ended = FALSE;
  self->flushing = FALSE;
  self->lost_deadline = 0;
  memset (&self->stats, 0, sizeof (self->stats));
}

/* ---- external mode: sessions handed over by the application ---- */

static gboolean
external_start (GstGenesysSrc * self)
{
  reset_output (self);
  g_mutex_lock (&self->lock);
  start_serving_locked (self);
  g_mutex_unlock (&self->lock);
  if (!join_channel (self, NULL))
    return FALSE;
  GST_INFO_OBJECT (self, "external mode: waiting for a session");
  return TRUE;
}

/**
 * gst_genesys_src_take_session:
 * @src: a genesyssrc in #GstGenesysSrc:mode `external`, started (PAUSED or
 *   PLAYING)
 * @server: the server that accepted @conn
 * @conn: a started server-role connection whose open is being answered
 *   right now: call this from its session's media selector
 * @offers: (array length=n_offers): the media offered in that open
 * @n_offers: the number of offers
 * @chosen: (out): the offer chosen from what downstream accepts and
 *   #GstGenesysSrc:media-preference, -1 for none
 *
 * Hands a session that the application accepted (gst-genesys-serve) to
 * @src, which serves it from then on as if it had accepted it itself: the
 * open is answered with the chosen media, and every later action and the
 * close go to @src. A session whose `continuedSessions` names one that @src
 * served continues @src's output, like between elements in server mode.
 * On @conn's loop thread only.
 *
 * Returns: %TRUE when @src took @conn (it holds a reference); %FALSE when
 * it takes no session now: not external, not started, ended, or busy with
 * another one.
 */
gboolean
gst_genesys_src_take_session (GstGenesysSrc * src, GstGenesysServer * server,
    GstGenesysConn * conn, const AhMedia * offers, guint n_offers,
    gint * chosen)
{
  AhSession *session = gst_genesys_conn_get_session (conn);
  AhMessage *open = ah_session_get_open (session);
  gboolean ok, start_paused, continuation = FALSE;
  GstGenesysMode mode;
  guint i;

  g_return_val_if_fail (GST_IS_GENESYS_SRC (src), FALSE);
  g_return_val_if_fail (gst_genesys_loop_is_current
      (gst_genesys_conn_get_loop (conn)), FALSE);

  *chosen = -1;
  GST_OBJECT_LOCK (src);
  mode = src->mode;
  start_paused = src->start_paused;
  /* the application's own list (serve's) stays unless this one is set */
  if (mode == GST_GENESYS_MODE_EXTERNAL && src->languages)
    ah_session_set_supported_languages (session,
        (const gchar * const *) src->languages);
  GST_OBJECT_UNLOCK (src);
  if (mode != GST_GENESYS_MODE_EXTERNAL)
    return FALSE;

  /* The server's session registry routes continuations (see
   * route_session); stop() forgets our sessions and drops the ref. */
  g_mutex_lock (&src->lock);
  if (src->started && src->server == NULL) {
    src->server = gst_genesys_server_ref (server);
    src->listener.user_data = src;
  }
  ok = src->started && src->server == server;
  g_mutex_unlock (&src->lock);
  if (!ok)
    return FALSE;

  for (i = 0; open && open->continued_sessions
      && i < open->continued_sessions->len; i++) {
    AhContinuedSession *cs = &g_array_index (open->continued_sessions,
        AhContinuedSession, i);
    if (gst_genesys_server_find_session (server, cs->id) == &src->listener)
      continuation = TRUE;
  }
  if (!take_session (src, conn, continuation))
    return FALSE;

  ah_session_set_start_paused (session, start_paused);
  *chosen = select_media (offers, n_offers, src);
  gst_genesys_conn_set_callbacks (conn, &conn_callbacks, gst_object_ref (src),
      gst_object_unref);
  GST_INFO_OBJECT (src, "took session %s%s", ah_session_get_id (session),
      continuation ? " (a continuation)" : "");
  return TRUE;
}

static const gchar *const setting_names[3] = { "api-key", "client-secret",
  "credentials-file"
};

static gboolean
gst_genesys_src_start (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);
  GstGenesysServer *server;
  AhVerifier *verifier;
  GError *error = NULL;
  gchar *address, *path, *cert, *key, *api_key, *secret, *creds, *authority;
  guint port;
  gsize max_size;
  GstGenesysMode mode;
  gboolean paired, drop, open_door;
  GstClockTime latency;

  GST_OBJECT_LOCK (self);
  mode = self->mode;
  paired = self->uri == NULL && self->session_name && *self->session_name;
  latency = self->latency;
  drop = self->drop_on_latency;
  GST_OBJECT_UNLOCK (self);
  if (mode != GST_GENESYS_MODE_CLIENT && latency < CLIENT_FRAME_PERIOD)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("latency %" GST_TIME_FORMAT " is shorter than the client's frame "
            "period (%" GST_TIME_FORMAT "): %s", GST_TIME_ARGS (latency),
            GST_TIME_ARGS (CLIENT_FRAME_PERIOD), drop ?
            "with drop-on-latency, most audio will be dropped" :
            "most audio will leave late"), (NULL));
  if (mode == GST_GENESYS_MODE_CLIENT)
    return paired ? paired_start (self) : client_start (self);
  if (mode == GST_GENESYS_MODE_EXTERNAL)
    return external_start (self);

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  path = g_strdup (self->path);
  cert = g_strdup (self->tls_certificate_file);
  key = g_strdup (self->tls_key_file);
  api_key = g_strdup (self->api_key);
  secret = g_strdup (self->client_secret);
  creds = g_strdup (self->credentials_file);
  authority = g_strdup (self->authority);
  port = self->port;
  max_size = self->max_message_size;
  GST_OBJECT_UNLOCK (self);

  verifier = gst_genesys_verifier_new (api_key, secret, creds, authority,
      setting_names, &open_door, &error);
  if (!verifier && !open_door)
    goto config_error;
  if (open_door) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("No API key is configured: every AudioHook connection is accepted "
            "without authentication."),
        ("set api-key and client-secret, or credentials-file"));
  }

  if ((cert == NULL) != (key == NULL)) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "TLS needs both tls-certificate-file and tls-key-file");
    goto config_error;
  }

  if (!join_channel (self, NULL))
    goto fail;
  server = gst_genesys_server_acquire (address, port, cert, key, 0, &error);
  if (!server) {
    leave_channel (self);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not listen on %s:%u: %s", address, port, error->message),
        (NULL));
    goto fail;
  }

  if (!gst_genesys_server_check_listener (server, path, verifier, &error)) {
    gst_genesys_server_release (server);
    leave_channel (self);
    goto config_error;
  }

  g_mutex_lock (&self->lock);
  self->server = server;
  start_serving_locked (self);
  g_mutex_unlock (&self->lock);

  self->listener.path = path;
  self->listener.verifier = verifier;
  self->listener.max_message_size = max_size;
  self->listener.claim = listener_claim;
  self->listener.unclaim = listener_unclaim;
  self->listener.refused = listener_refused;
  self->listener.not_found = listener_not_found;
  self->listener.accepted = listener_accepted;
  self->listener.user_data = self;

  reset_output (self);

  GST_OBJECT_LOCK (self);
  self->current_port = gst_genesys_server_get_port (server);
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "current-port");

  gst_genesys_server_add_listener (server, &self->listener);
  GST_INFO_OBJECT (self, "listening on %s:%u%s", address,
      gst_genesys_server_get_port (server), path);

  g_free (address);
  g_free (cert);
  g_free (key);
  g_free (api_key);
  g_free (secret);
  g_free (creds);
  g_free (authority);
  return TRUE;

config_error:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Invalid configuration: %s", error->message), (NULL));
fail:
  g_clear_error (&error);
  if (verifier)
    ah_verifier_free (verifier);
  g_free (address);
  g_free (path);
  g_free (cert);
  g_free (key);
  g_free (api_key);
  g_free (secret);
  g_free (creds);
  g_free (authority);
  return FALSE;
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

  client_stop (self);
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
  leave_channel (self);

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
  while ((item = g_queue_pop_head (&self->items)))
    item_free (item);
  self->queued_samples = 0;
  g_mutex_unlock (&self->lock);
  g_queue_clear_full (&self->out, (GDestroyNotify) gst_mini_object_unref);
  memset (&self->silence, 0, sizeof (self->silence));
  return TRUE;
}

static gboolean
gst_genesys_src_unlock (GstBaseSrc * bsrc)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
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

static GstBuffer *
make_silence (GstGenesysSrc * self, const GstGenesysSpan * span)
{
  guint frame = ah_media_frame_size (&self->media);
  gsize size = span->samples * frame;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, self->media.format == AH_FORMAT_PCMU ? 0xff : 0x00, size);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = span->pts;
  GST_BUFFER_DURATION (buf) = span->duration;
  GST_BUFFER_OFFSET (buf) = span->offset;
  GST_BUFFER_OFFSET_END (buf) = span->offset + span->samples;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  return buf;
}

/* Emits a span without audio, as a GAP event or as silence. */
static void
output_gap (GstGenesysSrc * self, const GstGenesysSpan * span)
{
  GstGenesysGapMode mode;

  if (span->samples == 0)
    return;
  GST_OBJECT_LOCK (self);
  mode = self->gap_mode;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "gap at %" GST_TIME_FORMAT " for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (span->pts), GST_TIME_ARGS (span->duration));
  /* every gap that is output counts: reported ones, holes in positions,
   * outages, frozen pauses, late audio dropped */
  g_mutex_lock (&self->lock);
  self->stats.gaps++;
  self->stats.gap_samples += span->samples;
  g_mutex_unlock (&self->lock);
  post_element_message (self, gst_structure_new ("genesys-gap",
          "timestamp", G_TYPE_UINT64, span->pts,
          "duration", G_TYPE_UINT64, span->duration, NULL));

  /* Before the first buffer the segment is not out yet: use silence. */
  if (mode == GST_GENESYS_GAP_MODE_SILENCE || (!self->output_started
          && g_queue_is_empty (&self->out)) || self->silence.samples) {
    /* out a second at a time as the streaming thread gets to it: never
     * materialised ahead */
    if (self->silence.samples
        && self->silence.offset + self->silence.samples == span->offset) {
      self->silence.samples += span->samples;
      self->silence.duration += span->duration;
    } else {
      g_warn_if_fail (self->silence.samples == 0);
      self->silence = *span;
      self->silence_discont = TRUE;
    }
  } else {
    gst_pad_push_event (GST_BASE_SRC_PAD (self),
        gst_event_new_gap (span->pts, span->duration));
  }
  self->need_discont = TRUE;
}

/* The next second (at most) of the pending silence. */
static GstBuffer *
next_silence (GstGenesysSrc * self)
{
  GstGenesysSpan part, *rest = &self->silence;
  GstBuffer *buf;

  part.samples = MIN (rest->samples, RATE);
  part.offset = rest->offset;
  part.pts = rest->pts;
  part.duration = gst_util_uint64_scale (rest->duration, part.samples,
      rest->samples);
  buf = make_silence (self, &part);
  if (self->silence_discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->silence_discont = FALSE;
  rest->pts += part.duration;
  rest->duration -= part.duration;
  rest->offset += part.samples;
  rest->samples -= part.samples;
  return buf;
}

static void
swap_channels (GstGenesysSrc * self, guint8 * data, gsize size)
{
  gsize i;

  if (self->media.format == AH_FORMAT_PCMU) {
    for (i = 0; i + 1 < size; i += 2) {
      guint8 t = data[i];
      data[i] = data[i + 1];
      data[i + 1] = t;
    }
  } else {
    for (i = 0; i + 3 < size; i += 4) {
      guint8 t0 = data[i], t1 = data[i + 1];
      data[i] = data[i + 2];
      data[i + 1] = data[i + 3];
      data[i + 2] = t0;
      data[i + 3] = t1;
    }
  }
}

static void
output_audio (GstGenesysSrc * self, Item * item)
{
  GstGenesysSpan span, gap;
  guint64 skip;
  guint frame = ah_media_frame_size (&self->media);
  GstBuffer *buf;
  gsize size;
  const guint8 *data = g_bytes_get_data (item->data, &size);

  GstGenesysSpan late;
  GstClockTime now;
  guint64 n_late;

  if (!gst_genesys_timeline_audio (&self->timeline, item->position,
          item->samples, item->arrival, &span, &gap, &skip))
    return;
  output_gap (self, &gap);

  /* Audio that leaves later than PTS + latency is late: kept (and
   * counted), or with drop-on-latency a gap of its length. */
  now = current_running_time (self);
  n_late = gst_genesys_timeline_late (&self->timeline, now, &span, &late);
  if (n_late && !self->late_run) {
    GST_INFO_OBJECT (self, "audio at %" GST_TIME_FORMAT " leaves %"
        GST_TIME_FORMAT " after its PTS, beyond the latency of %"
        GST_TIME_FORMAT "%s", GST_TIME_ARGS (span.pts + late.duration),
        GST_TIME_ARGS (now - (late.samples ? late.pts : span.pts)),
        GST_TIME_ARGS (self->timeline.latency),
        late.samples ? ": dropped (drop-on-latency)" : "");
    post_element_message (self, gst_structure_new ("genesys-late",
            "timestamp", G_TYPE_UINT64, late.samples ? late.pts : span.pts,
            "duration", G_TYPE_UINT64, samples_to_time (n_late),
            "lateness", G_TYPE_UINT64,
            now - (late.samples ? late.pts : span.pts),
            "dropped", G_TYPE_BOOLEAN, late.samples > 0, NULL));
  }
  self->late_run = n_late > 0;
  if (late.samples) {
    output_gap (self, &late);
    skip += late.samples;
  }

  g_mutex_lock (&self->lock);
  self->stats.late_samples = self->timeline.late_samples;
  self->stats.late_dropped_samples = self->timeline.late_dropped_samples;
  self->stats.reanchors = self->timeline.reanchors;
  self->stats.skew_ppb = self->timeline.est_ppb;
  self->stats.lateness = self->timeline.lateness;
  g_mutex_unlock (&self->lock);

  if (span.samples == 0)
    return;
  data += skip * frame;
  buf = gst_buffer_new_memdup (data, span.samples * frame);
  if (self->swap) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    swap_channels (self, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  GST_BUFFER_PTS (buf) = span.pts;
  GST_BUFFER_DURATION (buf) = span.duration;
  GST_BUFFER_OFFSET (buf) = span.offset;
  GST_BUFFER_OFFSET_END (buf) = span.offset + span.samples;
  g_queue_push_tail (&self->out, buf);
}

/* Paired mode: drops what a barge-in flushed, posts how much. Streaming
 * thread. */
static void
handle_barge_in (GstGenesysSrc * self)
{
  GstClockTime flushed;
  guint64 samples;
  GstBuffer *buf;

  g_mutex_lock (&self->lock);
  if (!self->barge_in) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->barge_in = FALSE;
  samples = self->barge_in_samples;
  self->barge_in_samples = 0;
  g_mutex_unlock (&self->lock);

  flushed = samples_to_time (samples);
  while ((buf = g_queue_pop_head (&self->out))) {
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
      flushed += GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  g_mutex_lock (&self->lock);
  self->stats.barge_in_samples += gst_util_uint64_scale_int (flushed, RATE,
      GST_SECOND);
  g_mutex_unlock (&self->lock);
  self->need_discont = TRUE;
  GST_INFO_OBJECT (self, "barge-in: %" GST_TIME_FORMAT " not played dropped",
      GST_TIME_ARGS (flushed));
  post_element_message (self, gst_structure_new ("genesys-barge-in",
          "flushed", G_TYPE_UINT64, flushed, NULL));
}

/* Paired mode: the client plays bot audio when it is due, not before, so a
 * barge-in drops what is still to come. FALSE when flushing. */
static gboolean
wait_due (GstGenesysSrc * self, GstClockTime pts)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !self->barge_in) {
    GstClockTime now;
    gint64 deadline;

    g_mutex_unlock (&self->lock);
    now = current_running_time (self);
    g_mutex_lock (&self->lock);
    if (!GST_CLOCK_TIME_IS_VALID (now) || now >= pts)
      break;
    deadline = g_get_monotonic_time () + (gint64) ((pts - now) / 1000);
    g_cond_wait_until (&self->cond, &self->lock, deadline);
  }
  ok = !self->flushing;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
push_dtmf (GstGenesysSrc * self, Item * item)
{
  GstClockTime rt = gst_genesys_timeline_position_time (&self->timeline,
      item->position);
  GstStructure *s;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = item->arrival;
  s = gst_structure_new ("GstGenesysDTMF",
      "digit", G_TYPE_STRING, item->digit,
      "position", G_TYPE_UINT64, samples_to_time (item->position),
      "running-time", G_TYPE_UINT64, rt, NULL);
  GST_DEBUG_OBJECT (self, "DTMF event %" GST_PTR_FORMAT, s);
  gst_pad_push_event (GST_BASE_SRC_PAD (self),
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
}

static GstFlowReturn
gst_genesys_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (psrc);
  Item *item;
  GstBuffer *buf;
  gboolean keep_listening;

  GST_OBJECT_LOCK (self);
  keep_listening = self->keep_listening;
  GST_OBJECT_UNLOCK (self);

  while (TRUE) {
    if (self->silence.samples) {
      if (self->paired && !wait_due (self, self->silence.pts))
        return GST_FLOW_FLUSHING;
      self->output_started = TRUE;
      *outbuf = next_silence (self);
      return GST_FLOW_OK;
    }
    if (self->paired) {
      handle_barge_in (self);
      if ((buf = g_queue_peek_head (&self->out))
          && !wait_due (self, GST_BUFFER_PTS (buf)))
        return GST_FLOW_FLUSHING;
      handle_barge_in (self);
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
      return GST_FLOW_OK;
    }

    g_mutex_lock (&self->lock);
    while (!(item = g_queue_pop_head (&self->items))) {
      if (self->barge_in) {
        g_mutex_unlock (&self->lock);
        item = NULL;
        break;
      }
      if (self->flushing) {
        g_mutex_unlock (&self->lock);
        return GST_FLOW_FLUSHING;
      }
      if (self->client_failed) {
        g_mutex_unlock (&self->lock);
        return GST_FLOW_ERROR;
      }
      if (self->ended) {
        g_mutex_unlock (&self->lock);
        if (self->channel && !self->paired)
          gst_genesys_channel_end (self->channel);
        return GST_FLOW_EOS;
      }
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
    }
    if (item == NULL)
      continue;
    if (item->type == ITEM_AUDIO)
      self->queued_samples -= item->samples;
    g_mutex_unlock (&self->lock);

    switch (item->type) {
      case ITEM_OPENED:
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
              item_free (item);
              GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
                  ("downstream refused the session's media"));
              return GST_FLOW_NOT_NEGOTIATED;
            }
            self->have_media = TRUE;
          }
        }
        break;
      case ITEM_AUDIO:
        if (self->have_media)
          output_audio (self, item);
        break;
      case ITEM_GAP:
        if (self->have_media) {
          GstGenesysSpan span;
          if (gst_genesys_timeline_gap (&self->timeline, item->position,
                  item->samples, item->arrival, &span))
            output_gap (self, &span);
        }
        break;
      case ITEM_DTMF:
        push_dtmf (self, item);
        break;
      case ITEM_RESUME:
        gst_genesys_timeline_resumed (&self->timeline, item->position,
            item->arrival);
        break;
      case ITEM_PREROLL:
        /* The bot may stay silent for a while: a GAP now lets the sinks
         * downstream preroll, so the pipeline reaches PLAYING and the
         * caller's audio flows. */
        if (!self->have_media && ah_media_is_usable (&item->media)) {
          AhMedia out = item->media;
          self->media = item->media;
          self->swap = FALSE;
          if (!negotiate_media (self, &out)) {
            item_free (item);
            GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
                ("downstream refused the session's media"));
            return GST_FLOW_NOT_NEGOTIATED;
          }
          self->have_media = TRUE;
          if (!self->output_started) {
            GstClockTime now = current_running_time (self);
            if (GST_CLOCK_TIME_IS_VALID (now))
              gst_pad_push_event (GST_BASE_SRC_PAD (self),
                  gst_event_new_gap (now, 0));
          }
        }
        break;
      case ITEM_END:{
        GstGenesysSpan span;
        /* The session's timeline runs to its position at close: what was
         * sent into a connection that died before the continuation, and
         * never reported, is a gap. */
        if (self->have_media && item->position != G_MAXUINT64
            && gst_genesys_timeline_gap (&self->timeline, item->position, 0,
                GST_CLOCK_TIME_NONE, &span))
          output_gap (self, &span);
        /* continued: an EOS the application sent, after what was queued */
        if (!keep_listening || self->paired || item->continued) {
          item_free (item);
          g_mutex_lock (&self->lock);
          self->ended = TRUE;
          g_mutex_unlock (&self->lock);
          continue;
        }
        break;
      }
    }
    item_free (item);
  }
}

/* ---- GstURIHandler: ws:// and wss:// are client mode ---- */

static GstURIType
gst_genesys_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static gchar *
gst_genesys_src_uri_get_uri (GstURIHandler * handler)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (handler);
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->uri);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

/* A URI given through the interface (gst_element_make_from_uri, playbin)
 * means connecting out: it also sets #GstGenesysSrc:mode to client. */
static gboolean
gst_genesys_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (handler);

  if (!gst_genesys_uri_acceptable (GST_ELEMENT (self), uri, error))
    return FALSE;
  GST_OBJECT_LOCK (self);
  g_free (self->uri);
  self->uri = g_strdup (uri);
  self->mode = GST_GENESYS_MODE_CLIENT;
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "uri");
  g_object_notify (G_OBJECT (self), "mode");
  return TRUE;
}

static void
gst_genesys_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_genesys_src_uri_get_type;
  iface->get_protocols = gst_genesys_uri_protocols;
  iface->get_uri = gst_genesys_src_uri_get_uri;
  iface->set_uri = gst_genesys_src_uri_set_uri;
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
      "gap-duration", G_TYPE_UINT64, samples_to_time (self->stats.gap_samples),
      "dropped-duration", G_TYPE_UINT64,
      samples_to_time (self->stats.dropped_samples),
      "pings", G_TYPE_UINT64, self->stats.pings,
      "last-rtt", G_TYPE_UINT64, self->stats.last_rtt,
      "protocol-errors", G_TYPE_UINT64, self->stats.protocol_errors,
      "client-errors", G_TYPE_UINT64, self->stats.client_errors,
      "position-mismatches", G_TYPE_UINT64, self->stats.position_mismatches,
      "refused-busy", G_TYPE_UINT64, self->stats.refused_busy,
      "bad-requests", G_TYPE_UINT64, self->stats.bad_requests,
      "not-found", G_TYPE_UINT64, self->stats.not_found,
      "late-duration", G_TYPE_UINT64,
      samples_to_time (self->stats.late_samples),
      "late-dropped-duration", G_TYPE_UINT64,
      samples_to_time (self->stats.late_dropped_samples),
      "reanchors", G_TYPE_UINT, self->stats.reanchors,
      "skew-ppm", G_TYPE_DOUBLE, self->stats.skew_ppb / 1000.0,
      "lateness", G_TYPE_INT64, self->stats.lateness,
      "dtmf", G_TYPE_UINT64, self->stats.dtmf,
      "barge-ins", G_TYPE_UINT64, self->stats.barge_ins,
      "barge-in-duration", G_TYPE_UINT64,
      samples_to_time (self->stats.barge_in_samples), NULL);
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
        gst_genesys_client_get_stats (self->client) :
        gst_structure_copy (self->client_stats);
    gst_structure_foreach (cs, merge_client_stat, s);
    gst_structure_free (cs);
  }
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_genesys_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_TLS_CERTIFICATE_FILE:
      g_free (self->tls_certificate_file);
      self->tls_certificate_file = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY_FILE:
      g_free (self->tls_key_file);
      self->tls_key_file = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      g_free (self->api_key);
      self->api_key = g_value_dup_string (value);
      break;
    case PROP_CLIENT_SECRET:
      g_free (self->client_secret);
      self->client_secret = g_value_dup_string (value);
      break;
    case PROP_CREDENTIALS_FILE:
      g_free (self->credentials_file);
      self->credentials_file = g_value_dup_string (value);
      break;
    case PROP_AUTHORITY:
      g_free (self->authority);
      self->authority = g_value_dup_string (value);
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
    case PROP_SESSION_TIMEOUT:
      self->session_timeout = g_value_get_uint64 (value);
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
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_URI:
      g_free (self->uri);
      self->uri = g_value_dup_string (value);
      break;
    case PROP_CAPS:
      gst_caps_replace (&self->caps, (GstCaps *) gst_value_get_caps (value));
      break;
    case PROP_EXTRA_HEADERS:{
      const GstStructure *h = gst_value_get_structure (value);
      g_clear_pointer (&self->extra_headers, gst_structure_free);
      self->extra_headers = h ? gst_structure_copy (h) : NULL;
      break;
    }
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_TLS_VALIDATION:
      self->tls_validation = g_value_get_boolean (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval = g_value_get_uint64 (value);
      break;
    case PROP_KEEPALIVE_TIMEOUT:
      self->keepalive_timeout = g_value_get_uint64 (value);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      self->retry_backoff_factor = g_value_get_uint64 (value);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      self->retry_backoff_max = g_value_get_uint64 (value);
      break;
    case PROP_RETRIES:
      self->retries = g_value_get_int (value);
      break;
    case PROP_SESSION_NAME:
      g_free (self->session_name);
      self->session_name = g_value_dup_string (value);
      break;
    default:
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

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_CURRENT_PORT:
      g_value_set_uint (value, self->current_port);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_TLS_CERTIFICATE_FILE:
      g_value_set_string (value, self->tls_certificate_file);
      break;
    case PROP_TLS_KEY_FILE:
      g_value_set_string (value, self->tls_key_file);
      break;
    case PROP_API_KEY:
      g_value_set_string (value, self->api_key);
      break;
    case PROP_CLIENT_SECRET:
      g_value_set_string (value, self->client_secret);
      break;
    case PROP_CREDENTIALS_FILE:
      g_value_set_string (value, self->credentials_file);
      break;
    case PROP_AUTHORITY:
      g_value_set_string (value, self->authority);
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
    case PROP_SESSION_TIMEOUT:
      g_value_set_uint64 (value, self->session_timeout);
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
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_CAPS:
      gst_value_set_caps (value, self->caps);
      break;
    case PROP_EXTRA_HEADERS:
      gst_value_set_structure (value, self->extra_headers);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_VALIDATION:
      g_value_set_boolean (value, self->tls_validation);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint64 (value, self->keepalive_interval);
      break;
    case PROP_KEEPALIVE_TIMEOUT:
      g_value_set_uint64 (value, self->keepalive_timeout);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_uint64 (value, self->retry_backoff_factor);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      g_value_set_uint64 (value, self->retry_backoff_max);
      break;
    case PROP_RETRIES:
      g_value_set_int (value, self->retries);
      break;
    case PROP_SESSION_NAME:
      g_value_set_string (value, self->session_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_src_finalize (GObject * object)
{
  GstGenesysSrc *self = GST_GENESYS_SRC (object);

  g_free (self->address);
  g_free (self->path);
  g_free (self->tls_certificate_file);
  g_free (self->tls_key_file);
  g_free (self->api_key);
  g_free (self->client_secret);
  g_free (self->credentials_file);
  g_free (self->authority);
  g_free (self->uri);
  g_strfreev (self->languages);
  g_free (self->session_name);
  gst_clear_caps (&self->caps);
  g_clear_pointer (&self->extra_headers, gst_structure_free);
  g_free (self->tls_ca_file);
  g_clear_pointer (&self->client_stats, gst_structure_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_genesys_src_init (GstGenesysSrc * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->port = DEFAULT_PORT;
  self->path = g_strdup (DEFAULT_PATH);
  self->media_preference = DEFAULT_MEDIA_PREFERENCE;
  self->gap_mode = DEFAULT_GAP_MODE;
  self->latency = DEFAULT_LATENCY;
  self->keep_listening = DEFAULT_KEEP_LISTENING;
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->start_paused = DEFAULT_START_PAUSED;
  self->drop_on_latency = DEFAULT_DROP_ON_LATENCY;
  self->mode = DEFAULT_MODE;
  self->caps = gst_caps_from_string (DEFAULT_CAPS);
  self->tls_validation = DEFAULT_TLS_VALIDATION;
  self->keepalive_interval = DEFAULT_KEEPALIVE_INTERVAL;
  self->keepalive_timeout = DEFAULT_KEEPALIVE_TIMEOUT;
  self->retry_backoff_factor = DEFAULT_RETRY_BACKOFF_FACTOR;
  self->retry_backoff_max = DEFAULT_RETRY_BACKOFF_MAX;
  self->retries = DEFAULT_RETRIES;
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
      Item *item = item_new (ITEM_END);
      item->continued = TRUE;
      push_item_locked (self, item);
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

  element_class->send_event = GST_DEBUG_FUNCPTR (gst_genesys_src_send_event);

  gobject_class->set_property = gst_genesys_src_set_property;
  gobject_class->get_property = gst_genesys_src_get_property;
  gobject_class->finalize = gst_genesys_src_finalize;

  /**
   * GstGenesysSrc:address:
   *
   * The local IP address to listen on.
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "Local IP address to listen on", DEFAULT_ADDRESS, rw));
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
  g_object_class_install_property (gobject_class, PROP_PATH,
      g_param_spec_string ("path", "Path",
          "Request path of the AudioHook endpoint (a prefix: the rest is the "
          "connector id)", DEFAULT_PATH, rw));
  /**
   * GstGenesysSrc:tls-certificate-file:
   *
   * PEM certificate chain for wss://. Genesys Cloud only connects to
   * certificates from a public CA whose name matches the host.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
          "PEM certificate (chain) for wss:// (with tls-key-file)", NULL, rw));
  /**
   * GstGenesysSrc:tls-key-file:
   *
   * PEM private key of #GstGenesysSrc:tls-certificate-file.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "PEM private key for wss://", NULL, rw));
  /**
   * GstGenesysSrc:api-key:
   *
   * The API key of the integration (the X-API-KEY header).
   */
  g_object_class_install_property (gobject_class, PROP_API_KEY,
      g_param_spec_string ("api-key", "API key",
          "API key clients must present in X-API-KEY", NULL, rw));
  /**
   * GstGenesysSrc:client-secret:
   *
   * The integration's client secret, base64 as Genesys shows it. Empty:
   * requests with #GstGenesysSrc:api-key need no signature.
   */
  g_object_class_install_property (gobject_class, PROP_CLIENT_SECRET,
      g_param_spec_string ("client-secret", "Client secret",
          "Base64 client secret that signs requests (empty = unsigned allowed)",
          NULL, rw));
  /**
   * GstGenesysSrc:credentials-file:
   *
   * A JSON file with an object mapping API keys to client secrets, for
   * several integrations; an empty secret allows unsigned requests.
   */
  g_object_class_install_property (gobject_class, PROP_CREDENTIALS_FILE,
      g_param_spec_string ("credentials-file", "Credentials file",
          "JSON object mapping API keys to base64 client secrets", NULL, rw));
  /**
   * GstGenesysSrc:authority:
   *
   * The host[:port] Genesys connects to, used in the signature instead of
   * the received Host header (behind proxies and tunnels that rewrite it).
   */
  g_object_class_install_property (gobject_class, PROP_AUTHORITY,
      g_param_spec_string ("authority", "Authority",
          "Public host[:port] used for @authority in signatures (behind proxies)",
          NULL, rw));
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
   * GstGenesysSrc:uri:
   *
   * Client mode: the ws:// or wss:// URI to connect to. The element is
   * also a #GstURIHandler for ws:// and wss://; a URI set through that
   * interface selects client mode too.
   */
  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "Client mode: ws:// or wss:// URI to connect to", NULL, rw));
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
   * GstGenesysSrc:extra-headers:
   *
   * Client mode: more upgrade request headers, each field of the structure
   * a header name and its value the header value (for example
   * `h, Authorization="Bearer T"`).
   */
  g_object_class_install_property (gobject_class, PROP_EXTRA_HEADERS,
      g_param_spec_boxed ("extra-headers", "Extra headers",
          "Client mode: extra request headers (field name: header, value: "
          "value)", GST_TYPE_STRUCTURE, rw));
  /**
   * GstGenesysSrc:tls-ca-file:
   *
   * Client mode: PEM file of the CA certificates to trust for wss://
   * instead of the system's.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "Client mode: PEM CA certificates to trust for wss:// (unset: the "
          "system's)", NULL, rw));
  /**
   * GstGenesysSrc:tls-validation:
   *
   * Client mode: check the server's certificate. Turn off only for tests:
   * any certificate is then accepted.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_VALIDATION,
      g_param_spec_boolean ("tls-validation", "TLS validation",
          "Client mode: validate the server certificate (FALSE: accept any, "
          "tests only)", DEFAULT_TLS_VALIDATION, rw));
  /**
   * GstGenesysSrc:keepalive-interval:
   *
   * Client mode: WebSocket ping period, in whole seconds (rounded up). 0
   * disables the pings and the pong watchdog.
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint64 ("keepalive-interval", "Keep-alive interval",
          "Client mode: nanoseconds between WebSocket pings (0: none)", 0,
          G_MAXUINT64, DEFAULT_KEEPALIVE_INTERVAL, rw));
  /**
   * GstGenesysSrc:keepalive-timeout:
   *
   * Client mode: with no pong for #GstGenesysSrc:keepalive-interval plus
   * this long, the connection is taken for dead and handled like a drop
   * without a close frame: reconnect.
   */
  g_object_class_install_property (gobject_class, PROP_KEEPALIVE_TIMEOUT,
      g_param_spec_uint64 ("keepalive-timeout", "Keep-alive timeout",
          "Client mode: nanoseconds of pong grace beyond keepalive-interval",
          0, G_MAXUINT64, DEFAULT_KEEPALIVE_TIMEOUT, rw));
  /**
   * GstGenesysSrc:retry-backoff-factor:
   *
   * Client mode: ceiling of the first reconnection delay; each further
   * attempt doubles it up to #GstGenesysSrc:retry-backoff-max, and the
   * delay is drawn uniformly below the ceiling (full jitter). A connection
   * that stays up for 10 s resets it.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF_FACTOR,
      g_param_spec_uint64 ("retry-backoff-factor", "Retry backoff factor",
          "Client mode: nanoseconds, ceiling of the first reconnection delay",
          0, G_MAXUINT64, DEFAULT_RETRY_BACKOFF_FACTOR, rw));
  /**
   * GstGenesysSrc:retry-backoff-max:
   *
   * Client mode: largest ceiling of a reconnection delay.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF_MAX,
      g_param_spec_uint64 ("retry-backoff-max", "Retry backoff max",
          "Client mode: nanoseconds, largest reconnection delay", 0,
          G_MAXUINT64, DEFAULT_RETRY_BACKOFF_MAX, rw));
  /**
   * GstGenesysSrc:retries:
   *
   * Client mode: reconnection attempts in a row before giving up with an
   * error; -1: forever.
   */
  g_object_class_install_property (gobject_class, PROP_RETRIES,
      g_param_spec_int ("retries", "Retries",
          "Client mode: reconnection attempts in a row (-1: forever)", -1,
          G_MAXINT, DEFAULT_RETRIES, rw));
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
  g_object_class_install_property (gobject_class, PROP_SESSION_NAME,
      g_param_spec_string ("session-name", "Session name",
          "Share the session with the genesyssink of this name (voice bots)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

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
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_genesys_src_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_genesys_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_GAP_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_MEDIA_PREFERENCE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GENESYS_MODE, 0);
}
