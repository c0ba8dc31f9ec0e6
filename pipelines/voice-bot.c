/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A voice bot for Audio Connector that listens and speaks: it greets the
 * caller with espeak, recognises what the caller says with pocketsphinx
 * (a small grammar: "billing", "support", "agent" and the digits), answers
 * with speech and ends the session with a disconnect that carries the
 * recognised intent as an output variable ({"intent": "billing"}).
 *
 *   voice-bot --port 9000 [--api-key K --client-secret S] [--keep-listening]
 *
 * Bot pipeline: genesyssrc accepts the session; the caller's audio goes
 * mulawdec ! audioconvert ! pocketsphinx. The recogniser's acoustic model
 * is for 16 kHz audio: the 8 kHz telephone audio is upsampled by putting a
 * zero between samples (audioconvert makes it stereo with a silent right
 * channel, capssetter calls that 16 kHz mono), which mirrors the 0-4 kHz
 * band into 4-8 kHz instead of leaving it empty; on espeak speech that
 * recognises far better than audioresample's band-limited upsampling.
 * What the bot says is spoken by the espeak element into 8 kHz PCMU when
 * the bot starts (the fixed prompts) or when needed (digits) and handed to
 * appsrc ! genesyssink (session-name pairs it with genesyssrc) a chunk at a
 * time, as in prompt-player.c.
 *
 * Barge-in: a partial hypothesis from the recogniser while the bot speaks
 * is the caller talking over it: the prompt stops (appsrc is flushed) and
 * the sink's barge-in action drops what it queued. The end of the caller's
 * speech is the end (stream position) of the last caller buffer above an
 * energy threshold; per answer, the time from that buffer's arrival to the
 * first bytes of the answer leaving genesyssink (its stats) is the turn
 * latency: posted as the element message "voice-bot-turn" and printed.
 * Words outside the grammar, or NO_INPUT_MS of silence after a question,
 * make the bot ask again, MAX_RETRIES times, then give up (intent none).
 *
 * With --simulate the program plays the Genesys side: genesyssink dials the
 * bot and sends the caller's audio (silence, then the WAV of --say once
 * the greeting has ended, or --say-after seconds into the call), and the
 * genesyssrc paired with it records what the caller hears to --record.
 *
 * Each session ends with one line of key=value results on stdout.
 */

#include <math.h>
#include <string.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include "bot-common.h"

#define CAPS "audio/x-mulaw,rate=8000,channels=1"
#define RATE 8000
#define CHUNK 160               /* 20 ms of PCMU */
#define TAIL_CHUNKS 5           /* silence after a last answer */
#define VOICED_RMS 300.0        /* S16 RMS of a buffer with speech */
#define ANSWER_PAUSE_MS 100
#define NO_INPUT_MS 5000        /* silence after a question: ask again */
#define MAX_RETRIES 2
#define SAY_QUIET_MS 700        /* simulator: greeting over after this */
#define MAX_TURNS 16
#define REPLY_PAUSE_MS 300      /* simulator: quiet before an answer */

#define GREETING "Welcome to the voice bot. Please say billing, support, " \
  "or agent, or say the digits of your account number."
#define RETRY "Sorry, I did not catch that. Please say billing, support, " \
  "or agent."
#define NO_INTENT "Sorry, I could not understand you. Goodbye."

static const gchar *intents[] = { "billing", "support", "agent", NULL };

static const gchar *answers[] = {
  "You said billing. I am connecting you to billing. Goodbye.",
  "You said support. I am connecting you to support. Goodbye.",
  "You asked for an agent. Please hold for the next agent. Goodbye.",
};

static const gchar *digit_words[] = { "zero", "one", "two", "three", "four",
  "five", "six", "seven", "eight", "nine", NULL
};

typedef enum
{
  PROMPT_GREETING,
  PROMPT_RETRY,
  PROMPT_NO_INTENT,
  PROMPT_BILLING,
  PROMPT_SUPPORT,
  PROMPT_AGENT,
  N_PROMPTS
} Prompt;

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;              /* genesyssrc */
  GstElement *sink;             /* genesyssink */
  GstElement *appsrc;
  gboolean failed;

  /* bot: what is played, under lock */
  GMutex lock;
  GBytes *prompts[N_PROMPTS];
  GBytes *playing;
  gsize offset;
  gboolean last;                /* the disconnect follows this one */
  gboolean starved;
  GstClockTime fed_at;          /* the last chunk went to appsrc */
  GstClockTime lead;            /* genesyssink's max-lead */

  /* bot: the caller's speech (streaming thread), under lock */
  gboolean base_pending;        /* the next audio starts a session */
  guint64 base;                 /* its output offset: stream position 0 */
  guint64 voiced_end;           /* stream position (samples) */
  GstClockTime voiced_at;       /* running time it arrived */

  /* bot: the session */
  gboolean open;
  gboolean done;                /* the last answer is chosen */
  gboolean barged;              /* this prompt was barged in on */
  guint no_input_source;
  guint no_inputs;
  guint retries;
  guint utterances;
  guint barge_ins;
  GstClockTime flushed;
  gchar *intent;
  gchar *digits;
  gchar *hypothesis;
  gboolean disconnect_queued;
  gboolean disconnect_sent;
  gchar *closed_reason;

  /* bot: the turn being timed */
  guint poll_source;
  guint64 bytes_before;
  guint64 turn_eos;             /* stream position, samples */
  GstClockTime turn_eos_at;
  GstClockTime turn_final_at;   /* the recogniser's final result */
  gdouble latencies[MAX_TURNS];
  gdouble recognised[MAX_TURNS];        /* of which until the final result */
  gdouble eos_positions[MAX_TURNS];
  guint turns;

  /* simulator */
  GBytes *utterance;            /* S16LE 8 kHz */
  gsize said;
  gboolean saying;
  gboolean spoke;
  GstClockTime say_start;       /* running time */
  GstClockTime say_end;
  gboolean heard_voice;
  GstClockTime heard_at;        /* last voiced bot audio, running time */
  GstClockTime reply_after;     /* say_end -> first voiced bot audio */
  GstClockTime opened_at;
  guint say_source;
  GstClockTime client_flushed;
  gchar *disconnect_reason;
  gchar *disconnect_intent;
  gchar *disconnect_hypothesis;
} App;

