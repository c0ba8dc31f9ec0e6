/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GstGenesysServe and gst-genesys-serve against raw in-process AudioHook
 * clients on 127.0.0.1: one real pipeline per call, writing files. */

#include <string.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include "ahpeer.h"
#include <gst/genesys/gstgenesysserve.h>

#define PATH "/ws"
#define KEY "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
#define SECRET "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
#define WAIT 10000
#define FRAME 1600              /* 200 ms of PCMU mono */
#define N_CALLS 20

#define OFFER_MONO \
  "{\"type\":\"audio\",\"format\":\"PCMU\",\"channels\":[\"external\"],\"rate\":8000}"
#define NULL_UUID "00000000-0000-0000-0000-000000000000"

/* A generous latency: the output is never clipped, even under valgrind. */
#define TEMPLATE_SRC "genesyssrc"

typedef struct
{
  gchar *session_id;
  gchar *conversation_id;
  GError *error;
} Ended;

typedef struct
{
  GstGenesysServe *serve;
  gchar *dir;
  guint port;
  GPtrArray *started;           /* session ids */
  GPtrArray *ended;             /* Ended */
  gboolean drained;
} Fixture;

static void
ended_free (gpointer data)
{
  Ended *e = data;

  g_free (e->session_id);
  g_free (e->conversation_id);
  g_clear_error (&e->error);
  g_free (e);
}

static void
on_started (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, GstElement * pipeline, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (GST_IS_PIPELINE (pipeline));
  g_ptr_array_add (f->started, g_strdup (session_id));
}

static void
on_ended (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, const GError * error, gpointer user_data)
{
  Fixture *f = user_data;
  Ended *e = g_new0 (Ended, 1);

  e->session_id = g_strdup (session_id);
  e->conversation_id = g_strdup (conversation_id);
  e->error = error ? g_error_copy (error) : NULL;
  g_ptr_array_add (f->ended, e);
}

static void
on_drained (GstGenesysServe * serve, gpointer user_data)
{
  Fixture *f = user_data;

  f->drained = TRUE;
}

static const GstGenesysServeCallbacks fixture_callbacks = {
  on_started, on_ended, on_drained,
};

