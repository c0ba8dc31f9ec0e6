/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A prompt player: a voice bot for Audio Connector that answers with a
 * welcome prompt, stops it when the caller presses a key (barge-in),
 * says goodbye and ends the session with the key as an output variable.
 *
 *   prompt-player --port 9000 --welcome welcome.wav --goodbye goodbye.wav
 *
 * Bot pipeline: genesyssrc accepts the session (the caller's audio goes to
 * a fakesink); appsrc ! genesyssink, paired with it by session-name, sends
 * the prompts back as bot audio. The prompts are decoded to 8 kHz mono
 * PCMU up front and handed to appsrc a chunk at a time, only when it asks
 * for data, so nothing piles up before the sink. On the first DTMF the
 * welcome is stopped (no more chunks, a flush clears what is in flight),
 * the sink's barge-in drops what it queued and tells the client to drop
 * what it has not played, and the goodbye follows. When the goodbye has
 * all reached the sink, the disconnect is queued behind it.
 *
 * With --simulate the program plays the Genesys side instead: genesyssink
 * dials the bot and sends the caller's audio (silence), presses a key
 * after --dtmf-after seconds, and the genesyssrc paired with it records
 * what the caller hears to --record.
 *
 * Each mode ends with one line of key=value results on stdout.
 */

#include <string.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include "bot-common.h"

#define CAPS "audio/x-mulaw,rate=8000,channels=1"
#define CHUNK 160               /* 20 ms of PCMU */
#define GOODBYE_PAUSE_MS 100

typedef enum
{
  PROMPT_NONE,
  PROMPT_WELCOME,
  PROMPT_GOODBYE,
  PROMPT_DONE
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
  GBytes *prompts[PROMPT_DONE];
  Prompt prompt;
  gsize offset;
  gboolean starved;             /* appsrc waits for a chunk */

  /* bot: results */
  gchar *digit;
  GstClockTime dtmf_position;
  GstClockTime welcome_sent;    /* welcome handed to the sink before the barge-in */
  GstClockTime flushed;
  gboolean disconnect_queued;
  gboolean disconnect_sent;
  gchar *closed_reason;

  /* simulator */
  const gchar *press;
  gdouble press_after;
  guint press_source;
  gboolean pressed;
  GstClockTime pressed_at;      /* running time */
  GstClockTime client_flushed;
  gchar *disconnect_reason;
  gchar *disconnect_info;
  gchar *disconnect_digit;
} App;

static gchar *opt_address = NULL;
static gint opt_port = 9000;
static gchar *opt_welcome = NULL;
static gchar *opt_goodbye = NULL;
static gchar *opt_session = NULL;
static gboolean opt_simulate = FALSE;
static gchar *opt_digit = NULL;
static gdouble opt_dtmf_after = 2.0;
static gchar *opt_record = NULL;
static gdouble opt_timeout = 60.0;

static GOptionEntry entries[] = {
  {"address", 0, 0, G_OPTION_ARG_STRING, &opt_address,
      "Address to listen on, or to call (default 127.0.0.1)", "ADDR"},
  {"port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Port (default 9000)", "PORT"},
  {"welcome", 0, 0, G_OPTION_ARG_FILENAME, &opt_welcome,
      "Bot: WAV played when the session opens", "WAV"},
  {"goodbye", 0, 0, G_OPTION_ARG_FILENAME, &opt_goodbye,
      "Bot: WAV played after a key press", "WAV"},
  {"session-name", 0, 0, G_OPTION_ARG_STRING, &opt_session,
        "Name pairing genesyssrc and genesyssink (default bot or caller)",
      "NAME"},
  {"simulate", 0, 0, G_OPTION_ARG_NONE, &opt_simulate,
      "Play the Genesys side: call the bot, press a key, record", NULL},
  {"digit", 0, 0, G_OPTION_ARG_STRING, &opt_digit,
      "Simulator: the key to press (default 5)", "DIGIT"},
  {"dtmf-after", 0, 0, G_OPTION_ARG_DOUBLE, &opt_dtmf_after,
      "Simulator: seconds after the session opened (default 2)", "S"},
  {"record", 0, 0, G_OPTION_ARG_FILENAME, &opt_record,
      "Simulator: WAV file for what the caller hears", "WAV"},
  {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout,
      "Give up after this many seconds (default 60)", "S"},
  {NULL}
};

/* ---- prompts ---- */