static gchar *opt_address = NULL;
static gint opt_port = 9000;
static gchar *opt_session = NULL;
static gchar *opt_api_key = NULL;
static gchar *opt_client_secret = NULL;
static gchar *opt_tls_cert = NULL;
static gchar *opt_tls_key = NULL;
static gboolean opt_keep_listening = FALSE;
static gint opt_frame_ms = 200;
static gchar *opt_grammar = NULL;
static gchar *opt_write_grammar = NULL;
static gboolean opt_simulate = FALSE;
static gchar *opt_say = NULL;
static gdouble opt_say_after = -1.0;
static gchar *opt_record = NULL;
static gdouble opt_timeout = 60.0;

static GOptionEntry entries[] = {
  {"address", 0, 0, G_OPTION_ARG_STRING, &opt_address,
      "Address to listen on, or to call (default 127.0.0.1)", "ADDR"},
  {"port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Port (default 9000)", "PORT"},
  {"session-name", 0, 0, G_OPTION_ARG_STRING, &opt_session,
        "Name pairing genesyssrc and genesyssink (default bot or caller)",
      "NAME"},
  {"api-key", 0, 0, G_OPTION_ARG_STRING, &opt_api_key,
      "The API key clients must present (simulator: presents)", "KEY"},
  {"client-secret", 0, 0, G_OPTION_ARG_STRING, &opt_client_secret,
      "Base64 secret that signs requests (simulator: signs)", "SECRET"},
  {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_cert,
      "Bot: PEM certificate for wss://", "PEM"},
  {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_key,
      "Bot: PEM private key for wss://", "PEM"},
  {"keep-listening", 0, 0, G_OPTION_ARG_NONE, &opt_keep_listening,
        "Bot: take the next session after one ends (until SIGINT/SIGTERM)",
      NULL},
  {"frame-ms", 0, 0, G_OPTION_ARG_INT, &opt_frame_ms,
        "Bot: milliseconds of audio per message (genesyssink frame-duration; "
        "default 200)",
      "MS"},
  {"grammar", 0, 0, G_OPTION_ARG_FILENAME, &opt_grammar,
        "Bot: pocketsphinx FSG grammar (default: written to a temporary file)",
      "FSG"},
  {"write-grammar", 0, 0, G_OPTION_ARG_FILENAME, &opt_write_grammar,
      "Write the bot's grammar to this file and exit", "FSG"},
  {"simulate", 0, 0, G_OPTION_ARG_NONE, &opt_simulate,
      "Play the Genesys side: call the bot, speak, record", NULL},
  {"say", 0, 0, G_OPTION_ARG_FILENAME, &opt_say,
      "Simulator: WAV the caller says", "WAV"},
  {"say-after", 0, 0, G_OPTION_ARG_DOUBLE, &opt_say_after,
        "Simulator: speak this many seconds after the session opened "
        "(default: when the greeting has ended)",
      "S"},
  {"record", 0, 0, G_OPTION_ARG_FILENAME, &opt_record,
      "Simulator: WAV file for what the caller hears", "WAV"},
  {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout,
      "Give up after this many seconds (default 60; 0: never)", "S"},
  {NULL}
};

/* The RMS of a buffer of S16 samples. */
static gdouble
rms (GstBuffer * buf)
{
  GstMapInfo map;
  gdouble sum = 0;
  gsize i, n;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  n = map.size / 2;
  for (i = 0; i < n; i++) {
    gint16 s = GST_READ_UINT16_LE (map.data + 2 * i);
    sum += (gdouble) s *s;
  }
  gst_buffer_unmap (buf, &map);
  return n ? sqrt (sum / n) : 0;
}

/* ---- speech ---- */

/* @text spoken by espeak as 8 kHz mono PCMU. */
static GBytes *
speak (const gchar * text, GError ** error)
{
  return bot_collect ("espeak name=tts ! audioconvert ! audioresample ! "
      "audio/x-raw,rate=8000,channels=1 ! mulawenc ! "
      "appsink name=out sync=false", text, error);
}

/* The whole of @path as 8 kHz mono S16LE. */
static GBytes *
load_wav (const gchar * path, GError ** error)
{
  gchar *quoted = g_strescape (path, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "audioconvert ! audioresample ! "
      "audio/x-raw,format=S16LE,rate=8000,channels=1 ! "
      "appsink name=out sync=false", quoted);
  GBytes *b = bot_collect (desc, NULL, error);

  g_free (quoted);
  g_free (desc);
  return b;
}

/* The grammar: one or more of the intents and digits, in @path or a
 * temporary file; its path. */
