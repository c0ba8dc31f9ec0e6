/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The GstGenesysServe API in a few lines: every call that Genesys Cloud
 * sends to port 9000 is recorded as a WAV file named after the
 * conversation; Ctrl-C asks the clients to reconnect elsewhere and exits
 * once the calls are over, or after 10 s.
 *
 *   serve-record API_KEY CLIENT_SECRET
 */

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/genesys/gstgenesysserve.h>

typedef struct
{
  GMainLoop *loop;
  GstGenesysServe *serve;
} Recorder;

static void
ended (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, const GError * error, gpointer user_data)
{
  g_print ("%s (conversation %s): %s\n", session_id, conversation_id,
      error ? error->message : "recorded");
}

static void
drained (GstGenesysServe * serve, gpointer user_data)
{
  Recorder *rec = user_data;

  g_main_loop_quit (rec->loop);
}

static gboolean
give_up (gpointer user_data)
{
  Recorder *rec = user_data;

  g_main_loop_quit (rec->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
interrupted (gpointer user_data)
{
  Recorder *rec = user_data;

  g_print ("draining\n");
  gst_genesys_serve_drain (rec->serve);
  g_timeout_add_seconds (10, give_up, rec);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  GstGenesysServeConfig config = { 0 };
  GstGenesysServeCallbacks callbacks = { 0 };
  Recorder rec;
  GError *error = NULL;

  gst_init (&argc, &argv);
  if (argc != 3) {
    g_printerr ("usage: %s API_KEY CLIENT_SECRET\n", argv[0]);
    return 2;
  }
  config.port = 9000;
  config.api_key = argv[1];
  config.client_secret = argv[2];
  config.launch = "genesyssrc ! mulawdec ! audioconvert ! wavenc ! "
      "filesink location={conversation-id}-{session-id}.wav";
  callbacks.call_ended = ended;
  callbacks.drained = drained;

  rec.loop = g_main_loop_new (NULL, FALSE);
  rec.serve = gst_genesys_serve_new (&config, &callbacks, &rec, &error);
  if (!rec.serve) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_unix_signal_add (SIGINT, interrupted, &rec);
  g_main_loop_run (rec.loop);

  gst_genesys_serve_free (rec.serve);
  g_main_loop_unref (rec.loop);
  return 0;
}
