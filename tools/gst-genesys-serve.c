/* gst-genesys
 * Copyright (C) 2026 gst-genesys developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* gst-genesys-serve: one pipeline per AudioHook call, from a launch
 * template. See README.md ("gst-genesys-serve") for the manual. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/genesys/gstgenesysserve.h>
#include "serve-log.h"

#define FORCE_EXIT_AFTER G_USEC_PER_SEC

typedef struct
{
  GMainLoop *loop;
  GstGenesysServe *serve;
  gboolean quiet;
  guint drain_timeout;
  guint drain_source;
  gboolean draining;
  gboolean forcing;             /* a second signal came */

  /* --stats-interval */
  gint64 last_time;
  guint64 last_frames;
  gint64 last_cpu;
} App;

static void
on_call_started (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, GstElement * pipeline, gpointer user_data)
{
  App *app = user_data;
  ServeLogIds ids = { conversation_id, session_id, session_id };

  if (!app->quiet)
    serve_log ("info", "call-started", &ids, NULL,
        "call %s: started (conversation %s)", session_id, conversation_id);
}

static void
on_call_ended (GstGenesysServe * serve, const gchar * session_id,
    const gchar * conversation_id, const GError * error, gpointer user_data)
{
  App *app = user_data;
  ServeLogIds ids = { conversation_id, session_id, session_id };

  if (error)
    serve_log ("error", "call-failed", &ids, NULL,
        "call %s: failed: %s (conversation %s)", session_id, error->message,
        conversation_id);
  else if (!app->quiet)
    serve_log ("info", "call-ended", &ids, NULL,
        "call %s: ended (conversation %s)", session_id, conversation_id);
}

static void
on_drained (GstGenesysServe * serve, gpointer user_data)
{
  App *app = user_data;

  serve_log ("info", "drained", NULL, NULL, "drained");
  g_main_loop_quit (app->loop);
}