static gchar *
write_grammar (const gchar * path, GError ** error)
{
  GString *fsg = g_string_new ("FSG_BEGIN intents\nNUM_STATES 2\n"
      "START_STATE 0\nFINAL_STATE 1\n");
  guint n = g_strv_length ((gchar **) intents) +
      g_strv_length ((gchar **) digit_words);
  const gchar *const *w;
  gchar *file = NULL;
  gint fd;

  for (w = intents; *w; w++)
    g_string_append_printf (fsg, "TRANSITION 0 1 %.4f %s\n", 1.0 / n, *w);
  for (w = digit_words; *w; w++)
    g_string_append_printf (fsg, "TRANSITION 0 1 %.4f %s\n", 1.0 / n, *w);
  g_string_append (fsg, "TRANSITION 1 0 0.5\nFSG_END\n");
  if (path) {
    file = g_strdup (path);
  } else if ((fd = g_file_open_tmp ("voice-bot-XXXXXX.fsg", &file, error)) >= 0) {
    g_close (fd, NULL);
  }
  if (file && !g_file_set_contents (file, fsg->str, -1, error))
    g_clear_pointer (&file, g_free);
  g_string_free (fsg, TRUE);
  return file;
}

/* ---- playing (bot) ---- */

static gboolean question_over (gpointer user_data);

/* Hands appsrc the next chunk of what is playing. With app->lock. */
static void
feed_locked (App * app)
{
  gsize size;
  const guint8 *bytes;
  GstBuffer *buf;
  gsize n;

  if (app->playing == NULL) {
    app->starved = TRUE;
    return;
  }
  bytes = g_bytes_get_data (app->playing, &size);
  if (app->offset >= size) {
    g_clear_pointer (&app->playing, g_bytes_unref);
    app->starved = TRUE;
    /* a question is over: the caller's turn */
    if (!app->last)
      g_idle_add (question_over, app);
    return;
  }
  n = MIN (CHUNK, size - app->offset);
  buf = gst_buffer_new_memdup (bytes + app->offset, n);
  app->offset += n;
  /* the disconnect goes when the last chunk of a last answer (silence)
   * reaches the sink */
  if (app->last && app->offset >= size)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_MARKER);
  app->starved = FALSE;
  app->fed_at = bot_running_time (app->pipeline);
  gst_app_src_push_buffer (GST_APP_SRC (app->appsrc), buf);
}

static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  App *app = user_data;

  g_mutex_lock (&app->lock);
  feed_locked (app);
  g_mutex_unlock (&app->lock);
}

/* Plays @audio (PCMU); a @last one has silence appended and is followed
 * by the disconnect. */
static void
play (App * app, GBytes * audio, gboolean last)
{
  g_mutex_lock (&app->lock);
  g_clear_pointer (&app->playing, g_bytes_unref);
  if (last) {
    gsize size;
    const guint8 *bytes = g_bytes_get_data (audio, &size);
    GByteArray *a = g_byte_array_sized_new (size + TAIL_CHUNKS * CHUNK);
    guint8 silence[CHUNK];

    memset (silence, 0xff, sizeof (silence));
    g_byte_array_append (a, bytes, size);
    for (guint i = 0; i < TAIL_CHUNKS; i++)
      g_byte_array_append (a, silence, sizeof (silence));
    app->playing = g_byte_array_free_to_bytes (a);
  } else {
    app->playing = g_bytes_ref (audio);
  }
  app->offset = 0;
  app->last = last;
  app->barged = FALSE;
  if (app->starved)
    feed_locked (app);
  g_mutex_unlock (&app->lock);
}

/* Whether the caller may still hear the bot: something plays, or its
 * last chunk went to the sink less than max-lead ago (the sink sends that
 * far ahead of the client's playout). */
static gboolean
speaking (App * app)
{
  GstClockTime now = bot_running_time (app->pipeline);
  gboolean s;

  g_mutex_lock (&app->lock);
  s = app->playing != NULL || (GST_CLOCK_TIME_IS_VALID (app->fed_at)
      && GST_CLOCK_TIME_IS_VALID (now) && now < app->fed_at + app->lead);
  g_mutex_unlock (&app->lock);
  return s;
}

/* Stops what is playing: no more chunks, appsrc flushed, the sink's and
 * the client's queues dropped. Main thread. */
static void
barge_in (App * app)
{
  guint64 flushed = 0;

  g_mutex_lock (&app->lock);
  g_clear_pointer (&app->playing, g_bytes_unref);
  app->fed_at = GST_CLOCK_TIME_NONE;
  app->barged = TRUE;
  g_mutex_unlock (&app->lock);
  gst_element_send_event (app->appsrc, gst_event_new_flush_start ());
  gst_element_send_event (app->appsrc, gst_event_new_flush_stop (FALSE));
  g_signal_emit_by_name (app->sink, "barge-in", &flushed);
  app->flushed += flushed;
  app->barge_ins++;
}

/* genesyssink's sink pad: the marked chunk ends the last answer; the
 * disconnect queued now goes out after it. */
static GstPadProbeReturn
sink_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstStructure *vars;
  gchar *text;
  gboolean ok = FALSE;

  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_MARKER))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&app->lock);
  vars = gst_structure_new ("output-variables",
      "intent", G_TYPE_STRING, app->intent ? app->intent : "none",
      "hypothesis", G_TYPE_STRING, app->hypothesis ? app->hypothesis : "",
      NULL);
  if (app->digits)
    gst_structure_set (vars, "digits", G_TYPE_STRING, app->digits, NULL);
  text = g_strdup_printf ("the caller said \"%s\"",
      app->hypothesis ? app->hypothesis : "");
  g_mutex_unlock (&app->lock);
  g_signal_emit_by_name (app->sink, "disconnect", "completed", text, vars, &ok);
  g_free (text);
  gst_structure_free (vars);
  app->disconnect_queued = ok;
  if (!ok)
    g_printerr ("disconnect refused: no session open\n");
  return GST_PAD_PROBE_OK;
}