static gchar *
make_dir (void)
{
  gchar *dir = g_dir_make_tmp ("genesysserve-XXXXXX", NULL);

  g_assert_nonnull (dir);
  return dir;
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_dir (p);
    else
      g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* TEMPLATE_SRC and @tail, with "DIR" the fixture's directory */
static gchar *
fixture_launch (Fixture * f, const gchar * tail)
{
  gchar **parts = g_strsplit (tail, "DIR", -1);
  gchar *dir_tail = g_strjoinv (f->dir, parts);
  gchar *launch = g_strconcat (TEMPLATE_SRC " ", dir_tail, NULL);

  g_strfreev (parts);
  g_free (dir_tail);
  return launch;
}

static void
fixture_prepare (Fixture * f)
{
  memset (f, 0, sizeof (*f));
  f->dir = make_dir ();
  f->started = g_ptr_array_new_with_free_func (g_free);
  f->ended = g_ptr_array_new_with_free_func (ended_free);
}

/* The serve with @tail after the source, e.g. "! filesink location=...";
 * "DIR" in it is the fixture's directory. @connector: NULL, or "ID=TAIL"
 * for a connector template. @threads: loop threads, 0 for 4.
 * @idle_timeout: seconds, 0 for the default. */
static void
fixture_start_full (Fixture * f, const gchar * tail, guint max_sessions,
    gboolean auth, const gchar * const *languages, const gchar * connector,
    guint threads, guint idle_timeout)
{
  GstGenesysServeConfig config = { 0 };
  GError *error = NULL;
  gchar *launch, *connectors[2] = { NULL, NULL };

  fixture_prepare (f);
  launch = fixture_launch (f, tail);
  if (connector) {
    const gchar *eq = strchr (connector, '=');
    gchar *id = g_strndup (connector, eq - connector);
    gchar *l = fixture_launch (f, eq + 1);
    connectors[0] = g_strconcat (id, "=", l, NULL);
    g_free (id);
    g_free (l);
    config.connectors = (const gchar * const *) connectors;
  }
  config.launch = launch;
  config.address = "127.0.0.1";
  config.path = PATH;
  config.max_sessions = max_sessions;
  /* more than one: a continuation lands on another thread than the session
   * it continues (connections go to the threads in turn) */
  config.threads = threads ? threads : 4;
  config.supported_languages = languages;
  config.idle_timeout = idle_timeout;
  if (auth) {
    config.api_key = KEY;
    config.client_secret = SECRET;
  }
  f->serve = gst_genesys_serve_new (&config, &fixture_callbacks, f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->serve);
  f->port = gst_genesys_serve_get_port (f->serve);
  g_assert_cmpuint (f->port, >, 0);
  g_free (launch);
  g_free (connectors[0]);
}

static void
fixture_start (Fixture * f, const gchar * tail, guint max_sessions,
    gboolean auth)
{
  fixture_start_full (f, tail, max_sessions, auth, NULL, NULL, 0, 0);
}

static void
fixture_stop (Fixture * f)
{
  gst_genesys_serve_free (f->serve);
  g_ptr_array_unref (f->started);
  g_ptr_array_unref (f->ended);
  remove_dir (f->dir);
  g_free (f->dir);
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the default main context (the serve's) until @done or timeout. */
static gboolean
wait_for (gboolean (*done) (gpointer), gpointer data, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  guint id = g_timeout_add (10, tick, NULL);
  gboolean ok;

  while (!(ok = done (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return ok;
}

typedef struct
{
  Fixture *f;
  guint n;
} Count;

static gboolean
ended_reached (gpointer data)
{
  Count *c = data;

  return c->f->ended->len >= c->n;
}

static void
wait_ended (Fixture * f, guint n)
{
  Count c = { f, n };

  g_assert_true (wait_for (ended_reached, &c, WAIT));
  g_assert_cmpuint (f->ended->len, ==, n);
}

static gboolean
sessions_zero (gpointer data)
{
  GstGenesysServeStats stats;

  gst_genesys_serve_get_stats (data, &stats);
  return stats.sessions == 0;
}

static gboolean
is_drained (gpointer data)
{
  return ((Fixture *) data)->drained;
}

static gchar *
open_params (const gchar * conversation, const gchar * participant,
    const gchar * ani, const gchar * error_after, const gchar * extra)
{
  return g_strdup_printf ("{\"organizationId\":\"" AH_PEER_ORG "\","
      "\"conversationId\":\"%s\",\"participant\":{\"id\":\"%s\","
      "\"ani\":\"%s\",\"aniName\":\"A Caller\",\"dnis\":\"+15557654321\"},"
      "\"media\":[" OFFER_MONO "],\"language\":\"en-US\","
      "\"customConfig\":{\"errorAfter\":\"%s\"}%s}", conversation, participant,
      ani, error_after, extra ? extra : "");
}

/* Connects @peer and opens; returns the opened frame's media count. */
static guint
peer_open (AhPeer * peer, guint port, const AhPeerAuth * auth,
    const gchar * position, const gchar * params)
{
  guint status = 0, n;
  AhPeerFrame *frame;
  JsonObject *p;

  g_assert_true (ah_peer_connect (peer, port, PATH, auth, &status));
  g_assert_cmpuint (status, ==, 101);
  ah_peer_send (peer, "open", position, params);
  frame = ah_peer_expect (peer, "opened", WAIT);
  g_assert_nonnull (frame);
  p = json_object_get_object_member (frame->json, "parameters");
  n = json_array_get_length (json_object_get_array_member (p, "media"));
  ah_peer_frame_free (frame);
  return n;
}

/* Opens a call of @conversation on @peer, its pipeline failing after
 * @error_after buffers ("-1": never). */
static void
peer_open_call (Fixture * f, AhPeer * peer, const gchar * conversation,
    const gchar * error_after)
{
  gchar *params = open_params (conversation,
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", error_after, NULL);

  g_assert_cmpuint (peer_open (peer, f->port, NULL, "PT0S", params), ==, 1);
  g_free (params);
}

/* ah_peer_expect() while the serve's context runs (bus messages). */
static AhPeerFrame *
expect_running (AhPeer * peer, const gchar * type)
{
  gint64 end = g_get_monotonic_time () + WAIT * 1000;
  AhPeerFrame *frame = NULL;

  while (!frame && g_get_monotonic_time () < end) {
    frame = ah_peer_expect (peer, type, 10);
    while (g_main_context_iteration (NULL, FALSE));
  }
  return frame;
}

static void
peer_frames (AhPeer * peer, guint n, guint8 value)
{
  guint8 data[FRAME];
  guint i;

  memset (data, value, sizeof (data));
  for (i = 0; i < n; i++)
    ah_peer_send_binary (peer, data, sizeof (data));
}

static void
peer_close (AhPeer * peer, const gchar * position, const gchar * reason)
{
  gchar *params = g_strdup_printf ("{\"reason\":\"%s\"}", reason);
  AhPeerFrame *frame;

  ah_peer_send (peer, "close", position, params);
  g_free (params);
  /* no disconnect unless it is the answer to one */
  while ((frame = ah_peer_next (peer, WAIT))
      && g_strcmp0 (ah_peer_type (frame), "closed") != 0) {
    if (g_strcmp0 (ah_peer_type (frame), "disconnect") == 0
        && g_strcmp0 (reason, "disconnect") != 0)
      g_error ("session %s: unexpected disconnect", ah_peer_session_id (peer));
    ah_peer_frame_free (frame);
  }
  if (!frame)
    g_error ("session %s: no closed", ah_peer_session_id (peer));
  ah_peer_frame_free (frame);
  ah_peer_close (peer);
}

static gchar *
position (guint frames)
{
  return g_strdup_printf ("PT%u.%uS", frames / 5, (frames % 5) * 2);
}

/* Checks that @path holds @n_frames frames of @value. */
static void
check_file (const gchar * path, guint n_frames, guint8 value)
{
  gchar *data = NULL;
  gsize size = 0, i;

  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpuint (size, ==, (gsize) n_frames * FRAME);
  for (i = 0; i < size; i++)
    if ((guint8) data[i] != value)
      g_error ("%s: byte %" G_GSIZE_FORMAT " is %u, not %u", path, i,
          (guint8) data[i], value);
  g_free (data);
}

static guint
count_files (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

/* ---- /health over plain HTTP, from a thread while the context runs ---- */

typedef struct
{
  guint port;
  guint status;
  gboolean done;
} HealthGet;

static gpointer
health_thread (gpointer data)
{
  HealthGet *hg = data;
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  gchar buf[256] = { 0 };
  gsize got = 0;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", hg->port,
      NULL, NULL);
  if (conn) {
    GIOStream *io = G_IO_STREAM (conn);
    const gchar *req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    g_output_stream_write_all (g_io_stream_get_output_stream (io), req,
        strlen (req), NULL, NULL, NULL);
    g_input_stream_read_all (g_io_stream_get_input_stream (io), buf,
        sizeof (buf) - 1, &got, NULL, NULL);
    if (g_str_has_prefix (buf, "HTTP/1.1 "))
      hg->status = atoi (buf + 9);
    g_object_unref (conn);
  }
  g_object_unref (client);
  g_atomic_int_set (&hg->done, TRUE);
  return NULL;
}

static gboolean
health_done (gpointer data)
{
  return g_atomic_int_get (&((HealthGet *) data)->done);
}

static guint
get_health (guint port)
{
  HealthGet hg = { port, 0, FALSE };
  GThread *t = g_thread_new ("health", health_thread, &hg);

  g_assert_true (wait_for (health_done, &hg, WAIT));
  g_thread_join (t);
  return hg.status;
}

/* Slow clients of the health port: @n connections that send half a request
 * line and then nothing. */
typedef struct
{
  guint port, n;
  GPtrArray *conns;
  guint closed;                 /* seen closed by the server */
  gint64 closed_by;             /* monotonic: the last of them */
  gint done;
} Trickle;

static gpointer
trickle_connect (gpointer data)
{
  Trickle *t = data;
  GSocketClient *client = g_socket_client_new ();
  guint i;

  for (i = 0; i < t->n; i++) {
    GSocketConnection *conn = g_socket_client_connect_to_host (client,
        "127.0.0.1", t->port, NULL, NULL);
    g_assert_nonnull (conn);
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
            (conn)), "GET /he", 7, NULL, NULL, NULL);
    g_ptr_array_add (t->conns, conn);
  }
  g_object_unref (client);
  g_atomic_int_set (&t->done, TRUE);
  return NULL;
}

/* Waits up to 10 s for the server to close each connection. */
static gpointer
trickle_wait_closed (gpointer data)
{
  Trickle *t = data;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint i;

  for (i = 0; i < t->conns->len; i++) {
    GSocket *sock = g_socket_connection_get_socket (t->conns->pdata[i]);
    gchar c;
    gint64 left = end - g_get_monotonic_time ();
    if (left > 0 && g_socket_condition_timed_wait (sock, G_IO_IN, left, NULL,
            NULL) && g_socket_receive (sock, &c, 1, NULL, NULL) <= 0) {
      t->closed++;
      t->closed_by = g_get_monotonic_time ();
    }
  }
  g_atomic_int_set (&t->done, TRUE);
  return NULL;
}

static gboolean
trickle_done (gpointer data)
{
  return g_atomic_int_get (&((Trickle *) data)->done);
}

/* ---- tests ---- */

static void
test_sanitize (void)
{
  const gchar *cases[][2] = {
    {"6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
        "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60"},
    {"+1 555/123 4567", "+1_555_123_4567"},
    {"tel:+15551234567", "tel_+15551234567"},
    {"../../etc/passwd", "_._.._etc_passwd"},
    {".hidden", "_hidden"},
    {"a\"b' c!d=e{f}", "a_b__c_d_e_f_"},
    {"Zoë", "Zo__"},
    {"", ""},
  };
  gchar *s, *long_value;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    s = gst_genesys_serve_sanitize (cases[i][0]);
    g_assert_cmpstr (s, ==, cases[i][1]);
    g_free (s);
  }
  s = gst_genesys_serve_sanitize (NULL);
  g_assert_cmpstr (s, ==, "");
  g_free (s);
  long_value = g_strnfill (300, 'x');
  s = gst_genesys_serve_sanitize (long_value);
  g_assert_cmpuint (strlen (s), ==, 100);
  g_free (s);
  g_free (long_value);
}

static void
expect_config_error (const gchar * launch, const gchar * cert)
{
  GstGenesysServeConfig config = { 0 };
  GError *error = NULL;

  config.launch = launch;
  config.address = "127.0.0.1";
  config.tls_certificate_file = cert;
  g_assert_null (gst_genesys_serve_new (&config, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s: %s", launch, error->message);
  g_clear_error (&error);
}

/* A configuration that would accept every connection by mistake is
 * refused, saying why. */
static void
expect_auth_config_error (const gchar * api_key, const gchar * secret,
    const gchar * credentials_json, const gchar * says)
{
  GstGenesysServeConfig config = { 0 };
  GError *error = NULL;
  gchar *file = NULL;

  if (credentials_json) {
    gint fd = g_file_open_tmp ("creds-XXXXXX.json", &file, NULL);
    g_assert_cmpint (fd, >=, 0);
    close (fd);
    g_assert_true (g_file_set_contents (file, credentials_json, -1, NULL));
  }
  config.launch = "genesyssrc ! fakesink";
  config.address = "127.0.0.1";
  config.api_key = api_key;
  config.client_secret = secret;
  config.credentials_file = file;
  g_assert_null (gst_genesys_serve_new (&config, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, says));
  g_clear_error (&error);
  if (file)
    g_unlink (file);
  g_free (file);
}

static void
test_bad_auth_config (void)
{
  expect_auth_config_error (NULL, SECRET, NULL,
      "--client-secret is set without --api-key");
  expect_auth_config_error (NULL, NULL, "{}", "holds no API key");
  expect_auth_config_error (KEY, SECRET, "{}", "holds no API key");
  expect_auth_config_error ("", NULL, NULL, "--api-key is empty");
  expect_auth_config_error (KEY, "not base64!", NULL, "");
}

static void
test_bad_config (void)
{
  expect_config_error ("fakesrc ! fakesink", NULL);
  expect_config_error ("genesyssrc ! fakesink genesyssrc ! fakesink", NULL);
  expect_config_error ("genesyssrc ! no-such-element", NULL);
  expect_config_error ("genesyssrc ! identity error-after=x ! fakesink", NULL);
  expect_config_error (NULL, NULL);
  expect_config_error ("genesyssrc ! fakesink", TEST_DATA_DIR "/test-cert.pem");
  expect_config_error
      ("genesyssrc ! filesink location=DIR/{conversation_id}.raw", NULL);
  {
    GstGenesysServeConfig config = { 0 };
    GError *error = NULL;

    config.launch = "genesyssrc ! filesink location=/tmp/{conversation_id}";
    g_assert_null (gst_genesys_serve_new (&config, NULL, NULL, &error));
    g_assert_cmpstr (error->message, ==, "unknown placeholder "
        "{conversation_id} in the launch template (did you mean "
        "{conversation-id}?)");
    g_clear_error (&error);
  }
  expect_config_error ("genesyssrc ! filesink location=DIR/{sesion-id}.raw",
      NULL);
  {
    GstGenesysServeConfig config = { 0 };
    GError *error = NULL;

    config.launch = "genesyssrc ! fakesink";
    config.push_mode = "sometimes";
    g_assert_null (gst_genesys_serve_new (&config, NULL, NULL, &error));
    g_assert_cmpstr (error->message, ==, "push mode 'sometimes': not "
        "thread, loop or auto");
    g_clear_error (&error);
  }
}

/* Brace text in caps is no placeholder. */
static void
test_caps_braces (void)
{
  static const gchar *const ok[] = {
    "genesyssrc ! mulawdec ! audio/x-raw,layout={interleaved} ! fakesink",
    "genesyssrc ! mulawdec ! audio/x-raw,format={S16LE,F32LE} ! fakesink",
    "genesyssrc ! mulawdec ! capsfilter caps=\"audio/x-raw,layout={interleaved}\" ! fakesink name={session-id}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ok); i++) {
    GstGenesysServeConfig config = { 0 };
    GError *error = NULL;
    GstGenesysServe *serve;

    config.launch = ok[i];
    config.address = "127.0.0.1";
    serve = gst_genesys_serve_new (&config, NULL, NULL, &error);
    g_assert_no_error (error);
    gst_genesys_serve_free (serve);
  }
}

/* A probe, then 20 calls at once, each into a file of its own named from
 * the placeholders; the 21st session is refused with 503 (max-sessions);
 * one call's pipeline fails (identity error-after) and only its session
 * gets disconnect reason error. */
static void
test_twenty_calls (void)
{
  Fixture f;
  AhPeer *probe, *peers[N_CALLS], *extra;
  gchar *conversations[N_CALLS], *anis[N_CALLS];
  GstGenesysServeStats stats;
  const guint failing = 7, frames = 10;
  guint i, status, failed = 0;
  AhPeerFrame *frame;
  gchar *params, *pos;

  fixture_start (&f, "! identity error-after={custom-config.errorAfter} ! "
      "filesink location=DIR/{conversation-id}_{ani}_{session-id}.raw",
      N_CALLS, FALSE);

  /* the probe is answered, without media, and starts nothing */
  probe = ah_peer_new ();
  params = open_params (NULL_UUID, NULL_UUID, "", "-1", NULL);
  g_assert_cmpuint (peer_open (probe, f.port, NULL, "PT0S", params), ==, 0);
  g_free (params);
  peer_close (probe, "PT0S", "end");
  ah_peer_free (probe);
  g_assert_true (wait_for (sessions_zero, f.serve, WAIT));
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.probes, ==, 1);
  g_assert_cmpuint (stats.calls_total, ==, 0);
  g_assert_cmpuint (f.started->len, ==, 0);
  g_assert_cmpuint (count_files (f.dir), ==, 0);

  for (i = 0; i < N_CALLS; i++) {
    gchar *participant = g_uuid_string_random ();
    conversations[i] = g_uuid_string_random ();
    anis[i] = g_strdup_printf ("+1 555 000 %02u", i);
    peers[i] = ah_peer_new ();
    params = open_params (conversations[i], participant, anis[i],
        i == failing ? "3" : "-1", NULL);
    g_assert_cmpuint (peer_open (peers[i], f.port, NULL, "PT0S", params), ==,
        1);
    g_free (params);
    g_free (participant);
  }

  /* max-sessions */
  extra = ah_peer_new ();
  g_assert_false (ah_peer_connect (extra, f.port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 503);
  ah_peer_free (extra);

  /* audio into every call, interleaved */
  for (i = 0; i < frames; i++) {
    guint j;
    for (j = 0; j < N_CALLS; j++)
      peer_frames (peers[j], 1, 10 + j);
  }

  /* the failing call's session is told, and only that one */
  frame = expect_running (peers[failing], "disconnect");
  g_assert_nonnull (frame);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (frame->json, "parameters"), "reason"), ==, "error");
  ah_peer_frame_free (frame);

  pos = position (frames);
  for (i = 0; i < N_CALLS; i++)
    peer_close (peers[i], pos, i == failing ? "disconnect" : "end");
  g_free (pos);

  wait_ended (&f, N_CALLS);
  g_assert_cmpuint (f.started->len, ==, N_CALLS);
  for (i = 0; i < N_CALLS; i++) {
    Ended *e = g_ptr_array_index (f.ended, i);
    gboolean is_failing = g_strcmp0 (e->session_id,
        ah_peer_session_id (peers[failing])) == 0;
    g_assert_cmpint (e->error != NULL, ==, is_failing);
    failed += is_failing;
  }
  g_assert_cmpuint (failed, ==, 1);

  for (i = 0; i < N_CALLS; i++) {
    gchar *ani = gst_genesys_serve_sanitize (anis[i]);
    gchar *name = g_strdup_printf ("%s_%s_%s.raw", conversations[i], ani,
        ah_peer_session_id (peers[i]));
    gchar *path = g_build_filename (f.dir, name, NULL);
    g_assert_true (g_str_has_prefix (ani, "+1_555_000_"));
    if (i == failing) {
      gsize size = 0;
      gchar *data = NULL;
      g_assert_true (g_file_get_contents (path, &data, &size, NULL));
      g_assert_cmpuint (size, <, frames * FRAME);
      g_free (data);
    } else {
      check_file (path, frames, 10 + i);
    }
    g_free (path);
    g_free (name);
    g_free (ani);
    g_free (anis[i]);
    g_free (conversations[i]);
    ah_peer_free (peers[i]);
  }
  g_assert_cmpuint (count_files (f.dir), ==, N_CALLS);

  g_assert_true (wait_for (sessions_zero, f.serve, WAIT));
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.calls, ==, 0);
  g_assert_cmpuint (stats.calls_total, ==, N_CALLS);
  g_assert_cmpuint (stats.calls_failed, ==, 1);
  g_assert_cmpuint (stats.sessions_total, ==, N_CALLS + 1);
  g_assert_cmpuint (stats.refused, ==, 1);
  g_assert_cmpuint (stats.frames, >=, (N_CALLS - 1) * frames + 3);
  g_assert_cmpuint (stats.late_pongs, ==, 0);
  fixture_stop (&f);
}

/* A pipeline that does not start: the session is opened without media and
 * disconnected with reason error; the next call is fine. */
static void
test_start_failure (void)
{
  Fixture f;
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *frame;
  GstGenesysServeStats stats;
  gchar *params, *path;
  Ended *failed;

  fixture_start (&f, "! filesink location=DIR/{custom-config.errorAfter}/x",
      0, FALSE);
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "missing", NULL);
  g_assert_cmpuint (peer_open (peer, f.port, NULL, "PT0S", params), ==, 0);
  frame = ah_peer_expect (peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (frame->json, "parameters"), "reason"), ==, "error");
  ah_peer_frame_free (frame);
  peer_close (peer, "PT0S", "disconnect");
  g_free (params);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.calls_failed, ==, 1);
  g_assert_cmpuint (stats.calls_total, ==, 0);
  /* the application hears why */
  wait_ended (&f, 1);
  failed = g_ptr_array_index (f.ended, 0);
  g_assert_nonnull (failed->error);
  g_test_message ("failed call: %s", failed->error->message);
  g_assert_nonnull (strstr (failed->error->message, "Could not open"));
  g_assert_cmpstr (failed->conversation_id, ==,
      "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60");

  path = g_build_filename (f.dir, "ok", NULL);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_free (path);
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f61",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "ok", NULL);
  g_assert_cmpuint (peer_open (peer, f.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_frames (peer, 2, 9);
  peer_close (peer, "PT0.4S", "end");
  wait_ended (&f, 2);
  g_assert_null (((Ended *) g_ptr_array_index (f.ended, 1))->error);
  path = g_build_filename (f.dir, "ok", "x", NULL);
  check_file (path, 2, 9);
  g_free (path);
  ah_peer_free (peer);
  fixture_stop (&f);
}

static gchar *
continued_extra (const gchar * old_id)
{
  return g_strdup_printf (",\"continuedSessions\":[{\"id\":\"%s\","
      "\"serverseq\":1,\"clientseq\":1}]", old_id);
}

/* Opens a call, sends two frames of @value and drops the connection
 * without close once they are in (a ping round trip); returns the
 * session id. */
static gchar *
call_then_drop (Fixture * f, const gchar * conv, const gchar * part,
    guint8 value)
{
  AhPeer *peer = ah_peer_new ();
  gchar *params = open_params (conv, part, "", "-1", NULL), *id;

  g_assert_cmpuint (peer_open (peer, f->port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  id = g_strdup (ah_peer_session_id (peer));
  peer_frames (peer, 2, value);
  ah_peer_send (peer, "ping", "PT0.4S", "{}");
  ah_peer_frame_free (ah_peer_expect (peer, "pong", WAIT));
  ah_peer_drop (peer);
  ah_peer_free (peer);
  return id;
}

/* A session dropped without close and continued on a new connection goes
 * on in the same pipeline (one file); a continuation of a session nobody
 * knows starts a call of its own. */
static void
test_continued (void)
{
  Fixture f;
  AhPeer *peer;
  GstGenesysServeStats stats;
  gchar *params, *extra, *old_id, *path, *name, *unknown;
  const gchar *conv = "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60";
  const gchar *part = "0f1e2d3c-4b5a-4697-8877-665544332211";

  fixture_start (&f, "! filesink location=DIR/{session-id}.raw", 0, FALSE);
  old_id = call_then_drop (&f, conv, part, 1);
  g_assert_true (wait_for (sessions_zero, f.serve, WAIT));

  peer = ah_peer_new ();
  extra = continued_extra (old_id);
  params = open_params (conv, part, "", "-1", extra);
  g_assert_cmpuint (peer_open (peer, f.port, NULL, "PT0.4S", params), ==, 1);
  g_free (params);
  g_free (extra);
  peer_frames (peer, 2, 2);
  peer_close (peer, "PT0.8S", "end");
  wait_ended (&f, 1);
  g_assert_cmpuint (f.started->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f.started, 0), ==, old_id);
  name = g_strdup_printf ("%s.raw", old_id);
  path = g_build_filename (f.dir, name, NULL);
  {
    gchar *data = NULL;
    gsize size = 0;
    g_assert_true (g_file_get_contents (path, &data, &size, NULL));
    g_assert_cmpuint (size, ==, 4 * FRAME);
    g_assert_cmpuint ((guint8) data[0], ==, 1);
    g_assert_cmpuint ((guint8) data[2 * FRAME - 1], ==, 1);
    g_assert_cmpuint ((guint8) data[2 * FRAME], ==, 2);
    g_assert_cmpuint ((guint8) data[4 * FRAME - 1], ==, 2);
    g_free (data);
  }
  g_free (path);
  g_free (name);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.sessions_continued, ==, 1);
  g_assert_cmpuint (stats.calls_total, ==, 1);
  ah_peer_free (peer);

  /* unknown continued session: a new call */
  peer = ah_peer_new ();
  unknown = g_uuid_string_random ();
  extra = continued_extra (unknown);
  params = open_params (conv, part, "", "-1", extra);
  g_assert_cmpuint (peer_open (peer, f.port, NULL, "PT0.8S", params), ==, 1);
  peer_frames (peer, 1, 3);
  peer_close (peer, "PT1S", "end");
  wait_ended (&f, 2);
  g_assert_cmpuint (f.started->len, ==, 2);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.sessions_continued, ==, 1);
  g_assert_cmpuint (stats.calls_total, ==, 2);
  g_free (params);
  g_free (extra);
  g_free (unknown);
  g_free (old_id);
  ah_peer_free (peer);
  fixture_stop (&f);
}

/* What a client sent into a connection that died unnoticed is a hole in
 * positions when it continues: a continuation that only reports a discarded
 * span and closes (the call ended meanwhile), or only closes, still covers
 * the whole call in the recording (gaps as silence). */
static void
test_continued_to_close (void)
{
  static const struct
  {
    const gchar *open_at, *discarded, *close_at;
    guint frames;               /* the call: audio, hole, discarded */
  } calls[] = {
    {"PT1S", "PT0.4S", "PT1.4S", 7},
    {"PT1S", NULL, "PT1S", 5},
  };
  Fixture f;
  GstGenesysServeStats stats;
  guint c;

  fixture_start (&f,
      "gap-mode=silence ! filesink location=DIR/{session-id}.raw", 0, FALSE);
  for (c = 0; c < G_N_ELEMENTS (calls); c++) {
    AhPeer *peer;
    gchar *params, *extra, *old_id, *path, *name, *data = NULL;
    gchar *conv = g_uuid_string_random (), *part = g_uuid_string_random ();
    gsize size = 0, i;

    old_id = call_then_drop (&f, conv, part, 1);
    peer = ah_peer_new ();
    extra = continued_extra (old_id);
    params = open_params (conv, part, "", "-1", extra);
    g_assert_cmpuint (peer_open (peer, f.port, NULL, calls[c].open_at, params),
        ==, 1);
    g_free (params);
    g_free (extra);
    if (calls[c].discarded) {
      params = g_strdup_printf ("{\"start\":\"%s\",\"discarded\":\"%s\"}",
          calls[c].open_at, calls[c].discarded);
      ah_peer_send (peer, "discarded", calls[c].open_at, params);
      g_free (params);
    }
    peer_close (peer, calls[c].close_at, "end");
    wait_ended (&f, c + 1);

    name = g_strdup_printf ("%s.raw", old_id);
    path = g_build_filename (f.dir, name, NULL);
    g_assert_true (g_file_get_contents (path, &data, &size, NULL));
    g_assert_cmpuint (size, ==, calls[c].frames * FRAME);
    for (i = 0; i < size; i++)
      g_assert_cmpuint ((guint8) data[i], ==, i < 2 * FRAME ? 1 : 0xff);
    g_free (data);
    g_free (path);
    g_free (name);

    /* the client missed `closed` and closes again on a new connection:
     * answered without media, no call of its own */
    extra = continued_extra (ah_peer_session_id (peer));
    ah_peer_free (peer);
    peer = ah_peer_new ();
    params = open_params (conv, part, "", "-1", extra);
    g_assert_cmpuint (peer_open (peer, f.port, NULL, calls[c].close_at,
            params), ==, 0);
    g_free (params);
    g_free (extra);
    peer_close (peer, calls[c].close_at, "end");
    ah_peer_free (peer);
    g_assert_true (wait_for (sessions_zero, f.serve, WAIT));
    g_assert_cmpuint (f.started->len, ==, c + 1);
    g_assert_cmpuint (count_files (f.dir), ==, c + 1);
    gst_genesys_serve_get_stats (f.serve, &stats);
    g_assert_cmpuint (stats.continued_closed, ==, c + 1);

    g_free (old_id);
    g_free (conv);
    g_free (part);
  }
  fixture_stop (&f);
}

/* Draining: /health says 503, new sessions get 503, every open session is
 * asked to reconnect; the calls end once their sessions closed and their
 * files are complete. */
static void
test_drain (void)
{
  Fixture f;
  AhPeer *peers[3], *late, *slow;
  AhPeerFrame *frame;
  GError *error = NULL;
  guint health, i, status;
  gchar *params;

  fixture_start (&f, "! filesink location=DIR/{session-id}.raw", 0, FALSE);
  health = gst_genesys_serve_listen_health (f.serve, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (get_health (health), ==, 200);
  for (i = 0; i < 3; i++) {
    gchar *conv = g_uuid_string_random ();
    peers[i] = ah_peer_new ();
    params = open_params (conv, conv, "", "-1", NULL);
    g_assert_cmpuint (peer_open (peers[i], f.port, NULL, "PT0S", params), ==,
        1);
    g_free (params);
    g_free (conv);
    peer_frames (peers[i], 3, 20 + i);
  }
  /* upgraded before the drain, opens after it */
  slow = ah_peer_new ();
  g_assert_true (ah_peer_connect (slow, f.port, PATH, NULL, &status));

  gst_genesys_serve_drain (f.serve);
  g_assert_cmpuint (get_health (health), ==, 503);
  late = ah_peer_new ();
  g_assert_false (ah_peer_connect (late, f.port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 503);
  ah_peer_free (late);

  for (i = 0; i < 3; i++) {
    frame = ah_peer_expect (peers[i], "reconnect", WAIT);
    g_assert_nonnull (frame);
    ah_peer_frame_free (frame);
  }
  for (i = 0; i < 3; i++)
    peer_close (peers[i], "PT0.6S", "reconnect");
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "-1", NULL);
  ah_peer_send (slow, "open", "PT0S", params);
  g_free (params);
  frame = ah_peer_expect (slow, "reconnect", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  g_assert_false (wait_for (is_drained, &f, 200));
  peer_close (slow, "PT0S", "reconnect");
  ah_peer_free (slow);
  g_assert_true (wait_for (is_drained, &f, WAIT));
  g_assert_cmpuint (f.ended->len, ==, 4);
  for (i = 0; i < 3; i++) {
    gchar *name = g_strdup_printf ("%s.raw", ah_peer_session_id (peers[i]));
    gchar *path = g_build_filename (f.dir, name, NULL);
    check_file (path, 3, 20 + i);
    g_free (path);
    g_free (name);
    ah_peer_free (peers[i]);
  }
  fixture_stop (&f);
}

/* A drain does not wait for a session whose client went silent (a
 * connection that died behind a proxy) longer than idle-timeout: the
 * silent session is ended then, a live one still closes by itself, and
 * the silent call's file holds what came before the silence. */
static void
test_drain_silent (void)
{
  Fixture f;
  AhPeer *live, *silent;
  AhPeerFrame *frame;
  gint64 began;
  gchar *params, *name, *path;

  fixture_start_full (&f, "! filesink location=DIR/{session-id}.raw", 0,
      FALSE, NULL, NULL, 0, 2);
  live = ah_peer_new ();
  silent = ah_peer_new ();
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "-1", NULL);
  g_assert_cmpuint (peer_open (live, f.port, NULL, "PT0S", params), ==, 1);
  g_assert_cmpuint (peer_open (silent, f.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_frames (live, 2, 5);
  peer_frames (silent, 3, 9);

  began = g_get_monotonic_time ();
  gst_genesys_serve_drain (f.serve);
  frame = ah_peer_expect (live, "reconnect", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  peer_close (live, "PT0.4S", "reconnect");
  /* the silent client never answers: over after 2 s without a message */
  g_assert_false (wait_for (is_drained, &f, 1000));
  g_assert_true (wait_for (is_drained, &f, 5000));
  g_assert_cmpint (g_get_monotonic_time () - began, >=, 1500 * 1000);
  frame = ah_peer_expect (silent, "disconnect", WAIT);
  g_assert_nonnull (frame);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (frame->json, "parameters"), "reason"), ==, "error");
  ah_peer_frame_free (frame);
  g_assert_cmpuint (f.ended->len, ==, 2);
  name = g_strdup_printf ("%s.raw", ah_peer_session_id (silent));
  path = g_build_filename (f.dir, name, NULL);
  check_file (path, 3, 9);
  g_free (path);
  g_free (name);
  ah_peer_free (live);
  ah_peer_free (silent);
  fixture_stop (&f);
}

/* API key: unsigned requests get 401 (counted), signed ones a call. */
static void
test_auth (void)
{
  Fixture f;
  AhPeer *peer = ah_peer_new ();
  AhPeerAuth auth = { KEY, SECRET };
  GstGenesysServeStats stats;
  guint status;
  gchar *params;

  fixture_start (&f, "! fakesink", 0, TRUE);
  g_assert_false (ah_peer_connect (peer, f.port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 401);
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "-1", NULL);
  g_assert_cmpuint (peer_open (peer, f.port, &auth, "PT0S", params), ==, 1);
  g_free (params);
  peer_frames (peer, 1, 1);
  peer_close (peer, "PT0.2S", "end");
  wait_ended (&f, 1);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.auth_failures, ==, 1);
  g_assert_cmpuint (stats.calls_total, ==, 1);
  ah_peer_free (peer);
  fixture_stop (&f);
}

/* Opens a call on @peer and sends two frames of @value, in once a ping is
 * answered. */
static void
peer_call_in (Fixture * f, AhPeer * peer, guint8 value)
{
  peer_open_call (f, peer, "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60", "-1");
  peer_frames (peer, 2, value);
  ah_peer_send (peer, "ping", "PT0.4S", "{}");
  ah_peer_frame_free (ah_peer_expect (peer, "pong", WAIT));
}

/* The serve was let go during @peer's call (peer_call_in()): the session
 * was told and closed, DIR/SESSION-ID.raw holds both frames of @value.
 * Then what fixture_stop() does but for the serve. */
static void
check_let_go (Fixture * f, AhPeer * peer, guint8 value)
{
  AhPeerFrame *frame = ah_peer_expect (peer, "disconnect", WAIT);
  gchar *name, *path;

  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  g_assert_cmpuint (ah_peer_wait_closed (peer, WAIT), !=, 0);
  name = g_strdup_printf ("%s.raw", ah_peer_session_id (peer));
  path = g_build_filename (f->dir, name, NULL);
  check_file (path, 2, value);
  g_free (path);
  g_free (name);
  g_ptr_array_unref (f->started);
  g_ptr_array_unref (f->ended);
  remove_dir (f->dir);
  g_free (f->dir);
}

/* gst_genesys_serve_free() with a call still open: its output is finished
 * and its session is told. */
static void
test_free_with_calls (void)
{
  Fixture f;
  AhPeer *peer = ah_peer_new ();

  fixture_start (&f, "! filesink location=DIR/{session-id}.raw", 0, FALSE);
  peer_call_in (&f, peer, 5);
  gst_genesys_serve_free (f.serve);
  /* not announced: the context did not run */
  g_assert_cmpuint (f.ended->len, ==, 0);
  check_let_go (&f, peer, 5);
  ah_peer_free (peer);
}

/* A continuation while the old connection still looks open (half-open: the
 * client gave up on it, the server did not notice): it takes the old
 * connection's place in the same call, and the old one is closed. */
static void
test_continued_half_open (void)
{
  Fixture f;
  AhPeer *old = ah_peer_new (), *peer = ah_peer_new ();
  gchar *params, *extra, *old_id, *path, *name, *data = NULL;
  const gchar *conv = "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60";
  const gchar *part = "0f1e2d3c-4b5a-4697-8877-665544332211";
  gsize size = 0;

  fixture_start (&f, "! filesink location=DIR/{session-id}.raw", 0, FALSE);
  params = open_params (conv, part, "", "-1", NULL);
  g_assert_cmpuint (peer_open (old, f.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  old_id = g_strdup (ah_peer_session_id (old));
  peer_frames (old, 2, 1);
  ah_peer_send (old, "ping", "PT0.4S", "{}");
  ah_peer_frame_free (ah_peer_expect (old, "pong", WAIT));

  /* the old connection stays up */
  extra = continued_extra (old_id);
  params = open_params (conv, part, "", "-1", extra);
  g_assert_cmpuint (peer_open (peer, f.port, NULL, "PT0.4S", params), ==, 1);
  g_free (params);
  g_free (extra);
  g_assert_cmpuint (ah_peer_wait_closed (old, WAIT), ==, 1001);
  peer_frames (peer, 2, 2);
  peer_close (peer, "PT0.8S", "end");
  wait_ended (&f, 1);
  g_assert_cmpuint (f.started->len, ==, 1);
  name = g_strdup_printf ("%s.raw", old_id);
  path = g_build_filename (f.dir, name, NULL);
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpuint (size, ==, 4 * FRAME);
  g_assert_cmpuint ((guint8) data[0], ==, 1);
  g_assert_cmpuint ((guint8) data[4 * FRAME - 1], ==, 2);
  g_free (data);
  g_free (path);
  g_free (name);
  g_free (old_id);
  ah_peer_free (peer);
  ah_peer_free (old);
  fixture_stop (&f);
}

/* ---- the gst-genesys-serve program ---- */

typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;
  GString *log;
  guint port;
  guint health;
  gchar *dir;
} Program;

static gchar *
program_line (Program * p)
{
  gchar *line = g_data_input_stream_read_line (p->out, NULL, NULL, NULL);

  if (line) {
    g_string_append (p->log, line);
    g_string_append_c (p->log, '\n');
  }
  return line;
}

static void
program_start_launch (Program * p, const gchar * drain_timeout,
    const gchar * launch_tail);

static void
program_start (Program * p, const gchar * drain_timeout)
{
  program_start_launch (p, drain_timeout, "");
}

/* Starts the program with TEMPLATE_SRC, @launch_tail and a filesink. */
static void
program_start_launch (Program * p, const gchar * drain_timeout,
    const gchar * launch_tail)
{
  const gchar *args[] = { SERVE_BINARY, "--address", "127.0.0.1", "--port",
    "0", "--path", PATH, "--stats-interval", "1", "--health-port", "0",
    "--drain-timeout", drain_timeout, "--"
  };
  GPtrArray *argv = g_ptr_array_new ();
  GError *error = NULL;
  gchar *launch, *line;
  guint i;

  memset (p, 0, sizeof (*p));
  p->dir = make_dir ();
  p->log = g_string_new (NULL);
  launch = g_strdup_printf (TEMPLATE_SRC "%s ! filesink location=%s/"
      "{conversation-id}-{session-id}.raw", launch_tail, p->dir);
  /* e.g. GST_GENESYS_SERVE_WRAPPER=valgrind-wrapper.sh */
  if (g_getenv ("GST_GENESYS_SERVE_WRAPPER"))
    g_ptr_array_add (argv, (gpointer) g_getenv ("GST_GENESYS_SERVE_WRAPPER"));
  for (i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, launch);
  g_ptr_array_add (argv, NULL);
  p->proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (argv);
  g_free (launch);
  p->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p->proc));
  while (!(p->port && p->health) && (line = program_line (p))) {
    const gchar *colon = strrchr (line, ':');
    if (g_str_has_prefix (line, "listening on ") && colon)
      p->port = atoi (colon + 1);
    else if (g_str_has_prefix (line, "health on ") && colon)
      p->health = atoi (colon + 1);
    g_free (line);
  }
  g_assert_cmpuint (p->port, >, 0);
  g_assert_cmpuint (p->health, >, 0);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} WaitExit;

static void
exited (GObject * source, GAsyncResult * res, gpointer data)
{
  WaitExit *w = data;

  w->ok = g_subprocess_wait_check_finish (G_SUBPROCESS (source), res,
      &w->error);
  w->done = TRUE;
}

static gboolean
wait_exit_done (gpointer data)
{
  return ((WaitExit *) data)->done;
}

/* Waits for the exit; the rest of its output goes to the log. */
static void
program_wait (Program * p)
{
  WaitExit w = { FALSE, FALSE, NULL };
  gchar *line;

  g_subprocess_wait_check_async (p->proc, NULL, exited, &w);
  g_assert_true (wait_for (wait_exit_done, &w, 30000));
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  while ((line = program_line (p)))
    g_free (line);
}

static void
program_free (Program * p)
{
  g_object_unref (p->out);
  g_object_unref (p->proc);
  g_string_free (p->log, TRUE);
  remove_dir (p->dir);
  g_free (p->dir);
}

static gchar *
program_file (Program * p, const gchar * conv, AhPeer * peer)
{
  gchar *name = g_strdup_printf ("%s-%s.raw", conv, ah_peer_session_id (peer));
  gchar *path = g_build_filename (p->dir, name, NULL);

  g_free (name);
  return path;
}

/* SIGTERM: /health turns 503, every session gets reconnect, and once the
 * clients closed the program exits 0 with every file complete. */
static void
test_program_sigterm (void)
{
  Program p;
  AhPeer *peers[N_CALLS];
  gchar *convs[N_CALLS];
  guint i;
  gint64 start;

  program_start (&p, "60");
  g_assert_cmpuint (get_health (p.health), ==, 200);
  for (i = 0; i < N_CALLS; i++) {
    gchar *params;
    convs[i] = g_uuid_string_random ();
    peers[i] = ah_peer_new ();
    params = open_params (convs[i], convs[i], "", "-1", NULL);
    g_assert_cmpuint (peer_open (peers[i], p.port, NULL, "PT0S", params), ==,
        1);
    g_free (params);
    peer_frames (peers[i], 5, 100 + i);
  }

  /* a stats line that counts them all */
  {
    gchar *line;
    gboolean seen = FALSE;
    while (!seen && (line = program_line (&p))) {
      seen = g_str_has_prefix (line, "stats: sessions=20 calls=20 ");
      g_free (line);
    }
    g_assert_true (seen);
  }

  start = g_get_monotonic_time ();
  g_subprocess_send_signal (p.proc, SIGTERM);
  for (i = 0; i < N_CALLS; i++) {
    AhPeerFrame *frame = ah_peer_expect (peers[i], "reconnect", WAIT);
    g_assert_nonnull (frame);
    ah_peer_frame_free (frame);
  }
  g_assert_cmpuint (get_health (p.health), ==, 503);
  for (i = 0; i < N_CALLS; i++)
    peer_close (peers[i], "PT1S", "reconnect");
  program_wait (&p);
  /* it waited for the calls, not for the drain timeout */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (p.log->str, "\ndrained\n"));

  for (i = 0; i < N_CALLS; i++) {
    gchar *path = program_file (&p, convs[i], peers[i]);
    check_file (path, 5, 100 + i);
    g_free (path);
    g_free (convs[i]);
    ah_peer_free (peers[i]);
  }
  program_free (&p);
}

