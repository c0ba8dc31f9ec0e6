/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-genesyssink
 * @title: genesyssink
 *
 * Sends call audio to an AudioHook server the way Genesys Cloud does: the
 * element is the AudioHook client (the Genesys side). It connects to
 * #GstGenesysSink:uri, signs the WebSocket upgrade with
 * #GstGenesysSink:api-key and #GstGenesysSink:client-secret, opens a
 * session with the configured conversation and participant, and streams
 * the audio in frames of #GstGenesysSink:frame-duration, paced by the
 * clock. Use it toward a voice bot or speech service (Audio Connector,
 * Transcription Connector), as a simulator when developing an AudioHook
 * server, or behind genesyssrc to relay a call.
 *
 * Input is `audio/x-mulaw` (PCMU) or `audio/x-raw,format=S16LE` (L16) at
 * 8000 Hz, mono or stereo. Mono is the external party (the customer).
 * Stereo is the external party on channel 0 and the internal party (agent
 * or bot) on channel 1; the session then offers both channels, the
 * external one alone and the internal one alone, and sends whatever the
 * server chooses.
 *
 * The connection lives on a thread of its own: protocol pings, WebSocket
 * keep-alive pings (#GstGenesysSink:keepalive-interval) and a pong watchdog
 * (#GstGenesysSink:keepalive-timeout) run whatever the pipeline does. A
 * connection that drops (or goes silent) is replaced with exponential
 * backoff and full jitter; the new session continues the old one
 * (`continuedSessions`, positions keep counting). Audio that arrives while
 * no session is open is dropped, never queued to be sent in a burst later,
 * and the server gets one `discarded` message covering exactly the lost
 * span. render() never waits for a connection unless
 * #GstGenesysSink:wait-for-connection is set. Failures that retrying
 * cannot fix (HTTP 401, 403 or 404 at the upgrade, a refused certificate,
 * WebSocket close codes 1002, 1003, 1007, 1008, 1009 and 1010, a server
 * that breaks the protocol) are element errors.
 *
 * At EOS the element sends what is left, closes the session with reason
 * `end` and waits up to 10 seconds for `closed`. When the server ends the
 * session (`disconnect`), render() returns EOS so the pipeline ends.
 * Upstream GAP events become `discarded` spans.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e filesrc location=call.wav ! wavparse ! audioconvert ! audioresample ! \
 *     audio/x-raw,rate=8000 ! mulawenc ! \
 *     genesyssink uri=wss://bot.example/api/v1/audiohook/ws api-key=K client-secret=S wait-for-connection=true
 * ]|
 * |[
 * gst-launch-1.0 genesyssrc port=9000 api-key=K client-secret=S ! \
 *     genesyssink uri=wss://next-hop.example/api/v1/audiohook/ws api-key=K2 client-secret=S2
 * ]|
 *
 * ## Bus messages
 * docs/bus-messages.md lists every message with its fields.
 * Element messages named `genesys-connecting`, `genesys-connected`,
 * `genesys-opened`, `genesys-paused`, `genesys-resumed`,
 * `genesys-discarded`, `genesys-disconnected`, `genesys-reconnecting`,
 * `genesys-event`, `genesys-disconnect`, `genesys-message` and
 * `genesys-closed` describe the connection and session events. Times are
 * in nanoseconds.
 *
 * ## Voice bots
 * With #GstGenesysSink:session-name and no uri the element sends its audio
 * back to the client on the session the genesyssrc of the same name
 * accepted (Audio Connector bot audio): in messages of
 * #GstGenesysSink:frame-duration (at most 64000 bytes), within the client's
 * rate limit (#GstGenesysSink:message-rate, #GstGenesysSink:message-burst)
 * and at most #GstGenesysSink:max-lead ahead of the client's playout. A
 * playback (audio after the client played all it had) starts 100 ms ahead
 * of real time, more when the buffers do not line up with frames (a file
 * parsed in 256 ms buffers waits 292 ms before its first 200 ms frame), so
 * audio rendered in real time never leaves the client dry. A GAP
 * event or EOS ends an utterance (the last partial frame goes out at once;
 * otherwise after one frame-duration without more audio). Bus messages:
 * `genesys-playback-started`, `genesys-playback-completed` (the client's),
 * `genesys-rate-limited` (`retry-after`), `genesys-barge-in` (`flushed`),
 * `genesys-disconnect-sent`, `genesys-session-ended` (`dropped`). Action
 * signals `barge-in` and `disconnect`.
 * |[
 * gst-launch-1.0 genesyssrc port=9000 api-key=K client-secret=S session-name=bot ! queue ! \
 *     genesyssink session-name=bot ts-offset=1000000000
 * ]| is an echo bot: the caller hears itself a second later.
 *
 * With a uri and #GstGenesysSink:session-name the element plays Genesys
 * toward a bot server: it opens the session once the genesyssrc
 * (`mode=client`, no uri) of the same name exists, which then outputs
 * what the bot says; `send-dtmf` presses keys.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/audio/audio.h>
#include <gst/base/gstadapter.h>

#include "gstgenesyssink.h"
#include "gstgenesyscaps.h"
#include "gstgenesysclient.h"
#include "gstgenesystime.h"
#include "gstgenesysclientprops.h"
#include "gstgenesysstringprops.h"
#include "gstgenesysjson.h"
#include "gstgenesyschannel.h"
#include "audiohook/ah-message.h"

GST_DEBUG_CATEGORY_STATIC (genesyssink_debug);
#define GST_CAT_DEFAULT genesyssink_debug

#define DEFAULT_FRAME_DURATION (200 * GST_MSECOND)
#define DEFAULT_TIMEOUT (5 * GST_SECOND)
#define DEFAULT_PING_INTERVAL (5 * GST_SECOND)
#define DEFAULT_WAIT_FOR_CONNECTION FALSE
#define DEFAULT_MAX_LEAD (1 * GST_SECOND)
#define DEFAULT_MESSAGE_RATE 5.0
#define DEFAULT_MESSAGE_BURST 25
/* Waiting for closed at EOS, as the reference client does. */
#define CLOSE_TIMEOUT (10 * GST_SECOND)
/* A session open this long resets the backoff: it proved the path works,
 * so a drop after it is a new outage, not part of a storm (connections
 * that fail within it keep backing off). */
#define STABLE_TIME (1 * GST_SECOND)
/* Largest binary message sent. */
#define MAX_FRAME_BYTES 64000

enum
{
  PROP_API_KEY = GST_GENESYS_CLIENT_PROP_LAST,
  PROP_CLIENT_SECRET,
  PROP_ORGANIZATION_ID,
  PROP_CONVERSATION_ID,
  PROP_PARTICIPANT_ID,
  PROP_ANI,
  PROP_ANI_NAME,
  PROP_DNIS,
  PROP_LANGUAGE,
  PROP_CUSTOM_CONFIG,
  PROP_INPUT_VARIABLES,
  PROP_FRAME_DURATION,
  PROP_TIMEOUT,
  PROP_PING_INTERVAL,
  PROP_WAIT_FOR_CONNECTION,
  PROP_STATS,
  PROP_SESSION_NAME,
  PROP_MAX_LEAD,
  PROP_MESSAGE_RATE,
  PROP_MESSAGE_BURST,
};

enum
{
  SIGNAL_BARGE_IN,
  SIGNAL_DISCONNECT,
  SIGNAL_SEND_DTMF,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

struct _GstGenesysSink
{
  GstBaseSink parent;

  /* properties, object lock */
  GstGenesysClientProps client_props;
  gchar *api_key;
  gchar *client_secret;
  gchar *organization_id;
  gchar *conversation_id;
  gchar *participant_id;
  gchar *ani;
  gchar *ani_name;
  gchar *dnis;
  gchar *language;
  gchar *custom_config;
  GstStructure *input_variables;
  GstClockTime frame_duration;
  GstClockTime timeout;
  GstClockTime ping_interval;
  gboolean wait_for_connection;
  gchar *session_name;
  GstClockTime max_lead;
  gdouble message_rate;
  guint message_burst;

  /* the shared session (session-name), fixed between start and stop;
   * bot: no uri, the audio goes back on a session a genesyssrc accepted */
  GstGenesysChannel *channel;
  gboolean bot;
  gboolean bot_media_checked;
  gboolean client_started;      /* under lock */
  gboolean client_connected;    /* the client's thread: it got through once */
  guint rate_limited;           /* under lock */

  /* @client and @stats, for threads other than the streaming one */
  GMutex lock;
  GstGenesysClient *client;
  gboolean flushing;
  GstStructure *stats;          /* snapshot kept after stop */

  /* fixed between start and stop */
  gchar *run_organization_id;
  gchar *run_conversation_id;
  gchar *run_participant_id;
  JsonObject *run_custom_config;

  /* streaming thread */
  GstAdapter *adapter;
  AhFormat format;
  guint channels;
  guint bpf;                    /* bytes per sample frame */
  gsize frame_bytes;
};

#define gst_genesys_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstGenesysSink, gst_genesys_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_genesys_client_props_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (genesyssink, "genesyssink",
    GST_RANK_NONE, GST_TYPE_GENESYS_SINK,
    GST_DEBUG_CATEGORY_INIT (genesyssink_debug, "genesyssink", 0,
        "Genesys AudioHook sink"));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_GENESYS_AUDIO_CAPS));

static void
post_element_message (GstGenesysSink * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static gchar *
array_to_json (JsonArray * array)
{
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  gchar *json;

  json_node_set_array (node, array);
  json = json_to_string (node, FALSE);
  json_node_unref (node);
  return json;
}

/* ---- client events (client thread) ---- */

/* A sink paired with a genesyssrc (client side): what the server sends
 * back goes to the src. */
static void
relay_client_event (GstGenesysSink * self, const GstGenesysClientEvent * ev)
{
  GstGenesysChannelEvent out = { 0 };

  switch (ev->type) {
    case GST_GENESYS_CLIENT_EVENT_OPENED:
      out.type = GST_GENESYS_CHANNEL_EVENT_OPENED;
      out.media = ev->media;
      break;
    case GST_GENESYS_CLIENT_EVENT_AUDIO:
      out.type = GST_GENESYS_CHANNEL_EVENT_AUDIO;
      out.data = ev->data;
      break;
    case GST_GENESYS_CLIENT_EVENT_MESSAGE:
      out.type = ah_message_has_entity (ev->message, "barge_in") ?
          GST_GENESYS_CHANNEL_EVENT_BARGE_IN :
          GST_GENESYS_CHANNEL_EVENT_MESSAGE;
      out.message = ev->message;
      break;
    case GST_GENESYS_CLIENT_EVENT_CLOSED:
    case GST_GENESYS_CLIENT_EVENT_ERROR:
      out.type = GST_GENESYS_CHANNEL_EVENT_ENDED;
      break;
    default:
      return;
  }
  gst_genesys_channel_relay (self->channel, &out);
}

/* Starts the client once the paired src is there, so that nothing the
 * server sends back is lost. */
static void
maybe_start_client (GstGenesysSink * self)
{
  GstGenesysClient *client = NULL;

  g_mutex_lock (&self->lock);
  if (self->client && !self->client_started && (!self->channel
          || gst_genesys_channel_has_peer (self->channel,
              GST_GENESYS_CHANNEL_SINK))) {
    self->client_started = TRUE;
    client = self->client;
  }
  g_mutex_unlock (&self->lock);
  if (client)
    gst_genesys_client_start (client);
}

/* Events of the shared session (any thread). */
static void
on_channel_event (GstGenesysChannel * channel,
    const GstGenesysChannelEvent * ev, gpointer user_data)
{
  GstGenesysSink *self = user_data;
  GstStructure *s = NULL;

  switch (ev->type) {
    case GST_GENESYS_CHANNEL_EVENT_PEER:
      GST_DEBUG_OBJECT (self, "genesyssrc %s", ev->joined ? "joined" : "left");
      if (ev->joined && !self->bot)
        maybe_start_client (self);
      break;
    case GST_GENESYS_CHANNEL_EVENT_OPENED:{
      gchar *media = ah_media_to_string (ev->media);
      GST_INFO_OBJECT (self, "bot audio goes to a session with media %s",
          media);
      g_free (media);
      break;
    }
    case GST_GENESYS_CHANNEL_EVENT_ENDED:
      s = gst_structure_new ("genesys-session-ended",
          "dropped", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->samples),
          NULL);
      break;
    case GST_GENESYS_CHANNEL_EVENT_MESSAGE:
      if (ev->message->type == AH_MSG_PLAYBACK_STARTED)
        s = gst_structure_new_empty ("genesys-playback-started");
      else if (ev->message->type == AH_MSG_PLAYBACK_COMPLETED)
        s = gst_structure_new_empty ("genesys-playback-completed");
      if (s)
        gst_structure_set (s, "position", G_TYPE_UINT64,
            ev->message->position, NULL);
      break;
    case GST_GENESYS_CHANNEL_EVENT_RATE_LIMITED:
      g_mutex_lock (&self->lock);
      self->rate_limited++;
      g_mutex_unlock (&self->lock);
      GST_WARNING_OBJECT (self, "the client rate-limited the bot audio (429): "
          "holding it for %" GST_TIME_FORMAT, GST_TIME_ARGS (ev->delay));
      s = gst_structure_new ("genesys-rate-limited",
          "retry-after", G_TYPE_UINT64, ev->delay, NULL);
      break;
    case GST_GENESYS_CHANNEL_EVENT_DISCONNECT:
      s = gst_structure_new_empty ("genesys-disconnect-sent");
      break;
    default:
      break;
  }
  if (s)
    post_element_message (self, s);
}

static void
post_server_message (GstGenesysSink * self, const gchar * session_id,
    AhMessage * msg)
{
  GstStructure *s;

  switch (msg->type) {
    case AH_MSG_EVENT:{
      gchar *json = msg->entities ? array_to_json (msg->entities) :
          g_strdup ("[]");
      s = gst_structure_new ("genesys-event",
          "session-id", G_TYPE_STRING, session_id,
          "entities", G_TYPE_STRING, json, NULL);
      g_free (json);
      break;
    }
    case AH_MSG_DISCONNECT:{
      GstStructure *vars = msg->output_variables ?
          gst_genesys_json_to_structure ("output-variables",
          msg->output_variables) : gst_structure_new_empty ("output-variables");
      s = gst_structure_new ("genesys-disconnect",
          "session-id", G_TYPE_STRING, session_id,
          "reason", G_TYPE_STRING, msg->reason,
          "info", G_TYPE_STRING, msg->info,
          "output-variables", GST_TYPE_STRUCTURE, vars, NULL);
      gst_structure_free (vars);
      break;
    }
    default:
      s = gst_structure_new ("genesys-message",
          "session-id", G_TYPE_STRING, session_id,
          "type", G_TYPE_STRING, msg->type_name, NULL);
      if (msg->info)
        gst_structure_set (s, "info", G_TYPE_STRING, msg->info, NULL);
      break;
  }
  post_element_message (self, s);
}

static void
on_client_event (GstGenesysClient * client, const GstGenesysClientEvent * ev,
    gpointer user_data)
{
  GstGenesysSink *self = user_data;
  GstStructure *s = NULL;

  if (self->channel)
    relay_client_event (self, ev);

  switch (ev->type) {
    case GST_GENESYS_CLIENT_EVENT_AUDIO:
      break;
    case GST_GENESYS_CLIENT_EVENT_CONNECTING:
      s = gst_structure_new ("genesys-connecting",
          "session-id", G_TYPE_STRING, ev->session_id,
          "attempt", G_TYPE_UINT, ev->attempt, NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_CONNECTED:
      self->client_connected = TRUE;
      s = gst_structure_new ("genesys-connected",
          "session-id", G_TYPE_STRING, ev->session_id, NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_OPENED:{
      gchar *media = ah_media_to_string (ev->media);
      GST_INFO_OBJECT (self, "session %s opened with media %s",
          ev->session_id, media);
      s = gst_structure_new ("genesys-opened",
          "session-id", G_TYPE_STRING, ev->session_id,
          "media", G_TYPE_STRING, media,
          "position", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->position),
          "start-paused", G_TYPE_BOOLEAN, ev->message->start_paused,
          "organization-id", G_TYPE_STRING, self->run_organization_id,
          "conversation-id", G_TYPE_STRING, self->run_conversation_id,
          "participant-id", G_TYPE_STRING, self->run_participant_id, NULL);
      if (ev->continued)
        gst_structure_set (s, "continued-session-id", G_TYPE_STRING,
            ev->continued, NULL);
      if (ev->message->has_discard_to)
        gst_structure_set (s, "discard-to", G_TYPE_UINT64,
            ev->message->discard_to, NULL);
      g_free (media);
      break;
    }
    case GST_GENESYS_CLIENT_EVENT_PAUSED:
      s = gst_structure_new ("genesys-paused",
          "session-id", G_TYPE_STRING, ev->session_id,
          "position", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->position),
          NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_RESUMED:
      s = gst_structure_new ("genesys-resumed",
          "session-id", G_TYPE_STRING, ev->session_id,
          "position", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->position),
          NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_DISCARDED:
      s = gst_structure_new ("genesys-discarded",
          "session-id", G_TYPE_STRING, ev->session_id,
          "start", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->position),
          "duration", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->samples),
          NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_PING:
      GST_LOG_OBJECT (self, "rtt %" GST_TIME_FORMAT, GST_TIME_ARGS (ev->rtt));
      break;
    case GST_GENESYS_CLIENT_EVENT_MESSAGE:
      post_server_message (self, ev->session_id, ev->message);
      break;
    case GST_GENESYS_CLIENT_EVENT_PROTOCOL_ERROR:
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("The AudioHook server broke the protocol."), ("error %d: %s",
              ev->code, ev->reason));
      break;
    case GST_GENESYS_CLIENT_EVENT_DISCONNECTED:
      s = gst_structure_new ("genesys-disconnected",
          "session-id", G_TYPE_STRING, ev->session_id,
          "code", G_TYPE_UINT, (guint) ev->code,
          "reason", G_TYPE_STRING, ev->reason ? ev->reason : "",
          "clean", G_TYPE_BOOLEAN, ev->clean,
          "cause", G_TYPE_STRING, ev->cause, NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_RECONNECTING:
      if (self->client_connected)
        GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
            ("Lost the AudioHook connection; reconnecting."),
            ("attempt %u in %" GST_TIME_FORMAT ": %s", ev->attempt,
                GST_TIME_ARGS (ev->delay), ev->cause));
      else
        GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
            ("Could not connect to the AudioHook server; retrying."),
            ("attempt %u in %" GST_TIME_FORMAT ": %s", ev->attempt,
                GST_TIME_ARGS (ev->delay), ev->cause));
      s = gst_structure_new ("genesys-reconnecting",
          "attempt", G_TYPE_UINT, ev->attempt,
          "delay", G_TYPE_UINT64, ev->delay,
          "cause", G_TYPE_STRING, ev->cause, NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_CLOSED:
      s = gst_structure_new ("genesys-closed",
          "session-id", G_TYPE_STRING, ev->session_id,
          "reason", G_TYPE_STRING, ev->reason,
          "code", G_TYPE_INT, ev->code,
          "position", G_TYPE_UINT64, gst_genesys_samples_to_time (ev->position),
          NULL);
      break;
    case GST_GENESYS_CLIENT_EVENT_ERROR:
      gst_genesys_client_props_post_error (GST_ELEMENT (self), ev->error);
      break;
  }
  if (s)
    post_element_message (self, s);
}