/* A mu-law byte as a linear sample (G.711). */
static gint
ulaw_linear (guint8 u)
{
  gint t;

  u = ~u;
  t = (((gint) u & 0x0f) << 3) + 0x84;
  t <<= ((gint) u & 0x70) >> 4;
  return (u & 0x80) ? 0x84 - t : t - 0x84;
}

/* The caller's audio as genesyssrc gives it (PCMU): the end of the last
 * buffer with speech in it, and when it arrived. Buffer offsets count
 * samples of the output, which with keep-listening runs on across
 * sessions: a session's stream position is the offset minus that of its
 * first audio (a new session's audio starts at position 0). */
static GstPadProbeReturn
caller_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gdouble sum = 0;
  gsize i;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)
      || !gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  for (i = 0; i < map.size; i++) {
    gint s = ulaw_linear (map.data[i]);
    sum += (gdouble) s *s;
  }
  gst_buffer_unmap (buf, &map);
  g_mutex_lock (&app->lock);
  if (app->base_pending && GST_BUFFER_OFFSET_IS_VALID (buf)) {
    app->base = GST_BUFFER_OFFSET (buf);
    app->base_pending = FALSE;
  }
  if (map.size == 0 || sqrt (sum / map.size) < VOICED_RMS) {
    g_mutex_unlock (&app->lock);
    return GST_PAD_PROBE_OK;
  }
  if (GST_BUFFER_OFFSET_END_IS_VALID (buf))
    app->voiced_end = GST_BUFFER_OFFSET_END (buf) - app->base;
  app->voiced_at = bot_running_time (app->pipeline);
  g_mutex_unlock (&app->lock);
  return GST_PAD_PROBE_OK;
}

/* ---- turns (bot) ---- */

static guint64
sink_bytes (App * app)
{
  GstStructure *s = NULL;
  guint64 bytes = 0;

  g_object_get (app->sink, "stats", &s, NULL);
  if (s) {
    gst_structure_get_uint64 (s, "bytes", &bytes);
    gst_structure_free (s);
  }
  return bytes;
}

/* Until the answer's first bytes have left the sink. */
static gboolean
poll_sent (gpointer user_data)
{
  App *app = user_data;
  GstClockTime now;
  GstStructure *s;
  gdouble latency;

  if (sink_bytes (app) <= app->bytes_before)
    return G_SOURCE_CONTINUE;
  app->poll_source = 0;
  now = bot_running_time (app->pipeline);
  if (!GST_CLOCK_TIME_IS_VALID (app->turn_eos_at) || app->turns >= MAX_TURNS)
    return G_SOURCE_REMOVE;
  latency = (gdouble) GST_CLOCK_DIFF (app->turn_eos_at, now) / GST_SECOND;
  app->latencies[app->turns] = latency;
  app->recognised[app->turns] =
      (gdouble) GST_CLOCK_DIFF (app->turn_eos_at, app->turn_final_at) /
      GST_SECOND;
  app->eos_positions[app->turns] = (gdouble) app->turn_eos / RATE;
  app->turns++;
  s = gst_structure_new ("voice-bot-turn",
      "end-of-speech", G_TYPE_UINT64,
      gst_util_uint64_scale_int (app->turn_eos, GST_SECOND, RATE),
      "latency", G_TYPE_UINT64, (guint64) GST_CLOCK_DIFF (app->turn_eos_at,
          now), "recognised", G_TYPE_UINT64,
      (guint64) GST_CLOCK_DIFF (app->turn_eos_at, app->turn_final_at),
      "hypothesis", G_TYPE_STRING,
      app->hypothesis ? app->hypothesis : "", NULL);
  gst_element_post_message (app->pipeline,
      gst_message_new_element (GST_OBJECT (app->pipeline), s));
  g_printerr ("turn: end of speech at %.2f s, final result %.0f ms later, "
      "first answer bytes sent %.0f ms later\n", (gdouble) app->turn_eos / RATE,
      app->recognised[app->turns - 1] * 1000, latency * 1000);
  return G_SOURCE_REMOVE;
}

static gboolean
answer_after_pause (gpointer user_data)
{
  App *app = user_data;
  GBytes *audio = g_object_steal_data (G_OBJECT (app->pipeline), "answer");
  gboolean last = GPOINTER_TO_INT (g_object_get_data (G_OBJECT
          (app->pipeline), "answer-last"));

  app->bytes_before = sink_bytes (app);
  play (app, audio, last);
  g_bytes_unref (audio);
  if (app->poll_source == 0)
    app->poll_source = g_timeout_add (2, poll_sent, app);
  return G_SOURCE_REMOVE;
}

/* Answers: stops what plays (a barge-in), then @audio; @timed from the
 * end of the caller's speech. */
static void
answer (App * app, GBytes * audio, gboolean last, gboolean timed)
{
  gboolean pause = FALSE;

  g_mutex_lock (&app->lock);
  app->turn_eos = app->voiced_end;
  app->turn_eos_at = timed ? app->voiced_at : GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&app->lock);
  app->turn_final_at = bot_running_time (app->pipeline);
  if (speaking (app)) {
    barge_in (app);
    pause = TRUE;
  }
  g_object_set_data_full (G_OBJECT (app->pipeline), "answer",
      g_bytes_ref (audio), (GDestroyNotify) g_bytes_unref);
  g_object_set_data (G_OBJECT (app->pipeline), "answer-last",
      GINT_TO_POINTER (last));
  /* after a barge-in the sink's barge_in goes out from its connection
   * thread a little later: audio queued before it would be dropped too */
  if (pause)
    g_timeout_add (ANSWER_PAUSE_MS, answer_after_pause, app);
  else
    answer_after_pause (app);
}