/* A client that ignores reconnect: the program exits 0 after
 * --drain-timeout, the call's file finished and its session told. */
static void
test_program_drain_timeout (void)
{
  Program p;
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *frame;
  gchar *params, *path, *ended;
  const gchar *conv = "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60";
  gint64 start;

  program_start (&p, "2");
  params = open_params (conv, conv, "", "-1", NULL);
  g_assert_cmpuint (peer_open (peer, p.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_frames (peer, 4, 42);
  ah_peer_send (peer, "ping", "PT0.8S", "{}");
  ah_peer_frame_free (ah_peer_expect (peer, "pong", WAIT));

  start = g_get_monotonic_time ();
  g_subprocess_send_signal (p.proc, SIGTERM);
  frame = ah_peer_expect (peer, "reconnect", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  frame = ah_peer_expect (peer, "disconnect", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  /* the close transaction completes: the client's close gets closed */
  ah_peer_send (peer, "close", "PT0.8S", "{\"reason\":\"disconnect\"}");
  frame = ah_peer_expect (peer, "closed", WAIT);
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  ah_peer_close (peer);
  program_wait (&p);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (p.log->str, "drain timeout: ending 1 call(s)"));
  ended = g_strdup_printf ("call %s: ended (conversation %s)",
      ah_peer_session_id (peer), conv);
  if (!strstr (p.log->str, ended))
    g_error ("no \"%s\" line in:\n%s", ended, p.log->str);
  g_free (ended);
  path = program_file (&p, conv, peer);
  check_file (path, 4, 42);
  g_free (path);
  ah_peer_free (peer);
  program_free (&p);
}

/* A pipeline stuck downstream (identity sleeps 10 s in the streaming
 * thread): a second signal still ends the program within about a second,
 * saying why on stderr. */
static void
test_program_second_signal (void)
{
  Program p;
  AhPeer *peer = ah_peer_new ();
  WaitExit w = { FALSE, FALSE, NULL };
  gchar *params;
  const gchar *conv = "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60";
  gint64 start;

  program_start_launch (&p, "60", " ! identity sleep-time=10000000");
  params = open_params (conv, conv, "", "-1", NULL);
  g_assert_cmpuint (peer_open (peer, p.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_frames (peer, 2, 7);
  /* the streaming thread is in identity's sleep once a frame got there */
  g_usleep (300 * 1000);

  g_subprocess_send_signal (p.proc, SIGTERM);
  g_usleep (100 * 1000);
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (p.proc, SIGTERM);
  g_subprocess_wait_check_async (p.proc, NULL, exited, &w);
  g_assert_true (wait_for (wait_exit_done, &w, 30000));
  g_test_message ("exited %.2f s after the second signal",
      (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, <,
      1500 * G_TIME_SPAN_MILLISECOND);
  /* forced: exit status 1 */
  g_assert_false (w.ok);
  g_clear_error (&w.error);
  ah_peer_free (peer);
  program_free (&p);
}

/* 200 connections to the health port that never finish their request:
 * the load balancer's check still gets its answer while they hang on, and
 * each of them is closed within the 5 s read deadline. */
static void
test_health_slow_clients (void)
{
  Fixture f;
  Trickle t = { 0 };
  GError *error = NULL;
  GThread *th;
  gint64 start;

  fixture_start (&f, "! fakesink", 0, FALSE);
  t.port = gst_genesys_serve_listen_health (f.serve, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  t.n = 200;
  t.conns = g_ptr_array_new_with_free_func (g_object_unref);
  start = g_get_monotonic_time ();
  th = g_thread_new ("trickle", trickle_connect, &t);
  g_assert_true (wait_for (trickle_done, &t, 30000));
  g_thread_join (th);
  g_assert_cmpuint (get_health (t.port), ==, 200);

  t.done = FALSE;
  th = g_thread_new ("trickle-closed", trickle_wait_closed, &t);
  g_assert_true (wait_for (trickle_done, &t, 30000));
  g_thread_join (th);
  g_test_message ("%u of %u slow connections closed%s%.1f s after the first "
      "connected", t.closed, t.n, t.closed ? ", the last " : " ",
      t.closed ? (t.closed_by - start) / 1e6 : 0.0);
  g_assert_cmpuint (t.closed, ==, t.n);
  g_ptr_array_unref (t.conns);
  fixture_stop (&f);
}

/* opened lists the serve's supported languages when the open asks; a
 * call's genesyssrc with its own list answers with that one. */
static gchar *
serve_languages (const gchar * const *languages, const gchar * tail)
{
  Fixture f;
  AhPeer *peer = ah_peer_new ();
  AhPeerFrame *frame;
  guint status = 0;
  gchar *params, *list;

  fixture_start_full (&f, tail, 0, FALSE, languages, NULL, 0, 0);
  g_assert_true (ah_peer_connect (peer, f.port, PATH, NULL, &status));
  params = open_params ("0a1b2c3d-0000-4000-8000-000000000001",
      "0a1b2c3d-0000-4000-8000-000000000002", "+1555", "",
      ",\"supportedLanguages\":true");
  ah_peer_send (peer, "open", "PT0S", params);
  g_free (params);
  frame = expect_running (peer, "opened");
  g_assert_nonnull (frame);
  list = json_to_string (json_object_get_member (json_object_get_object_member
          (frame->json, "parameters"), "supportedLanguages"), FALSE);
  ah_peer_frame_free (frame);
  peer_close (peer, "PT0S", "end");
  ah_peer_free (peer);
  wait_ended (&f, 1);
  fixture_stop (&f);
  return list;
}

static void
test_supported_languages (void)
{
  static const gchar *const two[] = { "en-US", "es-ES", NULL };
  gchar *list;

  list = serve_languages (two, "! fakesink");
  g_assert_cmpstr (list, ==, "[\"en-US\",\"es-ES\"]");
  g_free (list);
  list = serve_languages (NULL, "! fakesink");
  g_assert_cmpstr (list, ==, "[]");
  g_free (list);
}

/* A wrong option is refused with its reason, not just the usage. */
static void
test_program_bad_options (void)
{
  static const struct
  {
    const gchar *option, *value, *says;
  } cases[] = {
    {"--port", "70000", "--port 70000: out of range (0 to 65535)"},
    {"--threads", "99", "--threads 99: out of range (0 to 64)"},
    {"--max-sessions", "-1", "--max-sessions -1: must be 0 or more"},
    {"--idle-timeout", "0", "--idle-timeout 0: out of range (1 to 2147483)"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const gchar *argv[] = { SERVE_BINARY, cases[i].option, cases[i].value,
      "--", "genesyssrc ! fakesink", NULL
    };
    GError *error = NULL;
    GSubprocess *proc = g_subprocess_newv (argv,
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
        &error);
    gchar *err = NULL;

    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err,
            &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 2);
    if (!strstr (err, cases[i].says))
      g_error ("%s %s: stderr does not say \"%s\":\n%s", cases[i].option,
          cases[i].value, cases[i].says, err);
    g_free (err);
    g_object_unref (proc);
  }
}

/* Audio Connector: the connector id after the path picks a template of
 * its own and fills {connector-id}; other ids run the default one. Paths
 * the endpoint does not serve are counted. */
static void
test_connectors (void)
{
  Fixture f;
  AhPeer *peer;
  GstGenesysServeStats stats;
  guint status = 0, i;
  gchar *params, *path;
  const gchar *targets[] = { PATH "/bot-7", PATH "/other-bot?x=1" };

  fixture_start_full (&f, "! filesink location=DIR/default-{connector-id}",
      0, FALSE, NULL, "bot-7=! filesink location=DIR/seven-{connector-id}", 0,
      0);
  peer = ah_peer_new ();
  g_assert_false (ah_peer_connect (peer, f.port, "/nowhere", NULL, &status));
  g_assert_cmpuint (status, ==, 404);
  ah_peer_free (peer);
  for (i = 0; i < G_N_ELEMENTS (targets); i++) {
    peer = ah_peer_new ();
    g_assert_true (ah_peer_connect (peer, f.port, targets[i], NULL, &status));
    params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
        "0f1e2d3c-4b5a-4697-8877-665544332211", "", "", NULL);
    ah_peer_send (peer, "open", "PT0S", params);
    g_free (params);
    ah_peer_frame_free (expect_running (peer, "opened"));
    peer_frames (peer, 1, 5);
    peer_close (peer, "PT0.2S", "end");
    ah_peer_free (peer);
    wait_ended (&f, i + 1);
  }
  path = g_build_filename (f.dir, "seven-bot-7", NULL);
  check_file (path, 1, 5);
  g_free (path);
  path = g_build_filename (f.dir, "default-other-bot_x_1", NULL);
  check_file (path, 1, 5);
  g_free (path);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.not_found, ==, 1);
  fixture_stop (&f);
}

static void
test_bad_connector (void)
{
  GstGenesysServeConfig config = { 0 };
  const gchar *bad[][2] = {
    {"bot-7", "is not ID=TEMPLATE"},
    {"bot-7=fakesrc ! fakesink", "connector bot-7: "},
    {"bot-7=genesyssrc ! filesink location=/tmp/{conector-id}",
        "connector bot-7: unknown placeholder {conector-id}"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    const gchar *entries[] = { bad[i][0], NULL };
    GError *error = NULL;

    config.launch = "genesyssrc ! fakesink";
    config.address = "127.0.0.1";
    config.connectors = entries;
    g_assert_null (gst_genesys_serve_new (&config, NULL, NULL, &error));
    g_test_message ("%s: %s", bad[i][0], error->message);
    g_assert_nonnull (strstr (error->message, bad[i][1]));
    g_clear_error (&error);
  }
}

/* Upgraded sessions that never open, or open and then say nothing, do not
 * hold the slots: after the open timeout (5 s) the silent ones are ended,
 * and a real client gets its session. */
static void
test_silent_sessions (void)
{
  Fixture f;
  AhPeer *silent[10], *real;
  AhPeerFrame *frame;
  guint status = 0, i;
  gchar *params;
  gint64 start;

  fixture_start (&f, "! fakesink", 10, FALSE);
  for (i = 0; i < G_N_ELEMENTS (silent); i++) {
    silent[i] = ah_peer_new ();
    g_assert_true (ah_peer_connect (silent[i], f.port, PATH, NULL, &status));
  }
  real = ah_peer_new ();
  g_assert_false (ah_peer_connect (real, f.port, PATH, NULL, &status));
  g_assert_cmpuint (status, ==, 503);
  ah_peer_free (real);

  /* each silent one hears why, then is let go */
  start = g_get_monotonic_time ();
  for (i = 0; i < G_N_ELEMENTS (silent); i++) {
    JsonObject *p;
    frame = ah_peer_expect (silent[i], "disconnect", 10000);
    g_assert_nonnull (frame);
    p = json_object_get_object_member (frame->json, "parameters");
    g_assert_cmpstr (json_object_get_string_member (p, "reason"), ==, "error");
    if (i == 0)
      g_test_message ("disconnect after %.1f s: %s",
          (g_get_monotonic_time () - start) / 1e6,
          json_object_get_string_member (p, "info"));
    ah_peer_frame_free (frame);
    g_assert_cmpuint (ah_peer_wait_closed (silent[i], 10000), !=, 0);
    ah_peer_free (silent[i]);
  }
  g_assert_true (wait_for (sessions_zero, f.serve, WAIT));

  real = ah_peer_new ();
  params = open_params ("6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60",
      "0f1e2d3c-4b5a-4697-8877-665544332211", "", "", NULL);
  g_assert_cmpuint (peer_open (real, f.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_close (real, "PT0S", "end");
  ah_peer_free (real);
  wait_ended (&f, 1);
  fixture_stop (&f);
}

/* ---- pipelines that block in their start ---- */

/* The read side of a FIFO, on a thread: opening it lets the writer's open
 * return; then everything up to the end of file. */
typedef struct
{
  gchar *path;
  GByteArray *data;
  GThread *thread;
} FifoReader;

static gpointer
fifo_read_thread (gpointer data)
{
  FifoReader *r = data;
  gint fd = open (r->path, O_RDONLY);
  guint8 buf[4096];
  gssize n;

  g_assert_cmpint (fd, >=, 0);
  while ((n = read (fd, buf, sizeof (buf))) > 0)
    g_byte_array_append (r->data, buf, n);
  close (fd);
  return NULL;
}

static void
fifo_read_start (FifoReader * r, const gchar * path)
{
  r->path = g_strdup (path);
  r->data = g_byte_array_new ();
  r->thread = g_thread_new ("fifo-reader", fifo_read_thread, r);
}

/* The bytes read once the writer closed. */
static GByteArray *
fifo_read_finish (FifoReader * r)
{
  g_thread_join (r->thread);
  g_free (r->path);
  return r->data;
}

/* A ping from @peer gets its pong within @ms. */
static void
expect_pong_within (AhPeer * peer, const gchar * position, guint ms)
{
  gint64 sent = g_get_monotonic_time ();
  AhPeerFrame *frame;

  ah_peer_send (peer, "ping", position, "{}");
  frame = ah_peer_expect (peer, "pong", 2000);
  if (!frame)
    g_error ("session %s: no pong within 2 s", ah_peer_session_id (peer));
  g_test_message ("session %s: pong after %.1f ms", ah_peer_session_id (peer),
      (frame->received_us - sent) / 1000.0);
  g_assert_cmpint (frame->received_us - sent, <, (gint64) ms * 1000);
  ah_peer_frame_free (frame);
}

/* Connects @peer and sends its open for conversation @conv, without
 * waiting for opened. */
static void
peer_send_open (AhPeer * peer, guint port, const gchar * conv)
{
  guint status = 0;
  gchar *params = open_params (conv, conv, "", "-1", NULL);

  g_assert_true (ah_peer_connect (peer, port, PATH, NULL, &status));
  ah_peer_send (peer, "open", "PT0S", params);
  g_free (params);
}

/* Call A's pipeline is stuck in its start (its filesink opens a FIFO that
 * nobody reads yet); call B on the same loop thread gets its pongs at once
 * and its audio through, and A's pings are answered while its open waits.
 * Once the FIFO is read, A is opened and all of its audio arrives. */
static void
test_blocked_start (void)
{
  Fixture f;
  AhPeer *a = ah_peer_new (), *b = ah_peer_new ();
  gchar *conv_a = g_uuid_string_random (), *conv_b = g_uuid_string_random ();
  gchar *name, *fifo, *params, *pos;
  FifoReader reader;
  GByteArray *got;
  GstGenesysServeStats stats;
  AhPeerFrame *frame;
  guint i;

  /* one loop thread: A and B share it */
  fixture_start_full (&f, "! filesink location=DIR/{conversation-id}.raw",
      0, FALSE, NULL, NULL, 1, 0);
  name = g_strdup_printf ("%s.raw", conv_a);
  fifo = g_build_filename (f.dir, name, NULL);
  g_free (name);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  params = open_params (conv_b, conv_b, "", "-1", NULL);
  g_assert_cmpuint (peer_open (b, f.port, NULL, "PT0S", params), ==, 1);
  g_free (params);
  peer_send_open (a, f.port, conv_a);
  g_usleep (300 * 1000);

  for (i = 1; i <= 5; i++) {
    peer_frames (b, 1, 7);
    pos = position (i);
    expect_pong_within (b, pos, 200);
    g_free (pos);
    expect_pong_within (a, "PT0S", 200);
  }
  g_assert_null (ah_peer_expect (a, "opened", 0));
  peer_close (b, "PT1S", "end");
  /* B's pipeline is stopped while A's start still blocks a worker */
  wait_ended (&f, 1);
  g_assert_cmpstr (((Ended *) g_ptr_array_index (f.ended, 0))->conversation_id,
      ==, conv_b);
  name = g_strdup_printf ("%s.raw", conv_b);
  params = g_build_filename (f.dir, name, NULL);
  check_file (params, 5, 7);
  g_free (params);
  g_free (name);

  fifo_read_start (&reader, fifo);
  frame = expect_running (a, "opened");
  g_assert_nonnull (frame);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (json_object_get_object_member (frame->json, "parameters"),
              "media")), ==, 1);
  ah_peer_frame_free (frame);
  peer_frames (a, 5, 9);
  peer_close (a, "PT1S", "end");
  wait_ended (&f, 2);
  got = fifo_read_finish (&reader);
  g_assert_cmpuint (got->len, ==, 5 * FRAME);
  for (i = 0; i < got->len; i++)
    g_assert_cmpuint (got->data[i], ==, 9);
  g_byte_array_unref (got);
  g_assert_null (((Ended *) g_ptr_array_index (f.ended, 1))->error);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.calls_total, ==, 2);
  g_assert_cmpuint (stats.late_pongs, ==, 0);

  ah_peer_free (a);
  ah_peer_free (b);
  g_free (fifo);
  g_free (conv_a);
  g_free (conv_b);
  fixture_stop (&f);
}

/* A session that closes while its call's pipeline is still being started:
 * the open is never answered, the pipeline is stopped once its start
 * returns (it never plays audio), the application hears that the call did
 * not start, and a drain meanwhile waits for it. */
static void
test_start_abandoned (void)
{
  Fixture f;
  AhPeer *a = ah_peer_new ();
  gchar *conv = g_uuid_string_random (), *name, *fifo;
  FifoReader reader;
  GByteArray *got;
  GstGenesysServeStats stats;
  AhPeerFrame *frame;
  Ended *e;

  fixture_start (&f, "! filesink location=DIR/{conversation-id}.raw", 0, FALSE);
  name = g_strdup_printf ("%s.raw", conv);
  fifo = g_build_filename (f.dir, name, NULL);
  g_free (name);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  peer_send_open (a, f.port, conv);
  g_usleep (300 * 1000);
  /* the client gives up before opened: its close is answered */
  ah_peer_send (a, "close", "PT0S", "{\"reason\":\"end\"}");
  frame = ah_peer_next (a, WAIT);
  g_assert_nonnull (frame);
  g_assert_cmpstr (ah_peer_type (frame), ==, "closed");
  ah_peer_frame_free (frame);
  ah_peer_close (a);
  g_assert_true (wait_for (sessions_zero, f.serve, WAIT));

  gst_genesys_serve_drain (f.serve);
  g_assert_false (wait_for (is_drained, &f, 300));
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.calls, ==, 1);

  fifo_read_start (&reader, fifo);
  wait_ended (&f, 1);
  e = g_ptr_array_index (f.ended, 0);
  g_assert_nonnull (e->error);
  g_test_message ("the call: %s", e->error->message);
  g_assert_cmpstr (e->conversation_id, ==, conv);
  g_assert_true (wait_for (is_drained, &f, WAIT));
  got = fifo_read_finish (&reader);
  g_assert_cmpuint (got->len, ==, 0);
  g_byte_array_unref (got);
  g_assert_cmpuint (f.started->len, ==, 0);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_cmpuint (stats.calls, ==, 0);
  g_assert_cmpuint (stats.calls_total, ==, 0);

  ah_peer_free (a);
  g_free (fifo);
  g_free (conv);
  fixture_stop (&f);
}

/* Checks that @path is a complete WAV file of @n_frames frames of @value
 * (mu-law): sizes in the header as written at the end of stream. */
static void
check_wav (const gchar * path, guint n_frames, guint8 value)
{
  gchar *data = NULL;
  gsize size = 0, at = 12, i;
  gboolean fmt = FALSE, found = FALSE;

  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpuint (size, >=, 44);
  g_assert_true (memcmp (data, "RIFF", 4) == 0);
  g_assert_true (memcmp (data + 8, "WAVE", 4) == 0);
  g_assert_cmpuint (GST_READ_UINT32_LE (data + 4), ==, size - 8);
  while (!found && at + 8 <= size) {
    guint32 len = GST_READ_UINT32_LE (data + at + 4);
    if (memcmp (data + at, "fmt ", 4) == 0) {
      g_assert_cmpuint (GST_READ_UINT16_LE (data + at + 8), ==, 7);
      g_assert_cmpuint (GST_READ_UINT16_LE (data + at + 10), ==, 1);
      g_assert_cmpuint (GST_READ_UINT32_LE (data + at + 12), ==, 8000);
      fmt = TRUE;
    } else if (memcmp (data + at, "data", 4) == 0) {
      g_assert_cmpuint (len, ==, (gsize) n_frames * FRAME);
      g_assert_cmpuint (at + 8 + len, ==, size);
      for (i = at + 8; i < size; i++)
        if ((guint8) data[i] != value)
          g_error ("%s: byte %" G_GSIZE_FORMAT " is %u, not %u", path, i,
              (guint8) data[i], value);
      found = TRUE;
    }
    at += 8 + len + (len & 1);
  }
  g_assert_true (fmt);
  g_assert_true (found);
  g_free (data);
}

/* 50 calls opened at once, each recorded as WAV: every file is complete. */
static void
test_fifty_wav (void)
{
  enum
  { N = 50, FRAMES = 5 };
  Fixture f;
  AhPeer *peers[N];
  gchar *convs[N];
  guint i, j;

  fixture_start (&f, "! wavenc ! filesink location=DIR/{conversation-id}.wav",
      0, FALSE);
  for (i = 0; i < N; i++) {
    convs[i] = g_uuid_string_random ();
    peers[i] = ah_peer_new ();
    peer_send_open (peers[i], f.port, convs[i]);
  }
  for (i = 0; i < N; i++) {
    AhPeerFrame *frame = ah_peer_expect (peers[i], "opened", WAIT);
    g_assert_nonnull (frame);
    ah_peer_frame_free (frame);
  }
  for (j = 0; j < FRAMES; j++)
    for (i = 0; i < N; i++)
      peer_frames (peers[i], 1, 10 + i);
  for (i = 0; i < N; i++)
    peer_close (peers[i], "PT1S", "end");
  wait_ended (&f, N);
  for (i = 0; i < N; i++) {
    gchar *name = g_strdup_printf ("%s.wav", convs[i]);
    gchar *path = g_build_filename (f.dir, name, NULL);
    g_assert_null (((Ended *) g_ptr_array_index (f.ended, i))->error);
    check_wav (path, FRAMES, 10 + i);
    g_free (path);
    g_free (name);
    g_free (convs[i]);
    ah_peer_free (peers[i]);
  }
  g_assert_cmpuint (count_files (f.dir), ==, N);
  fixture_stop (&f);
}

/* ---- the object: properties, GInitable, signals, dispose ---- */

/* The serve as a GObject: g_initable_new() with @tail after the source
 * (as fixture_start()), the fixture's handlers connected to its signals. */
static void
fixture_start_object (Fixture * f, const gchar * tail)
{
  GError *error = NULL;
  gchar *launch;

  fixture_prepare (f);
  launch = fixture_launch (f, tail);
  f->serve = g_initable_new (GST_GENESYS_TYPE_SERVE, NULL, &error,
      "launch", launch, "address", "127.0.0.1", "path", PATH, "threads", 2,
      NULL);
  g_assert_no_error (error);
  g_free (launch);
  g_signal_connect (f->serve, "call-started", G_CALLBACK (on_started), f);
  g_signal_connect (f->serve, "call-ended", G_CALLBACK (on_ended), f);
  g_signal_connect (f->serve, "drained", G_CALLBACK (on_drained), f);
  g_object_get (f->serve, "bound-port", &f->port, NULL);
  g_assert_cmpuint (f->port, ==, gst_genesys_serve_get_port (f->serve));
}

/* A value of @pspec's type for the round trip: "NAME-value", 7, a list. */
static void
sample_value (GParamSpec * pspec, GValue * value)
{
  static const gchar *const list[] = { "a=genesyssrc ! fakesink", "b", NULL };
  gchar *s;

  g_value_init (value, G_PARAM_SPEC_VALUE_TYPE (pspec));
  if (G_VALUE_HOLDS_STRING (value)) {
    s = g_strdup_printf ("%s-value", pspec->name);
    g_value_take_string (value, s);
  } else if (G_VALUE_HOLDS_UINT (value)) {
    g_value_set_uint (value, 7);
  } else {
    g_assert_true (G_VALUE_HOLDS (value, G_TYPE_STRV));
    g_value_set_boxed (value, list);
  }
}

/* Every property of the config, construct-only, with a blurb, reads back
 * what was set (on an object that is not initialised: nothing is
 * checked); the read-only state is there too. */
static void
test_object_properties (void)
{
  static const gchar *const names[] = { "launch", "address", "port", "path",
    "tls-certificate-file", "tls-key-file", "api-key", "client-secret",
    "credentials-file", "authority", "max-sessions", "threads", "connectors",
    "supported-languages", "push-mode", "registry", "instance", "idle-timeout",
    "relay-key-file", "relay-url"
  };
  GValue values[G_N_ELEMENTS (names)];
  GObjectClass *klass = g_type_class_ref (GST_GENESYS_TYPE_SERVE);
  GObject *serve;
  GParamSpec *pspec;
  guint i, n, port;
  gboolean draining;

  g_free (g_object_class_list_properties (klass, &n));
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (names) + 2);
  memset (values, 0, sizeof (values));
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    pspec = g_object_class_find_property (klass, names[i]);
    g_assert_nonnull (pspec);
    g_assert_cmpuint (pspec->flags & (G_PARAM_READWRITE |
            G_PARAM_CONSTRUCT_ONLY), ==, G_PARAM_READWRITE |
        G_PARAM_CONSTRUCT_ONLY);
    g_assert_cmpuint (strlen (g_param_spec_get_blurb (pspec)), >, 10);
    sample_value (pspec, &values[i]);
  }
  serve = g_object_new_with_properties (GST_GENESYS_TYPE_SERVE,
      G_N_ELEMENTS (names), (const gchar **) names, values);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GValue got = G_VALUE_INIT;

    g_value_init (&got, G_VALUE_TYPE (&values[i]));
    g_object_get_property (serve, names[i], &got);
    pspec = g_object_class_find_property (klass, names[i]);
    if (G_VALUE_HOLDS (&got, G_TYPE_STRV))
      g_assert_true (g_strv_equal (g_value_get_boxed (&got),
              g_value_get_boxed (&values[i])));
    else
      g_assert_cmpint (g_param_values_cmp (pspec, &got, &values[i]), ==, 0);
    g_value_unset (&got);
    g_value_unset (&values[i]);
  }
  g_object_get (serve, "bound-port", &port, "draining", &draining, NULL);
  g_assert_cmpuint (port, ==, 0);
  g_assert_false (draining);
  pspec = g_object_class_find_property (klass, "bound-port");
  g_assert_cmpuint (pspec->flags & G_PARAM_READWRITE, ==, G_PARAM_READABLE);
  /* never initialised: dispose has nothing to stop */
  g_object_unref (serve);
  g_type_class_unref (klass);
}

static void
count_notify (GObject * object, GParamSpec * pspec, gpointer data)
{
  (*(guint *) data)++;
}

/* Initialised: bound-port is the port; draining is notified. Stopped, the
 * port and the stats stay, drain does nothing and the health port cannot
 * be had; stopping again does nothing. */
static void
test_object_state (void)
{
  Fixture f;
  GstGenesysServeStats stats, *copy;
  GError *error = NULL;
  gboolean draining;
  guint notified = 0;

  fixture_start_object (&f, "! fakesink");
  g_assert_cmpuint (f.port, >, 0);
  g_signal_connect (f.serve, "notify::draining", G_CALLBACK (count_notify),
      &notified);
  gst_genesys_serve_drain (f.serve);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (f.serve, "draining", &draining, NULL);
  g_assert_true (draining);
  g_assert_true (wait_for (is_drained, &f, WAIT));

  gst_genesys_serve_stop (f.serve);
  g_assert_cmpuint (gst_genesys_serve_get_port (f.serve), ==, f.port);
  gst_genesys_serve_get_stats (f.serve, &stats);
  g_assert_true (stats.draining);
  copy = g_boxed_copy (GST_GENESYS_TYPE_SERVE_STATS, &stats);
  g_assert_true (copy->draining);
  g_boxed_free (GST_GENESYS_TYPE_SERVE_STATS, copy);
  gst_genesys_serve_drain (f.serve);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (gst_genesys_serve_listen_health (f.serve, "127.0.0.1", 0,
          &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  fixture_stop (&f);
}

/* g_initable_new() fails with gst_genesys_serve_new()'s messages;
 * g_initable_init() again gives the same error. */
static void
test_object_bad_config (void)
{
  GError *error = NULL;
  GObject *serve;

  g_assert_null (g_initable_new (GST_GENESYS_TYPE_SERVE, NULL, &error,
          "address", "127.0.0.1", NULL));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "no launch template");
  g_clear_error (&error);

  g_assert_null (g_initable_new (GST_GENESYS_TYPE_SERVE, NULL, &error,
          "launch", "genesyssrc ! filesink location=/tmp/{conversation_id}",
          NULL));
  g_assert_cmpstr (error->message, ==, "unknown placeholder "
      "{conversation_id} in the launch template (did you mean "
      "{conversation-id}?)");
  g_clear_error (&error);

  g_assert_null (g_initable_new (GST_GENESYS_TYPE_SERVE, NULL, &error,
          "launch", "genesyssrc ! fakesink", "client-secret", SECRET, NULL));
  g_assert_nonnull (strstr (error->message,
          "--client-secret is set without --api-key"));
  g_clear_error (&error);

  serve = g_object_new (GST_GENESYS_TYPE_SERVE, "launch",
      "genesyssrc ! fakesink", "push-mode", "sometimes", NULL);
  g_assert_false (g_initable_init (G_INITABLE (serve), NULL, &error));
  g_assert_cmpstr (error->message, ==, "push mode 'sometimes': not "
      "thread, loop or auto");
  g_clear_error (&error);
  g_assert_false (g_initable_init (G_INITABLE (serve), NULL, &error));
  g_assert_cmpstr (error->message, ==, "push mode 'sometimes': not "
      "thread, loop or auto");
  g_clear_error (&error);
  g_object_unref (serve);
}

/* Signals connected to the object: call-started with the playing
 * pipeline, call-ended without an error, call-ended with the pipeline's
 * error, drained. */
static void
test_object_signals (void)
{
  Fixture f;
  AhPeer *ok = ah_peer_new (), *bad = ah_peer_new ();
  AhPeerFrame *frame;
  gchar *name, *path;
  Ended *e;
  guint i;

  fixture_start_object (&f, "! identity "
      "error-after={custom-config.errorAfter} ! filesink "
      "location=DIR/{session-id}.raw");
  peer_open_call (&f, ok, "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60", "-1");
  peer_open_call (&f, bad, "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f61", "2");
  peer_frames (ok, 3, 4);
  peer_frames (bad, 3, 5);
  frame = expect_running (bad, "disconnect");
  g_assert_nonnull (frame);
  ah_peer_frame_free (frame);
  peer_close (ok, "PT0.6S", "end");
  peer_close (bad, "PT0.6S", "disconnect");
  wait_ended (&f, 2);
  g_assert_cmpuint (f.started->len, ==, 2);
  for (i = 0; i < 2; i++) {
    e = g_ptr_array_index (f.ended, i);
    if (g_strcmp0 (e->session_id, ah_peer_session_id (ok)) == 0) {
      g_assert_no_error (e->error);
      g_assert_cmpstr (e->conversation_id, ==,
          "6e5d1c0a-3f8e-4b8a-9a57-9d2b1c4e5f60");
    } else {
      g_assert_cmpstr (e->session_id, ==, ah_peer_session_id (bad));
      g_assert_nonnull (e->error);
    }
  }
  name = g_strdup_printf ("%s.raw", ah_peer_session_id (ok));
  path = g_build_filename (f.dir, name, NULL);
  check_file (path, 3, 4);
  g_free (path);
  g_free (name);
  gst_genesys_serve_drain (f.serve);
  g_assert_true (wait_for (is_drained, &f, WAIT));
  ah_peer_free (ok);
  ah_peer_free (bad);
  fixture_stop (&f);
}

static void
stop_again (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, const GError * error, gpointer user_data)
{
  gst_genesys_serve_stop (serve);
}

/* The last unref during a call: dispose ends it as gst_genesys_serve_free()
 * does (output complete, the session told), call-ended is emitted from
 * within it (its handler may call stop: nothing happens), and nothing is
 * critical (G_DEBUG=fatal-criticals). */
static void
test_object_dispose_during_call (void)
{
  Fixture f;
  AhPeer *peer = ah_peer_new ();

  fixture_start_object (&f, "! filesink location=DIR/{session-id}.raw");
  peer_call_in (&f, peer, 6);
  while (f.started->len == 0)
    g_main_context_iteration (NULL, TRUE);

  g_signal_connect (f.serve, "call-ended", G_CALLBACK (stop_again), NULL);
  g_object_add_weak_pointer (G_OBJECT (f.serve), (gpointer *) & f.serve);
  g_object_unref (f.serve);
  g_assert_null (f.serve);
  g_assert_cmpuint (f.ended->len, ==, 1);
  g_assert_no_error (((Ended *) g_ptr_array_index (f.ended, 0))->error);
  check_let_go (&f, peer, 6);
  ah_peer_free (peer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);

  g_test_add_func ("/serve/sanitize", test_sanitize);
  g_test_add_func ("/serve/bad-config", test_bad_config);
  g_test_add_func ("/serve/bad-auth-config", test_bad_auth_config);
  g_test_add_func ("/serve/caps-braces", test_caps_braces);
  g_test_add_func ("/serve/connectors", test_connectors);
  g_test_add_func ("/serve/silent-sessions", test_silent_sessions);
  g_test_add_func ("/serve/bad-connector", test_bad_connector);
  g_test_add_func ("/serve/twenty-calls", test_twenty_calls);
  g_test_add_func ("/serve/start-failure", test_start_failure);
  g_test_add_func ("/serve/continued", test_continued);
  g_test_add_func ("/serve/continued-to-close", test_continued_to_close);
  g_test_add_func ("/serve/drain", test_drain);
  g_test_add_func ("/serve/drain-silent", test_drain_silent);
  g_test_add_func ("/serve/auth", test_auth);
  g_test_add_func ("/serve/free-with-calls", test_free_with_calls);
  g_test_add_func ("/serve/continued-half-open", test_continued_half_open);
  g_test_add_func ("/serve/program-sigterm", test_program_sigterm);
  g_test_add_func ("/serve/program-drain-timeout", test_program_drain_timeout);
  g_test_add_func ("/serve/program-second-signal", test_program_second_signal);
  g_test_add_func ("/serve/health-slow-clients", test_health_slow_clients);
  g_test_add_func ("/serve/supported-languages", test_supported_languages);
  g_test_add_func ("/serve/program-bad-options", test_program_bad_options);
  g_test_add_func ("/serve/blocked-start", test_blocked_start);
  g_test_add_func ("/serve/start-abandoned", test_start_abandoned);
  g_test_add_func ("/serve/fifty-wav", test_fifty_wav);
  g_test_add_func ("/serve/object-properties", test_object_properties);
  g_test_add_func ("/serve/object-state", test_object_state);
  g_test_add_func ("/serve/object-bad-config", test_object_bad_config);
  g_test_add_func ("/serve/object-signals", test_object_signals);
  g_test_add_func ("/serve/object-dispose-during-call",
      test_object_dispose_during_call);
  return g_test_run ();
}