/* The whole of @path as 8 kHz mono PCMU. */
static GBytes *
load_prompt (const gchar * path, GError ** error)
{
  gchar *quoted = g_strescape (path, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! "
      "mulawenc ! appsink name=out sync=false", quoted);
  GBytes *prompt = bot_collect (desc, NULL, error);

  g_free (quoted);
  g_free (desc);
  return prompt;
}

/* Hands appsrc the next chunk of the current prompt; the end of the
 * goodbye is the end of the stream. With app->lock. */
static void
feed_locked (App * app)
{
  gsize size;
  const guint8 *bytes;
  GstBuffer *buf;
  gsize n;

  if (app->prompt == PROMPT_NONE || app->prompt == PROMPT_DONE) {
    app->starved = TRUE;
    return;
  }
  bytes = g_bytes_get_data (app->prompts[app->prompt], &size);
  if (app->offset >= size) {
    if (app->prompt == PROMPT_GOODBYE) {
      app->prompt = PROMPT_DONE;
      gst_app_src_end_of_stream (GST_APP_SRC (app->appsrc));
    } else {
      /* the welcome is over: wait for a key */
      app->prompt = PROMPT_NONE;
      app->starved = TRUE;
    }
    return;
  }
  n = MIN (CHUNK, size - app->offset);
  buf = gst_buffer_new_memdup (bytes + app->offset, n);
  app->offset += n;
  if (app->prompt == PROMPT_WELCOME)
    app->welcome_sent = gst_util_uint64_scale_int (app->offset, GST_SECOND,
        8000);
  app->starved = FALSE;
  gst_app_src_push_buffer (GST_APP_SRC (app->appsrc), buf);
}

/* appsrc streaming thread: its queue is empty. */
static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  App *app = user_data;

  g_mutex_lock (&app->lock);
  feed_locked (app);
  g_mutex_unlock (&app->lock);
}

static void
play (App * app, Prompt prompt)
{
  g_mutex_lock (&app->lock);
  app->prompt = prompt;
  app->offset = 0;
  if (app->starved)
    feed_locked (app);
  g_mutex_unlock (&app->lock);
}

static gboolean
say_goodbye (gpointer user_data)
{
  play (user_data, PROMPT_GOODBYE);
  return G_SOURCE_REMOVE;
}

/* The caller pressed a key while the welcome plays: stop it, barge in,
 * say goodbye. Main thread. */
static void
barge_in (App * app)
{
  guint64 flushed = 0;

  /* no more welcome; what appsrc holds and what the sink is rendering
   * is flushed; then the sink drops what it queued, the client what it
   * has not played */
  g_mutex_lock (&app->lock);
  app->prompt = PROMPT_NONE;
  g_mutex_unlock (&app->lock);
  gst_element_send_event (app->appsrc, gst_event_new_flush_start ());
  gst_element_send_event (app->appsrc, gst_event_new_flush_stop (FALSE));
  g_signal_emit_by_name (app->sink, "barge-in", &flushed);
  app->flushed = flushed;
  /* A short pause first: the sink's barge_in event goes out from its
   * connection thread a little later, and bot audio that is already
   * queued when it goes would be dropped along with the welcome. */
  g_timeout_add (GOODBYE_PAUSE_MS, say_goodbye, app);
}

/* genesyssink's sink pad: EOS means the whole goodbye is in the sink, so
 * the disconnect queued now goes out after it has played. */
static GstPadProbeReturn
sink_eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  App *app = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstStructure *vars;
  gboolean ok = FALSE;
  gchar *info_text;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&app->lock);
  if (app->digit == NULL) {
    g_mutex_unlock (&app->lock);
    return GST_PAD_PROBE_OK;
  }
  vars = gst_structure_new ("output-variables",
      "digit", G_TYPE_STRING, app->digit, NULL);
  info_text = g_strdup_printf ("the caller pressed %s", app->digit);
  g_mutex_unlock (&app->lock);
  g_signal_emit_by_name (app->sink, "disconnect", "completed", info_text,
      vars, &ok);
  g_free (info_text);
  gst_structure_free (vars);
  app->disconnect_queued = ok;
  if (!ok)
    g_printerr ("disconnect refused: no session open\n");
  return GST_PAD_PROBE_OK;
}

/* ---- bus ---- */

static gboolean
press_key (gpointer user_data)
{
  App *app = user_data;
  gboolean ok = FALSE;

  app->press_source = 0;
  g_signal_emit_by_name (app->sink, "send-dtmf", app->press, &ok);
  if (ok) {
    app->pressed = TRUE;
    app->pressed_at = bot_running_time (app->pipeline);
  } else {
    g_printerr ("send-dtmf %s refused: no session open\n", app->press);
  }
  return G_SOURCE_REMOVE;
}