/* ---- configuration ---- */

static JsonObject *
structure_to_string_map (const GstStructure * s)
{
  JsonObject *obj = json_object_new ();
  gint i, n = gst_structure_n_fields (s);

  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    gchar *str = G_VALUE_HOLDS_STRING (v) ? g_value_dup_string (v) :
        gst_value_serialize (v);
    json_object_set_string_member (obj, name, str ? str : "");
    g_free (str);
  }
  return obj;
}

static void
add_media (AhMessage * open, AhFormat format, guint n, AhChannel c0,
    AhChannel c1)
{
  AhMedia m = { format, AH_RATE, n, {c0, c1} };

  ah_message_add_media (open, &m);
}

/* The client for the negotiated input. */
static GstGenesysClient *
create_client (GstGenesysSink * self, GError ** error)
{
  GstGenesysClientConfig config = { 0 };
  GstGenesysClientProps props;
  GstGenesysClient *client;
  AhMessage *open = ah_message_new (AH_MSG_OPEN);

  open->organization_id = g_strdup (self->run_organization_id);
  open->conversation_id = g_strdup (self->run_conversation_id);
  if (self->run_custom_config)
    open->custom_config = json_object_ref (self->run_custom_config);
  if (self->channels == 2) {
    add_media (open, self->format, 2, AH_CHANNEL_EXTERNAL, AH_CHANNEL_INTERNAL);
    add_media (open, self->format, 1, AH_CHANNEL_EXTERNAL, AH_CHANNEL_UNKNOWN);
    add_media (open, self->format, 1, AH_CHANNEL_INTERNAL, AH_CHANNEL_UNKNOWN);
  } else {
    add_media (open, self->format, 1, AH_CHANNEL_EXTERNAL, AH_CHANNEL_UNKNOWN);
  }

  GST_OBJECT_LOCK (self);
  open->participant.id = g_strdup (self->run_participant_id);
  open->participant.ani = g_strdup (self->ani ? self->ani : "");
  open->participant.ani_name = g_strdup (self->ani_name ? self->ani_name : "");
  open->participant.dnis = g_strdup (self->dnis ? self->dnis : "");
  open->language = g_strdup (self->language);
  if (self->input_variables)
    open->input_variables = structure_to_string_map (self->input_variables);
  gst_genesys_client_props_copy (&props, &self->client_props);
  config.api_key = g_strdup (self->api_key);
  config.client_secret = g_strdup (self->client_secret);
  config.open_timeout = self->timeout;
  config.close_timeout = CLOSE_TIMEOUT;
  config.ping_interval = self->ping_interval;
  GST_OBJECT_UNLOCK (self);

  config.uri = g_steal_pointer (&props.uri);
  config.extra_headers = g_steal_pointer (&props.extra_headers);
  config.tls_ca_file = g_steal_pointer (&props.tls_ca_file);
  config.tls_validation = props.tls_validation;
  config.keepalive_interval = props.keepalive_interval;
  config.keepalive_timeout = props.keepalive_timeout;
  config.backoff_base = props.retry_backoff_factor;
  config.backoff_max = props.retry_backoff_max;
  config.retries = props.retries;
  gst_genesys_client_props_clear (&props);

  config.user_agent = g_strdup ("gst-genesys/" VERSION " (genesyssink)");
  config.open = open;
  config.format = self->format;
  config.channels = self->channels;
  config.stable_time = STABLE_TIME;
  config.max_queued = 5 * AH_RATE;
  config.playback_events = self->channel != NULL;

  client = gst_genesys_client_new (&config, on_client_event, self, error);
  gst_genesys_client_config_clear (&config);
  return client;
}