static gboolean
drain_timeout_cb (gpointer data)
{
  App *app = data;
  GstGenesysServeStats stats;

  app->drain_source = 0;
  gst_genesys_serve_get_stats (app->serve, &stats);
  serve_log ("info", "drain-timeout", NULL, NULL,
      "drain timeout: ending %u call(s), closing %u session(s)", stats.calls,
      stats.sessions);
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/* After a second signal the process ends within a second, whatever the
 * pipelines do: stopping them may wait on a streaming thread that is stuck
 * downstream. */
static gpointer
force_exit_thread (gpointer data)
{
  g_usleep (FORCE_EXIT_AFTER);
  serve_log ("error", "forced-exit", NULL, NULL, "gst-genesys-serve: the "
      "calls did not stop within 1 s of the second signal; exiting without "
      "waiting for them");
  _exit (1);
  return NULL;
}

static gboolean
signal_cb (gpointer data)
{
  App *app = data;

  if (app->draining) {
    serve_log ("info", "stopping", NULL, NULL, "second signal: stopping now");
    if (!app->forcing) {
      app->forcing = TRUE;
      g_thread_unref (g_thread_new ("force-exit", force_exit_thread, NULL));
    }
    g_main_loop_quit (app->loop);
    return G_SOURCE_CONTINUE;
  }
  app->draining = TRUE;
  serve_log ("info", "draining", NULL, NULL, "draining (up to %u s)",
      app->drain_timeout);
  /* not g_timeout_add_seconds(): it may fire up to a second early */
  app->drain_source = g_timeout_add (MIN (app->drain_timeout,
          G_MAXUINT / 1000) * 1000, drain_timeout_cb, app);
  gst_genesys_serve_drain (app->serve);
  return G_SOURCE_CONTINUE;
}

/* CPU time of the process in microseconds. */
static gint64
cpu_time (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC
      + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Resident set size in bytes, from /proc/self/statm. */
static guint64
rss_bytes (void)
{
  gchar *text = NULL;
  guint64 pages = 0;

  if (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL)) {
    gchar **fields = g_strsplit (text, " ", 3);
    if (fields[0] && fields[1])
      pages = g_ascii_strtoull (fields[1], NULL, 10);
    g_strfreev (fields);
    g_free (text);
  }
  return pages * (guint64) sysconf (_SC_PAGESIZE);
}

static gboolean
stats_cb (gpointer data)
{
  App *app = data;
  GstGenesysServeStats s;
  gint64 now = g_get_monotonic_time (), cpu = cpu_time ();
  gdouble seconds = (now - app->last_time) / (gdouble) G_USEC_PER_SEC;
  gdouble fps, cpu_percent, rss_mib;
  JsonObject *extra;

  gst_genesys_serve_get_stats (app->serve, &s);
  if (seconds <= 0)
    seconds = 1;
  fps = (s.frames - app->last_frames) / seconds;
  cpu_percent = 100.0 * (cpu - app->last_cpu) / (seconds * G_USEC_PER_SEC);
  rss_mib = rss_bytes () / (1024.0 * 1024.0);
  extra = json_object_new ();
  json_object_set_int_member (extra, "sessions", s.sessions);
  json_object_set_int_member (extra, "calls", s.calls);
  json_object_set_double_member (extra, "frames_per_second", fps);
  json_object_set_int_member (extra, "gaps", s.gaps);
  json_object_set_int_member (extra, "auth_failures", s.auth_failures);
  json_object_set_int_member (extra, "not_found", s.not_found);
  json_object_set_int_member (extra, "oversized", s.oversized);
  json_object_set_int_member (extra, "slow_readers", s.slow_readers);
  json_object_set_int_member (extra, "late_pongs", s.late_pongs);
  json_object_set_int_member (extra, "refused", s.refused);
  json_object_set_int_member (extra, "calls_total", s.calls_total);
  json_object_set_int_member (extra, "calls_failed", s.calls_failed);
  json_object_set_int_member (extra, "probes", s.probes);
  json_object_set_double_member (extra, "cpu_percent", cpu_percent);
  json_object_set_double_member (extra, "rss_mib", rss_mib);
  serve_log ("info", "stats", NULL, extra, "stats: sessions=%u calls=%u "
      "frames/s=%.1f gaps=%" G_GUINT64_FORMAT " auth-failures=%"
      G_GUINT64_FORMAT " not-found=%" G_GUINT64_FORMAT " oversized=%"
      G_GUINT64_FORMAT " slow-readers=%" G_GUINT64_FORMAT " late-pongs=%"
      G_GUINT64_FORMAT " refused=%" G_GUINT64_FORMAT " calls-total=%"
      G_GUINT64_FORMAT " calls-failed=%" G_GUINT64_FORMAT " probes=%"
      G_GUINT64_FORMAT " cpu=%.1f%% rss=%.1fMiB", s.sessions, s.calls, fps,
      s.gaps, s.auth_failures, s.not_found, s.oversized, s.slow_readers,
      s.late_pongs, s.refused, s.calls_total, s.calls_failed, s.probes,
      cpu_percent, rss_mib);
  json_object_unref (extra);
  app->last_time = now;
  app->last_frames = s.frames;
  app->last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

/* Every connection, and every call's pipeline, takes descriptors: the soft
 * limit (often 1024) goes up to the hard one. */
static void
raise_open_files_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
    serve_log ("warning", "open-files-limit", NULL, NULL, "warning: could not "
        "raise the limit on open files to %lu: %s",
        (unsigned long) rl.rlim_max, g_strerror (errno));
}

/* Calls start and end on hundreds of threads: glibc spreads them over up
 * to 8 arenas per core and keeps what they freed there, and RSS creeps up
 * as those fragment. A few arenas (--malloc-arenas) and handing free pages
 * back now and then keep it flat. */
static gboolean
trim_cb (gpointer data)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_CONTINUE;
}

/* Says which option is out of range, and its range. */
static gboolean
in_range (const gchar * option, gint value, gint min, gint max)
{
  if (value >= min && value <= max)
    return TRUE;
  if (max == G_MAXINT)
    g_printerr ("gst-genesys-serve: %s %d: must be %d or more\n", option,
        value, min);
  else
    g_printerr ("gst-genesys-serve: %s %d: out of range (%d to %d)\n", option,
        value, min, max);
  return FALSE;
}