static void
cancel_no_input (App * app)
{
  if (app->no_input_source) {
    g_source_remove (app->no_input_source);
    app->no_input_source = 0;
  }
}

/* Nothing the bot understood (@timed: something was said): ask again, or
 * give up. */
static void
no_match (App * app, gboolean timed)
{
  if (app->retries < MAX_RETRIES) {
    app->retries++;
    answer (app, app->prompts[PROMPT_RETRY], FALSE, timed);
  } else {
    app->done = TRUE;
    answer (app, app->prompts[PROMPT_NO_INTENT], TRUE, timed);
  }
}

/* A final hypothesis: the intent (the first keyword), the digits. */
static void
on_final (App * app, const gchar * hyp)
{
  gchar **words;
  GString *digits = g_string_new (NULL);
  const gchar *intent = NULL;
  Prompt reply = PROMPT_NO_INTENT;
  GError *error = NULL;
  guint i, j;

  if (app->done || hyp == NULL || *hyp == '\0')
    return;
  cancel_no_input (app);
  app->utterances++;
  words = g_strsplit (hyp, " ", -1);
  for (i = 0; words[i]; i++) {
    for (j = 0; intents[j]; j++)
      if (intent == NULL && g_str_equal (words[i], intents[j])) {
        intent = intents[j];
        reply = PROMPT_BILLING + j;
      }
    for (j = 0; digit_words[j]; j++)
      if (g_str_equal (words[i], digit_words[j]))
        g_string_append_c (digits, '0' + j);
  }
  g_strfreev (words);
  g_mutex_lock (&app->lock);
  g_free (app->hypothesis);
  app->hypothesis = g_strdup (hyp);
  g_mutex_unlock (&app->lock);

  if (intent) {
    app->done = TRUE;
    app->intent = g_strdup (intent);
    answer (app, app->prompts[reply], TRUE, TRUE);
  } else if (digits->len > 0) {
    gchar *text = g_strdup_printf ("You said %s. Thank you. Goodbye.", hyp);
    GBytes *audio = speak (text, &error);
    g_free (text);
    app->done = TRUE;
    app->intent = g_strdup ("digits");
    app->digits = g_strdup (digits->str);
    if (audio) {
      answer (app, audio, TRUE, TRUE);
      g_bytes_unref (audio);
    } else {
      g_printerr ("espeak: %s\n", error->message);
      g_clear_error (&error);
      answer (app, app->prompts[PROMPT_NO_INTENT], TRUE, TRUE);
    }
  } else {
    no_match (app, TRUE);
  }
  g_string_free (digits, TRUE);
}

static gboolean
no_input (gpointer user_data)
{
  App *app = user_data;

  app->no_input_source = 0;
  app->no_inputs++;
  no_match (app, FALSE);
  return G_SOURCE_REMOVE;
}

/* Main thread: the bot asked; the caller has NO_INPUT_MS (after what the
 * client may still be playing) to start speaking. */
static gboolean
question_over (gpointer user_data)
{
  App *app = user_data;

  if (app->open && !app->done && app->no_input_source == 0)
    app->no_input_source = g_timeout_add (NO_INPUT_MS +
        app->lead / GST_MSECOND, no_input, app);
  return G_SOURCE_REMOVE;
}

/* ---- sessions (bot) ---- */

static void
print_bot_results (App * app)
{
  GString *lat = g_string_new (NULL), *eos = g_string_new (NULL);
  GString *rec = g_string_new (NULL);
  guint i;

  for (i = 0; i < app->turns; i++) {
    g_string_append_printf (lat, "%s%.0f", i ? "," : "",
        app->latencies[i] * 1000);
    g_string_append_printf (eos, "%s%.2f", i ? "," : "", app->eos_positions[i]);
    g_string_append_printf (rec, "%s%.0f", i ? "," : "",
        app->recognised[i] * 1000);
  }
  g_print ("bot: intent=%s digits=%s hypothesis=\"%s\" utterances=%u "
      "barge-ins=%u no-input=%u flushed=%.2f end-of-speech=%s latency-ms=%s "
      "recognised-ms=%s disconnect=%s closed=%s\n",
      app->intent ? app->intent : "none", app->digits ? app->digits : "none",
      app->hypothesis ? app->hypothesis : "", app->utterances, app->barge_ins,
      app->no_inputs, bot_seconds (app->flushed), eos->len ? eos->str : "none",
      lat->len ? lat->str : "none", rec->len ? rec->str : "none",
      app->
      disconnect_sent ? "sent" : app->disconnect_queued ? "queued" : "none",
      app->closed_reason ? app->closed_reason : "none");
  g_string_free (lat, TRUE);
  g_string_free (eos, TRUE);
  g_string_free (rec, TRUE);
}

static void
session_reset (App * app)
{
  g_mutex_lock (&app->lock);
  g_clear_pointer (&app->hypothesis, g_free);
  app->voiced_end = 0;
  app->voiced_at = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&app->lock);
  g_clear_pointer (&app->intent, g_free);
  g_clear_pointer (&app->digits, g_free);
  g_clear_pointer (&app->closed_reason, g_free);
  app->done = FALSE;
  cancel_no_input (app);
  app->retries = app->utterances = app->barge_ins = app->turns = 0;
  app->no_inputs = 0;
  app->flushed = 0;
  app->disconnect_queued = app->disconnect_sent = FALSE;
}