/* ---- GstBaseSink ---- */

static gboolean
gst_genesys_sink_start (GstBaseSink * bsink)
{
  GstGenesysSink *self = GST_GENESYS_SINK (bsink);
  gchar *uri, *custom_config, *session_name, *uri_error;
  GstGenesysPacing pacing;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  uri_error = g_strdup (self->client_props.uri_error);
  GST_OBJECT_UNLOCK (self);
  if (uri_error) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", uri_error),
        ("the uri is the ws:// or wss:// address of the AudioHook server"));
    g_free (uri_error);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->client_props.uri);
  custom_config = g_strdup (self->custom_config);
  g_free (self->run_organization_id);
  g_free (self->run_conversation_id);
  g_free (self->run_participant_id);
  /* Missing ids: fresh UUIDs for this run, the same across reconnects. */
  self->run_organization_id = self->organization_id ?
      g_strdup (self->organization_id) : g_uuid_string_random ();
  self->run_conversation_id = self->conversation_id ?
      g_strdup (self->conversation_id) : g_uuid_string_random ();
  self->run_participant_id = self->participant_id ?
      g_strdup (self->participant_id) : g_uuid_string_random ();
  GST_OBJECT_UNLOCK (self);

  GST_OBJECT_LOCK (self);
  session_name = self->session_name && *self->session_name ?
      g_strdup (self->session_name) : NULL;
  pacing.frame_duration = self->frame_duration;
  pacing.rate = self->message_rate;
  pacing.burst = self->message_burst;
  pacing.max_lead = self->max_lead;
  GST_OBJECT_UNLOCK (self);

  if (uri == NULL && session_name == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No uri set: the ws:// or wss:// address of the AudioHook server "
            "(or a session-name shared with a genesyssrc)."), (NULL));
    goto fail;
  }
  self->bot = uri == NULL;
  self->bot_media_checked = FALSE;
  self->client_started = FALSE;
  self->rate_limited = 0;
  self->client_connected = FALSE;
  if (session_name) {
    if (pacing.frame_duration * pacing.rate < GST_SECOND)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("frame-duration x message-rate is below one second: bot audio "
              "cannot keep up with real time."), (NULL));
    self->channel = gst_genesys_channel_join (session_name,
        GST_GENESYS_CHANNEL_SINK, on_channel_event, self, &error);
    if (!self->channel) {
      GST_ELEMENT_ERROR (self, RESOURCE, BUSY, ("%s", error->message), (NULL));
      goto fail;
    }
    gst_genesys_channel_set_pacing (self->channel, &pacing);
  }
  if (uri && !gst_genesys_uri_parts (uri, NULL, NULL, NULL, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Invalid uri: %s",
            error->message), (NULL));
    goto fail;
  }
  g_clear_pointer (&self->run_custom_config, json_object_unref);
  if (custom_config && *custom_config) {
    JsonNode *node = json_from_string (custom_config, &error);
    if (!node || !JSON_NODE_HOLDS_OBJECT (node)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("custom-config is not a JSON object: %s",
              error ? error->message : "wrong type"), (NULL));
      if (node)
        json_node_unref (node);
      goto fail;
    }
    self->run_custom_config = json_node_dup_object (node);
    json_node_unref (node);
  }

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->stats, gst_structure_free);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  gst_adapter_clear (self->adapter);
  self->format = AH_FORMAT_UNKNOWN;
  self->channels = 0;
  g_free (uri);
  g_free (custom_config);
  g_free (session_name);
  return TRUE;