/* "a, b,,c" -> {"a", "b", "c"} */
static gchar **
split_list (const gchar * text)
{
  gchar **parts = g_strsplit (text, ",", -1);
  GPtrArray *list = g_ptr_array_new ();
  gchar **p;

  for (p = parts; *p; p++) {
    g_strstrip (*p);
    if (**p)
      g_ptr_array_add (list, g_strdup (*p));
  }
  g_strfreev (parts);
  g_ptr_array_add (list, NULL);
  return (gchar **) g_ptr_array_free (list, FALSE);
}

/* The command line. */
typedef struct
{
  gchar *address, *path, *cert, *key;
  gchar *api_key, *secret, *credentials, *authority, *languages;
  gchar **connectors;
  gint port, max_sessions, health_port;
  gint drain_timeout, stats_interval, threads, trim_interval, idle_timeout;
  gint malloc_arenas;
  gboolean quiet, version;
  gchar *push_mode;
  gchar *log_format;
  ServeLogFormat log_format_value;
  gchar *registry, *instance;
  gchar *relay_key, *relay_url;
} Options;

static Options opts = {
  .port = 9000,
  .health_port = -1,
  .drain_timeout = 60,
  .idle_timeout = 60,
  .trim_interval = 30,
  .malloc_arenas = 4,
};

static GOptionEntry entries[] = {
  {"address", 'a', 0, G_OPTION_ARG_STRING, &opts.address,
      "Local IP address to listen on (default 0.0.0.0)", "ADDR"},
  {"port", 'p', 0, G_OPTION_ARG_INT, &opts.port,
      "TCP port to listen on, 0 = any free (default 9000)", "PORT"},
  {"path", 0, 0, G_OPTION_ARG_STRING, &opts.path,
      "Request path (default /api/v1/audiohook/ws)", "PATH"},
  {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opts.cert,
      "PEM certificate chain: serve wss://", "FILE"},
  {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opts.key,
      "PEM private key of --tls-cert", "FILE"},
  {"api-key", 0, 0, G_OPTION_ARG_STRING, &opts.api_key,
      "API key clients present in X-API-KEY", "KEY"},
  {"client-secret", 0, 0, G_OPTION_ARG_STRING, &opts.secret,
        "Base64 client secret of --api-key (empty: unsigned allowed)",
      "SECRET"},
  {"credentials", 0, 0, G_OPTION_ARG_FILENAME, &opts.credentials,
      "JSON object mapping API keys to client secrets", "FILE"},
  {"authority", 0, 0, G_OPTION_ARG_STRING, &opts.authority,
      "Public host[:port] for signatures behind proxies", "HOST"},
  {"connector", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts.connectors,
      "Audio Connector: calls whose Connector ID (the request path after "
        "--path) is ID run TEMPLATE instead (repeatable)", "ID=TEMPLATE"},
  {"supported-languages", 0, 0, G_OPTION_ARG_STRING, &opts.languages,
      "Language codes listed in opened when an open asks, comma "
        "separated (e.g. en-US,de-DE; default: an empty list)", "LIST"},
  {"max-sessions", 0, 0, G_OPTION_ARG_INT, &opts.max_sessions,
        "Most sessions open at once, HTTP 503 beyond (default 0: no limit)",
      "N"},
  {"threads", 0, 0, G_OPTION_ARG_INT, &opts.threads,
      "Loop threads the connections are spread over (default 0: one per "
        "processor it may run on, at most 8)", "N"},
  {"drain-timeout", 0, 0, G_OPTION_ARG_INT, &opts.drain_timeout,
        "After SIGTERM/SIGINT, wait this long for calls to end (default 60)",
      "SECONDS"},
  {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &opts.idle_timeout,
      "End a session after this long without any message from its client "
        "(default 60)", "SECONDS"},
  {"stats-interval", 0, 0, G_OPTION_ARG_INT, &opts.stats_interval,
      "Print a stats line this often (default 0: never)", "SECONDS"},
  {"trim-interval", 0, 0, G_OPTION_ARG_INT, &opts.trim_interval,
      "Return freed memory to the system this often (default 30, "
        "0: never)", "SECONDS"},
  {"malloc-arenas", 0, 0, G_OPTION_ARG_INT, &opts.malloc_arenas,
      "glibc malloc arenas (default 4; 0: glibc's default; the "
        "MALLOC_ARENA_MAX environment variable wins)", "N"},
  {"health-port", 0, 0, G_OPTION_ARG_INT, &opts.health_port,
      "Serve /health, /ready, /live and /metrics on this port (0: any "
        "free)", "PORT"},
  {"push-mode", 0, 0, G_OPTION_ARG_STRING, &opts.push_mode,
      "Which thread pushes each call's audio: thread, loop (only for "
        "templates whose downstream never blocks) or auto (default: loop "
        "when nothing downstream can block)", "MODE"},
  {"registry", 0, 0, G_OPTION_ARG_STRING, &opts.registry,
      "redis://HOST[:PORT][/DB]: the session registry shared by the "
        "instances behind one load balancer; a call that continues here "
        "from another instance goes on as its next {segment} (default: "
        "none, this instance alone)", "URL"},
  {"instance", 0, 0, G_OPTION_ARG_STRING, &opts.instance,
      "This instance's unique name in the registry (default: "
        "HOSTNAME-PORT)", "NAME"},
  {"relay-key", 0, 0, G_OPTION_ARG_FILENAME, &opts.relay_key,
        "File holding the relay key KEY-ID:SECRET (base64), the same on every "
        "instance: a continuation whose call's owner is up is relayed to it, "
        "and relays are accepted (default: none, such a call moves here)",
      "FILE"},
  {"relay-url", 0, 0, G_OPTION_ARG_STRING, &opts.relay_url,
      "Where the other instances reach this one for relays, advertised in "
        "the registry (default: ws://ADDRESS:PORT/PATH, the host name for "
        "0.0.0.0)", "URL"},
  {"log-format", 0, 0, G_OPTION_ARG_STRING, &opts.log_format,
      "text (default): plain lines; json: one JSON object per line (time, "
        "level, event, message, conversation_id, session_id, call_id), "
        "GStreamer's warnings included", "FORMAT"},
  {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opts.quiet,
      "No line per call (failures are still printed)", NULL},
  {"version", 0, 0, G_OPTION_ARG_NONE, &opts.version, "Print the version",
      NULL},
  {NULL}
};