static void
on_element_message (App * app, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const gchar *name = gst_structure_get_name (s);
  guint64 t = 0;

  if (opt_simulate) {
    if (g_str_equal (name, "genesys-opened") && app->press_source == 0
        && !app->pressed) {
      app->press_source = g_timeout_add ((guint) (app->press_after * 1000),
          press_key, app);
    } else if (g_str_equal (name, "genesys-barge-in")
        && gst_structure_get_uint64 (s, "flushed", &t)) {
      app->client_flushed = t;
    } else if (g_str_equal (name, "genesys-disconnect")) {
      const GValue *v = gst_structure_get_value (s, "output-variables");
      g_free (app->disconnect_reason);
      g_free (app->disconnect_info);
      app->disconnect_reason = g_strdup (gst_structure_get_string (s,
              "reason"));
      app->disconnect_info = g_strdup (gst_structure_get_string (s, "info"));
      if (v && GST_VALUE_HOLDS_STRUCTURE (v)) {
        const GstStructure *vars = gst_value_get_structure (v);
        g_free (app->disconnect_digit);
        app->disconnect_digit = g_strdup (gst_structure_get_string (vars,
                "digit"));
      }
    }
    return;
  }

  if (g_str_equal (name, "genesys-session-opened")) {
    play (app, PROMPT_WELCOME);
  } else if (g_str_equal (name, "genesys-dtmf")) {
    const gchar *digit = gst_structure_get_string (s, "digit");
    gboolean first;
    g_mutex_lock (&app->lock);
    first = app->digit == NULL;
    if (first) {
      app->digit = g_strdup (digit);
      app->dtmf_position = gst_structure_get_uint64 (s, "position", &t) ?
          t : GST_CLOCK_TIME_NONE;
    }
    g_mutex_unlock (&app->lock);
    if (first)
      barge_in (app);
  } else if (g_str_equal (name, "genesys-disconnect-sent")) {
    app->disconnect_sent = TRUE;
  } else if (g_str_equal (name, "genesys-session-closed")) {
    g_free (app->closed_reason);
    app->closed_reason = g_strdup (gst_structure_get_string (s, "reason"));
  }
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  App *app = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT)
    on_element_message (app, msg);
  else
    bot_bus_common (msg, app->loop, &app->failed);
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

/* ---- the two pipelines ---- */

static GstElement *
make (const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL)
    g_printerr ("missing element %s\n", factory);
  return e;
}