fail:
  if (self->channel) {
    gst_genesys_channel_leave (self->channel, GST_GENESYS_CHANNEL_SINK);
    self->channel = NULL;
  }
  g_clear_error (&error);
  g_free (uri);
  g_free (custom_config);
  g_free (session_name);
  return FALSE;
}

/* Bot audio: the channel's pacing counters, and what it dropped (queued
 * when a session ended, or rendered while none was open) as a duration.
 * The channel counts it before the end of the session shows, so the
 * count is complete by the time render() returns EOS. */
static GstStructure *
bot_stats (GstGenesysSink * self)
{
  GstStructure *s = gst_genesys_channel_get_pacing_stats (self->channel);
  guint64 bytes = 0;

  gst_structure_get_uint64 (s, "dropped-bytes", &bytes);
  gst_structure_set (s, "dropped-duration", G_TYPE_UINT64, self->bpf ?
      gst_genesys_samples_to_time (bytes / self->bpf) : 0, NULL);
  return s;
}

static gboolean
gst_genesys_sink_stop (GstBaseSink * bsink)
{
  GstGenesysSink *self = GST_GENESYS_SINK (bsink);
  GstGenesysClient *client;

  g_mutex_lock (&self->lock);
  client = self->client;
  g_mutex_unlock (&self->lock);

  if (client) {
    GstStructure *stats;

    gst_genesys_client_stop (client);
    stats = gst_genesys_client_get_stats (client);
    g_mutex_lock (&self->lock);
    self->client = NULL;
    g_clear_pointer (&self->stats, gst_structure_free);
    self->stats = stats;
    g_mutex_unlock (&self->lock);
    gst_genesys_client_free (client);
  }
  if (self->channel) {
    GstStructure *pacing = self->bot ? bot_stats (self) : NULL;
    gst_genesys_channel_leave (self->channel, GST_GENESYS_CHANNEL_SINK);
    g_mutex_lock (&self->lock);
    self->channel = NULL;
    if (pacing) {
      g_clear_pointer (&self->stats, gst_structure_free);
      self->stats = pacing;
    }
    g_mutex_unlock (&self->lock);
  }
  gst_adapter_clear (self->adapter);
  return TRUE;
}