static void
options_clear (void)
{
  g_free (opts.address);
  g_free (opts.path);
  g_free (opts.cert);
  g_free (opts.key);
  g_free (opts.api_key);
  g_free (opts.secret);
  g_free (opts.credentials);
  g_free (opts.authority);
  g_free (opts.languages);
  g_free (opts.push_mode);
  g_free (opts.log_format);
  g_free (opts.registry);
  g_free (opts.instance);
  g_free (opts.relay_key);
  g_free (opts.relay_url);
  g_strfreev (opts.connectors);
}

/* Parses the command line into @opts and the launch template; -1 to go
 * on, else the exit code. */
static gint
parse_options (gint * argc, gchar *** argv, gchar ** launch)
{
  GOptionContext *ctx;
  GError *error = NULL;
  gint i, ret = -1;

  ctx = g_option_context_new ("-- LAUNCH-TEMPLATE");
  g_option_context_set_summary (ctx,
      "Listens for Genesys Cloud AudioHook sessions and runs one pipeline "
      "per call,\nbuilt from LAUNCH-TEMPLATE, whose genesyssrc takes the "
      "call. Placeholders such as\n{conversation-id} are filled from the "
      "call's open message, e.g.\n\n  gst-genesys-serve --port 9000 "
      "--credentials keys.json -- \\\n    'genesyssrc ! mulawdec ! wavenc ! "
      "filesink location=calls/{conversation-id}-{session-id}.wav'\n\n"
      "At start the soft limit on open files is raised to the hard limit "
      "(ulimit -Hn).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, argc, argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    ret = 2;
    goto out;
  }
  if (opts.version) {
    g_print ("gst-genesys-serve %s\n", VERSION);
    ret = 0;
    goto out;
  }
  i = 1;
  if (i < *argc && strcmp ((*argv)[i], "--") == 0)
    i++;
  if (i >= *argc) {
    gchar *help = g_option_context_get_help (ctx, TRUE, NULL);
    g_printerr ("%s\ngst-genesys-serve: no launch template: give it after "
        "the options (after --)\n", help);
    g_free (help);
    ret = 2;
    goto out;
  }
  if (!in_range ("--port", opts.port, 0, 65535)
      || !in_range ("--health-port", opts.health_port, -1, 65535)
      || !in_range ("--max-sessions", opts.max_sessions, 0, G_MAXINT)
      || !in_range ("--threads", opts.threads, 0, 64)
      || !in_range ("--drain-timeout", opts.drain_timeout, 0, G_MAXINT)
      || !in_range ("--idle-timeout", opts.idle_timeout, 1, G_MAXINT / 1000)
      || !in_range ("--stats-interval", opts.stats_interval, 0, G_MAXINT)
      || !in_range ("--trim-interval", opts.trim_interval, 0, G_MAXINT)
      || !in_range ("--malloc-arenas", opts.malloc_arenas, 0, G_MAXINT)) {
    ret = 2;
    goto out;
  }
  if (opts.log_format && !serve_log_format_from_name (opts.log_format,
          &opts.log_format_value)) {
    g_printerr ("gst-genesys-serve: --log-format %s: not text or json\n",
        opts.log_format);
    ret = 2;
    goto out;
  }
  *launch = g_strjoinv (" ", *argv + i);
out:
  g_option_context_free (ctx);
  return ret;
}