static gboolean
build_bot (App * app, GError ** error)
{
  GstElement *fakesink = make ("fakesink", NULL);
  GstCaps *caps = gst_caps_from_string (CAPS);
  GstAppSrcCallbacks callbacks = { need_data, NULL, NULL };
  GstPad *pad;

  app->src = make ("genesyssrc", "src");
  app->appsrc = make ("appsrc", "prompts");
  app->sink = make ("genesyssink", "sink");
  if (!app->src || !app->appsrc || !app->sink || !fakesink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "elements missing (is GST_PLUGIN_PATH set to build/gst/genesys?)");
    return FALSE;
  }
  g_object_set (app->src, "address", opt_address, "port", opt_port,
      "session-name", opt_session, NULL);
  /* the caller's audio: a real bot would recognise speech here */
  g_object_set (fakesink, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (app->appsrc, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_app_src_set_callbacks (GST_APP_SRC (app->appsrc), &callbacks, app, NULL);
  /* untimestamped prompt audio: the sink paces it; no preroll to wait for */
  g_object_set (app->sink, "session-name", opt_session, "async", FALSE, NULL);
  gst_caps_unref (caps);

  app->pipeline = gst_pipeline_new ("bot");
  gst_bin_add_many (GST_BIN (app->pipeline), app->src, fakesink, app->appsrc,
      app->sink, NULL);
  if (!gst_element_link (app->src, fakesink)
      || !gst_element_link (app->appsrc, app->sink)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link the bot pipeline");
    return FALSE;
  }
  pad = gst_element_get_static_pad (app->sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_eos_probe,
      app, NULL);
  gst_object_unref (pad);
  return TRUE;
}

static gboolean
build_simulator (App * app, GError ** error)
{
  gchar *uri = g_strdup_printf ("ws://%s:%d/api/v1/audiohook/ws",
      opt_address, opt_port);
  gchar *record = g_strescape (opt_record, NULL);
  /* The caller says nothing (silence); what the bot says is recorded on
   * the call's timeline (audiorate fills the time before the first
   * prompt). Neither sink may hold the start: the bot speaks only once
   * the call is up. */
  gchar *desc = g_strdup_printf ("audiotestsrc is-live=true wave=silence "
      "samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! "
      "genesyssink name=sink uri=%s session-name=%s wait-for-connection=true "
      "async=false "
      "genesyssrc name=src mode=client session-name=%s gap-mode=silence ! "
      "mulawdec ! audiorate ! wavenc ! filesink async=false location=\"%s\"",
      uri, opt_session, opt_session, record);

  g_free (uri);
  g_free (record);
  app->pipeline = gst_parse_launch (desc, error);
  g_free (desc);
  if (app->pipeline == NULL)
    return FALSE;
  app->sink = gst_bin_get_by_name (GST_BIN (app->pipeline), "sink");
  app->src = gst_bin_get_by_name (GST_BIN (app->pipeline), "src");
  /* the bin keeps them */
  gst_object_unref (app->sink);
  gst_object_unref (app->src);
  return TRUE;
}

static void
print_bot_results (App * app)
{
  g_print ("bot: digit=%s dtmf-at=%.2f welcome-sent=%.2f flushed=%.2f "
      "disconnect=%s closed=%s\n", app->digit ? app->digit : "none",
      bot_seconds (app->dtmf_position), bot_seconds (app->welcome_sent),
      bot_seconds (app->flushed),
      app->disconnect_sent ? "sent" : app->disconnect_queued ? "queued" :
      "none", app->closed_reason ? app->closed_reason : "none");
}

static void
print_simulator_results (App * app)
{
  g_print ("caller: pressed=%s pressed-at=%.2f client-flushed=%.2f "
      "disconnect=%s digit=%s info=\"%s\"\n",
      app->pressed ? app->press : "none", bot_seconds (app->pressed_at),
      bot_seconds (app->client_flushed),
      app->disconnect_reason ? app->disconnect_reason : "none",
      app->disconnect_digit ? app->disconnect_digit : "none",
      app->disconnect_info ? app->disconnect_info : "");
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *error = NULL;
  App app;
  GstBus *bus;
  gboolean ok;
  Prompt p;

  ctx = g_option_context_new ("- a prompt player voice bot, or its caller");
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
  if (opt_digit == NULL)
    opt_digit = g_strdup ("5");
  if (opt_simulate ? opt_record == NULL : (opt_welcome == NULL
          || opt_goodbye == NULL)) {
    g_printerr ("usage: %s --welcome WAV --goodbye WAV [--port P]\n"
        "       %s --simulate --record WAV [--port P] [--digit D]\n",
        argv[0], argv[0]);
    return 2;
  }

  memset (&app, 0, sizeof (app));
  g_mutex_init (&app.lock);
  app.dtmf_position = GST_CLOCK_TIME_NONE;
  app.pressed_at = GST_CLOCK_TIME_NONE;
  app.client_flushed = GST_CLOCK_TIME_NONE;
  app.press = opt_digit;
  app.press_after = opt_dtmf_after;
  app.loop = g_main_loop_new (NULL, FALSE);

  if (opt_simulate) {
    ok = build_simulator (&app, &error);
  } else {
    app.prompts[PROMPT_WELCOME] = load_prompt (opt_welcome, &error);
    if (app.prompts[PROMPT_WELCOME])
      app.prompts[PROMPT_GOODBYE] = load_prompt (opt_goodbye, &error);
    ok = app.prompts[PROMPT_GOODBYE] != NULL && build_bot (&app, &error);
  }
  if (!ok) {
    g_printerr ("%s\n", error ? error->message : "setup failed");
    g_clear_error (&error);
    return 1;
  }

  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  g_timeout_add ((guint) (opt_timeout * 1000), on_timeout, &app);
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the pipeline\n");
    app.failed = TRUE;
  } else {
    if (!opt_simulate)
      g_printerr ("prompt player listening on %s:%d\n", opt_address, opt_port);
    g_main_loop_run (app.loop);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);

  if (opt_simulate)
    print_simulator_results (&app);
  else
    print_bot_results (&app);

  gst_object_unref (app.pipeline);
  for (p = PROMPT_NONE; p < PROMPT_DONE; p++)
    if (app.prompts[p])
      g_bytes_unref (app.prompts[p]);
  g_free (app.digit);
  g_free (app.closed_reason);
  g_free (app.disconnect_reason);
  g_free (app.disconnect_info);
  g_free (app.disconnect_digit);
  g_main_loop_unref (app.loop);
  g_mutex_clear (&app.lock);
  return app.failed ? 1 : 0;
}