static void
on_bot_message (App * app, const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);

  if (g_str_equal (name, "genesys-session-opened")) {
    gboolean probe = FALSE;
    gst_structure_get_boolean (s, "probe", &probe);
    session_reset (app);
    app->open = !probe;
    if (app->open)
      play (app, app->prompts[PROMPT_GREETING], FALSE);
  } else if (g_str_equal (name, "pocketsphinx") && app->open) {
    gboolean final = FALSE;
    const gchar *hyp = gst_structure_get_string (s, "hypothesis");
    gst_structure_get_boolean (s, "final", &final);
    if (final && (hyp == NULL || *hyp == '\0')) {
      /* nothing recognised (after a barge-in, say): wait for more */
      question_over (app);
    } else if (final) {
      on_final (app, hyp);
    } else if (hyp && *hyp && !app->done) {
      /* the caller talks: no more waiting; over the bot, a barge-in */
      cancel_no_input (app);
      if (speaking (app))
        barge_in (app);
    }
  } else if (g_str_equal (name, "genesys-disconnect-sent")) {
    app->disconnect_sent = TRUE;
  } else if (g_str_equal (name, "genesys-session-closed") && app->open) {
    app->open = FALSE;
    cancel_no_input (app);
    g_free (app->closed_reason);
    app->closed_reason = g_strdup (gst_structure_get_string (s, "reason"));
    g_mutex_lock (&app->lock);
    g_clear_pointer (&app->playing, g_bytes_unref);
    app->base_pending = TRUE;
    g_mutex_unlock (&app->lock);
    print_bot_results (app);
    /* one session: the bot's stream ends with it */
    if (!opt_keep_listening)
      gst_app_src_end_of_stream (GST_APP_SRC (app->appsrc));
  }
}

/* ---- the simulated caller ---- */

static void
start_saying (App * app)
{
  g_mutex_lock (&app->lock);
  if (!app->saying && !app->spoke) {
    app->saying = TRUE;
    app->said = 0;
  }
  g_mutex_unlock (&app->lock);
}

static gboolean
say_now (gpointer user_data)
{
  App *app = user_data;

  app->say_source = 0;
  start_saying (app);
  return G_SOURCE_REMOVE;
}

/* Speaks when the greeting has ended: bot audio heard, then quiet. */
static gboolean
check_quiet (gpointer user_data)
{
  App *app = user_data;
  GstClockTime now = bot_running_time (app->pipeline);
  gboolean quiet;

  g_mutex_lock (&app->lock);
  quiet = app->heard_voice && GST_CLOCK_TIME_IS_VALID (now)
      && now > app->heard_at + SAY_QUIET_MS * GST_MSECOND;
  g_mutex_unlock (&app->lock);
  if (!quiet)
    return G_SOURCE_CONTINUE;
  app->say_source = 0;
  start_saying (app);
  return G_SOURCE_REMOVE;
}

/* The caller's microphone (live silence, S16): the utterance replaces it
 * while the caller speaks. */
static GstPadProbeReturn
mouth_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gsize size, n;
  const guint8 *bytes;

  g_mutex_lock (&app->lock);
  if (!app->saying) {
    g_mutex_unlock (&app->lock);
    return GST_PAD_PROBE_OK;
  }
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  bytes = g_bytes_get_data (app->utterance, &size);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  n = MIN (map.size, size - app->said);
  memcpy (map.data, bytes + app->said, n);
  memset (map.data + n, 0, map.size - n);
  gst_buffer_unmap (buf, &map);
  /* the end of the caller's speech: the last chunk with voice in it */
  if (rms (buf) >= VOICED_RMS)
    app->say_end = bot_running_time (app->pipeline);
  if (app->said == 0)
    app->say_start = bot_running_time (app->pipeline);
  app->said += n;
  if (app->said >= size) {
    app->saying = FALSE;
    app->spoke = TRUE;
  }
  g_mutex_unlock (&app->lock);
  return GST_PAD_PROBE_OK;
}

/* What the caller hears (S16): when bot speech was last heard, and when
 * the first answer after the caller spoke. */
static GstPadProbeReturn
ear_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstClockTime now;

  if (rms (GST_PAD_PROBE_INFO_BUFFER (info)) < VOICED_RMS)
    return GST_PAD_PROBE_OK;
  now = bot_running_time (app->pipeline);
  g_mutex_lock (&app->lock);
  /* the answer: bot speech that starts after the caller spoke, after a
   * pause (not the rest of a prompt the barge-in is still stopping) */
  if (app->spoke && !GST_CLOCK_TIME_IS_VALID (app->reply_after)
      && GST_CLOCK_TIME_IS_VALID (app->say_end) && now > app->say_end
      && (!app->heard_voice
          || now > app->heard_at + REPLY_PAUSE_MS * GST_MSECOND))
    app->reply_after = now - app->say_end;
  app->heard_voice = TRUE;
  app->heard_at = now;
  g_mutex_unlock (&app->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_simulator_message (App * app, const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);
  guint64 t = 0;

  if (g_str_equal (name, "genesys-opened") && app->say_source == 0
      && !GST_CLOCK_TIME_IS_VALID (app->opened_at)) {
    app->opened_at = bot_running_time (app->pipeline);
    if (opt_say_after >= 0)
      app->say_source = g_timeout_add ((guint) (opt_say_after * 1000),
          say_now, app);
    else
      app->say_source = g_timeout_add (20, check_quiet, app);
  } else if (g_str_equal (name, "genesys-barge-in")
      && gst_structure_get_uint64 (s, "flushed", &t)) {
    app->client_flushed = GST_CLOCK_TIME_IS_VALID (app->client_flushed) ?
        app->client_flushed + t : t;
  } else if (g_str_equal (name, "genesys-disconnect")) {
    const GValue *v = gst_structure_get_value (s, "output-variables");
    g_free (app->disconnect_reason);
    app->disconnect_reason = g_strdup (gst_structure_get_string (s, "reason"));
    if (v && GST_VALUE_HOLDS_STRUCTURE (v)) {
      const GstStructure *vars = gst_value_get_structure (v);
      g_free (app->disconnect_intent);
      g_free (app->disconnect_hypothesis);
      app->disconnect_intent = g_strdup (gst_structure_get_string (vars,
              "intent"));
      app->disconnect_hypothesis = g_strdup (gst_structure_get_string (vars,
              "hypothesis"));
    }
  }
}