/* The process before the server: memory arenas, open files, logging. */
static void
prepare_process (void)
{
  serve_log_set_format (opts.log_format_value);
#ifdef __GLIBC__
  if (opts.malloc_arenas > 0 && !g_getenv ("MALLOC_ARENA_MAX"))
    mallopt (M_ARENA_MAX, opts.malloc_arenas);
#endif
  raise_open_files_limit ();
  /* the server's warnings (e.g. out of descriptors, at most one per 10 s)
   * reach stderr unless GST_DEBUG says otherwise */
  if (!g_getenv ("GST_DEBUG")) {
    gst_debug_set_threshold_for_name ("genesysserver", GST_LEVEL_WARNING);
    /* a registry that fails (Redis gone) is said, as well as counted */
    gst_debug_set_threshold_for_name ("genesysregistry", GST_LEVEL_WARNING);
    gst_debug_set_threshold_for_name ("genesysserve", GST_LEVEL_WARNING);
    /* a relay's owner that cannot be reached, or breaks the protocol */
    gst_debug_set_threshold_for_name ("genesysrelay", GST_LEVEL_WARNING);
    if (!isatty (STDERR_FILENO))
      gst_debug_set_color_mode (GST_DEBUG_COLOR_MODE_OFF);
  }
  if (!opts.api_key && !opts.credentials && !opts.secret)
    serve_log ("warning", "no-authentication", NULL, NULL, "warning: no API "
        "key is configured: every AudioHook connection is accepted without "
        "authentication (set --api-key and --client-secret, or "
        "--credentials)");
}

/* SIGHUP: the credentials file again; the calls go on. */
static gboolean
reload_cb (gpointer data)
{
  App *app = data;
  GError *error = NULL;

  if (gst_genesys_serve_reload_credentials (app->serve, &error)) {
    serve_log ("info", "credentials-reloaded", NULL, NULL,
        "credentials reloaded from %s", opts.credentials);
  } else {
    serve_log ("error", "reload-failed", NULL, NULL, "SIGHUP: the keys stay "
        "as they were: %s", error->message);
    g_error_free (error);
  }
  return G_SOURCE_CONTINUE;
}