static gboolean
gst_genesys_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstGenesysSink *self = GST_GENESYS_SINK (bsink);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  GstGenesysClient *client;
  GError *error = NULL;
  AhFormat format;
  gint channels = 0, rate = 0;
  guint64 samples;

  if (gst_structure_has_name (s, "audio/x-mulaw"))
    format = AH_FORMAT_PCMU;
  else
    format = AH_FORMAT_L16;
  if (!gst_structure_get_int (s, "channels", &channels)
      || !gst_structure_get_int (s, "rate", &rate) || rate != AH_RATE
      || channels < 1 || channels > 2)
    return FALSE;

  if (self->client) {
    if (format == self->format && (guint) channels == self->channels)
      return TRUE;
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The audio format cannot change during an AudioHook session."),
        ("from %u channels of %s to %" GST_PTR_FORMAT, self->channels,
            ah_format_name (self->format), caps));
    return FALSE;
  }

  self->format = format;
  self->channels = channels;
  self->bpf = (format == AH_FORMAT_L16 ? 2 : 1) * channels;
  GST_OBJECT_LOCK (self);
  samples = gst_util_uint64_scale_int_round (self->frame_duration, AH_RATE,
      GST_SECOND);
  GST_OBJECT_UNLOCK (self);
  samples = CLAMP (samples, 1, MAX_FRAME_BYTES / self->bpf);
  self->frame_bytes = samples * self->bpf;
  GST_INFO_OBJECT (self, "%u channel(s) of %s, frames of %" G_GUINT64_FORMAT
      " samples (%" G_GSIZE_FORMAT " bytes)", self->channels,
      ah_format_name (format), samples, self->frame_bytes);
  if (self->bot) {
    self->bot_media_checked = FALSE;
    return TRUE;
  }

  client = create_client (self, &error);
  if (client == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    g_error_free (error);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->client = client;
  if (self->flushing)
    gst_genesys_client_set_flushing (client, TRUE);
  g_mutex_unlock (&self->lock);
  maybe_start_client (self);
  return TRUE;
}

/* Hands complete frames to the client; with @all, the rest too (whole
 * samples). */
/* The stream time at which the next @n bytes of the adapter end. */
static GstClockTime
frame_end_ts (GstGenesysSink * self, gsize n)
{
  guint64 distance;
  GstClockTime pts = gst_adapter_prev_pts (self->adapter, &distance);

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  return pts + gst_util_uint64_scale_int ((distance + n) / self->bpf,
      GST_SECOND, AH_RATE);
}

/* A frame goes out when its last sample is due, as a live sender sends
 * it: upstream buffers longer than a frame (a file, a resampler) would
 * otherwise leave in bursts, and the receiver would see them as jitter. */
static GstFlowReturn
wait_frame_end (GstGenesysSink * self, GstClockTime end_ts)
{
  GstBaseSink *bsink = GST_BASE_SINK (self);
  GstClockTime rt;
  GstClockReturn cret;

  if (!gst_base_sink_get_sync (bsink) || !GST_CLOCK_TIME_IS_VALID (end_ts))
    return GST_FLOW_OK;
  rt = gst_segment_to_running_time (&bsink->segment, GST_FORMAT_TIME, end_ts);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_FLOW_OK;
  rt += gst_base_sink_get_latency (bsink);
  cret = gst_base_sink_wait_clock (bsink, rt, NULL);
  if (cret == GST_CLOCK_UNSCHEDULED) {
    /* The preroll lock is held again here, and it guards the base class's
     * flushing flag: a flush that came while the clock was waited on is
     * seen (ours is already reset by unlock_stop after PLAYING->PAUSED,
     * and waiting for preroll then would wait for ever). */
    if (bsink->flushing)
      return GST_FLOW_FLUSHING;
    /* paused while waiting: finish the wait once playing again */
    return gst_base_sink_wait_preroll (bsink);
  }
  return GST_FLOW_OK;
}

/* Sends whole frames from the adapter; with @all also the last partial
 * one (whole samples), without pacing (EOS and gaps are already timed). */