static void
print_simulator_results (App * app)
{
  GstClockTime base = GST_CLOCK_TIME_IS_VALID (app->opened_at) ?
      app->opened_at : 0;

  g_print ("caller: said-at=%.2f said-end=%.2f reply-after=%.3f "
      "client-flushed=%.2f disconnect=%s intent=%s hypothesis=\"%s\"\n",
      app->spoke ? bot_seconds (app->say_start - MIN (base, app->say_start)) :
      -1.0, GST_CLOCK_TIME_IS_VALID (app->say_end) ? bot_seconds (app->say_end -
          MIN (base, app->say_end)) :
      -1.0, bot_seconds (app->reply_after), bot_seconds (app->client_flushed),
      app->disconnect_reason ? app->disconnect_reason : "none",
      app->disconnect_intent ? app->disconnect_intent : "none",
      app->disconnect_hypothesis ? app->disconnect_hypothesis : "");
}

/* ---- bus ---- */

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *app = user_data;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    bot_bus_common (msg, app->loop, &app->failed);
  else if (opt_simulate)
    on_simulator_message (app, gst_message_get_structure (msg));
  else
    on_bot_message (app, gst_message_get_structure (msg));
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  App *app = user_data;

  g_printerr ("timed out after %.0f s\n", opt_timeout);
  app->failed = TRUE;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  g_printerr ("stopping\n");
  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

/* ---- the two pipelines ---- */

static void
add_probe (App * app, const gchar * element, const gchar * pad_name,
    GstPadProbeType type, GstPadProbeCallback cb)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), element);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, type, cb, app, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gboolean
load_prompts (App * app, GError ** error)
{
  const gchar *texts[N_PROMPTS] = { GREETING, RETRY, NO_INTENT,
    answers[0], answers[1], answers[2]
  };
  Prompt p;

  for (p = 0; p < N_PROMPTS; p++)
    if (!(app->prompts[p] = speak (texts[p], error)))
      return FALSE;
  return TRUE;
}