/* Serves until a signal and the drain end it; the exit code. */
static gint
serve (App * app, const gchar * launch)
{
  GstGenesysServeConfig config = { 0 };
  GstGenesysServeCallbacks callbacks = { 0 };
  gchar **language_list = NULL;
  GError *error = NULL;
  guint health = 0, sources[5] = { 0, 0, 0, 0, 0 };
  guint i;

  config.launch = launch;
  config.address = opts.address;
  config.port = opts.port;
  config.path = opts.path;
  config.tls_certificate_file = opts.cert;
  config.tls_key_file = opts.key;
  config.api_key = opts.api_key;
  config.client_secret = opts.secret;
  config.credentials_file = opts.credentials;
  config.authority = opts.authority;
  config.max_sessions = opts.max_sessions;
  config.idle_timeout = opts.idle_timeout;
  config.threads = opts.threads;
  config.push_mode = opts.push_mode;
  config.registry = opts.registry;
  config.instance = opts.instance;
  config.relay_key_file = opts.relay_key;
  config.relay_url = opts.relay_url;
  config.connectors = (const gchar * const *) opts.connectors;
  if (opts.languages) {
    language_list = split_list (opts.languages);
    config.supported_languages = (const gchar * const *) language_list;
  }
  callbacks.call_started = on_call_started;
  callbacks.call_ended = on_call_ended;
  callbacks.drained = on_drained;
  app->serve = gst_genesys_serve_new (&config, &callbacks, app, &error);
  g_strfreev (language_list);
  if (!app->serve) {
    serve_log ("error", "start-failed", NULL, NULL, "gst-genesys-serve: %s",
        error->message);
    g_error_free (error);
    return 1;
  }
  if (opts.health_port >= 0) {
    health = gst_genesys_serve_listen_health (app->serve, opts.address,
        opts.health_port, &error);
    if (!health) {
      serve_log ("error", "start-failed", NULL, NULL,
          "gst-genesys-serve: health port: %s", error->message);
      g_error_free (error);
      gst_genesys_serve_free (app->serve);
      return 1;
    }
  }
  serve_log ("info", "listening", NULL, NULL, "listening on %s:%u%s",
      opts.address ? opts.address : "0.0.0.0",
      gst_genesys_serve_get_port (app->serve),
      opts.path ? opts.path : "/api/v1/audiohook/ws");
  if (health)
    serve_log ("info", "health", NULL, NULL, "health on %s:%u/health",
        opts.address ? opts.address : "0.0.0.0", health);

  sources[0] = g_unix_signal_add (SIGTERM, signal_cb, app);
  sources[1] = g_unix_signal_add (SIGINT, signal_cb, app);
  if (opts.stats_interval > 0) {
    app->last_time = g_get_monotonic_time ();
    app->last_cpu = cpu_time ();
    sources[2] = g_timeout_add_seconds (opts.stats_interval, stats_cb, app);
  }
  if (opts.trim_interval > 0)
    sources[3] = g_timeout_add_seconds (opts.trim_interval, trim_cb, NULL);
  sources[4] = g_unix_signal_add (SIGHUP, reload_cb, app);
  g_main_loop_run (app->loop);

  for (i = 0; i < G_N_ELEMENTS (sources); i++)
    if (sources[i])
      g_source_remove (sources[i]);
  if (app->drain_source)
    g_source_remove (app->drain_source);
  gst_genesys_serve_free (app->serve);
  serve_log ("info", "stopped", NULL, NULL, "stopped");
  return 0;
}

int
main (int argc, char **argv)
{
  App app = { 0 };
  gchar *launch = NULL;
  gint ret;

  setvbuf (stdout, NULL, _IOLBF, 0);
  ret = parse_options (&argc, &argv, &launch);
  if (ret < 0) {
    prepare_process ();
    app.quiet = opts.quiet;
    app.drain_timeout = opts.drain_timeout;
    app.loop = g_main_loop_new (NULL, FALSE);
    ret = serve (&app, launch);
    g_main_loop_unref (app.loop);
  }
  g_free (launch);
  options_clear ();
  gst_deinit ();
  return ret;
}