static GstFlowReturn
push_frames (GstGenesysSink * self, gboolean all)
{
  gsize avail;

  while ((avail = gst_adapter_available (self->adapter)) >= self->frame_bytes
      || (all && avail >= self->bpf)) {
    gsize n = MIN (avail, self->frame_bytes);
    GBytes *bytes;

    n -= n % self->bpf;
    if (!all) {
      GstFlowReturn ret = wait_frame_end (self, frame_end_ts (self, n));
      if (ret != GST_FLOW_OK)
        return ret;
    }
    bytes = g_bytes_new_take (gst_adapter_take (self->adapter, n), n);
    if (!gst_genesys_client_push (self->client, bytes))
      GST_TRACE_OBJECT (self, "dropped %" G_GSIZE_FORMAT " bytes", n);
    g_bytes_unref (bytes);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
check_client (GstGenesysSink * self)
{
  switch (gst_genesys_client_get_state (self->client)) {
    case GST_GENESYS_CLIENT_FAILED:
      return GST_FLOW_ERROR;
    case GST_GENESYS_CLIENT_FINISHED:
      return GST_FLOW_EOS;
    default:
      return GST_FLOW_OK;
  }
}

/* Bot audio: back on the session the paired genesyssrc accepted, paced
 * there; waits for that session. */
static GstFlowReturn
render_bot (GstGenesysSink * self, GstBuffer * buf)
{
  AhMedia media;
  gsize size = gst_buffer_get_size (buf);
  gboolean dropped, over;
  GBytes *bytes;

  if (self->channels == 0)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_genesys_channel_wait_open (self->channel, &media, &over)) {
    if (over) {
      /* the caller hung up and no session follows: the bot's stream ends */
      GST_INFO_OBJECT (self, "the session is over: EOS");
      return GST_FLOW_EOS;
    }
    return GST_FLOW_FLUSHING;
  }
  if (media.format != self->format || media.n_channels != self->channels) {
    gchar *m = ah_media_to_string (&media);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("The bot audio must have the session's media, %s.", m),
        ("input: %u channel(s) of %s", self->channels,
            ah_format_name (self->format)));
    g_free (m);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  size -= size % self->bpf;
  if (size == 0)
    return GST_FLOW_OK;
  bytes = g_bytes_new_take (g_malloc (size), size);
  gst_buffer_extract (buf, 0, (gpointer) g_bytes_get_data (bytes, NULL), size);
  if (!gst_genesys_channel_send (self->channel, bytes, &dropped)) {
    g_bytes_unref (bytes);
    if (!dropped)
      return GST_FLOW_FLUSHING;
    GST_TRACE_OBJECT (self, "session over, %" G_GSIZE_FORMAT " bytes dropped",
        size);
    return GST_FLOW_OK;
  }
  g_bytes_unref (bytes);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_genesys_sink_render (GstBaseSink * bsink, GstBuffer * buf)
{
  GstGenesysSink *self = GST_GENESYS_SINK (bsink);
  gboolean wait;
  GstFlowReturn ret;

  if (self->bot)
    return render_bot (self, buf);
  if (self->client == NULL)
    return GST_FLOW_NOT_NEGOTIATED;
  if ((ret = check_client (self)) != GST_FLOW_OK)
    return ret;

  GST_OBJECT_LOCK (self);
  wait = self->wait_for_connection;
  GST_OBJECT_UNLOCK (self);
  if (wait && !gst_genesys_client_is_open (self->client)) {
    GST_DEBUG_OBJECT (self, "waiting for a session");
    if (!gst_genesys_client_wait_open (self->client)) {
      if ((ret = check_client (self)) != GST_FLOW_OK)
        return ret;
      return GST_FLOW_FLUSHING;
    }
  }

  gst_adapter_push (self->adapter, gst_buffer_ref (buf));
  return push_frames (self, FALSE);
}

static gboolean
gst_genesys_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstGenesysSink *self = GST_GENESYS_SINK (bsink);

  if (self->bot) {
    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_EOS:
        /* what is queued goes out before EOS is handled */
        gst_genesys_channel_drain (self->channel);
        gst_genesys_channel_wait_sent (self->channel);
        break;
      case GST_EVENT_GAP:
        /* the end of an utterance: the last partial frame goes out now */
        gst_genesys_channel_drain (self->channel);
        break;
      default:
        break;
    }
    return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
  }

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->client) {
        push_frames (self, TRUE);
        GST_INFO_OBJECT (self, "EOS: closing the session");
        if (!gst_genesys_client_close (self->client, "end", CLOSE_TIMEOUT)) {
          gboolean flushing;
          g_mutex_lock (&self->lock);
          flushing = self->flushing;
          g_mutex_unlock (&self->lock);
          if (!flushing)
            GST_ELEMENT_WARNING (self, RESOURCE, CLOSE,
                ("The AudioHook server did not confirm the close."),
                ("no closed within %" GST_TIME_FORMAT,
                    GST_TIME_ARGS (CLOSE_TIMEOUT)));
        }
      }
      break;
    case GST_EVENT_GAP:
      if (self->client) {
        GstClockTime ts, duration;
        gst_event_parse_gap (event, &ts, &duration);
        if (GST_CLOCK_TIME_IS_VALID (duration)) {
          push_frames (self, TRUE);
          gst_genesys_client_discard (self->client,
              gst_util_uint64_scale_int_round (duration, AH_RATE, GST_SECOND));
        }
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_adapter_clear (self->adapter);
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* unlock and unlock_stop: render() and what it waits on (the client, the
 * shared session) stop waiting, or may wait again. */
static gboolean
set_flushing (GstGenesysSink * self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (self->client)
    gst_genesys_client_set_flushing (self->client, flushing);
  g_mutex_unlock (&self->lock);
  if (self->channel)
    gst_genesys_channel_set_flushing (self->channel, GST_GENESYS_CHANNEL_SINK,
        flushing);
  return TRUE;
}

static gboolean
gst_genesys_sink_unlock (GstBaseSink * bsink)
{
  return set_flushing (GST_GENESYS_SINK (bsink), TRUE);
}

static gboolean
gst_genesys_sink_unlock_stop (GstBaseSink * bsink)
{
  return set_flushing (GST_GENESYS_SINK (bsink), FALSE);
}

/* ---- action signals ---- */

static guint64
gst_genesys_sink_barge_in (GstGenesysSink * self)
{
  guint64 samples;
  GstClockTime flushed;

  if (!self->channel || !self->bot) {
    GST_WARNING_OBJECT (self, "barge-in needs a session-name without uri "
        "(bot audio on a session a genesyssrc accepted)");
    return 0;
  }
  samples = gst_genesys_channel_barge_in (self->channel);
  flushed = gst_genesys_samples_to_time (samples);
  GST_INFO_OBJECT (self, "barge-in: %" GST_TIME_FORMAT " of bot audio dropped",
      GST_TIME_ARGS (flushed));
  post_element_message (self, gst_structure_new ("genesys-barge-in",
          "flushed", G_TYPE_UINT64, flushed, NULL));
  return flushed;
}

static gboolean
gst_genesys_sink_disconnect (GstGenesysSink * self, const gchar * reason,
    const gchar * info, const GstStructure * output_variables)
{
  if (!self->channel || !self->bot) {
    GST_WARNING_OBJECT (self, "disconnect needs a session-name without uri; "
        "a client session ends with EOS");
    return FALSE;
  }
  return gst_genesys_channel_disconnect (self->channel,
      reason && *reason ? reason : "completed", info,
      output_variables ? structure_to_string_map (output_variables) : NULL);
}

static gboolean
gst_genesys_sink_send_dtmf (GstGenesysSink * self, const gchar * digit)
{
  AhMessage *msg;
  gboolean ok = FALSE;

  if (digit == NULL || strlen (digit) != 1
      || !strchr ("0123456789*#ABCD", digit[0])) {
    GST_WARNING_OBJECT (self, "not a DTMF digit: %s", GST_STR_NULL (digit));
    return FALSE;
  }
  msg = ah_message_new (AH_MSG_DTMF);
  msg->digit = g_strdup (digit);
  g_mutex_lock (&self->lock);
  if (self->client)
    ok = gst_genesys_client_send_message (self->client, msg);
  g_mutex_unlock (&self->lock);
  ah_message_unref (msg);
  if (!ok)
    GST_WARNING_OBJECT (self, "no open session to send DTMF %s on", digit);
  return ok;
}

/* ---- properties ---- */

/* The plain string properties. */
static const GstGenesysStringProp string_props[] = {
  /**
   * GstGenesysSink:api-key:
   *
   * The API key of the integration, sent as X-API-KEY.
   */
  {PROP_API_KEY, "api-key", "API key",
        "API key sent in X-API-KEY",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, api_key)},
  /**
   * GstGenesysSink:client-secret:
   *
   * The integration's client secret, base64 as Genesys shows it. When set,
   * every upgrade request is signed (HTTP message signature, hmac-sha256)
   * as Genesys Cloud does; needs #GstGenesysSink:api-key.
   */
  {PROP_CLIENT_SECRET, "client-secret", "Client secret",
        "Base64 client secret that signs each request (empty: unsigned)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, client_secret)},
  /**
   * GstGenesysSink:organization-id:
   *
   * The Genesys organization (Audiohook-Organization-Id and
   * organizationId). Unset: a random UUID for each run of the element, so
   * a server that expects a particular organization refuses it.
   */
  {PROP_ORGANIZATION_ID, "organization-id", "Organization ID",
        "Organization UUID (unset: a random one per run)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, organization_id)},
  /**
   * GstGenesysSink:conversation-id:
   *
   * The conversation the audio belongs to. Unset: a random UUID for each
   * run, kept across reconnections. The null UUID (with a null
   * #GstGenesysSink:participant-id) makes a connection probe.
   */
  {PROP_CONVERSATION_ID, "conversation-id", "Conversation ID",
        "Conversation UUID (unset: a random one per run)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, conversation_id)},
  /**
   * GstGenesysSink:participant-id:
   *
   * The participant whose audio this is. Unset: a random UUID per run.
   */
  {PROP_PARTICIPANT_ID, "participant-id", "Participant ID",
        "Participant UUID (unset: a random one per run)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, participant_id)},
  /**
   * GstGenesysSink:ani:
   *
   * The caller's number (participant.ani).
   */
  {PROP_ANI, "ani", "ANI",
        "Calling number",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, ani)},
  /**
   * GstGenesysSink:ani-name:
   *
   * The caller's name (participant.aniName).
   */
  {PROP_ANI_NAME, "ani-name", "ANI name",
        "Calling party name",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, ani_name)},
  /**
   * GstGenesysSink:dnis:
   *
   * The number dialled (participant.dnis).
   */
  {PROP_DNIS, "dnis", "DNIS",
        "Dialled number",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, dnis)},
  /**
   * GstGenesysSink:language:
   *
   * The conversation's language (for example en-US), sent in open.
   */
  {PROP_LANGUAGE, "language", "Language",
        "Language code sent in open (unset: none)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, language)},
  /**
   * GstGenesysSink:custom-config:
   *
   * A JSON object sent as customConfig in open, as an integration's custom
   * configuration would be.
   */
  {PROP_CUSTOM_CONFIG, "custom-config", "Custom config",
        "JSON object sent as customConfig in open",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, custom_config)},
  /**
   * GstGenesysSink:session-name:
   *
   * Shares one session with the genesyssrc of the same session-name in
   * this process (a voice bot). Without #GstGenesysSink:uri the sink sends
   * its audio back to the client on the session that genesyssrc accepted
   * (Audio Connector bot audio), paced by #GstGenesysSink:frame-duration,
   * #GstGenesysSink:message-rate, #GstGenesysSink:message-burst and
   * #GstGenesysSink:max-lead; render() waits for that session. With a uri
   * the sink opens the session and the genesyssrc (mode=client, no uri)
   * outputs what the server sends back; the connection waits for that
   * genesyssrc.
   */
  {PROP_SESSION_NAME, "session-name", "Session name",
        "Share the session with the genesyssrc of this name (voice bots)",
      NULL, G_STRUCT_OFFSET (GstGenesysSink, session_name)},
  {0, NULL}
};

static void
replace_structure (GstStructure ** field, const GValue * value)
{
  const GstStructure *s = gst_value_get_structure (value);

  if (*field)
    gst_structure_free (*field);
  *field = s ? gst_structure_copy (s) : NULL;
}

static void
gst_genesys_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGenesysSink *self = GST_GENESYS_SINK (object);

  if (gst_genesys_client_props_set_property (GST_ELEMENT (self), prop_id,
          value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INPUT_VARIABLES:
      replace_structure (&self->input_variables, value);
      break;
    case PROP_FRAME_DURATION:
      self->frame_duration = g_value_get_uint64 (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_PING_INTERVAL:
      self->ping_interval = g_value_get_uint64 (value);
      break;
    case PROP_WAIT_FOR_CONNECTION:
      self->wait_for_connection = g_value_get_boolean (value);
      break;
    case PROP_MAX_LEAD:
      self->max_lead = g_value_get_uint64 (value);
      break;
    case PROP_MESSAGE_RATE:
      self->message_rate = g_value_get_double (value);
      break;
    case PROP_MESSAGE_BURST:
      self->message_burst = g_value_get_uint (value);
      break;
    default:
      if (!gst_genesys_string_props_set (self, string_props, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
get_stats (GstGenesysSink * self)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  if (self->channel && self->bot)
    s = bot_stats (self);
  else if (self->client)
    s = gst_genesys_client_get_stats (self->client);
  else if (self->stats)
    s = gst_structure_copy (self->stats);
  else
    s = gst_genesys_client_get_stats (NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_genesys_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGenesysSink *self = GST_GENESYS_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, get_stats (self));
    return;
  }
  if (gst_genesys_client_props_get_property (GST_ELEMENT (self), prop_id,
          value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INPUT_VARIABLES:
      gst_value_set_structure (value, self->input_variables);
      break;
    case PROP_FRAME_DURATION:
      g_value_set_uint64 (value, self->frame_duration);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_PING_INTERVAL:
      g_value_set_uint64 (value, self->ping_interval);
      break;
    case PROP_WAIT_FOR_CONNECTION:
      g_value_set_boolean (value, self->wait_for_connection);
      break;
    case PROP_MAX_LEAD:
      g_value_set_uint64 (value, self->max_lead);
      break;
    case PROP_MESSAGE_RATE:
      g_value_set_double (value, self->message_rate);
      break;
    case PROP_MESSAGE_BURST:
      g_value_set_uint (value, self->message_burst);
      break;
    default:
      if (!gst_genesys_string_props_get (self, string_props, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_genesys_sink_finalize (GObject * object)
{
  GstGenesysSink *self = GST_GENESYS_SINK (object);

  gst_genesys_client_props_clear (&self->client_props);
  gst_genesys_string_props_free (self, string_props);
  if (self->input_variables)
    gst_structure_free (self->input_variables);
  g_free (self->run_organization_id);
  g_free (self->run_conversation_id);
  g_free (self->run_participant_id);
  g_clear_pointer (&self->run_custom_config, json_object_unref);
  if (self->stats)
    gst_structure_free (self->stats);
  g_object_unref (self->adapter);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_genesys_sink_init (GstGenesysSink * self)
{
  gst_genesys_client_props_init (&self->client_props);
  gst_genesys_string_props_init (self, string_props);
  self->frame_duration = DEFAULT_FRAME_DURATION;
  self->timeout = DEFAULT_TIMEOUT;
  self->ping_interval = DEFAULT_PING_INTERVAL;
  self->wait_for_connection = DEFAULT_WAIT_FOR_CONNECTION;
  self->max_lead = DEFAULT_MAX_LEAD;
  self->message_rate = DEFAULT_MESSAGE_RATE;
  self->message_burst = DEFAULT_MESSAGE_BURST;
  self->adapter = gst_adapter_new ();
  g_mutex_init (&self->lock);
  gst_base_sink_set_sync (GST_BASE_SINK (self), TRUE);
}

static void
gst_genesys_sink_class_init (GstGenesysSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_genesys_sink_set_property;
  gobject_class->get_property = gst_genesys_sink_get_property;
  gobject_class->finalize = gst_genesys_sink_finalize;

  gst_genesys_client_props_install (gobject_class,
      G_STRUCT_OFFSET (GstGenesysSink, client_props), "", NULL);
  gst_genesys_string_props_install (gobject_class, string_props, rw);

  /**
   * GstGenesysSink:input-variables:
   *
   * Audio Connector input variables (a string map), sent as
   * inputVariables in open; values that are not strings are serialized.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_VARIABLES,
      g_param_spec_boxed ("input-variables", "Input variables",
          "Structure of strings sent as inputVariables in open",
          GST_TYPE_STRUCTURE, rw));
  /**
   * GstGenesysSink:frame-duration:
   *
   * Duration of the binary audio messages, in whole samples; at most
   * 64000 bytes per message whatever this says.
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_DURATION,
      g_param_spec_uint64 ("frame-duration", "Frame duration",
          "Nanoseconds of audio per binary message", GST_MSECOND,
          10 * GST_SECOND, DEFAULT_FRAME_DURATION, rw));
  /**
   * GstGenesysSink:timeout:
   *
   * How long connecting (TCP, TLS, upgrade) may take, and then how long to
   * wait for `opened`, each.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Nanoseconds to connect, then to wait for opened", GST_MSECOND,
          G_MAXUINT64, DEFAULT_TIMEOUT, rw));
  /**
   * GstGenesysSink:ping-interval:
   *
   * Protocol ping period (the first ping goes 1 s after `opened`). A ping
   * still unanswered when the next is due fails the session (error 408)
   * and reconnects.
   */
  g_object_class_install_property (gobject_class, PROP_PING_INTERVAL,
      g_param_spec_uint64 ("ping-interval", "Ping interval",
          "Nanoseconds between protocol pings", 100 * GST_MSECOND,
          G_MAXUINT64, DEFAULT_PING_INTERVAL, rw));
  /**
   * GstGenesysSink:wait-for-connection:
   *
   * Make render() wait for an open session instead of dropping the audio
   * (and reporting it as discarded). Holds up the pipeline while
   * disconnected; for file input that must reach the server whole.
   */
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_CONNECTION,
      g_param_spec_boolean ("wait-for-connection", "Wait for connection",
          "Block render until a session is open instead of dropping audio",
          DEFAULT_WAIT_FOR_CONNECTION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstGenesysSink:stats:
   *
   * Counters (application/x-genesys-stats): connection attempts,
   * connections, sessions, reconnects, frames, bytes, samples, pings,
   * rtt-last/rtt-min/rtt-max (ns), discarded (messages) and
   * discarded-duration, dropped-duration, keepalive-timeouts,
   * protocol-errors, events, and the WebSocket close codes seen
   * (close-code-N fields and a close-codes summary). Kept after stop.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Connection, audio, ping and reconnection counters",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstGenesysSink:max-lead:
   *
   * Bot audio: how far ahead of the client's playout the audio sent may
   * be, at most. The client plays what it receives in real time; more
   * lead rides out network jitter, less lead makes barge-in cut sooner.
   * At most as much again waits in the element, beyond which render()
   * blocks.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_LEAD,
      g_param_spec_uint64 ("max-lead", "Max lead",
          "Nanoseconds of bot audio sent ahead of the client's playout, at "
          "most", 0, G_MAXUINT64, DEFAULT_MAX_LEAD, rw));
  /**
   * GstGenesysSink:message-rate:
   *
   * Bot audio: binary messages per second on average, at most (the
   * client's limit; Genesys documents 5). frame-duration x message-rate
   * must reach one second for the audio to keep up with real time.
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE_RATE,
      g_param_spec_double ("message-rate", "Message rate",
          "Bot audio: binary messages per second on average, at most", 0.1,
          1000.0, DEFAULT_MESSAGE_RATE, rw));
  /**
   * GstGenesysSink:message-burst:
   *
   * Bot audio: binary messages that may go out at once (the depth of the
   * token bucket; Genesys documents 25).
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE_BURST,
      g_param_spec_uint ("message-burst", "Message burst",
          "Bot audio: binary messages that may go out at once", 1, 10000,
          DEFAULT_MESSAGE_BURST, rw));

  /**
   * GstGenesysSink::barge-in:
   * @sink: the element
   *
   * Bot audio: drops what is queued but not yet sent, sends the
   * `barge_in` event to the client (which drops what it has not played)
   * and posts `genesys-barge-in` with the duration dropped (`flushed`).
   * Returns that duration in nanoseconds. Upstream audio that arrives
   * afterwards is sent as usual: stop or flush the prompt upstream.
   */
  signals[SIGNAL_BARGE_IN] = g_signal_new_class_handler ("barge-in",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_sink_barge_in), NULL, NULL, NULL,
      G_TYPE_UINT64, 0);
  /**
   * GstGenesysSink::disconnect:
   * @sink: the element
   * @reason: `completed` (default when empty), `error` or `unauthorized`
   * @info: free text, may be %NULL
   * @output_variables: string fields handed back to Architect, may be %NULL
   *
   * Bot audio: ends the session once the bot audio queued before it has
   * been sent and played out. The client closes the session and the
   * genesyssrc's stream ends. Returns %FALSE when no session is open.
   */
  signals[SIGNAL_DISCONNECT] = g_signal_new_class_handler ("disconnect",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_sink_disconnect), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_STRUCTURE);
  /**
   * GstGenesysSink::send-dtmf:
   * @sink: the element
   * @digit: one of 0-9, *, #, A-D
   *
   * Client sessions (with a uri): sends a `dtmf` message, as Genesys does
   * when the caller presses a key. Returns %FALSE when no session is open.
   */
  signals[SIGNAL_SEND_DTMF] = g_signal_new_class_handler ("send-dtmf",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_genesys_sink_send_dtmf), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Genesys AudioHook sink", "Sink/Audio/Network",
      "Sends call audio to an AudioHook server as Genesys Cloud does, "
      "reconnecting and reporting lost audio", "gst-genesys developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_genesys_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_genesys_sink_stop);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_genesys_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_genesys_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_genesys_sink_event);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_genesys_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_genesys_sink_unlock_stop);
}