static gboolean
build_bot (App * app, const gchar * grammar, GError ** error)
{
  GstAppSrcCallbacks callbacks = { need_data, NULL, NULL };
  GstCaps *caps = gst_caps_from_string (CAPS);
  GstElement *asr;
  /* zero-stuffing to 16 kHz: stereo with a silent right channel, read as
   * mono at twice the rate */
  app->pipeline = gst_parse_launch ("genesyssrc name=src ! queue ! "
      "mulawdec ! audioconvert "
      "mix-matrix=\"<<(float)1.0>,<(float)0.0>>\" ! "
      "audio/x-raw,format=S16LE,rate=8000,channels=2 ! capssetter "
      "replace=true caps=\"audio/x-raw,format=S16LE,layout=interleaved,"
      "rate=16000,channels=1\" ! pocketsphinx name=asr ! "
      "fakesink sync=false async=false "
      "appsrc name=prompts ! genesyssink name=sink", error);
  if (app->pipeline == NULL) {
    gst_caps_unref (caps);
    return FALSE;
  }
  app->src = gst_bin_get_by_name (GST_BIN (app->pipeline), "src");
  app->sink = gst_bin_get_by_name (GST_BIN (app->pipeline), "sink");
  app->appsrc = gst_bin_get_by_name (GST_BIN (app->pipeline), "prompts");
  asr = gst_bin_get_by_name (GST_BIN (app->pipeline), "asr");
  /* the bin keeps them */
  gst_object_unref (app->src);
  gst_object_unref (app->sink);
  gst_object_unref (app->appsrc);
  g_object_set (app->src, "address", opt_address, "port", opt_port,
      "session-name", opt_session, "keep-listening", opt_keep_listening,
      "api-key", opt_api_key, "client-secret", opt_client_secret,
      "tls-certificate-file", opt_tls_cert, "tls-key-file", opt_tls_key, NULL);
  g_object_set (asr, "fsg", grammar, NULL);
  gst_object_unref (asr);
  g_object_set (app->appsrc, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_app_src_set_callbacks (GST_APP_SRC (app->appsrc), &callbacks, app, NULL);
  /* untimestamped speech: the sink paces it; no preroll to wait for */
  g_object_get (app->sink, "max-lead", &app->lead, NULL);
  g_object_set (app->sink, "session-name", opt_session, "async", FALSE,
      "frame-duration", (guint64) opt_frame_ms * GST_MSECOND, NULL);
  gst_caps_unref (caps);
  add_probe (app, "sink", "sink", GST_PAD_PROBE_TYPE_BUFFER, sink_buffer_probe);
  add_probe (app, "src", "src", GST_PAD_PROBE_TYPE_BUFFER, caller_probe);
  return TRUE;
}

static gboolean
build_simulator (App * app, GError ** error)
{
  gchar *uri = g_strdup_printf ("ws://%s:%d/api/v1/audiohook/ws",
      opt_address, opt_port);
  gchar *record = g_strescape (opt_record, NULL);
  /* The caller's microphone is live silence that the utterance replaces
   * while the caller speaks; what the bot says is recorded on the call's
   * timeline. Neither sink may hold the start. */
  gchar *desc = g_strdup_printf ("audiotestsrc name=mouth is-live=true "
      "wave=silence samplesperbuffer=160 ! "
      "audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc ! "
      "genesyssink name=sink uri=%s session-name=%s "
      "wait-for-connection=true async=false "
      "genesyssrc name=src mode=client session-name=%s gap-mode=silence ! "
      "mulawdec name=ear ! audiorate ! wavenc ! "
      "filesink async=false location=\"%s\"", uri, opt_session, opt_session,
      record);

  g_free (uri);
  g_free (record);
  app->pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  if (app->pipeline == NULL)
    return FALSE;
  app->sink = gst_bin_get_by_name (GST_BIN (app->pipeline), "sink");
  app->src = gst_bin_get_by_name (GST_BIN (app->pipeline), "src");
  gst_object_unref (app->sink);
  gst_object_unref (app->src);
  g_object_set (app->sink, "api-key", opt_api_key, "client-secret",
      opt_client_secret, NULL);
  add_probe (app, "mouth", "src", GST_PAD_PROBE_TYPE_BUFFER, mouth_probe);
  add_probe (app, "ear", "src", GST_PAD_PROBE_TYPE_BUFFER, ear_probe);
  return TRUE;
}

static gboolean
setup (App * app, gchar ** grammar, GError ** error)
{
  if (opt_simulate) {
    app->utterance = load_wav (opt_say, error);
    return app->utterance && build_simulator (app, error);
  }
  if (opt_grammar)
    *grammar = g_strdup (opt_grammar);
  else if (!(*grammar = write_grammar (NULL, error)))
    return FALSE;
  return load_prompts (app, error) && build_bot (app, *grammar, error);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *error = NULL;
  App app;
  GstBus *bus;
  gchar *grammar = NULL;
  Prompt p;

  ctx = g_option_context_new ("- a voice bot that listens and speaks, "
      "or its caller");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (opt_address == NULL)
    opt_address = g_strdup ("127.0.0.1");
  if (opt_session == NULL)
    opt_session = g_strdup (opt_simulate ? "caller" : "bot");
  if (opt_write_grammar) {
    gchar *path = write_grammar (opt_write_grammar, &error);
    gboolean written = path != NULL;
    if (!written)
      g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    g_free (path);
    return written ? 0 : 1;
  }
  if (opt_simulate && (opt_record == NULL || opt_say == NULL)) {
    g_printerr ("usage: %s [--port P] [--api-key K --client-secret S] "
        "[--keep-listening]\n"
        "       %s --simulate --say WAV --record WAV [--port P] "
        "[--say-after S]\n", argv[0], argv[0]);
    return 2;
  }

  memset (&app, 0, sizeof (app));
  g_mutex_init (&app.lock);
  app.starved = TRUE;
  app.base_pending = TRUE;
  app.fed_at = GST_CLOCK_TIME_NONE;
  app.voiced_at = GST_CLOCK_TIME_NONE;
  app.turn_eos_at = GST_CLOCK_TIME_NONE;
  app.reply_after = GST_CLOCK_TIME_NONE;
  app.say_end = GST_CLOCK_TIME_NONE;
  app.opened_at = GST_CLOCK_TIME_NONE;
  app.client_flushed = GST_CLOCK_TIME_NONE;
  app.loop = g_main_loop_new (NULL, FALSE);

  if (!setup (&app, &grammar, &error)) {
    g_printerr ("%s\n", error ? error->message : "setup failed");
    g_clear_error (&error);
    return 1;
  }

  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  if (opt_timeout > 0)
    g_timeout_add ((guint) (opt_timeout * 1000), on_timeout, &app);
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the pipeline\n");
    app.failed = TRUE;
  } else {
    if (!opt_simulate)
      g_printerr ("voice bot listening on %s:%d\n", opt_address, opt_port);
    g_main_loop_run (app.loop);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);

  if (opt_simulate)
    print_simulator_results (&app);
  else if (app.open)
    print_bot_results (&app);

  gst_object_unref (app.pipeline);
  if (grammar && opt_grammar == NULL)
    g_unlink (grammar);
  g_free (grammar);
  for (p = 0; p < N_PROMPTS; p++)
    if (app.prompts[p])
      g_bytes_unref (app.prompts[p]);
  g_clear_pointer (&app.playing, g_bytes_unref);
  g_clear_pointer (&app.utterance, g_bytes_unref);
  g_free (app.intent);
  g_free (app.digits);
  g_free (app.hypothesis);
  g_free (app.closed_reason);
  g_free (app.disconnect_reason);
  g_free (app.disconnect_intent);
  g_free (app.disconnect_hypothesis);
  g_main_loop_unref (app.loop);
  g_mutex_clear (&app.lock);
  return app.failed ? 1 : 0;
}
